"""Pick processes by name, as mlaunch users expect.

    cfg             every member of the config-server set
    shard01         every member of shard01
    shard01.2       its second member
    shard01.primary / shard01.secondary   by current state (needs the live status)
    mongos          every router;  mongos.1  the first
    all             everything
"""

from __future__ import annotations

from .errors import ShardsmithError
from .topology.model import Topology

STATE_WORDS = {"primary": "PRIMARY", "secondary": "SECONDARY", "arbiter": "ARBITER"}


def select(topology: Topology, selector: str, states: dict[str, str] | None = None) -> list:
    """The processes `selector` names; `states` maps member name -> PRIMARY/SECONDARY/..."""
    procs = {p.name: p for p in topology.processes}
    selector = selector.strip()
    if selector == "all":
        return list(topology.processes)
    if selector in procs:
        return [procs[selector]]
    groups = {rs.name: list(rs.members) for rs in topology.replica_sets}
    groups["mongos"] = list(topology.routers)
    if topology.standalone:
        groups["standalone"] = [topology.standalone]
    if selector in groups:
        return groups[selector]
    group, _, word = selector.rpartition(".")
    if group in groups and word in STATE_WORDS:
        if states is None:
            raise ShardsmithError(f"{selector!r} needs the live state of {group}, which is not available")
        chosen = [m for m in groups[group] if states.get(m.name) == STATE_WORDS[word]]
        if not chosen:
            raise ShardsmithError(f"{group} has no {word} right now", hint="`inv status` shows every member's state")
        return chosen
    known = sorted(groups) + ["all", "SET.N", "SET.primary", "SET.secondary"]
    raise ShardsmithError(f"no process matches {selector!r}", hint=f"use one of: {', '.join(known)}")
