"""What every process is doing right now: state, health, replication lag.

A member that runs but refuses our credentials is AUTH FAILED, not down or
starting: the password in use is not the cluster's, and the user is told so.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any, Optional

from pymongo.errors import OperationFailure, PyMongoError

from .clients import direct_client
from .credentials import Credentials
from .endpoints import Endpoints
from .servercodes import ServerCode
from .tls import ClientTLS
from .topology.model import Process, ReplicaSet, Role, Topology
from .wait import is_transient

DOWN = "DOWN"
AUTH_FAILED = "AUTH FAILED"
STARTUP = "STARTUP"  # running, but no replica-set state yet (not initiated, or not answering)
PROBE_TIMEOUT_MS = 1500

State = tuple[str, bool, Optional[float]]  # state, healthy, lag in seconds


@dataclass(frozen=True)
class ProcessStatus:
    name: str
    role: Role
    set_name: Optional[str]
    address: str
    pid: Optional[int]
    state: str  # PRIMARY, SECONDARY, ARBITER, STARTUP2, ..., RUNNING (mongos/standalone), DOWN, AUTH FAILED
    healthy: bool
    lag_seconds: Optional[float] = None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "role": str(self.role)}


def _set_states(replica_set: ReplicaSet, endpoints: Endpoints, pids: dict[str, Optional[int]],
                credentials: Optional[Credentials], tls: Optional[ClientTLS] = None) -> dict[str, State]:
    """member name -> state from one live member's replSetGetStatus (the first that answers)."""
    refused = False
    for member in replica_set.members:
        if not pids.get(member.name):
            continue
        try:
            with direct_client(endpoints[member.name].address, credentials, tls=tls,
                               serverSelectionTimeoutMS=PROBE_TIMEOUT_MS) as client:
                status = client.admin.command("replSetGetStatus")
        except OperationFailure as exc:
            if exc.code == ServerCode.AuthenticationFailed:
                refused = True
            elif exc.code != ServerCode.NotYetInitialized and not is_transient(exc):
                raise
            continue
        except PyMongoError as exc:  # not answering: ask the next one
            if not is_transient(exc):
                raise
            continue
        return _states_from(replica_set, endpoints, status)
    if refused:
        return {m.name: (AUTH_FAILED, False, None) for m in replica_set.members if pids.get(m.name)}
    return {}


def _states_from(replica_set: ReplicaSet, endpoints: Endpoints, status: dict[str, Any]) -> dict[str, State]:
    by_host = {endpoints[m.name].host: m.name for m in replica_set.members}
    optimes = {m["name"]: m.get("optimeDate") for m in status["members"]}
    primary_time = next((optimes[m["name"]] for m in status["members"] if m["stateStr"] == "PRIMARY"), None)
    states: dict[str, State] = {}
    for entry in status["members"]:
        name = by_host.get(entry["name"])
        if name is None:
            continue
        lag = None
        if primary_time and optimes.get(entry["name"]) and entry["stateStr"] in ("PRIMARY", "SECONDARY"):
            lag = max(0.0, (primary_time - optimes[entry["name"]]).total_seconds())
        healthy = bool(entry.get("health", 1))
        states[name] = (entry["stateStr"] if healthy else DOWN, healthy, lag)
    return states


def _single_state(address: str, pid: Optional[int], credentials: Optional[Credentials],
                  tls: Optional[ClientTLS] = None) -> State:
    if not pid:
        return DOWN, False, None
    try:
        with direct_client(address, credentials, tls=tls, serverSelectionTimeoutMS=PROBE_TIMEOUT_MS) as client:
            client.admin.command("ping")
        return "RUNNING", True, None
    except OperationFailure as exc:
        if exc.code == ServerCode.AuthenticationFailed:
            return AUTH_FAILED, False, None
        raise
    except PyMongoError as exc:  # running but not answering
        if not is_transient(exc):
            raise
        return "UNREACHABLE", False, None


def cluster_status(topology: Topology, endpoints: Endpoints, pids: dict[str, Optional[int]],
                   credentials: Optional[Credentials], tls: Optional[ClientTLS] = None) -> list[ProcessStatus]:
    with ThreadPoolExecutor(max_workers=8) as pool:
        set_jobs = {rs.name: pool.submit(_set_states, rs, endpoints, pids, credentials, tls)
                    for rs in topology.replica_sets}
        single_jobs = {p.name: pool.submit(_single_state, endpoints[p.name].address, pids.get(p.name), credentials,
                                           tls)
                       for p in topology.processes if p.role in (Role.MONGOS, Role.STANDALONE)}
        return [_status_of(proc, endpoints, pids, set_jobs, single_jobs) for proc in topology.processes]


def _status_of(proc: Process, endpoints: Endpoints, pids: dict[str, Optional[int]],
               set_jobs: dict[str, "Future[dict[str, State]]"], single_jobs: dict[str, "Future[State]"]) -> ProcessStatus:
    if proc.name in single_jobs:
        state, healthy, lag = single_jobs[proc.name].result()
    elif not pids.get(proc.name):
        state, healthy, lag = DOWN, False, None
    else:
        state, healthy, lag = set_jobs[str(proc.set_name)].result().get(proc.name, (STARTUP, False, None))
    return ProcessStatus(name=proc.name, role=proc.role, set_name=proc.set_name, address=endpoints[proc.name].address,
                         pid=pids.get(proc.name), state=state, healthy=healthy, lag_seconds=lag)


def member_states(statuses: list[ProcessStatus]) -> dict[str, str]:
    return {s.name: s.state for s in statuses}
