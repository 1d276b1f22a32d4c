"""The mongosh init script the official image's init services run (templates/init.js.j2).

It does what `shardsmith.bootstrap` does from the host, from inside the
compose network: initiate each replica set with the same fast-election
config, wait for its primary by polling, create the root user through the
localhost exception, restore the normal election settings, add the shards.
Every step checks first, so running it twice is harmless. The plan (hosts,
configs) is computed here by the same functions the host bootstrap uses;
the script only carries it out.
"""

from __future__ import annotations

from typing import Optional

from ..bootstrap import STEPPED_DOWN, shard_connection_string
from ..replset import NORMAL_SETTINGS, intended_primary, replset_config
from .compose import INIT_PART_ENV, in_network_endpoints
from .environment import render_template


def set_plan(replica_set, endpoints: dict) -> dict:
    seed = intended_primary(replica_set)
    return {
        "local": endpoints[seed.name].address,
        "members": [endpoints[m.name].host for m in replica_set.members if not m.arbiter],
        "initiate": replset_config(replica_set, endpoints),
        "priorities": {str(m.number - 1): (0 if m.arbiter else m.priority) for m in replica_set.members},
        "normalSettings": NORMAL_SETTINGS,
        "acknowledgers": sum(1 for m in replica_set.members if not m.arbiter and not m.secondary_delay),
    }


def init_plan(topology, endpoints: Optional[dict] = None, *, routers: bool = True) -> dict:
    """Everything the script needs, as JSON-ready data."""
    endpoints = endpoints or in_network_endpoints(topology)
    auth = topology.auth
    plan = {
        "cluster": topology.name,
        "partEnv": INIT_PART_ENV,
        "steppedDownCodes": sorted(STEPPED_DOWN),
        "auth": {"user": auth.root_user, "passwordEnv": auth.root_password_env} if auth.enabled else None,
        "sets": {rs.name: set_plan(rs, endpoints) for rs in topology.replica_sets},
        "router": None,
        "standalone": None,
    }
    if routers and topology.routers:
        plan["router"] = {"local": endpoints[topology.routers[0].name].address,
                          "shards": [{"name": s.name, "hosts": shard_connection_string(s, endpoints)}
                                     for s in topology.shards]}
    if topology.standalone:
        plan["standalone"] = {"local": endpoints[topology.standalone.name].address}
    return plan


def render_init_script(topology, endpoints: Optional[dict] = None, *, routers: bool = True) -> str:
    """mongosh script; run one part with SHARDSMITH_INIT_PART=<set name> | router | standalone | all.

    `endpoints` default to the compose network's view (see render.compose);
    tests pass the endpoints of local processes to run it for real.
    """
    return render_template("init.js.j2", topology=topology, plan=init_plan(topology, endpoints, routers=routers))
