"""Read what a target has, through documented commands and config reads a mongos serves.

    observed = observe(client, topology)
    observed.collection("claudelens", "messages").shard_key   # {"sessionId": "hashed"} or None

Collections and their options come from listCollections, indexes from
listIndexes; on a sharded target shard keys come from config.collections,
chunk counts from config.chunks (counted by the server, chunk_count_pipeline),
the chunk ranges of hashed pre-split collections from config.chunks (their
shares are checked, versions.py), zones from config.tags and listShards, the
balancer from balancerStatus and config.settings. On a replica set or a
standalone the sharding parts are simply absent (kind says which).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from pymongo.errors import OperationFailure

from ..errors import ShardsmithError
from ..servercodes import server_says
from ..topology.model import Topology
from .bsonjson import from_plain, to_plain
from .layout import presplit_by_shares
from .versions import ServerVersion, behaviour_for, parse_version

BUCKETS = "system.buckets."


@dataclass
class ObservedCollection:
    name: str
    type: str  # "collection" | "timeseries" | "view"
    options: dict = field(default_factory=dict)  # listCollections options (timeseries, expireAfterSeconds ...)
    indexes: list = field(default_factory=list)  # listIndexes documents
    empty: Optional[bool] = None  # known only where the plan needs it (pre-splitting)
    shard_key: Optional[dict] = None  # in the collection's own field names (time-series: metaField paths)
    chunks: dict = field(default_factory=dict)  # shard -> chunk count
    ranges: list = field(default_factory=list)  # [{min, max, shard}], read where a hashed pre-split is checked

    @property
    def timeseries(self) -> dict:
        return self.options.get("timeseries") or {}


@dataclass
class Observed:
    kind: str  # "sharded" | "replset" | "standalone"
    server: ServerVersion
    databases: dict = field(default_factory=dict)  # db -> {name: ObservedCollection}
    shards: list = field(default_factory=list)  # [{"id", "tags"}] on a sharded target
    sharded_databases: list = field(default_factory=list)  # config.databases names (read when enableSharding matters)
    zones: dict = field(default_factory=dict)  # ns -> [{"zone", "min", "max"}] from config.tags (may precede the collection)
    balancer: Optional[dict] = None  # {"mode": "full"|"off", "window": {"start", "stop"} | None}

    def collection(self, db: str, name: str) -> Optional[ObservedCollection]:
        return self.databases.get(db, {}).get(name)

    @property
    def shard_ids(self) -> list:
        return sorted(s["id"] for s in self.shards)

    def zones_of(self, shard: str) -> list:
        return next((s["tags"] for s in self.shards if s["id"] == shard), [])

    # -- fixtures and --json ----------------------------------------------------
    def as_dict(self) -> dict:
        return to_plain({
            "kind": self.kind, "server": self.server.as_dict(), "shards": self.shards,
            "sharded_databases": self.sharded_databases, "balancer": self.balancer, "zones": self.zones,
            "databases": {db: {name: vars(c) for name, c in colls.items()} for db, colls in self.databases.items()},
        })

    @classmethod
    def from_dict(cls, data: dict) -> "Observed":
        data = from_plain(data)
        server = data["server"]
        return cls(
            kind=data["kind"],
            server=ServerVersion(server["version"], server["wire_version"],
                                 tuple(int(p) for p in server["major_minor"].split("."))),
            databases={db: {name: ObservedCollection(**c) for name, c in colls.items()}
                       for db, colls in data["databases"].items()},
            shards=data["shards"], sharded_databases=data["sharded_databases"], balancer=data["balancer"],
            zones=data["zones"],
        )


def observe(client, topology: Topology) -> Observed:
    """Everything the data plan of `topology` compares against, read from `client`'s target."""
    try:
        return _observe(client, topology)
    except OperationFailure as exc:
        raise ShardsmithError(f"reading the target failed: {server_says(exc)} (code {exc.code})",
                              hint="the user in the URI needs to read the spec's databases and, through a mongos, "
                                   "the config database (e.g. the clusterMonitor and readAnyDatabase roles)") from None


