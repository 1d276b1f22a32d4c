"""A played mongos with a small cluster behind it, for router conversations at the wire level.

    with played_router("8.0", shards=["shard01", "shard02"]) as router:
        client = MongoClient(router.uri)
        ...                                   # Shardsmith talks to it like to a mongos
        router.writes                         # [(command name, document), ...] in order

mockupdb (tests/mongos_double.py) speaks the wire protocol; this answers the
documented commands and config reads the data plan uses from an in-memory
model of the cluster, and behaves as the given server version does where it
matters: numInitialChunks is honoured up to 7.0 and ignored on 8.0 (one chunk
per shard), shardCollection on an already sharded collection answers code 20.
The model hands out initial chunks starting from the last shard (the server
promises no order), so pre-splitting on 8.0 needs real moves.
"""

from __future__ import annotations

import re
import socket
import threading
import uuid
from contextlib import contextmanager

from bson.binary import Binary
from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey

from shardsmith.dataplan.layout import hashed_split_points
from tests.mongos_double import WIRE_VERSIONS, fake_mongos

VERSIONS = {"6.0": "6.0.14", "7.0": "7.0.12", "8.0": "8.0.4"}
ZONE_NOT_FOUND = 177
RANGE_OVERLAP_CONFLICT = 178
READS = {"buildInfo", "listShards", "listCollections", "listIndexes", "find", "aggregate", "balancerStatus",
         "getMore", "killCursors", "endSessions", "ping", "listDatabases", "connectionStatus"}


def _order(value):
    if isinstance(value, MinKey):
        return (0, 0)
    if isinstance(value, MaxKey):
        return (9, 0)
    if isinstance(value, str):
        return (3, value)
    return (2, value)


def key_order(doc: dict) -> tuple:
    return tuple(_order(v) for v in doc.values())


