"""Turn started processes into a cluster: replica sets, root user, shards.

    report = bootstrap(topology, endpoints, credentials, parts=set_parts(topology))

The plan (bootstrap.plan) is computed once from the topology and the
endpoints; this module runs it with pymongo (bootstrap.execute), and the
compose file's init services run the same plan with mongosh
(render.init_script). Only documented commands are sent (replSetInitiate,
createUser, replSetReconfig, addShard, listShards), so the router part works
against any mongos, real or played by a test.
"""

from __future__ import annotations

from typing import Optional

from ..credentials import Credentials
from ..endpoints import Endpoints
from ..tls import ClientTLS
from ..topology.model import ReplicaSet, Topology
from ..wait import Deadline
from .execute import BootstrapReport, PlanRunner
from .plan import ROUTER_PART, STANDALONE_PART, await_primary, bootstrap_plan, parts_of

BOOTSTRAP_SECONDS = 120.0

__all__ = ["BootstrapReport", "bootstrap", "find_primary", "set_parts", "ROUTER_PART", "STANDALONE_PART"]


def set_parts(topology: Topology) -> list[str]:
    """The parts that need only mongods: every replica set, or the standalone."""
    parts = [rs.name for rs in topology.replica_sets]
    return parts + ([STANDALONE_PART] if topology.standalone else [])


def bootstrap(topology: Topology, endpoints: Endpoints, credentials: Optional[Credentials], *,
              parts: Optional[list[str]] = None, deadline: Optional[Deadline] = None,
              password_hint: Optional[str] = None, tls: Optional[ClientTLS] = None) -> BootstrapReport:
    """Run `parts` of the plan (default: all), in parallel; idempotent."""
    steps = bootstrap_plan(topology, endpoints, routers=parts is None or ROUTER_PART in parts)
    runner = PlanRunner(steps, credentials=credentials, deadline=deadline or Deadline.after(BOOTSTRAP_SECONDS),
                        names=address_names(endpoints), password_hint=password_hint, tls=tls)
    return runner.run(parts_of(steps) if parts is None else parts)


def find_primary(replica_set: ReplicaSet, endpoints: Endpoints, credentials: Optional[Credentials], *,
                 deadline: Optional[Deadline] = None, tls: Optional[ClientTLS] = None) -> str:
    """The member name of the set's writable primary (nudging the intended one to step up meanwhile)."""
    step = await_primary(replica_set, endpoints)
    runner = PlanRunner([step], credentials=credentials, deadline=deadline or Deadline.after(60),
                        names=address_names(endpoints), tls=tls)
    runner.run([step.part])
    primary: str = runner.report.primaries[replica_set.name]
    return primary


def address_names(endpoints: Endpoints) -> dict[str, str]:
    return {endpoint.address: name for name, endpoint in endpoints.items()}
