"""A played mongos (mockupdb, tests/mongos_double.py) answering what lab.experiment asks, recording every command.

    with played_lab_router("7.0.12") as router:
        run_experiment(MongoClient(router.uri), ...)
        router.names                          # command names in the order they arrived

It answers from a tiny model: the source holds SOURCE_DOCS documents; a copy's
documents go to shards by the parity of a counter (so the figures are
recognisable), explain targets one shard when the filter pins the key's first
field by equality and every shard otherwise, as a router would.
"""

from __future__ import annotations

import datetime
import threading
import uuid
from contextlib import contextmanager

from bson.binary import Binary
from bson.int64 import Int64
from bson.objectid import ObjectId

from tests.mongos_double import fake_mongos

SHARDS = ["shard01", "shard02"]
SOURCE_DOCS = 5
QUIET = {"hello", "ismaster", "isMaster", "endSessions", "ping"}


def source_docs():
    start = datetime.datetime(2025, 1, 1)
    return [{"_id": ObjectId(), "sessionId": f"s{i}", "timestamp": start + datetime.timedelta(minutes=i)}
            for i in range(SOURCE_DOCS)]


class LabRouter:
    def __init__(self, server, version: str, existing=()):
        self.version = version
        self.uri = f"mongodb://{server.address_string}/?directConnection=true"
        self.log: list = []
        self.lock = threading.Lock()
        self.existing = list(existing)
        self.sharded: dict = {}  # ns -> {"key", "uuid", "docs"}
        self.failures: dict = {}  # command name -> (code, errmsg), answered once
        server.autoresponds(self._handle)

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.log]

    def commands(self, name: str) -> list[dict]:
        return [doc for n, doc in self.log if n == name]

    def _handle(self, request):
        name = request.command_name
        if name in QUIET:
            if name == "endSessions" or name == "ping":
                return request.ok()
            return request.ok(ismaster=True, isWritablePrimary=True, msg="isdbgrid", minWireVersion=0,
                              maxWireVersion=21 if self.version >= "7" else 17)
        doc = {k: v for k, v in request.doc.items() if not k.startswith("$") and k != "lsid"}
        with self.lock:
            self.log.append((name, doc))
            if name in self.failures:
                code, errmsg = self.failures.pop(name)
                return request.command_err(code=code, errmsg=errmsg)
            reply = getattr(self, f"_{name}", lambda db, d, r: {})(request.doc.get("$db"), doc, request)
        return request.ok(**reply)

    @staticmethod
    def _cursor(ns, docs):
        return {"cursor": {"id": Int64(0), "ns": ns, "firstBatch": docs}}

    def _buildInfo(self, db, doc, request):
        return {"version": self.version}

    def _hello(self, db, doc, request):
        return {"msg": "isdbgrid", "isWritablePrimary": True}

    def _listShards(self, db, doc, request):
        return {"shards": [{"_id": s, "host": f"{s}/127.0.0.1:1", "state": 1} for s in SHARDS]}

    def _listCollections(self, db, doc, request):
        return self._cursor(f"{db}.$cmd.listCollections", [{"name": n, "type": "collection"} for n in self.existing])

    def _shardCollection(self, db, doc, request):
        self.sharded[doc["shardCollection"]] = {"key": doc["key"], "uuid": Binary(uuid.uuid4().bytes, 4), "docs": 0}
        return {"collectionsharded": doc["shardCollection"]}

    def _find(self, db, doc, request):
        if db == "config" and doc["find"] == "collections":
            ns = doc["filter"]["_id"]
            return self._cursor("config.collections", [{"_id": ns, "uuid": self.sharded[ns]["uuid"]}])
        return self._cursor(f"{db}.{doc['find']}", source_docs())

    def _insert(self, db, doc, request):
        count = len(request.docs) - 1 if len(request.docs) > 1 else len(doc.get("documents", []))
        self.sharded[f"{db}.{doc['insert']}"]["docs"] += count
        return {"n": count}

    def _aggregate(self, db, doc, request):
        stages = [next(iter(stage)) for stage in doc["pipeline"]]
        ns = f"{db}.{doc['aggregate']}"
        if stages[0] == "$shardedDataDistribution":
            wanted = doc["pipeline"][1]["$match"]["ns"]
            return self._cursor(ns, [{"ns": wanted, "shards": [
                {"shardName": s, "numOwnedDocuments": n, "ownedSizeBytes": 100 * n} for s, n in self._split(wanted)]}])
        if stages[0] == "$collStats":
            return self._cursor(ns, [{"shard": s, "storageStats": {"count": n, "size": 100 * n}} for s, n in self._split(ns)])
        if db == "config":  # chunks per shard
            return self._cursor(ns, [{"_id": s, "n": 2} for s in SHARDS])
        if "$facet" in stages and "present" in doc["pipeline"][stages.index("$facet")]["$facet"]:
            return self._cursor(ns, [self._fields_present(doc["pipeline"][stages.index("$facet")]["$facet"])])
        if "$facet" in stages:  # cardinality
            return self._cursor(ns, [{"distinct": [{"n": SOURCE_DOCS}], "top": [{"_id": Int64(7), "n": 1, "value": "s0"}]}])
        if "$setWindowFields" in stages:  # monotonicity sums of ranks 1..5 against themselves: rho = 1
            sums = {"sx": 15, "sy": 15, "sxx": 55, "syy": 55, "sxy": 55}
            return self._cursor(ns, [{"_id": None, "n": SOURCE_DOCS, **sums}])
        if stages[0] == "$sample":  # documents for the query mix
            return self._cursor(ns, [{"sessionId": d["sessionId"], "timestamp": d["timestamp"], "__hash_sessionId": Int64(i)}
                                     for i, d in enumerate(source_docs())])
        return self._cursor(ns, [])

    @staticmethod
    def _fields_present(facet):
        """The key-field check: per asked field ({$max: {$ne: [{$type: "$f"}, "missing"]}}), whether a source
        document has it ($type is "missing" for an absent field), and the top-level field names seen."""
        docs = source_docs()
        asked = {out: spec["$max"]["$ne"][0]["$type"][1:] for out, spec in facet["present"][0]["$group"].items()
                 if isinstance(spec, dict) and "$max" in spec}
        present = {out: any(name in d for d in docs) for out, name in asked.items()}
        return {"present": [{"_id": None, "sampled": len(docs), **present}],
                "fields": [{"_id": name} for name in sorted({k for d in docs for k in d})]}

    def _split(self, ns):
        total = self.sharded[ns]["docs"]
        return [(SHARDS[0], total - total // 2), (SHARDS[1], total // 2)]

    def _explain(self, db, doc, request):
        find = doc["explain"]
        first = next(iter(self.sharded[f"{db}.{find['find']}"]["key"]))
        pinned = not isinstance(find["filter"].get(first), (dict, type(None)))
        shards = SHARDS[:1] if pinned else SHARDS
        return {"queryPlanner": {"mongosPlannerVersion": 1, "winningPlan": {
            "stage": "SINGLE_SHARD" if pinned else "SHARD_MERGE", "shards": [{"shardName": s} for s in shards]}}}

    def _analyzeShardKey(self, db, doc, request):
        return {"keyCharacteristics": {"numDocsTotal": Int64(SOURCE_DOCS), "numDistinctValues": Int64(SOURCE_DOCS),
                                       "mostCommonValues": [{"value": {"sessionId": "s0"}, "frequency": Int64(1)}],
                                       "monotonicity": {"recordIdCorrelationCoefficient": 0.99, "type": "monotonic"}}}

    def _drop(self, db, doc, request):
        return {"ns": f"{db}.{doc['drop']}"}


@contextmanager
def played_lab_router(version: str, existing=()):
    with fake_mongos("7.0" if version >= "7" else "6.0") as server:
        yield LabRouter(server, version, existing)
