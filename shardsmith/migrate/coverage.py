"""Which change events the backfill already copied. Pure.

The backfill reads the source in _id order, one batch per snapshot: batch n
holds exactly the documents with _id in (hi of batch n-1, hi of batch n] as of
its snapshot's cluster time (the last batch reaches MaxKey). An event on a
document at or before the snapshot time of the batch whose range holds that
document's _id is already in the copy; a later one is not. So the follow phase
applies each event exactly when the copy does not reflect it: nothing doubled,
nothing missed, whatever writes raced the copy.
"""

from __future__ import annotations

from bisect import bisect_left

from bson.timestamp import Timestamp

from ..bsonorder import sort_key


class Coverage:
    def __init__(self, batches: list[tuple]):
        """`batches`: (hi, snapshot time) in backfill order, the last one with hi MaxKey."""
        self._keys = [sort_key(hi) for hi, _ in batches]
        self._times = [at for _, at in batches]

    @property
    def last_time(self) -> Timestamp | None:
        return self._times[-1] if self._times else None

    def reflects(self, doc_id, at: Timestamp) -> bool:
        """True when the copy of `doc_id` was read at or after cluster time `at`."""
        if not self._times or at > self._times[-1]:
            return False  # after every snapshot (snapshot times only grow)
        position = bisect_left(self._keys, sort_key(doc_id))
        return position < len(self._times) and at <= self._times[position]
