"""Initiate a replica set and get a writable primary without waiting out elections.

A plain replSetInitiate leaves every member SECONDARY until the 10 s election
timeout fires. Under keyfile auth, replSetStepUp is refused before any user
exists, so instead we initiate with a very short election timeout, create
the root user on the new primary, then restore the normal settings.
"""

from __future__ import annotations

from pymongo import MongoClient
from pymongo.errors import OperationFailure

from .wait import poll

FAST_ELECTION_MS = 100
NORMAL_SETTINGS = {"electionTimeoutMillis": 10000}
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
        config["settings"] = {"electionTimeoutMillis": FAST_ELECTION_MS}
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


def restore_settings(client: MongoClient) -> None:
    """Put back the normal election timeout once the set has a primary and its users."""
    config = client.admin.command("replSetGetConfig")["config"]
    settings = config.get("settings", {})
    if all(settings.get(k) == v for k, v in NORMAL_SETTINGS.items()):
        return
    config["settings"] = {**settings, **NORMAL_SETTINGS}
    config["version"] += 1
    client.admin.command("replSetReconfig", config)
