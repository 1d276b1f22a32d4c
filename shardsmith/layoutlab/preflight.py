"""Refusals before anything is copied: an old server, documents without a time, not enough disk.

Each check only reads. Time-series collections exist from MongoDB 5.0
(docs: "Time Series", new in version 5.0). A time-series collection refuses a
document whose timeField is missing or not a BSON date, so the whole source is
checked (one server-side pass; stricter than the sample, and the statement
holds for any sample). The disk estimate scales the source's own collStats to
the sample: three layouts, each about the source's storage and index bytes,
plus a margin, against the free space mongod reports for its data disk
(dbStats fsTotalSize - fsUsedSize; the smallest of the shards through a router).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from pymongo.collection import Collection

from ..errors import ShardsmithError
from ..metrics.report import human_bytes

MINIMUM_VERSION = (5, 0)
LAYOUTS = 3
DISK_MARGIN = 1.25  # oplog, journal and the insert-throughput copies on top of the three layouts
EXAMPLES = 3


def check_server(client) -> str:
    """The server's version; a ShardsmithError when it predates time-series collections."""
    version = client.admin.command("buildInfo").get("version", "")
    numbers = tuple(int(part) for part in re.findall(r"\d+", version)[:2])
    if len(numbers) < 2 or numbers < MINIMUM_VERSION:
        raise ShardsmithError(f"the target runs MongoDB {version or '(unknown version)'}; the layout lab needs 5.0 or "
                              "newer (time-series collections are new in 5.0)",
                              hint="run the lab on a 5.0+ copy of the data (e.g. a staging cluster); nothing was copied")
    return version


def source_stats(source: Collection) -> dict:
    """count, size, storageSize and totalIndexSize of the source, summed over shards."""
    info = next(source.database.list_collections(filter={"name": source.name}), None)
    if info and info.get("type") != "collection":
        raise ShardsmithError(f"{source.full_name} is a {info.get('type')}, not a regular collection",
                              hint="point --collection at the regular collection whose data you mean to lay out")
    stats = [row["storageStats"] for row in source.aggregate([{"$collStats": {"storageStats": {}}}])]
    totals = {field: int(sum(s.get(field) or 0 for s in stats)) for field in ("count", "size", "storageSize",
                                                                             "totalIndexSize")}
    if not stats or totals["count"] == 0:
        raise ShardsmithError(f"{source.full_name} is empty (or does not exist)",
                              hint="point --collection at the collection holding the data you mean to migrate")
    return totals


def check_time_field(source: Collection, time_field: str, total: int, comment: str) -> None:
    """Every document must hold a BSON date in `time_field`: else the count and a few examples."""
    pipeline: list[dict[str, Any]] = [{"$match": {time_field: {"$not": {"$type": "date"}}}},
                {"$facet": {"count": [{"$count": "n"}],
                            "examples": [{"$limit": EXAMPLES}, {"$project": {"_id": 1, "value": f"${time_field}"}}]}}]
    found = next(source.aggregate(pipeline, allowDiskUse=True, comment=comment))
    if not found["count"]:
        return
    bad = found["count"][0]["n"]
    examples = ", ".join(f"_id {row['_id']!r}: " + (f"{row['value']!r} ({type(row['value']).__name__})"
                                                     if "value" in row else "missing") for row in found["examples"])
    raise ShardsmithError(f"{bad:,} of {total:,} documents of {source.full_name} have no date in {time_field!r} "
                          f"(e.g. {examples})",
                          hint="a time-series collection needs a BSON date in its timeField: give --time-field the "
                               "field every document dates by, or fix those documents; nothing was copied")


def check_meta_field(source: Collection, meta_field: str, comment: str, sample: int = 1000) -> None:
    """A given metaField must exist in the data (in a sample of the source)."""
    pipeline: list[dict[str, Any]] = [{"$sample": {"size": sample}}, {"$match": {meta_field: {"$exists": True}}},
                                      {"$limit": 1}]
    if not list(source.aggregate(pipeline, comment=comment)):
        raise ShardsmithError(f"no sampled document of {source.full_name} has the field {meta_field!r}",
                              hint="give --meta-field a field the documents carry, or leave it out to infer one")


@dataclass(frozen=True)
class DiskEstimate:
    needed: int
    free: int | None  # None when the server does not report its disk
    scale: float

    def as_dict(self) -> dict:
        return asdict(self)


def free_disk(client, database: str) -> int | None:
    """Free bytes on the data disk mongod reports (the fullest shard's through a router), None if not reported
    (a database that does not exist reports a total of 0)."""
    stats = client[database].command("dbStats")
    parts = list(stats.get("raw", {}).values()) or [stats]
    free = [int(p["fsTotalSize"] - p["fsUsedSize"]) for p in parts if p.get("fsTotalSize") and "fsUsedSize" in p]
    return min(free) if free else None


def check_disk(client, source: Collection, stats: dict, sample: int | None) -> DiskEstimate:
    scale = min(1.0, sample / stats["count"]) if sample else 1.0
    needed = int(LAYOUTS * scale * (stats["storageSize"] + stats["totalIndexSize"]) * DISK_MARGIN)
    estimate = DiskEstimate(needed, free_disk(client, source.database.name), scale)
    if estimate.free is not None and needed > estimate.free:
        raise ShardsmithError(f"not enough disk for the copies: they need about {human_bytes(needed)} ({LAYOUTS} "
                              f"layouts of {scale:.0%} of {source.full_name}'s {human_bytes(stats['storageSize'])} "
                              f"storage + {human_bytes(stats['totalIndexSize'])} indexes, with a margin); the server "
                              f"reports {human_bytes(estimate.free)} free",
                              hint="copy a sample (--sample N) or free disk space on the target; nothing was copied")
    return estimate
