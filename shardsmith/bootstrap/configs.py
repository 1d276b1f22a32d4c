"""Replica-set configurations: the one a set is initiated with, and the normal settings it ends with.

A plain replSetInitiate leaves every member SECONDARY until the 10 s election
timeout fires. Under keyfile auth, replSetStepUp is refused before any user
exists, so a set is initiated with a very short election timeout and only its
intended primary electable (a busy machine cannot make the primary flap
between members); once the root user exists, the normal settings and
priorities are restored.
"""

from __future__ import annotations

from typing import Any

from ..endpoints import Endpoints
from ..topology.model import Member, ReplicaSet, Role

FAST_ELECTION_MS = 100
FAST_HEARTBEAT_MS = 100
NORMAL_SETTINGS = {"electionTimeoutMillis": 10000, "heartbeatIntervalMillis": 2000}


def member_document(member: Member, host: str) -> dict[str, Any]:
    doc: dict[str, Any] = {"_id": member.number - 1, "host": host}
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


def intended_primary(replica_set: ReplicaSet) -> Member:
    """The data-bearing, electable member with the highest priority (first on ties)."""
    electable: list[Member] = [m for m in replica_set.members if not m.arbiter and m.votes and m.priority > 0]
    return max(electable, key=lambda m: (m.priority, -m.number))


def initiate_config(replica_set: ReplicaSet, endpoints: Endpoints) -> dict[str, Any]:
    """What replSetInitiate gets: the set as the spec says, with fast elections and one electable member."""
    config: dict[str, Any] = {
        "_id": replica_set.name,
        "members": [member_document(m, endpoints[m.name].host) for m in replica_set.members],
    }
    if replica_set.role is Role.CONFIGSVR:
        config["configsvr"] = True
    if len(replica_set.members) > 1:
        config["settings"] = {"electionTimeoutMillis": FAST_ELECTION_MS, "heartbeatIntervalMillis": FAST_HEARTBEAT_MS}
        seed = intended_primary(replica_set).number - 1
        for doc in config["members"]:
            if doc["_id"] != seed:
                doc["priority"] = 0
    return config


def normal_priorities(replica_set: ReplicaSet) -> dict[str, float]:
    """Member _id (as a string: it travels through JSON) -> the priority the spec gives it."""
    return {str(m.number - 1): (0 if m.arbiter else m.priority) for m in replica_set.members}


def prompt_members(replica_set: ReplicaSet) -> list[Member]:
    """Members that acknowledge writes as soon as they replicate them: neither arbiters nor delayed."""
    return [m for m in replica_set.members if not m.arbiter and not m.secondary_delay]


def seed_list(replica_set: ReplicaSet, endpoints: Endpoints) -> str:
    """`name/host,host`: the data-bearing members, as addShard and drivers take a set."""
    hosts = ",".join(endpoints[m.name].host for m in replica_set.members if not m.arbiter)
    return f"{replica_set.name}/{hosts}"
