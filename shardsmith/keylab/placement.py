"""Where a candidate key would put documents over N shards, computed by the server.

Chunk i holds placement values in [split[i-1], split[i]); shard i owns chunk i
(one chunk per shard, the initial state of a freshly sharded collection).
Hashed-prefix keys split the signed 64-bit hash space into N equal ranges, as
MongoDB's initial hashed chunks do; ranged keys split at document-count
quantiles of the key ($bucketAuto, which never cuts between equal values:
like a chunk, so a low-cardinality key gets fewer chunks than shards).
"""

from __future__ import annotations

from bson.int64 import Int64

from ..bsonorder import tuple_key
from .keys import CandidateKey

HASH_SPACE = 2**64
HASH_MIN = -(2**63)


def hashed_split_points(shards: int) -> list[Int64]:
    """N-1 boundaries cutting the signed 64-bit hash space into N equal ranges."""
    return [Int64(HASH_MIN + i * HASH_SPACE // shards) for i in range(1, shards)]


def ranged_placement(collection, key: CandidateKey, shards: int, head: list) -> tuple[list, list[dict]]:
    """Quantile boundaries of the key's placement values (at most N-1; fewer when values repeat) and the
    documents and bytes between them, in one $bucketAuto pass."""
    pipeline = head + [{"$project": {"_id": 0, "k": key.placement(), "size": {"$bsonSize": "$$ROOT"}}},
                       {"$bucketAuto": {"groupBy": "$k", "buckets": shards,
                                        "output": {"docs": {"$sum": 1}, "bytes": {"$sum": "$size"}}}}]
    buckets = list(collection.aggregate(pipeline, allowDiskUse=True))
    rows = [{"shard": i, "docs": b["docs"], "bytes": b["bytes"]} for i, b in enumerate(buckets)]
    rows += [{"shard": i, "docs": 0, "bytes": 0} for i in range(len(buckets), shards)]
    return [bucket["_id"]["min"] for bucket in buckets[1:]], rows


def placement(collection, key: CandidateKey, shards: int, head: list) -> tuple[list, list[dict]]:
    """(split points, documents and bytes per shard) for the documents `head` selects."""
    if key.hashed_prefix:
        splits = hashed_split_points(shards)
        return splits, per_shard(collection, key, splits, shards, head)
    return ranged_placement(collection, key, shards, head)


def chunk_index(value_expr, splits: list) -> dict:
    """Aggregation expression: the index of the chunk a placement value falls in."""
    if not splits:
        return {"$literal": 0}
    branches = [{"case": {"$lt": [value_expr, {"$literal": point}]}, "then": i} for i, point in enumerate(splits)]
    return {"$switch": {"branches": branches, "default": len(splits)}}


def chunk_of(key: CandidateKey, value: tuple, splits: list) -> int:
    """The same in Python, for a placement tuple (used to place query bounds)."""
    point = tuple_key(value)
    return sum(tuple_key(key.placement_tuple(s)) <= point for s in splits)


def per_shard(collection, key: CandidateKey, splits: list, shards: int, head: list) -> list[dict]:
    """Documents and BSON bytes per shard for the documents `head` selects."""
    pipeline = head + [
        {"$project": {"_id": 0, "k": key.placement(), "size": {"$bsonSize": "$$ROOT"}}},
        {"$group": {"_id": chunk_index("$k", splits), "docs": {"$sum": 1}, "bytes": {"$sum": "$size"}}},
    ]
    found = {row["_id"]: row for row in collection.aggregate(pipeline, allowDiskUse=True)}
    return [{"shard": i, "docs": found.get(i, {}).get("docs", 0), "bytes": found.get(i, {}).get("bytes", 0)}
            for i in range(shards)]


def skew(rows: list[dict], field: str = "docs") -> float:
    """max/mean of a per-shard figure (1.0 is perfectly even)."""
    total = sum(row[field] for row in rows)
    return max(row[field] for row in rows) * len(rows) / total if total else 0.0
