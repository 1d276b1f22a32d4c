"""Turn started processes into a cluster: replica sets, root user, shards.

Idempotent: on a ready cluster every step finds its work done. Speaks only
documented commands (replSetInitiate, createUser, addShard, listShards), so
the router half works against any mongos, real or played by a test.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from pymongo import MongoClient
from pymongo.errors import AutoReconnect, OperationFailure

from .errors import ShardsmithError
from .replset import direct_client, find_primary, initiate, restore_settings
from .wait import poll

UNAUTHORIZED = 13
USER_EXISTS = 51003
AUTH_FAILED = 18
# NotWritablePrimary, InterruptedDueToReplStateChange, PrimarySteppedDown, NotPrimaryNoSecondaryOk, NotPrimaryOrSecondary
STEPPED_DOWN = {10107, 11602, 189, 13435, 13436}


@dataclass
class BootstrapReport:
    initiated: list = field(default_factory=list)  # replica-set names initiated now
    primaries: dict = field(default_factory=dict)  # set name -> member name
    users_created: list = field(default_factory=list)  # where the root user was created
    shards_added: list = field(default_factory=list)


def ensure_root_user(address: str, credentials, where: str, acknowledgers=1) -> bool:
    """Create the root user through the localhost exception; True if created now.

    `acknowledgers` members must have the user before we return, so that
    every member accepts the credentials as soon as `up` is done. If users
    already exist, prove the credentials work instead.
    """
    if credentials is None:
        return False
    with direct_client(address) as client:
        try:
            client.admin.command("createUser", credentials.username, pwd=credentials.password,
                                 roles=["root"], writeConcern={"w": acknowledgers, "wtimeout": 60000})
            return True
        except OperationFailure as exc:
            if exc.code not in (UNAUTHORIZED, USER_EXISTS):
                raise
    with direct_client(address, credentials) as client:
        try:
            client.admin.command("ping")
        except OperationFailure as exc:
            if exc.code == AUTH_FAILED:
                raise ShardsmithError(
                    f"{where} already has users, and the root credentials do not work on it",
                    hint="set the root password env var to the password this cluster was created with",
                ) from None
            raise
    return False


class _SteppedDown(Exception):
    """The member we took for primary stepped down while we used it."""


def bootstrap_replica_set(replica_set, endpoints: dict, credentials, report: BootstrapReport) -> None:
    if initiate(replica_set, endpoints):
        report.initiated.append(replica_set.name)
    prompt_members = [m for m in replica_set.members if not m.arbiter and not m.secondary_delay]

    def root_user_on_primary():
        """While the 100 ms election timeout is in force a busy machine can make the primary step
        down mid-command; then find it again and retry (createUser is idempotent here)."""
        primary = find_primary(replica_set, endpoints, credentials=credentials)
        try:
            created = ensure_root_user(endpoints[primary].address, credentials, f"replica set {replica_set.name}",
                                       acknowledgers=len(prompt_members))
        except OperationFailure as exc:
            if exc.code not in STEPPED_DOWN:
                raise
            raise _SteppedDown(primary) from exc
        return primary, created

    primary, created = poll(root_user_on_primary, timeout=60, what=f"the root user on {replica_set.name}'s primary",
                            retry_on=(_SteppedDown, AutoReconnect))
    report.primaries[replica_set.name] = primary
    if created:
        report.users_created.append(replica_set.name)
    restore_settings(replica_set, endpoints, credentials)



def bootstrap_replica_sets(topology, endpoints: dict, credentials) -> BootstrapReport:
    """Every set at once: the slowest set, not the sum, bounds the wait."""
    report = BootstrapReport()
    sets = topology.replica_sets
    if topology.standalone:
        if ensure_root_user(endpoints[topology.standalone.name].address, credentials, "the standalone"):
            report.users_created.append("standalone")
    if not sets:
        return report
    with ThreadPoolExecutor(max_workers=len(sets)) as pool:
        for future in [pool.submit(bootstrap_replica_set, rs, endpoints, credentials, report) for rs in sets]:
            future.result()
    return report


def shard_connection_string(shard, endpoints: dict) -> str:
    hosts = ",".join(endpoints[m.name].host for m in shard.members if not m.arbiter)
    return f"{shard.name}/{hosts}"


def router_client(address: str, credentials) -> MongoClient:
    auth = credentials.client_options() if credentials else {}
    return MongoClient(f"mongodb://{address}/", serverSelectionTimeoutMS=10000, **auth)


def add_shards(topology, router_address: str, endpoints: dict, credentials) -> list[str]:
    """addShard for each shard the router does not list yet; returns those added."""
    with router_client(router_address, credentials) as client:
        listed = {s["_id"] for s in client.admin.command("listShards")["shards"]}
        added = []
        for shard in topology.shards:
            if shard.name in listed:
                continue
            client.admin.command("addShard", shard_connection_string(shard, endpoints), name=shard.name)
            added.append(shard.name)
    return added
