"""The rolling target: one collection per UTC month (shardsmith.rolling), created on demand with the index set.

Each month has a unique _id index, so every follow-phase write is idempotent:
an insert, update or replace is a replace-with-upsert of the post-image into its
month, and a document whose time moved to another month is deleted from the
month of its pre-image. A batch is reduced to each document's final state first.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone

from pymongo import DeleteOne, ReplaceOne
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError
from pymongo.write_concern import WriteConcern

from ..errors import ShardsmithError
from ..rolling import RollingCollections
from ..rolling.naming import collection_for, month_bounds, parse_collection_name
from .plan import MigrationPlan
from .state import MigrationState
from .values import value_key

MILLISECOND = timedelta(milliseconds=1)
MAJORITY = WriteConcern("majority")


class RollingTarget:
    kind = "rolling"

    def __init__(self, db: Database, plan: MigrationPlan):
        self.db, self.plan = db, plan
        self.name = f"{plan.target}_YYYY_MM"
        self.rolling = RollingCollections(db, plan.target, indexes=plan.indexes, time_field=plan.time_field)

    def check(self) -> list[str]:
        busy = [name for name in self.rolling.months() if self.db[name].find_one({}, {"_id": 1}) is not None]
        return [f"{self.db.name}.{name} exists and is not empty" for name in busy]

    def create(self) -> None:
        """Nothing to do: each month is created with the index set by its first write."""

    def drop(self) -> None:
        for name in self.rolling.months():
            self.db.drop_collection(name)

    def month(self, document: dict) -> str:
        return collection_for(self.plan.target, document[self.plan.time_field])

    # -- writing -----------------------------------------------------------------------------------
    def insert(self, documents: list) -> None:
        if documents:
            self.rolling.insert_many(documents)

    def present(self, ids: list, tmin, tmax) -> set:
        found = set()
        for name in self.rolling.months(tmin, tmax + MILLISECOND):
            found |= {d["_id"] for d in self.db[name].find({"_id": {"$in": ids}}, {"_id": 1})}
        return found

    def applier(self, source: Collection, state: MigrationState) -> "RollingApplier":
        return RollingApplier(self)

    # -- reading (verify) ----------------------------------------------------------------------------
    def aggregate(self, pipeline: list):
        return self.rolling.aggregate(pipeline)

    def view_pipeline(self) -> tuple[str, list]:
        """What a read-only view standing in for the source reads: the months existing now, unioned."""
        months = self.rolling.months() or [collection_for(self.plan.target, datetime.now(timezone.utc))]
        return months[0], [{"$unionWith": name} for name in months[1:]]

    def misplaced(self) -> list[str]:
        """Month collections holding documents timed outside their month."""
        wrong = []
        for name in self.rolling.months():
            year, month = parse_collection_name(self.plan.target, name) or (0, 0)  # months() lists only months
            start, end = month_bounds(year, month)
            outside = {"$or": [{self.plan.time_field: {"$lt": start}}, {self.plan.time_field: {"$gte": end}}]}
            if self.db[name].find_one(outside, {"_id": 1}) is not None:
                wrong.append(name)
        return wrong


class RollingApplier:
    def __init__(self, target: RollingTarget):
        self.target = target

    def settle(self, position) -> None:
        """Nothing to forget: every write is idempotent."""

    def apply(self, changes: list, uncertain_until, as_of) -> dict:
        final: dict = {}  # _id key -> (id, post-image or None)
        months: dict = defaultdict(set)  # _id key -> months it may be in now
        for change in changes:
            key = value_key(change.id)
            for image in (change.before, change.after):
                if image is not None:
                    months[key].add(self.target.month(image))
            final[key] = (change.id, change.after)
        writes: dict = defaultdict(list)
        for key, (doc_id, after) in final.items():
            home = self.target.month(after) if after is not None else None
            for name in months[key] - {home}:
                writes[name].append(DeleteOne({"_id": doc_id}))
            if after is not None:
                writes[home].append(ReplaceOne({"_id": doc_id}, after, upsert=True))
        upserted_months = [name for name, ops in writes.items() if any(isinstance(o, ReplaceOne) for o in ops)]
        self.target.rolling.prepare(upserted_months)
        for name, operations in writes.items():
            month = self.target.db.get_collection(name, write_concern=MAJORITY)
            try:
                month.bulk_write(operations, ordered=False)
            except BulkWriteError as exc:
                errors = exc.details.get("writeErrors", [])
                raise ShardsmithError(
                    f"{month.full_name} refused {len(errors)} change(s) the source accepted, first: "
                    f"{errors[0].get('errmsg') if errors else exc}",
                    hint="the target's index set is stricter than the source (a unique index?): correct those "
                         "documents in the source, then follow again; the migration stays at its last checkpoint"
                ) from None
        return {"written": sum(after is not None for _, after in final.values()),
                "deleted": sum(after is None for _, after in final.values()), "recopied": 0, "skipped": 0}