class PlayedRouter:
    def __init__(self, server, version: str, shards):
        self.server = server
        self.version = version
        self.uri = f"mongodb://{server.address_string}/?directConnection=true"
        self.lock = threading.Lock()
        self.shards = [{"_id": s, "host": f"{s}/127.0.0.1:1", "state": 1, "tags": []} for s in shards]
        self.collections: dict = {}  # ns -> {"type", "options", "indexes", "docs"}
        self.sharded: dict = {}  # ns -> {"key", "uuid", "ts"}
        self.chunks: list = []  # {"uuid", "min", "max", "shard"}
        self.tags: list = []  # {"ns", "min", "max", "tag"}
        self.balancer = {"mode": "full"}
        self.settings: dict = {}
        self.log: list = []
        self.failures: dict = {}  # command name -> (code, errmsg), answered once
        server.autoresponds(self._handle)

    # -- what the test sees -----------------------------------------------------
    @property
    def writes(self) -> list:
        return [(name, doc) for name, doc in self.log if name not in READS]

    def fail_next(self, command: str, code: int, errmsg: str) -> None:
        self.failures[command] = (code, errmsg)

    def add_collection(self, ns, *, docs=0, type_="collection", options=None):
        self.collections[ns] = {"type": type_, "options": options or {}, "docs": docs,
                                "indexes": [{"v": 2, "key": {"_id": 1}, "name": "_id_"}]}

    def shard(self, ns, key, *, chunks_per_shard=1):
        """Set up an already sharded collection (as if someone else did it)."""
        if ns not in self.collections:
            self.add_collection(ns)
        self._shard(ns, key, chunks_per_shard * len(self.shards))

    # -- the wire ---------------------------------------------------------------------
    def _handle(self, request):
        name = request.command_name
        if name in ("hello", "ismaster", "isMaster"):  # explicit hello commands too, not only the handshake
            return request.ok(ismaster=True, isWritablePrimary=True, msg="isdbgrid", minWireVersion=0,
                              maxWireVersion=WIRE_VERSIONS[self.version])
        doc = dict(request.doc)
        db = doc.pop("$db", "admin")
        with self.lock:
            self.log.append((name, {k: v for k, v in doc.items() if not k.startswith("$") and k != "lsid"}))
            if name in self.failures:
                code, errmsg = self.failures.pop(name)
                return request.command_err(code=code, errmsg=errmsg)
            handler = getattr(self, f"_cmd_{name}", None)
            if handler is None:
                return request.ok()
            reply = handler(db, doc)
        if isinstance(reply, tuple):
            return request.command_err(code=reply[0], errmsg=reply[1])
        return request.ok(**(reply or {}))

    @staticmethod
    def _cursor(ns, docs):
        return {"cursor": {"id": Int64(0), "ns": ns, "firstBatch": list(docs)}}

    def _cmd_buildInfo(self, db, doc):
        return {"version": VERSIONS[self.version]}

    def _cmd_listShards(self, db, doc):
        return {"shards": [dict(s) for s in self.shards]}

    def _cmd_balancerStatus(self, db, doc):
        return {"mode": self.balancer["mode"], "inBalancerRound": False, "numBalancerRounds": Int64(0)}

    def _cmd_listCollections(self, db, doc):
        wanted = ((doc.get("filter") or {}).get("name") or {}).get("$in")
        out = []
        for ns, coll in self.collections.items():
            cdb, name = ns.split(".", 1)
            if cdb == db and (wanted is None or name in wanted):
                out.append({"name": name, "type": coll["type"], "options": coll["options"]})
        return self._cursor(f"{db}.$cmd.listCollections", out)

    def _cmd_listIndexes(self, db, doc):
        ns = f"{db}.{doc['listIndexes']}"
        if ns not in self.collections:
            return (26, f"ns does not exist: {ns}")
        return self._cursor(ns, self.collections[ns]["indexes"])

    def _cmd_find(self, db, doc):
        coll, flt = doc["find"], doc.get("filter") or {}
        if db == "config":
            rows = {"collections": self._config_collections, "chunks": lambda: self.chunks, "tags": lambda: self.tags,
                    "settings": lambda: [dict(_id=k, **v) for k, v in self.settings.items()],
                    "databases": lambda: [{"_id": d} for d in {ns.split(".")[0] for ns in self.collections}]}[coll]()
            rows = [r for r in rows if _matches(r, flt)]
            if "limit" in doc:
                rows = rows[: abs(doc["limit"])]
            return self._cursor(f"config.{coll}", rows)
        ns = f"{db}.{coll}"
        docs = self.collections.get(ns, {}).get("docs", 0)
        return self._cursor(ns, [{"_id": i} for i in range(min(docs, 1))])

    def _config_collections(self):
        rows = []
        for ns, s in self.sharded.items():
            row = {"_id": ns, "key": s["key"], "uuid": s["uuid"], "unique": False}
            if s.get("ts"):
                db, name = ns.split(".", 1)
                ts = s["ts"]
                row["_id"] = f"{db}.system.buckets.{name}"
                row["key"] = {("meta" + k[len(ts["metaField"]):]) if k.startswith(ts["metaField"]) else k: v
                              for k, v in s["key"].items()}
                row["timeseriesFields"] = dict(ts)
            rows.append(row)
        return rows

    def _cmd_aggregate(self, db, doc):
        match = doc["pipeline"][0]["$match"]
        counts = {}
        for c in self.chunks:
            if _matches(c, match):
                key = (c["uuid"], c["shard"])
                counts[key] = counts.get(key, 0) + 1
        rows = [{"_id": {"uuid": u, "shard": s}, "chunks": n} for (u, s), n in counts.items()]
        return self._cursor("config.chunks", rows)

    # -- writes ------------------------------------------------------------------------
    def _cmd_create(self, db, doc):
        ns = f"{db}.{doc['create']}"
        if ns in self.collections:
            return (48, f"Collection {ns} already exists.")
        options = {}
        if "timeseries" in doc:
            options["timeseries"] = dict(doc["timeseries"], bucketMaxSpanSeconds=3600)
        if "expireAfterSeconds" in doc:
            options["expireAfterSeconds"] = Int64(doc["expireAfterSeconds"])
        self.add_collection(ns, type_="timeseries" if "timeseries" in doc else "collection", options=options)
        if "timeseries" in doc:
            self.collections[ns]["indexes"] = []

    def _cmd_collMod(self, db, doc):
        options = self.collections[f"{db}.{doc['collMod']}"]["options"]
        if "expireAfterSeconds" in doc:
            if doc["expireAfterSeconds"] == "off":
                options.pop("expireAfterSeconds", None)
            else:
                options["expireAfterSeconds"] = Int64(doc["expireAfterSeconds"])
        if "timeseries" in doc:
            options["timeseries"].update(doc["timeseries"])

    def _cmd_createIndexes(self, db, doc):
        ns = f"{db}.{doc['createIndexes']}"
        if ns not in self.collections:
            self.add_collection(ns)
        for index in doc["indexes"]:
            self.collections[ns]["indexes"].append(dict(index, v=2))

    def _cmd_dropIndexes(self, db, doc):
        coll = self.collections[f"{db}.{doc['dropIndexes']}"]
        coll["indexes"] = [i for i in coll["indexes"] if i["name"] != doc["index"]]

    def _cmd_enableSharding(self, db, doc):
        return {}

    def _cmd_addShardToZone(self, db, doc):
        shard = next(s for s in self.shards if s["_id"] == doc["addShardToZone"])
        if doc["zone"] not in shard["tags"]:
            shard["tags"].append(doc["zone"])

    def _cmd_updateZoneKeyRange(self, db, doc):
        """As the server: zone null removes the range with exactly these bounds (none: a no-op);
        a new range must name a zone some shard is in and must not overlap another range."""
        ns, low, high = doc["updateZoneKeyRange"], doc["min"], doc["max"]
        if doc["zone"] is None:
            self.tags = [t for t in self.tags if not (t["ns"] == ns and t["min"] == low and t["max"] == high)]
            return None
        if not any(doc["zone"] in s["tags"] for s in self.shards):
            return (ZONE_NOT_FOUND, f"zone {doc['zone']} does not exist")
        for t in self.tags:
            if t["ns"] == ns and key_order(low) < key_order(t["max"]) and key_order(t["min"]) < key_order(high):
                if t["min"] == low and t["max"] == high and t["tag"] == doc["zone"]:
                    return None
                return (RANGE_OVERLAP_CONFLICT, f"zone range [{low}, {high}) overlaps [{t['min']}, {t['max']}) of zone {t['tag']}")
        self.tags.append({"ns": ns, "min": low, "max": high, "tag": doc["zone"]})

    def _cmd_balancerStart(self, db, doc):
        self.balancer["mode"] = "full"

    def _cmd_balancerStop(self, db, doc):
        self.balancer["mode"] = "off"

    def _cmd_update(self, db, doc):
        for update in doc["updates"]:
            entry = self.settings.setdefault(update["q"]["_id"], {})
            entry.update(update["u"].get("$set", {}))
            for field in update["u"].get("$unset", {}):
                entry.pop(field, None)
        return {"n": 1, "nModified": 1}

    def _cmd_shardCollection(self, db, doc):
        ns, key = doc["shardCollection"], dict(doc["key"])
        if ns in self.sharded:
            if self.sharded[ns]["key"] != key:
                return (20, f"already sharded with key {self.sharded[ns]['key']}")
            return {"collectionsharded": ns}
        if self.collections.get(ns, {}).get("docs"):
            chunks = 1
        elif doc.get("presplitHashedZones"):
            zones = [t for t in self.tags if t["ns"] == ns]
            if not zones:
                return (72, "presplitHashedZones requires zones to be defined first")
            chunks = len(zones) * len(self.shards)
        elif self.version in ("6.0", "7.0") and doc.get("numInitialChunks"):
            chunks = doc["numInitialChunks"]
        elif next(iter(key.values())) == "hashed":
            chunks = len(self.shards) * (2 if self.version in ("6.0", "7.0") else 1)
        else:
            chunks = 1
        if ns not in self.collections:
            self.add_collection(ns)
        self._shard(ns, key, chunks)
        self.collections[ns]["indexes"].append({"v": 2, "key": key, "name": "_".join(f"{k}_{v}" for k, v in key.items())})
        return {"collectionsharded": ns}

    def _shard(self, ns, key, chunks):
        uid = Binary(uuid.uuid4().bytes, 4)
        coll = self.collections[ns]
        ts = coll["options"].get("timeseries")
        self.sharded[ns] = {"key": key, "uuid": uid,
                            "ts": {k: ts[k] for k in ("timeField", "metaField", "granularity") if k in ts} if ts else None}
        fields = list(key)
        first_hashed = key[fields[0]] == "hashed"

        def doc(value):
            return {f: (value if i == 0 else MinKey()) for i, f in enumerate(fields)}

        points = [Int64(p) for p in hashed_split_points(chunks)] if first_hashed and chunks > 1 else []
        edges = [doc(MinKey())] + [doc(p) for p in points] + [{f: MaxKey() for f in fields}]
        order = [s["_id"] for s in reversed(self.shards)]
        for i, (lo, hi) in enumerate(zip(edges, edges[1:])):
            self.chunks.append({"uuid": uid, "min": lo, "max": hi, "shard": order[i % len(order)]})

    def _cmd_split(self, db, doc):
        ns, middle = doc["split"], doc["middle"]
        uid = self.sharded[ns]["uuid"]
        for c in self.chunks:
            if c["uuid"] == uid and key_order(c["min"]) < key_order(middle) < key_order(c["max"]):
                self.chunks.append({"uuid": uid, "min": middle, "max": c["max"], "shard": c["shard"]})
                c["max"] = middle
                return {}
        return (2, f"cannot split on initial or final chunk's key: {middle}")

    def _move(self, ns, low, high, to):
        uid = self.sharded[ns]["uuid"]
        for c in self.chunks:
            if c["uuid"] == uid and key_order(c["min"]) == key_order(low) and key_order(c["max"]) == key_order(high):
                c["shard"] = to
                return {}
        return (2, "no chunk with these bounds")

    def _cmd_moveRange(self, db, doc):
        return self._move(doc["moveRange"], doc["min"], doc["max"], doc["toShard"])

    def _cmd_moveChunk(self, db, doc):
        return self._move(doc["moveChunk"], doc["bounds"][0], doc["bounds"][1], doc["to"])


def _matches(row: dict, flt: dict) -> bool:
    for field, cond in flt.items():
        value = row.get(field)
        if isinstance(cond, dict) and "$in" in cond:
            if value not in cond["$in"]:
                return False
        elif isinstance(cond, dict) and "$regex" in cond:
            if not re.search(cond["$regex"], value or ""):
                return False
        elif value != cond:
            return False
    return True


@contextmanager
def played_router(version: str, shards=("shard01", "shard02")):
    with fake_mongos(version) as server:
        try:
            yield PlayedRouter(server, version, list(shards))
        finally:
            _wake_accept_loop(server)


def _wake_accept_loop(server) -> None:
    """MockupDB's accept loop waits up to 1 s in select() before it sees stop(); a last connection wakes it."""
    server._stopped = True
    try:
        socket.create_connection((server.host, server.port), timeout=1).close()
    except ConnectionRefusedError:
        pass  # the listener is already closed: nothing left to wake


