"""The time-series target: created from the spec, filled by inserts, kept exact by series re-copies.

A time-series collection has no unique _id index, so a repeated insert would
double a document: inserts are made only where the copy or the change stream
says the document is not there yet, and after a kill the uncertain ones are
looked up first (by _id, narrowed to their time span so the server prunes buckets).
"""

from __future__ import annotations

from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import OperationFailure
from pymongo.write_concern import WriteConcern

from ..errors import ShardsmithError
from ..servercodes import server_says
from ..topology.dataplan_rules import timeseries_index_refusals
from ..topology.model import TimeseriesSpec
from .plan import MigrationPlan
from .series import SeriesCopies
from .state import MigrationState
from .values import value_key

MAJORITY = WriteConcern("majority")


class TimeseriesTarget:
    kind = "timeseries"

    def __init__(self, db: Database, plan: MigrationPlan):
        self.db, self.plan = db, plan
        self.name = plan.target
        self.collection: Collection = db.get_collection(plan.target, write_concern=MAJORITY)

    # -- before anything is written ---------------------------------------------------------------
    def check(self) -> list[str]:
        """Problems that forbid the start (read only): a non-empty or differently shaped target, refused indexes."""
        shape = TimeseriesSpec(self.plan.time_field, self.plan.meta_field)
        problems = [f"index {dict(index.keys)} of the index set: {reason}"
                    for index in self.plan.indexes for reason in timeseries_index_refusals(index, shape)]
        found = list(self.db.list_collections(filter={"name": self.name}))
        if found:
            info = found[0]
            options = info.get("options", {}).get("timeseries", {})
            if info["type"] != "timeseries":
                problems.append(f"{self.db.name}.{self.name} exists and is a {info['type']}, not a time-series collection")
            elif (options.get("timeField"), options.get("metaField")) != (self.plan.time_field, self.plan.meta_field):
                problems.append(f"{self.db.name}.{self.name} exists with timeField {options.get('timeField')!r} and "
                                f"metaField {options.get('metaField')!r}; the spec says {self.plan.time_field!r} "
                                f"and {self.plan.meta_field!r}")
            elif self.collection.find_one({}, {"_id": 1}) is not None:
                problems.append(f"{self.db.name}.{self.name} exists and is not empty")
        return problems

    def create(self) -> None:
        """Create the collection (unless it exists, empty) and its indexes; a refused index drops what we created."""
        created = False
        if not list(self.db.list_collection_names(filter={"name": self.name})):
            command: dict = {"create": self.name, "timeseries": self.plan.timeseries_options()}
            if self.plan.expire_after is not None:
                command["expireAfterSeconds"] = self.plan.expire_after
            self.db.command({**command, "writeConcern": MAJORITY.document})
            created = True
        indexes = self.plan.index_documents()
        series_key = {self.plan.meta_field: 1, self.plan.time_field: 1} if self.plan.meta_field else None
        if series_key and all(i["key"] != series_key for i in indexes):
            # series re-copies delete by metaField: give them an index (6.3+ makes this one itself)
            indexes.append({"key": series_key, "name": f"{self.plan.meta_field}_1_{self.plan.time_field}_1"})
        try:
            self.db.command({"createIndexes": self.name, "indexes": indexes, "writeConcern": MAJORITY.document})
        except OperationFailure as exc:
            if created:
                self.collection.drop()
            raise ShardsmithError(f"{self.db.name}.{self.name}: the server refused the index set: "
                                  f"{server_says(exc)}",
                                  hint="change the spec's index set for this collection; nothing was left behind"
                                  if created else "change the spec's index set for this collection") from None

    def drop(self) -> None:
        self.collection.drop()

    # -- writing -----------------------------------------------------------------------------------
    def insert(self, documents: list) -> None:
        if documents:
            self.collection.insert_many(documents, ordered=False)

    def present(self, ids: list, tmin, tmax) -> set:
        """Which of `ids` (whose documents are timed within [tmin, tmax]) are already in the target."""
        if not ids:
            return set()
        query = {"_id": {"$in": ids}, self.plan.time_field: {"$gte": tmin, "$lte": tmax}}
        return {d["_id"] for d in self.collection.find(query, {"_id": 1})}

    def applier(self, source: Collection, state: MigrationState) -> "TimeseriesApplier":
        return TimeseriesApplier(self, SeriesCopies(source, self.collection, self.plan.meta_field, state))

    # -- reading (verify) ----------------------------------------------------------------------------
    def aggregate(self, pipeline: list):
        return self.collection.aggregate(pipeline, allowDiskUse=True)

    def misplaced(self) -> list[str]:
        return []  # one collection: nothing can sit in the wrong place

    def view_pipeline(self) -> tuple[str, list]:
        """What a read-only view standing in for the source reads: (viewOn, pipeline)."""
        return self.name, []


class TimeseriesApplier:
    """Applies a batch of change events not reflected by the copy: inserts as inserts, updates and deletes
    as re-copies of the series they touch (before and after the change)."""

    def __init__(self, target: TimeseriesTarget, series: SeriesCopies):
        self.target, self.series = target, series

    def settle(self, position) -> None:
        """The follow position moved to `position`: series copies older than it no longer matter."""
        self.series.forget_before(position)

    def apply(self, changes: list, uncertain_until, as_of) -> dict:
        """Returns counts: inserted, recopied (series), skipped (already reflected by a series copy).

        `as_of` is no earlier than any event read so far, nor than the copy's last snapshot: a series
        read then is no older than anything the target already reflects."""
        to_copy, seen = [], set()
        for change in changes:
            if change.kind == "insert":
                continue
            for image in (change.before, change.after):
                if image is None:
                    continue
                value = self.series.series_of(change, image)
                if not self.series.reflects(value, change.at):
                    key = value_key(value)
                    if key not in seen:
                        seen.add(key)
                        to_copy.append(value)
        self.series.recopy(to_copy, as_of)
        inserts = [c for c in changes if c.kind == "insert"
                   and not (self.target.plan.meta_field and c.after.get(self.target.plan.meta_field) is not None
                            and self.series.reflects(c.after[self.target.plan.meta_field], c.at))]
        uncertain = [c for c in inserts if uncertain_until is not None and c.at <= uncertain_until]
        if uncertain:  # a killed run may have written these already
            times = [c.after[self.target.plan.time_field] for c in uncertain]
            present = self.target.present([c.id for c in uncertain], min(times), max(times))
            inserts = [c for c in inserts if c.id not in present]
        self.target.insert([c.after for c in inserts])
        return {"inserted": len(inserts), "recopied": len(to_copy),
                "skipped": sum(c.kind == "insert" for c in changes) - len(inserts)}
