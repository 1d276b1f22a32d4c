"""Copy the sample into the three layouts, on the server where the server can, in bounded memory.

- regular: the source (all of it, a `$sample`, or whole series: see
  `sampling`) through `$out` into the lab database; this copy is the sample,
  and the other two are made from it, so all three hold the same documents;
- monthly: one `$match` on the month's half-open range and `$out` per month,
  named as shardsmith.rolling names them (prefix_YYYY_MM);
- time-series: MongoDB before 7.0.3 cannot `$out` or `$merge` into a time-series
  collection (docs v6.0, "Time Series Collection Limitations"), so the regular
  copy is streamed undecoded into insertMany batches of 1,000, unordered (docs:
  "Best Practices for Time Series Collections"), one batch held at a time, in
  time order as the application wrote them. That order also keeps the file
  compact: buckets are clustered by an _id that grows with their time, so they
  append; in (metaField, time) order they land all over the tree (1,000,000
  generated messages, 6.0.5: 148 MB of a 468 MB file left free, against 0.3 MB
  of 330 MB in time order, which was also 1.5x faster).
"""

from __future__ import annotations

from datetime import timedelta

from bson.codec_options import CodecOptions
from bson.int64 import Int64
from bson.raw_bson import RawBSONDocument
from pymongo.collection import Collection
from pymongo.database import Database

from ..rolling.naming import collection_name, month_bounds, months_overlapping
from .series import SeriesChoice

BATCH = 1000
HASH_MAX = 2**63 - 1
MILLISECOND = timedelta(milliseconds=1)


def sampling(sample: int | None, total: int, meta_field: str | None) -> tuple[list, str]:
    """The stages that draw the sample, and how to describe it.

    A $sample of documents thins every series (a 10% sample keeps about a tenth
    of each session), so buckets come out emptier than the full collection's.
    With a metaField known, whole series are sampled instead: those whose
    value's 64-bit hash falls in the lowest sample/total of the hash range
    (each series kept or not as a whole, none favoured by its size).
    """
    if not sample or sample >= total:
        return [], "all documents"
    if not meta_field:
        return [{"$sample": {"size": sample}}], f"a $sample of {sample:,} documents"
    cutoff = Int64(min(HASH_MAX, int(-2**63 + sample / total * 2**64)))
    return ([{"$match": {"$expr": {"$lt": [{"$toHashedIndexKey": f"${meta_field}"}, cutoff]}}}],
            f"whole series: the {meta_field} values in {sample / total:.1%} of the hash range (about {sample:,} "
            f"documents)")


def copy_regular(source: Collection, target: Collection, head: list, comment: str) -> int:
    """The source through the sampling stages `head` into `target`; the number of documents copied."""
    source.aggregate(head + [{"$out": {"db": target.database.name, "coll": target.name}}],
                     allowDiskUse=True, comment=comment)
    return target.count_documents({}, comment=comment)


def time_span(collection: Collection, time_field: str, comment: str) -> tuple:
    """The earliest and latest time in the collection."""
    row = next(collection.aggregate([{"$group": {"_id": None, "first": {"$min": f"${time_field}"},
                                                 "last": {"$max": f"${time_field}"}}}], comment=comment))
    return row["first"], row["last"]


def copy_months(regular: Collection, database: Database, prefix: str, time_field: str, comment: str) -> list[str]:
    """One collection per month the data spans, empty months left out; their names, oldest first."""
    first, last = time_span(regular, time_field, comment)
    names = []
    for year, month in months_overlapping(first, last + MILLISECOND):
        start, end = month_bounds(year, month)
        name = collection_name(prefix, year, month)
        regular.aggregate([{"$match": {time_field: {"$gte": start, "$lt": end}}},
                           {"$out": {"db": database.name, "coll": name}}], allowDiskUse=True, comment=comment)
        if database[name].find_one({}, {"_id": 1}, comment=comment) is None:
            database.drop_collection(name, comment=comment)
        else:
            names.append(name)
    return names


def copy_timeseries(regular: Collection, target: Collection, series: SeriesChoice, comment: str) -> int:
    """Create the time-series collection and stream the regular copy into it; the documents inserted."""
    target.database.create_collection(target.name, timeseries=series.options(), comment=comment)
    raw = regular.with_options(codec_options=CodecOptions(document_class=RawBSONDocument))
    inserted, batch = 0, []
    for document in raw.find({}, sort=[(series.time_field, 1)], batch_size=BATCH, allow_disk_use=True, comment=comment):
        batch.append(document)
        if len(batch) == BATCH:
            inserted += len(target.insert_many(batch, ordered=False, comment=comment).inserted_ids)
            batch = []
    if batch:
        inserted += len(target.insert_many(batch, ordered=False, comment=comment).inserted_ids)
    return inserted
