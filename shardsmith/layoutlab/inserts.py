"""Insert throughput: the same batch, in time order as an application writes it, into a fresh copy of each layout.

Before each timed run every layout gets empty collections with its options and
index set (for monthly collections: the months the batch falls in, as a
running application already has them); then the batch goes in as insertMany
chunks of 1,000, unordered, majority write concern everywhere. The monthly
layout writes through RollingCollections.insert_many, which routes each chunk
to its months. Runs rotate the layouts' order, and the collections are
dropped after each run.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field

from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo.collection import Collection
from pymongo.write_concern import WriteConcern

from ..rolling import RollingCollections
from ..rolling.naming import collection_for
from .indexes import build_all, build_each
from .layouts import MONTHLY, REGULAR, TIMESERIES
from .scratch import INSERT_PART, Scratch, remove
from .series import SeriesChoice

CHUNK = 1000
MAJORITY = WriteConcern("majority")


@dataclass
class InsertResult:
    layout: str
    documents: int
    seconds: list = field(default_factory=list)

    def rates(self) -> list[float]:
        return [self.documents / s for s in self.seconds if s > 0]

    def as_dict(self, regular: "InsertResult") -> dict:
        rates, theirs = self.rates(), regular.rates()
        spread, ratio = None, None
        if rates:
            median = statistics.median(rates)
            spread = {"min": round(min(rates), 1), "median": round(median, 1), "max": round(max(rates), 1)}
            ratio = round(median / statistics.median(theirs), 3) if theirs else None
        return {"layout": self.layout, "documents": self.documents, "runs": len(self.seconds),
                "docs_per_second": spread, "ratio_to_regular": ratio}


def insert_batch(regular: Collection, size: int, time_field: str, comment: str) -> list:
    """The `size` earliest documents of the copy, undecoded, in time order."""
    raw = regular.with_options(codec_options=CodecOptions(document_class=RawBSONDocument))
    return list(raw.find({}, sort=[(time_field, 1), ("_id", 1)], limit=size, allow_disk_use=True, comment=comment))


class InsertTargets:
    """Creates, per layout, the empty collections a timed run writes to, and the writer that fills them."""

    def __init__(self, scratch: Scratch, series: SeriesChoice, specs: tuple, timeseries_specs: tuple):
        self.scratch, self.series, self.specs, self.timeseries_specs = scratch, series, specs, timeseries_specs
        self.rolling = RollingCollections(scratch.database, scratch.name(INSERT_PART), time_field=series.time_field)

    def prepare(self, layout: str, batch: list):
        """Empty collections for `layout`; returns a function that writes one chunk."""
        db, comment = self.scratch.database, self.scratch.comment
        if layout == MONTHLY:
            for name in dict.fromkeys(collection_for(self.rolling.prefix, doc[self.series.time_field]) for doc in batch):
                db.create_collection(name, comment=comment)
                build_all(db[name], self.specs, comment)
            return self.rolling.insert_many
        name = self.scratch.name(f"{INSERT_PART}_{'regular' if layout == REGULAR else 'timeseries'}")
        if layout == TIMESERIES:
            db.create_collection(name, timeseries=self.series.options(), comment=comment)
            build_each(db[name], self.timeseries_specs, comment)
        else:
            db.create_collection(name, comment=comment)
            build_all(db[name], self.specs, comment)
        target = db.get_collection(name, write_concern=MAJORITY)
        return lambda chunk: target.insert_many(chunk, ordered=False, comment=comment)


def measure_inserts(targets: InsertTargets, layouts: list[str], batch: list, runs: int) -> list[InsertResult]:
    results = {layout: InsertResult(layout, len(batch)) for layout in layouts}
    for run in range(runs):
        for layout in layouts[run % len(layouts):] + layouts[:run % len(layouts)]:
            write = targets.prepare(layout, batch)
            started = time.perf_counter()
            for at in range(0, len(batch), CHUNK):
                write(batch[at:at + CHUNK])
            results[layout].seconds.append(time.perf_counter() - started)
            remove(targets.scratch, INSERT_PART)
    return [results[layout] for layout in layouts]
