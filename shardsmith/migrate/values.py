"""Document values as Python needs them: hashable stand-ins, and the time a document is placed by."""

from __future__ import annotations

from datetime import datetime

import bson

from ..errors import ShardsmithError
from .snapshot import describe


def value_key(value) -> bytes:
    """A hashable, exact stand-in for any BSON value (documents and arrays included)."""
    return bson.encode({"v": value})


def require_time(change, time_field: str) -> None:
    """A post-image must keep a BSON date in the time field: the target places documents by it."""
    if change.after is not None and not isinstance(change.after.get(time_field), datetime):
        raise ShardsmithError(f"the {change.kind} of _id {change.id!r} at {describe(change.at)} leaves the document "
                              f"without a date in {time_field!r} ({change.after.get(time_field)!r}); the target "
                              "cannot place it; this batch of changes was not applied (the migration stays at its "
                              "last checkpoint)",
                              hint=f"fix that document in the source (give it a date in {time_field!r}), then run "
                                   "the follow phase again")
