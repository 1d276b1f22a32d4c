"""Compact chosen collections and report the bytes WiredTiger gave back to the filesystem.

MongoDB 6.0 refuses `compact` on a replica-set primary unless `force: true`
is given (it blocks a few DDL operations, not reads or writes, since 4.4); we
send force only to a member that refused for that reason. With `each_member_of` (the URI),
every data-bearing member of the replica set is compacted over a direct connection.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from pymongo import MongoClient
from pymongo.errors import OperationFailure
from pymongo.uri_parser import parse_uri

from ..clients import direct_client
from ..errors import ShardsmithError
from ..servercodes import server_says
from .storage import user_collections


@dataclass(frozen=True)
class CompactResult:
    member: str
    database: str
    collection: str
    bytes_freed: int
    forced: bool

    def as_dict(self) -> dict:
        return asdict(self)


def _primary_refusal(exc: OperationFailure) -> bool:
    return "force:true" in server_says(exc).replace(" ", "")


def compact_one(client: MongoClient, member: str, database: str, name: str) -> CompactResult:
    try:
        try:
            answer, forced = client[database].command({"compact": name}), False
        except OperationFailure as exc:
            if not _primary_refusal(exc):
                raise
            answer, forced = client[database].command({"compact": name, "force": True}), True
    except OperationFailure as exc:
        raise ShardsmithError(f"compact {database}.{name} on {member} failed: "
                              f"{server_says(exc)}") from None
    return CompactResult(member, database, name, int(answer.get("bytesFreed", 0)), forced)


def check_names(client: MongoClient, database: str, names: list[str]) -> None:
    """Every name must be an existing regular collection: a mistake is an error before anything runs."""
    if not names:
        raise ShardsmithError("name at least one collection to compact", hint="e.g. inv data.compact messages_2024_01")
    known = dict(user_collections(client[database]))
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ShardsmithError(f"no collection {', '.join(unknown)} in database {database!r}",
                              hint=f"collections there: {', '.join(sorted(known)) or 'none'}")
    series = [n for n in names if known[n] == "timeseries"]
    if series:
        raise ShardsmithError(f"{', '.join(series)}: time-series collections cannot be compacted "
                              "(mongod refuses compact on a view and on its system.buckets namespace)",
                              hint="leave them out; their buckets are compressed already")


def member_clients(client: MongoClient, uri: str):
    """(address, direct client) for every data-bearing member, logged in as the URI's user."""
    hello = client.admin.command("hello")
    if "setName" not in hello:
        yield "primary", client
        return
    parsed = parse_uri(uri)
    login = {"username": parsed["username"], "password": parsed["password"],
             "authSource": parsed["options"].get("authsource", "admin")} if parsed["username"] else {}
    for host in hello["hosts"] + hello.get("passives", []):
        with direct_client(host, **login) as direct:
            yield host, direct


def compact(client: MongoClient, database: str, names: list[str], *, each_member_of: str | None = None) -> list[CompactResult]:
    """Compact `names` on the primary, or on every member of the set `each_member_of` (a URI) names."""
    check_names(client, database, names)
    members = member_clients(client, each_member_of) if each_member_of else [("primary", client)]
    return [compact_one(member_client, member, database, name)
            for member, member_client in members for name in names]
