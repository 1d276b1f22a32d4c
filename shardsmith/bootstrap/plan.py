"""The bootstrap plan: computed from the topology and the endpoints alone, without I/O.

Every step guards itself (a probe, or server codes that mean "already
done"), so the same plan brings up a new cluster, repairs a restarted one
and does nothing on a ready one. Parts are what one init service runs:
each replica set, then the router, or the standalone.
"""

from __future__ import annotations

from dataclasses import replace

from ..endpoints import Endpoints
from ..servercodes import STEPPED_DOWN, ServerCode
from ..topology.model import AuthSettings, ReplicaSet, Topology
from .configs import NORMAL_SETTINGS, initiate_config, intended_primary, normal_priorities, prompt_members, seed_list
from .steps import ROOT_PASSWORD, Probe, Step, binding, secret
from .users import user_steps

ROUTER_PART = "router"
STANDALONE_PART = "standalone"
USER_WRITE_TIMEOUT_MS = 60000
ANSWERS = Probe({"hello": 1}, "ok")
PASSWORD_REFUSED = "already has users, and the root password does not work on it"


def bootstrap_plan(topology: Topology, endpoints: Endpoints, *, routers: bool = True) -> list[Step]:
    """Every step, in order: the replica sets (config servers first), then the router or the standalone."""
    steps = [step for rs in topology.replica_sets for step in replica_set_steps(rs, endpoints, topology.auth)]
    if topology.replica_set:  # application users live where applications connect
        steps += user_steps(topology.replica_set.name, binding("primary", topology.replica_set.name),
                            f"replica set {topology.replica_set.name}", topology.users)
    if routers and topology.routers:
        steps += router_steps(topology, endpoints)
    if topology.standalone:
        address = endpoints[topology.standalone.name].address
        steps.append(Step(STANDALONE_PART, "await", f"the standalone at {address} to answer", (address,),
                          until=ANSWERS))
        steps += root_user_steps(STANDALONE_PART, address, "the standalone", topology.auth, acknowledgers=1)
        steps += user_steps(STANDALONE_PART, address, "the standalone", topology.users)
    return steps


def codes(found: frozenset[int]) -> tuple[int, ...]:
    return tuple(sorted(int(code) for code in found))


def parts_of(steps: list[Step]) -> list[str]:
    return list(dict.fromkeys(step.part for step in steps))


def replica_set_steps(replica_set: ReplicaSet, endpoints: Endpoints, auth: AuthSettings) -> list[Step]:
    """Initiate from the intended primary, wait for it to be writable, create the root user, restore settings."""
    part, where = replica_set.name, f"replica set {replica_set.name}"
    seed = endpoints[intended_primary(replica_set).name].address
    primary = binding("primary", replica_set.name)
    steps = [
        Step(part, "command", f"initiate {where}", (seed,), command={"replSetInitiate": initiate_config(
            replica_set, endpoints)}, unless=Probe({"hello": 1}, "setName"),
            done={ServerCode.AlreadyInitialized: "initiated already"}, again=(int(ServerCode.NodeNotFound),),
            says=f"{where} initiated", reports=("initiated", part)),
        await_primary(replica_set, endpoints),
        *root_user_steps(part, seed, where, auth, acknowledgers=len(prompt_members(replica_set))),
    ]
    if len(replica_set.members) > 1:
        steps.append(Step(part, "reconfig", f"{where} to take its normal settings", (primary,), auth=auth.enabled,
                          settings=NORMAL_SETTINGS, priorities=normal_priorities(replica_set), again=codes(STEPPED_DOWN)))
    return steps


def await_primary(replica_set: ReplicaSet, endpoints: Endpoints) -> Step:
    """Poll every data-bearing member; between rounds ask the intended primary to step up.

    After a restart that saves the 10 s election timeout (refused, harmlessly, before users exist).
    """
    seed = endpoints[intended_primary(replica_set).name].address
    candidates = (seed, *(endpoints[m.name].address for m in replica_set.members
                          if not m.arbiter and endpoints[m.name].address != seed))
    return Step(replica_set.name, "await", f"a writable primary in replica set {replica_set.name}", candidates,
                until=Probe({"hello": 1}, "isWritablePrimary"), nudge={"replSetStepUp": 1},
                bind=binding("primary", replica_set.name))


def root_user_steps(part: str, address: str, where: str, auth: AuthSettings, *, acknowledgers: int) -> list[Step]:
    """Create the root user through the localhost exception; where users exist, prove the password works."""
    if not auth.enabled:
        return []
    return [
        Step(part, "command", f"create the root user on {where}", (address,),
             command={"createUser": auth.root_user, "pwd": secret(ROOT_PASSWORD), "roles": ["root"],
                      "writeConcern": {"w": acknowledgers, "wtimeout": USER_WRITE_TIMEOUT_MS}},
             done={ServerCode.Unauthorized: "users exist (the localhost exception is closed)",
                   ServerCode.UserAlreadyExists: "the root user exists"},
             again=codes(STEPPED_DOWN), says=f"root user {auth.root_user} created on {where}",
             reports=("users_created", part)),
        Step(part, "command", f"log in as {auth.root_user} on {where}", (address,), auth=True, command={"ping": 1},
             stop={ServerCode.AuthenticationFailed: f"{where} {PASSWORD_REFUSED}"}),
    ]


def router_steps(topology: Topology, endpoints: Endpoints) -> list[Step]:
    """The first router: answering, the root user in place, every shard added once."""
    address = endpoints[topology.routers[0].name].address
    steps = [Step(ROUTER_PART, "await", f"the router at {address} to answer", (address,), until=ANSWERS)]
    steps += root_user_steps(ROUTER_PART, address, "the router", topology.auth, acknowledgers=1)
    for shard in topology.shards:
        if topology.hosts:  # the router's init service cannot wait for a shard's init on another host: poll it
            steps.append(replace(await_primary(shard, endpoints), part=ROUTER_PART, nudge=None, bind=None))
        steps.append(Step(ROUTER_PART, "command", f"add shard {shard.name}", (address,), auth=topology.auth.enabled,
                          command={"addShard": seed_list(shard, endpoints), "name": shard.name},
                          unless=Probe({"listShards": 1}, "shards._id", contains=shard.name),
                          says=f"shard {shard.name} added", reports=("shards_added", shard.name)))
    return steps + user_steps(ROUTER_PART, address, "the router", topology.users)
