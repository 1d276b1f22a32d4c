"""The follow phase: apply the source's changes since the recorded token, batch by batch, checkpointed.

Each batch: drop the events the copy already reflects (coverage.py), check the
post-images can be placed, apply the rest through the target's applier, then
record the token after the batch (majority). A time-series target first records
the last event it is about to apply ("uncertain until"): a killed run may have
inserted some of them, so the resumed run looks those up before inserting.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone

from bson.timestamp import Timestamp
from pymongo.change_stream import ChangeStream
from pymongo.collection import Collection

from ..errors import ShardsmithError
from ..progress import QUIET, Progress
from .changes import Batch, open_changes, read_batch
from .coverage import Coverage
from .snapshot import describe, token_time
from .state import MigrationState
from .values import require_time

NOTE_EVERY = 5.0  # seconds between progress lines
IDLE_CHECKPOINT = 5.0  # seconds between checkpoints of a quiet stream (keeps the token fresh)


@dataclass
class FollowResult:
    events: int = 0  # document events read
    applied: Counter = field(default_factory=Counter)  # inserted / written / deleted / recopied / skipped
    reflected: int = 0  # events the copy already held
    batches: int = 0
    lag_seconds: float | None = None
    position: Timestamp | None = None  # cluster time the target now reflects
    stopped: str = ""  # caught-up | until | stop | renamed | interrupted (Ctrl-C, in the follow phase)

    @property
    def caught_up(self) -> bool:
        return self.stopped in ("caught-up", "until", "renamed")

    def as_dict(self) -> dict:
        return {"events": self.events, "applied": dict(self.applied), "already_copied": self.reflected,
                "batches": self.batches, "lag_seconds": None if self.lag_seconds is None else round(self.lag_seconds, 3),
                "position": describe(self.position), "stopped": self.stopped}


class Follower:
    def __init__(self, source: Collection, target, state: MigrationState, *, reads_from: Collection | None = None,
                 batch_limit: int = 1000, progress: Progress = QUIET):
        """`source` is whose change stream is followed; `reads_from` is where its documents are read (the
        same collection, except while a cut-over drains a source already renamed away)."""
        self.source, self.target, self.state, self.progress = source, target, state, progress
        self.batch_limit = batch_limit
        document = state.require()
        if document["phase"] not in ("follow", "cutover"):
            raise ShardsmithError(f"the migration is in phase {document['phase']!r}, not following",
                                  hint="finish the copy first (start --resume)" if document["phase"] in
                                  ("starting", "backfill") else "it is over; see its status")
        self.token = document["token"]
        self.uncertain_until = document.get("uncertain_until")  # left by a run that may have died mid-batch
        self.coverage = Coverage([(b["hi"], b["at"]) for b in state.batches()])
        self.applier = target.applier(reads_from if reads_from is not None else source, state)
        self._stream: ChangeStream | None = None
        self._saved = 0.0
        self.result = FollowResult()

    def run(self, *, until_caught_up: bool = False, max_lag: float = 1.0, until: Timestamp | None = None,
            stop: threading.Event | None = None, expect_rename: bool = False) -> FollowResult:
        """Follow until caught up (lag under `max_lag`), until cluster time `until`, until `stop` is set,
        or (expect_rename) until the source's own rename. A Ctrl-C propagates (every applied batch is kept);
        `self.result` then tells how far it got."""
        result = self.result = FollowResult(position=token_time(self.token))
        noted = time.monotonic()
        try:
            while not result.stopped:
                batch = self._next(until)
                self._apply(batch, result)
                if batch.ended:
                    if not (expect_rename and batch.ended.kind == "rename"):
                        raise ShardsmithError(f"the source {self.state.plan.namespace} saw a {batch.ended.kind} at "
                                              f"{describe(batch.ended.at)}; the migration cannot follow it further "
                                              "(everything before it was applied)",
                                              hint="roll back (restores names), then migrate again from the new source")
                    result.stopped = "renamed"
                elif until is not None and (batch.passed or batch.drained):
                    result.stopped = "until"
                elif until_caught_up and result.lag_seconds is not None and result.lag_seconds < max_lag:
                    result.stopped = "caught-up"
                elif stop is not None and stop.is_set():
                    result.stopped = "stop"
                elif time.monotonic() - noted > NOTE_EVERY:
                    noted = time.monotonic()
                    self.progress.note(f"  following {self.state.plan.namespace}: {result.events:,} events, "
                                       f"lag {result.lag_seconds or 0:.1f} s")
        finally:
            self.close()
        self._save()
        return result

    def _save(self) -> None:
        """The position reached, even by a quiet stream (its token advances with the cluster time)."""
        self.state.checkpoint(self.token, token_time(self.token), {})

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    def _next(self, until) -> Batch:
        stream = self._stream = self._stream or open_changes(self.source, self.token)
        batch = read_batch(stream, self.token, limit=self.batch_limit, until=until)
        if batch.passed or batch.ended:
            self.close()  # it read one event past the batch: reopen at the checkpoint next time
        return batch

    def _apply(self, batch: Batch, result: FollowResult) -> None:
        fresh, counts = [c for c in batch.changes if not self.coverage.reflects(c.id, c.at)], {}
        for change in fresh:
            require_time(change, self.state.plan.time_field)
        if fresh:
            if self.target.kind == "timeseries" and any(c.kind == "insert" for c in fresh):
                ahead = max(fresh[-1].at, self.uncertain_until or fresh[-1].at)
                self.state.update(uncertain_until=ahead)  # write-ahead: see the module's docstring
            as_of = max(batch.changes[-1].at, self.coverage.last_time or batch.changes[-1].at)
            counts = self.applier.apply(fresh, self.uncertain_until, as_of)
            result.applied.update(counts)
        self.token, position = batch.token, token_time(batch.token)
        if self.uncertain_until is not None and position >= self.uncertain_until:
            self.uncertain_until = None  # past what a killed run may have written
        if fresh or batch.ended or time.monotonic() - self._saved > IDLE_CHECKPOINT:
            self.state.checkpoint(batch.token, position, counts)
            self._saved = time.monotonic()
            self.applier.settle(position)
        result.events += len(batch.changes)
        result.reflected += len(batch.changes) - len(fresh)
        result.batches += 1
        result.position = position
        if batch.drained:
            result.lag_seconds = 0.0
        elif batch.changes and batch.changes[-1].wall is not None:
            wall = batch.changes[-1].wall
            wall = wall if wall.tzinfo else wall.replace(tzinfo=timezone.utc)
            result.lag_seconds = max(0.0, (datetime.now(timezone.utc) - wall).total_seconds())
