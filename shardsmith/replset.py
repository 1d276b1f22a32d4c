"""Initiate a replica set and get a writable primary without waiting out elections.

A plain replSetInitiate leaves every member SECONDARY until the 10 s election
timeout fires. Under keyfile auth, replSetStepUp is refused before any user
exists, so instead we initiate with a very short election timeout and only
the intended primary electable (so a busy machine cannot make the primary
flap between members), create the root user on it, then restore the
normal settings and priorities.
"""

from __future__ import annotations

import threading

from pymongo import MongoClient
from pymongo.errors import OperationFailure

from .wait import poll

FAST_ELECTION_MS = 100
FAST_HEARTBEAT_MS = 100
NORMAL_SETTINGS = {"electionTimeoutMillis": 10000, "heartbeatIntervalMillis": 2000}
ALREADY_INITIALIZED = 23


def member_document(member, host: str) -> dict:
    doc = {"_id": member.number - 1, "host": host}
    if member.arbiter:
        doc["arbiterOnly"] = True
    if member.priority != 1 or member.arbiter:
        doc["priority"] = 0 if member.arbiter else member.priority
    if member.votes != 1:
        doc["votes"] = member.votes
    if member.hidden:
        doc["hidden"] = True
    if member.secondary_delay:
        doc["secondaryDelaySecs"] = member.secondary_delay
    if member.tags:
        doc["tags"] = dict(member.tags)
    return doc


def replset_config(replica_set, endpoints: dict, *, fast_election: bool = True) -> dict:
    config = {
        "_id": replica_set.name,
        "members": [member_document(m, endpoints[m.name].host) for m in replica_set.members],
    }
    if replica_set.role == "configsvr":
        config["configsvr"] = True
    if fast_election and len(replica_set.members) > 1:
        config["settings"] = {"electionTimeoutMillis": FAST_ELECTION_MS, "heartbeatIntervalMillis": FAST_HEARTBEAT_MS}
        seed = intended_primary(replica_set).number - 1
        for doc in config["members"]:
            if doc["_id"] != seed:
                doc["priority"] = 0
    return config


def intended_primary(replica_set):
    """The data-bearing, electable member with the highest priority (first on ties)."""
    electable = [m for m in replica_set.members if not m.arbiter and m.votes and m.priority > 0]
    return max(electable, key=lambda m: (m.priority, -m.number))


def direct_client(address: str, credentials=None, **options) -> MongoClient:
    """A client for one member, not the set: used before the set exists."""
    settings = {"serverSelectionTimeoutMS": 5000, "connectTimeoutMS": 2000,
                **(credentials.client_options() if credentials else {}), **options}
    return MongoClient(f"mongodb://{address}/", directConnection=True, **settings)


def is_initiated(client: MongoClient) -> bool:
    return bool(client.admin.command("hello").get("setName"))


def initiate(replica_set, endpoints: dict) -> bool:
    """replSetInitiate on the intended primary; False when the set already existed."""
    seed = intended_primary(replica_set)
    with direct_client(endpoints[seed.name].address) as client:
        if is_initiated(client):
            return False
        try:
            client.admin.command("replSetInitiate", replset_config(replica_set, endpoints))
        except OperationFailure as exc:
            if exc.code == ALREADY_INITIALIZED:
                return False
            raise
    return True


def find_primary(replica_set, endpoints: dict, *, credentials=None, timeout: float = 60.0) -> str:
    """The member name of the writable primary, polling every member's hello.

    While there is none, ask the intended primary to step up: after a restart
    that saves the 10 s election timeout (refused, harmlessly, before users exist).
    """
    seed = intended_primary(replica_set)

    def check():
        for member in replica_set.members:
            if member.arbiter:
                continue
            try:
                with direct_client(endpoints[member.name].address, serverSelectionTimeoutMS=500) as client:
                    if client.admin.command("hello").get("isWritablePrimary"):
                        return member.name
            except Exception:  # a member still starting or down; try the others
                continue
        _nudge(endpoints[seed.name].address, credentials)
        return None

    return poll(check, timeout=timeout, what=f"a writable primary in replica set {replica_set.name}",
                interval=0.05, hint="check the members' logs (`inv logs SET.N`)")


def _nudge(address: str, credentials) -> None:
    try:
        with direct_client(address, credentials, serverSelectionTimeoutMS=500) as client:
            client.admin.command("replSetStepUp")
    except Exception:  # not electable yet, not authorised yet, or down: the poll goes on
        pass


def restore_settings(replica_set, endpoints: dict, credentials) -> None:
    """Put back the normal election timeout and priorities once the set has a primary and its users.

    replSetReconfig installs the config on the primary first, then waits a
    heartbeat round (about 2 s) for a majority to take it. We return as soon
    as the primary has it; the command finishes in a background thread and
    heartbeats carry the config on even if this process exits first. With a
    100 ms election timeout the primary may step down for a moment on a busy
    machine (it is the only electable member, so it comes back): then we
    find it again and retry.
    """
    priorities = {m.number - 1: (0 if m.arbiter else m.priority) for m in replica_set.members}

    def attempt():
        primary = find_primary(replica_set, endpoints, credentials=credentials)
        address = endpoints[primary].address
        with direct_client(address, credentials) as client:
            config = client.admin.command("replSetGetConfig")["config"]
            if _is_normal(config, priorities):
                return True
            config["settings"] = {**config.get("settings", {}), **NORMAL_SETTINGS}
            for doc in config["members"]:
                doc["priority"] = priorities.get(doc["_id"], doc.get("priority", 1))
            config["version"] += 1
            failed = threading.Event()
            threading.Thread(target=_reconfig, args=(address, credentials, config, failed), daemon=True).start()
            return poll(lambda: failed.is_set() or client.admin.command("replSetGetConfig")["config"]["version"]
                        >= config["version"], timeout=30, what=f"{primary} to install its normal settings",
                        interval=0.02) and not failed.is_set()

    poll(attempt, timeout=60, what=f"replica set {replica_set.name} to take its normal settings", interval=0.05)


def _is_normal(config: dict, priorities: dict) -> bool:
    settings = config.get("settings", {})
    return all(settings.get(k) == v for k, v in NORMAL_SETTINGS.items()) and all(
        doc.get("priority", 1) == priorities.get(doc["_id"], doc.get("priority", 1)) for doc in config["members"])


def _reconfig(address: str, credentials, config: dict, failed: threading.Event) -> None:
    try:
        with direct_client(address, credentials, socketTimeoutMS=60000) as client:
            client.admin.command("replSetReconfig", config)
    except Exception:  # e.g. the primary stepped down: the caller retries on the new one
        failed.set()