def _observe(client, topology: Topology) -> Observed:
    hello = client.admin.command("hello")
    try:
        version = client.admin.command("buildInfo").get("version")
    except OperationFailure:
        version = None
    kind = "sharded" if hello.get("msg") == "isdbgrid" else "replset" if hello.get("setName") else "standalone"
    observed = Observed(kind=kind, server=parse_version(version, hello.get("maxWireVersion")))
    if kind == "sharded":
        observed.shards = [{"id": s["_id"], "tags": list(s.get("tags", []))}
                           for s in client.admin.command("listShards")["shards"]]
    for database in topology.databases:
        observed.databases[database.name] = _collections(client, database)
    if kind == "sharded":
        _sharding(client, observed, topology)
        if behaviour_for(observed.server).enable_sharding == "required":
            names = [d.name for d in topology.databases]
            observed.sharded_databases = sorted(d["_id"] for d in client.config.databases.find({"_id": {"$in": names}}))
        if topology.balancer is not None:
            observed.balancer = _balancer(client)
    return observed


def _collections(client, database) -> dict:
    db = client[database.name]
    wanted = {c.name: c for c in database.collections}
    found = {}
    for info in db.list_collections(filter={"name": {"$in": sorted(wanted)}}):
        name = info["name"]
        coll = ObservedCollection(name=name, type=info.get("type", "collection"), options=dict(info.get("options", {})))
        if coll.type != "view":
            coll.indexes = list(db[name].list_indexes())
        if wanted[name].presplit and coll.type == "collection":  # pre-splitting needs an empty collection
            coll.empty = db[name].find_one({}, {"_id": 1}) is None
        found[name] = coll
    return found


def chunk_count_pipeline(uuids: list) -> list:
    """Chunks per (collection, shard), counted by the server."""
    return [{"$match": {"uuid": {"$in": uuids}}},
            {"$group": {"_id": {"uuid": "$uuid", "shard": "$shard"}, "chunks": {"$sum": 1}}}]


def _sharding(client, observed: Observed, topology: Topology) -> None:
    by_uuid, by_shares = {}, []
    for database in topology.databases:
        specs = {c.name: c for c in database.collections}
        pattern = "^" + re.escape(database.name + ".")
        for entry in client.config.collections.find({"_id": {"$regex": pattern}}):
            if entry.get("dropped"):
                continue
            name = entry["_id"][len(database.name) + 1:]
            ts_fields = entry.get("timeseriesFields")
            if name.startswith(BUCKETS):
                name = name[len(BUCKETS):]
            coll = observed.collection(database.name, name)
            if coll is None:
                continue
            coll.shard_key = user_key(entry["key"], ts_fields or coll.timeseries)
            by_uuid[entry.get("uuid")] = coll
            if presplit_by_shares(specs[name]):
                by_shares.append(entry.get("uuid"))
    if by_uuid:
        for row in client.config.chunks.aggregate(chunk_count_pipeline(list(by_uuid))):
            by_uuid[row["_id"]["uuid"]].chunks[row["_id"]["shard"]] = row["chunks"]
    if by_shares:
        for chunk in client.config.chunks.find({"uuid": {"$in": by_shares}}, {"_id": 0, "uuid": 1, "min": 1, "max": 1,
                                                                               "shard": 1}):
            by_uuid[chunk.pop("uuid")].ranges.append(chunk)
    spec_namespaces = [f"{d.name}.{c.name}" for d in topology.databases for c in d.collections]
    for tag in client.config.tags.find({"ns": {"$in": spec_namespaces}}):
        observed.zones.setdefault(tag["ns"], []).append({"zone": tag["tag"], "min": tag["min"], "max": tag["max"]})


def user_key(key: dict, ts_fields: dict) -> dict:
    """A buckets shard key (meta.x, control.min.time) in the time-series collection's own names."""
    meta, time = ts_fields.get("metaField"), ts_fields.get("timeField")
    out = {}
    for name, direction in key.items():
        if meta and (name == "meta" or name.startswith("meta.")):
            name = meta + name[4:]
        elif time and name == f"control.min.{time}":
            name = time
        out[name] = direction
    return out


def _balancer(client) -> dict:
    status = client.admin.command("balancerStatus")
    settings = client.config.settings.find_one({"_id": "balancer"}) or {}
    window = settings.get("activeWindow")
    return {"mode": status.get("mode", "full"),
            "window": {"start": window.get("start"), "stop": window.get("stop")} if window else None}
