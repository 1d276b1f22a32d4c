"""The two exact-once moves: copy, verify, delete, one checkpointed unit at a time.

From a regular collection (hot) the unit is a batch of the oldest documents,
recorded by _id before copying and deleted by exactly those _ids. From a
time-series collection (warm) the unit is a UTC day, selected and deleted by
its metaField day marker (the only delete MongoDB 6.0 allows there), copied in
cursor batches. A resumed unit re-copies only what the target lacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pymongo.collection import Collection

from ..archive.idempotent import batched
from ..errors import ShardsmithError
from ..progress import QUIET, Progress
from .checkpoint import Checkpoint
from .shape import WarmShape


@dataclass
class MoveResult:
    source: str
    target: str
    moved: int = 0
    units: int = 0
    resumed: bool = False

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class OldestBatchMove:
    """Regular source: move documents whose `time_field` is before `cutoff`, `batch_size` at a time."""

    def __init__(self, source: Collection, target, checkpoint: Checkpoint, cutoff: datetime, *,
                 time_field: str = "timestamp", batch_size: int = 1000):
        self.source, self.target, self.checkpoint = source, target, checkpoint
        self.cutoff, self.time_field, self.batch_size = cutoff, time_field, batch_size

    def run(self, progress: Progress = QUIET) -> MoveResult:
        result = MoveResult(self.source.name, self.target.name)
        pending = self.checkpoint.load()
        if pending:
            result.resumed = True
            result.moved += self._finish(pending["ids"], pending["phase"], resuming=True)
            result.units += 1
        while True:
            batch = list(self.source.find({self.time_field: {"$lt": self.cutoff}})
                         .sort(self.time_field, 1).limit(self.batch_size))
            if not batch:
                return result
            ids = [d["_id"] for d in batch]
            self.checkpoint.save("copy", ids=ids)
            result.moved += self._finish(ids, "copy", resuming=False, documents=batch)
            result.units += 1
            progress.note(f"  {self.source.name} -> {self.target.name}: {result.moved} moved")

    def _finish(self, ids: list, phase: str, *, resuming: bool, documents: list | None = None) -> int:
        if phase == "copy":
            if documents is None:
                documents = list(self.source.find({"_id": {"$in": ids}}))
            self.target.write(documents, resuming)
            self.target.verify(documents)
            self.checkpoint.advance("delete")
        deleted = self.source.delete_many({"_id": {"$in": ids}}).deleted_count
        self.checkpoint.clear()
        return deleted


class WarmDayMove:
    """Time-series source: move whole UTC days before `cutoff_day` ("YYYY-MM-DD"), oldest first."""

    def __init__(self, source: Collection, shape: WarmShape, target, checkpoint: Checkpoint, cutoff_day: str, *,
                 batch_size: int = 1000):
        self.source, self.shape, self.target, self.checkpoint = source, shape, target, checkpoint
        self.cutoff_day, self.batch_size = cutoff_day, batch_size

    def run(self, progress: Progress = QUIET) -> MoveResult:
        result = MoveResult(self.source.name, self.target.name)
        pending = self.checkpoint.load()
        if pending:
            result.resumed = True
            result.moved += self._finish(pending["day"], pending["phase"])
            result.units += 1
        while (day := self._oldest_day()) is not None:
            self.checkpoint.save("copy", day=day)
            result.moved += self._finish(day, "copy")
            result.units += 1
            progress.note(f"  {self.source.name} -> {self.target.name}: day {day}, {result.moved} moved")
        return result

    def _oldest_day(self) -> str | None:
        path = self.shape.day_path
        first = self.source.find_one({path: {"$lt": self.cutoff_day}}, {path: 1}, sort=[(path, 1)])
        return first[self.shape.meta_field]["_tierDay"] if first else None

    def _finish(self, day: str, phase: str) -> int:
        """Copy the day (each cursor batch written then verified), then delete it; the count moved."""
        selector = {self.shape.day_path: day}
        moved = 0
        if phase == "copy":
            for batch in batched(self.source.find(selector, batch_size=self.batch_size), self.batch_size):
                flat = [self.shape.to_flat(d) for d in batch]
                self.target.write(flat, True)
                self.target.verify(flat)
                moved += len(flat)
            left = self.source.count_documents(selector)
            if left != moved:
                raise ShardsmithError(f"{self.source.name} day {day} changed while it was copied ({moved} copied, "
                                      f"{left} there now); nothing was deleted",
                                      hint="run the tier move again (it re-copies only what is missing)")
            self.checkpoint.advance("delete")
        deleted = self.source.delete_many(selector).deleted_count
        self.checkpoint.clear()
        return deleted if phase == "delete" else moved
