"""What every process is doing right now: state, health, replication lag."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Optional

from .replset import direct_client

DOWN = "DOWN"


@dataclass(frozen=True)
class ProcessStatus:
    name: str
    role: str  # configsvr | shardsvr | replset | standalone | mongos
    set_name: Optional[str]
    address: str
    pid: Optional[int]
    state: str  # PRIMARY, SECONDARY, ARBITER, STARTUP2, ..., RUNNING (mongos/standalone), DOWN
    healthy: bool
    lag_seconds: Optional[float] = None

    def as_dict(self) -> dict:
        return asdict(self)


def _set_states(replica_set, endpoints, pids, credentials) -> dict[str, tuple]:
    """member name -> (state, healthy, lag) from one live member's replSetGetStatus."""
    by_host = {endpoints[m.name].host: m.name for m in replica_set.members}
    for member in replica_set.members:
        if not pids.get(member.name):
            continue
        try:
            with direct_client(endpoints[member.name].address, credentials, serverSelectionTimeoutMS=1500) as client:
                status = client.admin.command("replSetGetStatus")
        except Exception:  # not initiated yet or not answering: ask the next one
            continue
        optimes = {m["name"]: m.get("optimeDate") for m in status["members"]}
        primary_time = next((optimes[m["name"]] for m in status["members"] if m["stateStr"] == "PRIMARY"), None)
        states = {}
        for entry in status["members"]:
            name = by_host.get(entry["name"])
            lag = None
            if primary_time and optimes.get(entry["name"]) and entry["stateStr"] in ("PRIMARY", "SECONDARY"):
                lag = max(0.0, (primary_time - optimes[entry["name"]]).total_seconds())
            states[name] = (entry["stateStr"] if entry.get("health", 1) else DOWN, bool(entry.get("health", 1)), lag)
        return states
    return {}


def _single_state(address, pid, credentials) -> tuple:
    if not pid:
        return DOWN, False, None
    try:
        with direct_client(address, credentials, serverSelectionTimeoutMS=1500) as client:
            client.admin.command("ping")
        return "RUNNING", True, None
    except Exception:  # running but not answering
        return "UNREACHABLE", False, None


def cluster_status(topology, endpoints: dict, pids: dict, credentials) -> list[ProcessStatus]:
    with ThreadPoolExecutor(max_workers=8) as pool:
        set_jobs = {rs.name: pool.submit(_set_states, rs, endpoints, pids, credentials) for rs in topology.replica_sets}
        singles = [p for p in topology.processes if p.role in ("mongos", "standalone")]
        single_jobs = {p.name: pool.submit(_single_state, endpoints[p.name].address, pids.get(p.name), credentials)
                       for p in singles}
        results = []
        for proc in topology.processes:
            set_name = getattr(proc, "set_name", None)
            if proc.name in single_jobs:
                state, healthy, lag = single_jobs[proc.name].result()
            else:
                known = set_jobs[set_name].result().get(proc.name)
                if not pids.get(proc.name):
                    state, healthy, lag = DOWN, False, None
                elif known:
                    state, healthy, lag = known
                else:
                    state, healthy, lag = "STARTUP", False, None
            results.append(ProcessStatus(name=proc.name, role=proc.role, set_name=set_name,
                                         address=endpoints[proc.name].address, pid=pids.get(proc.name),
                                         state=state, healthy=healthy, lag_seconds=lag))
    return results


def member_states(statuses: list[ProcessStatus]) -> dict[str, str]:
    return {s.name: s.state for s in statuses}
