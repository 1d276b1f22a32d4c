"""Where a tier move writes: a time-series collection, a regular collection, or rolling months.

Every target offers the same two calls, both safe to repeat after a kill:
`write(flat_documents, resuming)` (on resume, only what is missing is written)
and `verify(flat_documents)` (every _id arrived, else a ShardsmithError and the
source is left untouched).
"""

from __future__ import annotations

from pymongo.database import Database
from pymongo.write_concern import WriteConcern

from ..archive.idempotent import insert_ignoring_present, require_present
from ..rolling.routing import route_batch
from .shape import WarmShape, day_of

MAJORITY = WriteConcern("majority")


class TimeseriesTarget:
    """The warm stage: no unique index exists, so presence is checked by _id before a resumed write."""

    def __init__(self, db: Database, name: str, shape: WarmShape):
        self.name, self.shape = name, shape
        self.collection = db.get_collection(name, write_concern=MAJORITY)
        self.collection.create_index([(shape.day_path, 1)])  # the warm -> cold move selects and deletes by day

    def _narrow(self, documents: list) -> dict:
        """A filter the server can prune buckets with: the documents' days and time span."""
        times = [d[self.shape.flat_time] for d in documents]
        return {self.shape.day_path: {"$in": sorted({day_of(t) for t in times})},
                self.shape.time_field: {"$gte": min(times), "$lte": max(times)}}

    def write(self, documents: list, resuming: bool) -> None:
        if resuming and documents:
            query = {"_id": {"$in": [d["_id"] for d in documents]}, **self._narrow(documents)}
            present = {d["_id"] for d in self.collection.find(query, {"_id": 1})}
            documents = [d for d in documents if d["_id"] not in present]
        if documents:
            self.collection.insert_many([self.shape.to_warm(d) for d in documents], ordered=True)

    def verify(self, documents: list) -> None:
        if documents:
            require_present(self.collection, [d["_id"] for d in documents], "moved documents", self._narrow(documents))


class CollectionTarget:
    """A regular collection: its unique _id index makes a repeated insert skip what is there."""

    def __init__(self, db: Database, name: str):
        self.name = name
        self.collection = db.get_collection(name, write_concern=MAJORITY)

    def write(self, documents: list, resuming: bool) -> None:
        insert_ignoring_present(self.collection, documents)

    def verify(self, documents: list) -> None:
        if documents:
            require_present(self.collection, [d["_id"] for d in documents], "moved documents")


class RollingTarget:
    """The cold stage: month collections, written through the rolling API (created with the index set on demand)."""

    def __init__(self, rolling):
        self.rolling = rolling
        self.name = f"{rolling.prefix}_YYYY_MM"
        self.db = rolling.database.with_options(write_concern=MAJORITY)

    def _by_month(self, documents: list) -> dict:
        return route_batch(documents, self.rolling.prefix, self.rolling.time_field)

    def write(self, documents: list, resuming: bool) -> None:
        missing = []
        for name, group in self._by_month(documents).items():
            present = {d["_id"] for d in self.db[name].find({"_id": {"$in": [d["_id"] for d in group]}}, {"_id": 1})}
            missing += [d for d in group if d["_id"] not in present]
        if missing:
            self.rolling.insert_many(missing)

    def verify(self, documents: list) -> None:
        for name, group in self._by_month(documents).items():
            require_present(self.db[name], [d["_id"] for d in group], "moved documents")
