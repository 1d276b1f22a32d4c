"""A played mongos (tests/routerplay) answering what lab.experiment asks, recording every command.

    with played_lab_router("7.0.12", played_mongod) as router:
        run_experiment(MongoClient(router.uri), ...)
        router.names                          # command names in the order they arrived

The config server is the played one: shardCollection lays the copies' chunks
out as the version does (tests/routerplay/rules.py) in config.* of a real
mongod, where the lab's reads of config.collections and its $group over
config.chunks run; a drop removes the copy's metadata as the server does.
The rest comes from a tiny model: the source holds SOURCE_DOCS documents; a
copy's documents go to shards by the parity of a counter (so the figures are
recognisable); explain targets one shard when the filter pins the key's first
field by equality and every shard otherwise, as a router would.
"""

from __future__ import annotations

import datetime

from bson.int64 import Int64
from bson.objectid import ObjectId

from tests.routerplay.wire import PlayedRouter, playing

SHARDS = ["shard01", "shard02"]
SOURCE_DOCS = 5


def source_docs():
    start = datetime.datetime(2025, 1, 1)
    return [{"_id": ObjectId(), "sessionId": f"s{i}", "timestamp": start + datetime.timedelta(minutes=i)}
            for i in range(SOURCE_DOCS)]


class LabRouter(PlayedRouter):
    def __init__(self, server, version, store, catalog, existing=()):
        super().__init__(server, version, store, catalog)
        self.existing = list(existing)
        self.loaded: dict = {}  # copy namespace -> documents inserted

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.log]

    def commands(self, name: str) -> list[dict]:
        return [doc for n, doc in self.log if n == name]

    def answer(self, name: str, db: str, doc: dict, request) -> dict:
        modelled = getattr(self, f"_lab_{name}", None)
        if modelled is not None and db != "config":
            return modelled(db, doc)
        return super().answer(name, db, doc, request)

    @staticmethod
    def _cursor(ns, docs):
        return {"cursor": {"id": Int64(0), "ns": ns, "firstBatch": docs}}

    def _lab_listCollections(self, db, doc):
        return self._cursor(f"{db}.$cmd.listCollections", [{"name": n, "type": "collection"} for n in self.existing])

    def _lab_find(self, db, doc):
        return self._cursor(f"{db}.{doc['find']}", source_docs())

    def _lab_insert(self, db, doc):
        ns = f"{db}.{doc['insert']}"
        self.loaded[ns] = self.loaded.get(ns, 0) + len(doc.get("documents", []))
        return {"n": len(doc.get("documents", []))}

    def _lab_aggregate(self, db, doc):
        stages = [next(iter(stage)) for stage in doc["pipeline"]]
        ns = f"{db}.{doc['aggregate']}"
        if stages[0] == "$shardedDataDistribution":
            wanted = doc["pipeline"][1]["$match"]["ns"]
            return self._cursor(ns, [{"ns": wanted, "shards": [
                {"shardName": s, "numOwnedDocuments": n, "ownedSizeBytes": 100 * n} for s, n in self._split(wanted)]}])
        if stages[0] == "$collStats":
            return self._cursor(ns, [{"shard": s, "storageStats": {"count": n, "size": 100 * n}} for s, n in self._split(ns)])
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
        total = self.loaded.get(ns, 0)
        return [(SHARDS[0], total - total // 2), (SHARDS[1], total // 2)]

    def _lab_explain(self, db, doc):
        find = doc["explain"]
        key = self.catalog.config.collections.find_one({"_id": f"{db}.{find['find']}"})["key"]
        first = next(iter(key))
        pinned = not isinstance(find["filter"].get(first), (dict, type(None)))
        shards = SHARDS[:1] if pinned else SHARDS
        return {"queryPlanner": {"mongosPlannerVersion": 1, "winningPlan": {
            "stage": "SINGLE_SHARD" if pinned else "SHARD_MERGE", "shards": [{"shardName": s} for s in shards]}}}

    def _lab_analyzeShardKey(self, db, doc):
        return {"keyCharacteristics": {"numDocsTotal": Int64(SOURCE_DOCS), "numDistinctValues": Int64(SOURCE_DOCS),
                                       "mostCommonValues": [{"value": {"sessionId": "s0"}, "frequency": Int64(1)}],
                                       "monotonicity": {"recordIdCorrelationCoefficient": 0.99, "type": "monotonic"}}}

    def _lab_drop(self, db, doc):
        self.catalog.drop(f"{db}.{doc['drop']}")
        return {"ns": f"{db}.{doc['drop']}"}


def played_lab_router(version: str, mongod, existing=()):
    return playing(LabRouter, version, mongod, SHARDS, existing=existing)
