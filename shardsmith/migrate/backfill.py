"""The copy: the source in _id order, one snapshot per bounded batch, each batch checkpointed before it is written.

Per batch: read up to N documents after the previous batch's last _id at one
snapshot (its cluster time tells the follow phase which events it reflects,
see coverage.py), record the batch with its _ids (majority), then write it.
The next batch is read while this one is written; memory holds two batches.
A kill leaves at most the newest batch half-written; the resume finds which of
its _ids arrived and writes the others.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bson.max_key import MaxKey
from pymongo.collection import Collection

from ..progress import QUIET, Progress
from .changes import open_changes
from .meter import Meter
from .snapshot import snapshot_find
from .state import MigrationState

TOKEN_CHECK_SECONDS = 60  # how often the copy makes sure its start point is still in the oplog


@dataclass
class BackfillResult:
    copied: int = 0  # documents written by this run
    batches: int = 0
    seconds: float = 0.0
    resumed_batch: int | None = None  # the half-written batch this run finished, if any

    @property
    def docs_per_second(self) -> float:
        return self.copied / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        return {"copied": self.copied, "batches": self.batches, "seconds": round(self.seconds, 3),
                "docs_per_second": round(self.docs_per_second, 1), "resumed_batch": self.resumed_batch}


@dataclass
class SourceBatch:
    documents: list
    hi: object  # the last _id, or MaxKey for the last batch
    at: object  # the snapshot's cluster time


class Backfill:
    def __init__(self, source: Collection, target, state: MigrationState, *, batch_size: int = 1000,
                 progress: Progress = QUIET):
        self.source, self.target, self.state = source, target, state
        self.batch_size, self.progress = batch_size, progress
        self.time_field = state.plan.time_field

    def run(self, token: dict) -> BackfillResult:
        began, result = time.monotonic(), BackfillResult()
        done = self.state.batches()
        if done and "ids" in done[-1]:
            result.copied += self._finish(done[-1])
            result.resumed_batch = done[-1]["n"]
        if done and self.state.is_final(done[-1]):
            result.seconds = time.monotonic() - began
            return result
        n, after = (done[-1]["n"], done[-1]["hi"]) if done else (0, None)
        copied_before = sum(b["count"] for b in done)
        checked = time.monotonic()
        with Meter(self.progress, f"copy {self.state.plan.namespace}", self.source.estimated_document_count(),
                   copied_before) as meter, ThreadPoolExecutor(1, thread_name_prefix="backfill-writer") as writer:
            pending = None
            while True:
                batch = self._read(after)
                if pending is not None:
                    meter.advance(pending.result())
                n += 1
                pending = writer.submit(self._write, n, batch)
                result.batches += 1
                result.copied += len(batch.documents)
                if isinstance(batch.hi, MaxKey):
                    meter.advance(pending.result())
                    break
                after = batch.hi
                if time.monotonic() - checked > TOKEN_CHECK_SECONDS:
                    open_changes(self.source, token).close()  # raises the history-lost error early
                    checked = time.monotonic()
        result.seconds = time.monotonic() - began
        return result

    def _read(self, after) -> SourceBatch:
        """The next batch after _id `after` (the first when None), at one snapshot.

        `min` on the _id index starts the scan at `after` in BSON order across
        types (a {$gt: after} filter would only see _ids of after's type).
        """
        limit = self.batch_size + 1  # `after` itself comes first when it still exists
        cursor = snapshot_find(self.source, {}, sort={"_id": 1}, hint={"_id": 1}, limit=limit,
                               min=None if after is None else {"_id": after})
        documents = list(cursor)
        reached_end = len(documents) < limit
        if documents and after is not None and documents[0]["_id"] == after:
            documents = documents[1:]
        if reached_end:
            return SourceBatch(documents, MaxKey(), cursor.at)  # nothing after these at this snapshot
        documents = documents[:self.batch_size]
        return SourceBatch(documents, documents[-1]["_id"], cursor.at)

    def _write(self, n: int, batch: SourceBatch) -> int:
        times = [d[self.time_field] for d in batch.documents]
        self.state.begin_batch(n, batch.hi, batch.at, [d["_id"] for d in batch.documents],
                               min(times, default=None), max(times, default=None))
        self.target.insert(batch.documents)
        if isinstance(batch.hi, MaxKey):
            self.state.end_batch(n)
        return len(batch.documents)

    def _finish(self, record: dict) -> int:
        """Complete a batch a killed run left half-written: write the _ids not yet in the target.

        They are read again now; any change since the batch's snapshot is after
        its recorded time, so the follow phase applies it on top.
        """
        ids = record["ids"]
        present = self.target.present(ids, record["tmin"], record["tmax"]) if ids else set()
        missing = [i for i in ids if i not in present]
        documents = list(self.source.find({"_id": {"$in": missing}})) if missing else []
        self.target.insert(documents)
        self.state.end_batch(record["n"])
        return len(documents)
