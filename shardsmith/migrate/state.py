"""A migration's memory, in the target's database (`shardsmith_migrations`), every write majority-acknowledged.

Three kinds of documents, all keyed by the migration (`source->target`):
- the migration itself: phase, change-stream resume token, counters, cut-over steps;
- one per backfill batch: its last _id and the cluster time of its snapshot. The
  newest batch also holds its _ids (and time span) while it is being written:
  a write-ahead record, so a killed copy resumes that batch exactly;
- one per time-series series re-copied by the follow phase, with its snapshot time.
"""

from __future__ import annotations

from datetime import datetime, timezone

from bson.max_key import MaxKey
from pymongo import InsertOne, ReplaceOne, UpdateOne
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError
from pymongo.write_concern import WriteConcern

from ..errors import ShardsmithError
from ..lease import Lease
from .plan import MigrationPlan
from .values import value_key

STATE_COLLECTION = "shardsmith_migrations"
MAJORITY = WriteConcern("majority")


class MigrationState:
    def __init__(self, db: Database, plan: MigrationPlan):
        self.plan = plan
        self.key = plan.key
        self.collection = db.get_collection(STATE_COLLECTION, write_concern=MAJORITY)

    # -- the migration document -------------------------------------------------------------
    def load(self) -> dict | None:
        return self.collection.find_one({"_id": self.key})

    def require(self) -> dict:
        found = self.load()
        if found is None:
            raise ShardsmithError(f"no migration {self.plan.namespace} -> {self.plan.target_label} was started",
                                  hint="run the start phase first")
        return found

    def create(self, **fields) -> None:
        try:
            self.collection.insert_one({"_id": self.key, "plan": self.plan.as_dict(), "phase": "starting",
                                        "created": datetime.now(timezone.utc), **fields})
        except DuplicateKeyError:
            raise self.already_started(self.require()) from None

    def already_started(self, document: dict) -> ShardsmithError:
        return ShardsmithError(f"a migration {self.plan.namespace} -> {self.plan.target_label} already exists "
                               f"(phase {document['phase']})",
                               hint="continue it with --resume, or start over with --restart")

    def update(self, **fields) -> None:
        self.collection.update_one({"_id": self.key}, {"$set": {**fields, "updated": datetime.now(timezone.utc)}})

    def checkpoint(self, token: dict, position, counts: dict) -> None:
        """The follow position (resume token) and what the batch applied, in one write."""
        update = {"$set": {"token": token, "position": position, "updated": datetime.now(timezone.utc)}}
        if counts:
            update["$inc"] = {f"counts.{k}": v for k, v in counts.items() if v}
        self.collection.update_one({"_id": self.key}, update)

    def lease(self) -> Lease:
        return Lease(self.collection, f"lease:{self.key}", f"migration {self.plan.namespace} -> {self.plan.target} is running")

    # -- backfill batches ----------------------------------------------------------------------
    def _batch_id(self, n: int) -> str:
        return f"{self.key}#batch#{n:010d}"

    def begin_batch(self, n: int, hi, at, ids: list, tmin, tmax) -> None:
        """Write-ahead: batch n covers (previous hi, hi] as of `at`; its _ids until it is written."""
        self.collection.bulk_write([
            UpdateOne({"_id": self._batch_id(n - 1)}, {"$unset": {"ids": "", "tmin": "", "tmax": ""}}),
            InsertOne({"_id": self._batch_id(n), "migration": self.key, "n": n, "hi": hi, "at": at,
                       "count": len(ids), "ids": ids, "tmin": tmin, "tmax": tmax}),
        ], ordered=True)

    def end_batch(self, n: int) -> None:
        self.collection.update_one({"_id": self._batch_id(n)}, {"$unset": {"ids": "", "tmin": "", "tmax": ""}})

    def batches(self) -> list[dict]:
        """Every batch record, in order (the newest may still hold its _ids: it was being written)."""
        prefix = f"{self.key}#batch#"
        return list(self.collection.find({"_id": {"$gte": prefix, "$lt": prefix + "~"}}, sort=[("_id", 1)]))

    @staticmethod
    def is_final(batch: dict) -> bool:
        return isinstance(batch["hi"], MaxKey)

    # -- re-copied series (time-series targets) -------------------------------------------------
    def series_times(self) -> dict:
        """{series value (as a hashable key): snapshot time} of the re-copies still relevant."""
        return {value_key(d["_id"]["series"]): d["at"]
                for d in self.collection.find({"_id.m": self.key, "_id.series": {"$exists": True}})}

    def record_series(self, values: list, at) -> None:
        self.collection.bulk_write([ReplaceOne({"_id": {"m": self.key, "series": v}}, {"at": at}, upsert=True)
                                    for v in values], ordered=False)

    def forget_series_before(self, at) -> None:
        self.collection.delete_many({"_id.m": self.key, "_id.series": {"$exists": True}, "at": {"$lt": at}})

    # -- starting over ---------------------------------------------------------------------------
    def erase(self) -> None:
        """Every record of this migration (not the lease)."""
        prefix = f"{self.key}#batch#"
        self.collection.delete_many({"_id": {"$gte": prefix, "$lt": prefix + "~"}})
        self.collection.delete_many({"_id.m": self.key})
        self.collection.delete_one({"_id": self.key})
