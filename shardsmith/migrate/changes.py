"""The source's change stream: opened at a recorded token, read in batches, every event with its images.

Events carry the document as it was before (pre-image) and after (post-image)
the change, so an event can be applied exactly as of its own time, whatever
came later: that needs MongoDB 6.0's changeStreamPreAndPostImages on the source
collection (the start phase turns it on). A token that fell off the oplog is
reported with its fix, never skipped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from bson.timestamp import Timestamp
from pymongo.change_stream import ChangeStream
from pymongo.collection import Collection
from pymongo.errors import OperationFailure

from ..errors import ShardsmithError
from ..servercodes import ServerCode
from .snapshot import describe, token_time

# The resume point left the oplog, or the open cursor's position was overwritten.
HISTORY_LOST = {ServerCode.ChangeStreamHistoryLost, ServerCode.CappedPositionLost}
DOCUMENT_EVENTS = ("insert", "update", "replace", "delete")
AWAIT_MS = 300
# A steady writer never leaves the stream quiet for AWAIT_MS, so a batch also ends after this long:
# the follow applies and checkpoints at least this often, and its lag is measured.
BATCH_SECONDS = 0.5


@dataclass(frozen=True)
class Change:
    kind: str  # insert | update | replace | delete, or what ended the stream: rename | drop | dropDatabase | invalidate
    id: object  # the document's _id (None for the stream's end)
    at: Timestamp  # clusterTime
    wall: datetime | None
    token: dict
    before: dict | None = None
    after: dict | None = None

    @property
    def is_document(self) -> bool:
        return self.kind in DOCUMENT_EVENTS


def change_of(event: dict) -> Change:
    kind = event["operationType"]
    change = Change(kind, (event.get("documentKey") or {}).get("_id"), event["clusterTime"], event.get("wallTime"),
                    event["_id"], event.get("fullDocumentBeforeChange"), event.get("fullDocument"))
    if change.is_document:
        missing = [what for what, needed, value in (("pre-image", kind != "insert", change.before),
                                                    ("post-image", kind != "delete", change.after))
                   if needed and value is None]
        if missing:
            raise ShardsmithError(f"the {kind} of _id {change.id!r} at {describe(change.at)} came without its "
                                  f"{' and '.join(missing)}",
                                  hint="changeStreamPreAndPostImages was turned off on the source, or its images "
                                       "expired; turn it on again (collMod) and start over with --restart")
    return change


def history_lost(exc: OperationFailure, token: dict) -> ShardsmithError:
    return ShardsmithError(
        f"the change stream cannot resume at {describe(token_time(token))}: that point is no longer in the oplog "
        f"({ServerCode(exc.code or 0).name}, code {exc.code}); writes made to the source since then cannot be replayed",
        hint="every document may have changed since then, so the affected range is the whole collection: start over "
             "with --restart (drops this migration's target and copies again), and make the oplog hold the "
             "copy's duration plus the time between runs (replSetResizeOplog, or follow continuously)")


def _watch(source: Collection, **options) -> ChangeStream:
    """The source's changes, followed by name through a database-level stream: unlike a collection's own
    stream it goes on past a rename (the cut-over needs the events up to it while a view holds the name)."""
    return source.database.watch([{"$match": {"ns.coll": source.name}}], **options)


def open_changes(source: Collection, token: dict) -> ChangeStream:
    try:
        return _watch(source, resume_after=token, full_document="whenAvailable",
                      full_document_before_change="whenAvailable", max_await_time_ms=AWAIT_MS)
    except OperationFailure as exc:
        if exc.code in HISTORY_LOST:
            raise history_lost(exc, token) from None
        raise


def current_token(source: Collection) -> dict:
    """A token for 'now' on the source's stream: where a follow starting later begins."""
    with _watch(source, max_await_time_ms=1) as stream:
        stream.try_next()
        return dict(stream.resume_token or {})


@dataclass
class Batch:
    changes: list  # document changes, in stream order
    token: dict  # where to resume after applying them
    drained: bool  # the stream had nothing more (everything committed so far was read)
    ended: Change | None = None  # a rename, drop or invalidate, not applied
    passed: bool = False  # reading stopped at the first event after `until`


def read_batch(stream: ChangeStream, token: dict, *, limit: int = 1000, until: Timestamp | None = None,
               seconds: float = BATCH_SECONDS) -> Batch:
    """Up to `limit` changes read within about `seconds` (only those at or before `until`, when given) and
    the token after them."""
    changes: list[Change] = []
    ends = time.monotonic() + seconds
    while len(changes) < limit and not (changes and time.monotonic() > ends):
        try:
            event = stream.try_next()
        except OperationFailure as exc:
            if exc.code in HISTORY_LOST:
                raise history_lost(exc, token) from None
            raise
        if event is None:
            high = dict(stream.resume_token or token)
            if until is not None and token_time(high) < until:
                continue  # the stream has not yet scanned up to `until`
            return Batch(changes, high, True)
        change = change_of(event)
        if until is not None and change.at > until:
            return Batch(changes, token, False, passed=True)
        if not change.is_document:
            return Batch(changes, token, False, ended=change)
        changes.append(change)
        token = change.token
    return Batch(changes, token, False)
