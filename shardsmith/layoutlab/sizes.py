"""Documents, buckets and bytes per layout from $collStats, after a checkpoint, with ratios to the regular layout.

WiredTiger's file sizes (storageSize) change at checkpoints, so the lab asks
for one first (fsync; through a router it reaches every shard). storageSize is
the file; freeStorageSize, the part of it WiredTiger can reuse, is reported
beside it (rewritten buckets leave such blocks behind). A time-series
collection stores buckets: its stored documents are
storageStats.timeseries.bucketCount, and its measurements are counted through
its view. The same section reports why buckets closed and how many were
compressed (6.0 compresses a bucket only when it closes for size, count or
time; one left open, or closed by a schema change, stays uncompressed).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from pymongo.database import Database
from pymongo.errors import OperationFailure

BUCKET_FIGURES = ("bucketCount", "numBucketInserts", "numBucketUpdates", "numBucketsClosedDueToSchemaChange",
                  "numBucketsClosedDueToSize",
                  "numBucketsClosedDueToCount", "numBucketsClosedDueToTimeForward",
                  "numBucketsClosedDueToTimeBackward", "numBucketsClosedDueToMemoryThreshold", "numCompressedBuckets",
                  "numBytesUncompressed", "numBytesCompressed")


@dataclass(frozen=True)
class LayoutSize:
    layout: str
    collections: int
    documents: int  # what the application stored (measurements for time-series)
    stored: int  # what the server stores and indexes: documents, or buckets
    data_size: int
    storage_size: int
    index_size: int
    indexes: int
    free_storage: int = 0  # of storage_size: blocks WiredTiger can reuse (freeStorageSize)
    buckets: dict = field(default_factory=dict)  # time-series only: BUCKET_FIGURES present in $collStats

    @property
    def total(self) -> int:
        return self.storage_size + self.index_size

    def ratios(self, regular: "LayoutSize") -> dict:
        """Each figure over the regular layout's (1.0 for the regular layout itself)."""
        pairs = {"stored": (self.stored, regular.stored), "data_size": (self.data_size, regular.data_size),
                 "storage_size": (self.storage_size, regular.storage_size),
                 "index_size": (self.index_size, regular.index_size), "total": (self.total, regular.total)}
        return {name: round(mine / theirs, 4) if theirs else None for name, (mine, theirs) in pairs.items()}

    def as_dict(self, regular: "LayoutSize") -> dict:
        return {**asdict(self), "total": self.total, "ratio_to_regular": self.ratios(regular)}


def checkpoint(database: Database) -> bool:
    """Make WiredTiger write a checkpoint so file sizes are current; False if the user may not (then noted)."""
    try:
        database.client.admin.command("fsync")
        return True
    except OperationFailure:
        return False


def storage_stats(database: Database, name: str, comment: str) -> list[dict]:
    return [row["storageStats"] for row in database[name].aggregate([{"$collStats": {"storageStats": {}}}],
                                                                     comment=comment)]


def measure(database: Database, layout: str, names: list[str], comment: str, *, timeseries: bool = False) -> LayoutSize:
    """The figures of one layout, summed over its collections (and over shards)."""
    stats = [s for name in names for s in storage_stats(database, name, comment)]

    def total(name: str) -> int:
        return int(sum(s.get(name) or 0 for s in stats))

    buckets: dict = {}
    if timeseries:
        for s in stats:
            for name in BUCKET_FIGURES:
                if name in s.get("timeseries", {}):
                    buckets[name] = buckets.get(name, 0) + int(s["timeseries"][name])
        documents = sum(next(database[name].aggregate([{"$count": "n"}], comment=comment), {"n": 0})["n"]
                        for name in names)
        stored = buckets.get("bucketCount", 0)
    else:
        documents = stored = total("count")
    return LayoutSize(layout, len(names), documents, stored, total("size"), total("storageSize"),
                      total("totalIndexSize"), max((s.get("nindexes") or 0) for s in stats) if stats else 0,
                      total("freeStorageSize"), buckets)
