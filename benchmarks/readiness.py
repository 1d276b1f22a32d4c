"""When replica sets are ready, seen from outside the tool that started them: the benchmarks' one definition.

A set is ready when one member says it is the writable primary, every member
of the set reports healthy PRIMARY or SECONDARY, and a majority-acknowledged
write as the given (root) user succeeds on that primary, into the admin
database (a config server set refuses user databases: InvalidNamespace).
Members are reached one by one over direct connections, so no host name from
the set's own config is needed (a bridge network's service names do not
resolve on the host) and every tool is measured the same way.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from urllib.parse import quote_plus

from pymongo import MongoClient, WriteConcern
from pymongo.errors import PyMongoError

HEALTHY = {"PRIMARY", "SECONDARY"}


def member_client(address: str, user: str, password: str) -> MongoClient:
    return MongoClient(f"mongodb://{quote_plus(user)}:{quote_plus(password)}@{address}/?authSource=admin",
                       directConnection=True, serverSelectionTimeoutMS=500, connectTimeoutMS=500)


def set_ready(members: list[MongoClient]) -> bool:
    """One pass over a set's members: True once its primary has all members healthy and takes a majority write."""
    for client in members:
        try:
            if not client.admin.command("hello").get("isWritablePrimary"):
                continue
            states = client.admin.command("replSetGetStatus")["members"]
            if not all(m["health"] == 1 and m["stateStr"] in HEALTHY for m in states):
                return False
            probe = client.admin.bench_probe.with_options(write_concern=WriteConcern("majority", wtimeout=500))
            probe.insert_one({"at": time.time()})
            return True
        except PyMongoError:  # down, not initiated, no user yet: not ready, which is what we are timing
            continue
    return False


def first_majority_write(sets: dict[str, list[str]], user: str, password: str, started: float,
                         timeout: float = 180) -> float:
    """Seconds from `started` until every set (name -> member addresses) has been seen ready."""
    deadline = started + timeout
    with ExitStack() as stack:
        clients = {name: [stack.enter_context(member_client(a, user, password)) for a in addresses]
                   for name, addresses in sets.items()}
        while time.monotonic() < deadline:
            for name in [n for n, members in clients.items() if set_ready(members)]:
                del clients[name]
            if not clients:
                return time.monotonic() - started
            time.sleep(0.02)
    raise RuntimeError(f"not ready within {timeout}s: {', '.join(clients)} (members {sets})")
