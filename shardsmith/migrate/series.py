"""Updates and deletes on a time-series target, made exact by re-copying whole series.

MongoDB 6.0 deletes from a time-series collection only by metaField, and
updates only the metaField ("Time Series Collection Limitations", Updates and
Deletes: https://www.mongodb.com/docs/v6.0/core/timeseries/timeseries-limitations/).
A single document cannot be replaced or removed. What the server allows is
exact enough: delete every measurement of the document's series (its metaField
value) and insert that series again from the source, read at one snapshot time
S. Then the target's series equals the source's series as of S, and every
later event on that series at or before S is already reflected (skipped); the
copy is idempotent, so a kill in the middle is repaired by doing it again.
"""

from __future__ import annotations

from bson.timestamp import Timestamp
from pymongo.collection import Collection

from ..archive.idempotent import batched
from ..errors import ShardsmithError
from .snapshot import SnapshotGone, describe, snapshot_find
from .state import MigrationState
from .values import value_key

COPY_BATCH = 1000
SERIES_PER_READ = 500


class SeriesCopies:
    def __init__(self, source: Collection, target: Collection, meta_field: str | None, state: MigrationState):
        """`meta_field` None: no series to re-copy (series_of refuses every update and delete)."""
        self.source, self.target, self.meta_field, self.state = source, target, meta_field, state
        self.times = state.series_times()  # series key -> snapshot time of its last re-copy
        self.copied = 0

    def series_of(self, change, document: dict):
        """The metaField value an update or delete must re-copy; refuses when there is none."""
        if not self.meta_field or document.get(self.meta_field) is None:
            where = "no metaField" if not self.meta_field else f"no {self.meta_field!r} in the document"
            raise ShardsmithError(
                f"the {change.kind} of _id {change.id!r} at {describe(change.at)} cannot be applied to the "
                f"time-series target ({where}): MongoDB 6.0 deletes time-series measurements only by metaField "
                "value and updates only the metaField, so the migration re-copies the document's series, "
                "and this document has none; this batch of changes was not applied (the migration stays at its "
                "last checkpoint)",
                hint="migrate with a meta_field every document carries (e.g. sessionId), or --to rolling; "
                     "or stop updating and deleting until the cut-over and start over with --restart")
        return document[self.meta_field]

    def reflects(self, value, at: Timestamp) -> bool:
        copied_at = self.times.get(value_key(value))
        return copied_at is not None and at <= copied_at

    def recopy(self, values: list, at: Timestamp) -> None:
        """Make each series equal to the source's as of cluster time `at` (no earlier than anything the target
        already reflects: then it reflects exactly the events applied so far), or as of now when `at` is older
        than the server's snapshot history (still exact: later events are skipped up to that time).
        Series go SERIES_PER_READ at a time: one snapshot read, one delete, streamed inserts."""
        for chunk in batched(values, SERIES_PER_READ):
            selector = {str(self.meta_field): {"$in": chunk}}
            try:
                cursor = snapshot_find(self.source, selector, at=at)
            except SnapshotGone:
                cursor = snapshot_find(self.source, selector)
            self.target.delete_many(selector)  # the one delete 6.0 allows: by metaField
            for documents in batched(cursor, COPY_BATCH):
                self.target.insert_many(documents, ordered=False)
            self.state.record_series(chunk, cursor.at)
            for value in chunk:
                self.times[value_key(value)] = cursor.at
            self.copied += len(chunk)

    def forget_before(self, at: Timestamp) -> None:
        """Records older than the follow position can no longer matter (every event they cover is applied)."""
        stale = [key for key, copied_at in self.times.items() if copied_at < at]
        if stale:
            for key in stale:
                del self.times[key]
            self.state.forget_series_before(at)
