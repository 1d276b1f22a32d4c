"""The time-series options: metaField and granularity, given or read from the data, each with its reason.

MongoDB's guidance (docs v6.0, "Time Series" and "Best Practices for Time
Series Collections"): the metaField labels a series and rarely changes; the
granularity should be the one closest to the interval between consecutive
measurements of one series (seconds: buckets span up to 1 hour, minutes: 24
hours, hours: 30 days). Read from the data that is:

- metaField: among the top-level fields every sampled document has, with
  short scalar (or sub-document) values, the finest one whose values repeat at
  least MIN_SERIES_LENGTH times on average (a nearly unique field gives one
  bucket per document; a coarser one mixes series);
- granularity: the band holding the median gap between consecutive documents
  of one series.

Also reported: top-level fields whose type changes within a series (a null
before a string, say). The bucket catalog closes a bucket on such a schema
change ("numBucketsClosedDueToSchemaChange" in $collStats), so these fields
cost buckets and compression; numbers count as one type, as the server
compares canonical types.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from pymongo.collection import Collection

from ..errors import ShardsmithError

GRANULARITIES = ("seconds", "minutes", "hours")
MIN_SERIES_LENGTH = 10
LONGEST_LABEL = 200  # characters: longer strings are text, not labels
LABEL_TYPES = (str, int, bool, dict)
MINUTE_MS, HOUR_MS = 60_000, 3_600_000
MEDIAN_BANDS = {"seconds": "under a minute", "minutes": "between a minute and an hour", "hours": "an hour or more"}


@dataclass(frozen=True)
class SeriesChoice:
    time_field: str
    meta_field: str | None
    granularity: str
    meta_reason: str
    granularity_reason: str
    mixed_types: tuple = field(default=())  # ({"field", "types", "series"}, ...)

    def options(self) -> dict:
        """The `timeseries` option of create."""
        options = {"timeField": self.time_field, "granularity": self.granularity}
        if self.meta_field:
            options["metaField"] = self.meta_field
        return options

    def as_dict(self) -> dict:
        return {**asdict(self), "mixed_types": list(self.mixed_types)}


def check_granularity(granularity: str | None) -> None:
    if granularity is not None and granularity not in GRANULARITIES:
        raise ShardsmithError(f"--granularity is {granularity!r}", hint=f"give one of {', '.join(GRANULARITIES)}")


def label_fields(documents: list[dict], time_field: str) -> list[str]:
    """Fields every document has, holding short labels (not text, not floats, not lists), in first-seen order."""
    if not documents:
        return []
    names = [name for name in documents[0] if name not in ("_id", time_field)]
    return [name for name in names if all(name in doc and _is_label(doc[name]) for doc in documents)]


def _is_label(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return len(value) <= LONGEST_LABEL
    return isinstance(value, LABEL_TYPES) or type(value).__name__ in ("ObjectId", "UUID", "Binary", "Int64")


def distinct_values(collection: Collection, name: str, comment: str) -> int:
    """Distinct values of a field, grouped by their 64-bit hash (as the key lab does: far less $group memory)."""
    pipeline: list[dict[str, Any]] = [{"$group": {"_id": {"$toHashedIndexKey": {"$getField": name}}}}, {"$count": "n"}]
    row = next(collection.aggregate(pipeline, allowDiskUse=True, comment=comment), None)
    return row["n"] if row else 0


def infer_meta(collection: Collection, documents: int, sampled: list[dict], time_field: str,
               comment: str) -> tuple[str | None, str]:
    """The finest label field that repeats enough, and why (figures for each candidate)."""
    candidates = label_fields(sampled, time_field)
    counts = {name: distinct_values(collection, name, comment) for name in candidates}
    length = {name: documents / count for name, count in counts.items() if count}
    fitting = [name for name in candidates if length.get(name, 0) >= MIN_SERIES_LENGTH]
    figures = ", ".join(f"{name} {counts[name]:,} values ({length.get(name, 0):,.1f} documents each)"
                        for name in candidates)
    if not fitting:
        return None, (f"no field every sampled document has repeats {MIN_SERIES_LENGTH}+ times per value "
                      f"({figures or 'no label fields'}): no metaField, buckets group by time only")
    chosen = max(fitting, key=lambda name: counts[name])
    return chosen, (f"the finest label field whose values repeat {MIN_SERIES_LENGTH}+ times on average "
                    f"(in all {len(sampled):,} sampled documents; {figures})")


def infer_granularity(collection: Collection, time_field: str, meta_field: str | None,
                      comment: str) -> tuple[str, str]:
    """The band of the median gap between consecutive documents of one series."""
    window: dict[str, Any] = {"sortBy": {"t": 1}, "output": {"previous": {"$shift": {"output": "$t", "by": -1}}}}
    if meta_field:
        window["partitionBy"] = "$m"
    pipeline: list[dict[str, Any]] = [
        {"$project": {"_id": 0, "t": f"${time_field}", **({"m": f"${meta_field}"} if meta_field else {})}},
        {"$setWindowFields": window},
        {"$match": {"previous": {"$ne": None}}},
        {"$project": {"gap": {"$subtract": ["$t", "$previous"]}}},
        {"$group": {"_id": None, "n": {"$sum": 1},
                    "minute": {"$sum": {"$cond": [{"$lt": ["$gap", MINUTE_MS]}, 1, 0]}},
                    "hour": {"$sum": {"$cond": [{"$lt": ["$gap", HOUR_MS]}, 1, 0]}}}},
    ]
    row = next(collection.aggregate(pipeline, allowDiskUse=True, comment=comment), None)
    series = f"one {meta_field}" if meta_field else "the collection"
    if not row:
        return "seconds", f"no two documents of {series} to measure a gap: MongoDB's default (seconds)"
    minute, hour = row["minute"] / row["n"], row["hour"] / row["n"]
    chosen = "seconds" if minute > 0.5 else "minutes" if hour > 0.5 else "hours"
    return chosen, (f"of {row['n']:,} gaps between consecutive documents of {series}, {minute:.0%} are under a "
                    f"minute and {hour:.0%} under an hour: the median gap is {MEDIAN_BANDS[chosen]}")


def mixed_types(collection: Collection, meta_field: str, fields: list[str], comment: str) -> tuple:
    """Top-level fields whose (canonical) type changes within a series: the series count and the type sets."""
    fields = [name for name in fields if name not in (meta_field, "_id")]
    if not fields:
        return ()

    def kind(name: str) -> dict:
        value = {"$getField": name}
        return {"$cond": [{"$isNumber": value}, "number", {"$type": value}]}

    alias = {f"f{i}": name for i, name in enumerate(fields)}
    pipeline: list[dict[str, Any]] = [
        {"$group": {"_id": f"${meta_field}", **{a: {"$addToSet": kind(name)} for a, name in alias.items()}}},
        {"$project": {a: {"$setDifference": [f"${a}", ["missing"]]} for a in alias}},
        {"$group": {"_id": None, **{a: {"$sum": {"$cond": [{"$gt": [{"$size": f"${a}"}, 1]}, 1, 0]}} for a in alias},
                    **{f"{a}_types": {"$addToSet": {"$cond": [{"$gt": [{"$size": f"${a}"}, 1]}, f"${a}", "$$REMOVE"]}}
                       for a in alias}}},
    ]
    row = next(collection.aggregate(pipeline, allowDiskUse=True, comment=comment), None) or {}
    found = []
    for a, name in alias.items():
        if row.get(a):
            types = sorted({t for combo in row[f"{a}_types"] for t in combo})
            found.append({"field": name, "types": types, "series": row[a]})
    return tuple(sorted(found, key=lambda item: -item["series"]))


def choose_series(collection: Collection, documents: int, sampled: list[dict], time_field: str,
                  meta_field: str | None, granularity: str | None, comment: str) -> SeriesChoice:
    """The options the time-series layout is created with: the user's, else read from the copied data."""
    meta: str | None
    if meta_field:
        meta, meta_reason = meta_field, "given (--meta-field)"
    else:
        meta, meta_reason = infer_meta(collection, documents, sampled, time_field, comment)
    if granularity:
        chosen, reason = granularity, "given (--granularity)"
    else:
        chosen, reason = infer_granularity(collection, time_field, meta, comment)
    fields = list(dict.fromkeys(name for doc in sampled for name in doc if name != time_field))
    changing = mixed_types(collection, meta, fields, comment) if meta else ()
    return SeriesChoice(time_field, meta, chosen, meta_reason, reason, changing)
