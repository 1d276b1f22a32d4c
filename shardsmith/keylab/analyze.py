"""Compare candidate shard keys on the data of any mongod: no sharded cluster needed.

    report = analyze(client["app"]["messages"], [parse_key("{sessionId: hashed}")], shards=4)
    report.as_dict()

Every figure comes from aggregation pipelines run by the server, over the whole
collection or a $sample of --sample K documents; only a bounded number of rows
per key (per-shard totals, split points, a few sampled documents for the query
mix) reach this process.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from pymongo.errors import OperationFailure

from ..errors import ShardsmithError
from ..progress import QUIET
from ..servercodes import server_says
from .fields import check_key_fields
from .keys import CandidateKey
from .placement import per_shard, placement, skew
from .profile import frequencies, monotonicity, monotonicity_sample
from .queries import QueryShape, sample_documents, targeting
from .verdict import verdict

RECENT_SHARE = 0.10


@dataclass
class KeyResult:
    key: CandidateKey
    cardinality: int
    most_common: list
    monotonicity: dict
    distribution: list
    hotspot: dict
    targeting: list
    split_points: list
    verdict: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"key": self.key.label, "shard_key": self.key.as_document(), "cardinality": self.cardinality,
                "most_common": self.most_common, "monotonicity": self.monotonicity,
                "distribution": self.distribution, "skew": round(skew(self.distribution), 3),
                "bytes_skew": round(skew(self.distribution, "bytes"), 3), "hotspot": self.hotspot,
                "targeting": self.targeting, "chunks": len(self.split_points) + 1, "verdict": self.verdict}


@dataclass
class LabReport:
    namespace: str
    shards: int
    documents: int
    sample: int | None
    recent_share: float
    keys: list[KeyResult]

    def as_dict(self) -> dict:
        return {"namespace": self.namespace, "shards": self.shards, "documents": self.documents,
                "sample": self.sample, "recent_share": self.recent_share, "keys": [k.as_dict() for k in self.keys]}


def analyze(collection, keys: list[CandidateKey], shards: int, *, sample: int | None = None,
            queries: Sequence[QueryShape] = (), recent_share: float = RECENT_SHARE, order_field: str = "_id",
            progress=QUIET) -> LabReport:
    _check_arguments(keys, shards, sample, recent_share)
    documents = collection.estimated_document_count()
    if documents == 0:
        raise ShardsmithError(f"{collection.full_name} is empty (or does not exist)",
                              hint="analyze a collection that holds the data you mean to shard")
    check_key_fields(collection, keys)
    head = [{"$sample": {"size": sample}}] if sample else []
    recent = max(1, math.ceil(recent_share * min(documents, sample or documents)))
    mono_sample = monotonicity_sample(documents, sample)
    docs = sample_documents(collection, keys, queries)
    results = []
    try:
        for key in keys:
            with progress.phase(f"{key.label}: cardinality and frequency"):
                freq = frequencies(collection, key, head)
            with progress.phase(f"{key.label}: placement over {shards} shards"):
                splits, distribution = placement(collection, key, shards, head)
            with progress.phase(f"{key.label}: monotonicity and the last {recent_share:.0%} of inserts"):
                mono = monotonicity(collection, key, order_field, mono_sample)
                latest = per_shard(collection, key, splits, shards, [{"$sort": {order_field: -1}}, {"$limit": recent}])
            hottest = max(latest, key=lambda row: row["docs"])
            result = KeyResult(key, freq["cardinality"], freq["most_common"], mono, distribution,
                               {"recent_docs": recent, "hottest_shard": hottest["shard"],
                                "share": round(hottest["docs"] / recent, 4)},
                               targeting(key, splits, queries, docs, shards), splits)
            result.verdict = verdict(result, shards, sum(row["docs"] for row in distribution))
            results.append(result)
    except OperationFailure as exc:
        raise ShardsmithError(f"the server refused the analysis of {collection.full_name}: "
                              f"{server_says(exc)}",
                              hint="the user needs read access; $toHashedIndexKey needs MongoDB 4.4 or newer") from None
    return LabReport(collection.full_name, shards, documents, sample, recent_share, results)


def _check_arguments(keys, shards, sample, recent_share) -> None:
    if not keys:
        raise ShardsmithError("no candidate key given", hint="pass --key '{sessionId: hashed}' (repeat for more keys)")
    if not isinstance(shards, int) or not 1 <= shards <= 1024:
        raise ShardsmithError(f"--shards is {shards!r}", hint="give a number of shards from 1 to 1024")
    if sample is not None and sample < 1:
        raise ShardsmithError(f"--sample is {sample!r}", hint="give a positive number of documents, or leave it out")
    if not 0 < recent_share <= 1:
        raise ShardsmithError(f"--recent is {recent_share!r}", hint="give the share of latest inserts, e.g. 0.1 for 10%")

