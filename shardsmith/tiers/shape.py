"""The warm (time-series) shape of a message and back: a lossless, pure mapping.

Flat (hot and cold):  {_id, uuid, sessionId, user_id, gitBranch, timestamp, ...}
Warm (time-series):   {_id, uuid, <timeField>: timestamp, <metaField>: {sessionId, user_id, gitBranch, _tierDay}, ...}

The series fields (constant within a session, so one series per session) move
into the metaField. `_tierDay` (the UTC day, "YYYY-MM-DD") is the tiering's own
marker: MongoDB 6.0 deletes from a time-series collection only by metaField, so
the warm -> cold move works a whole day at a time, selected and deleted by it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ShardsmithError
from ..rolling.naming import to_utc

SERIES_FIELDS = ("sessionId", "user_id", "gitBranch")
DAY = "_tierDay"


def day_of(moment) -> str:
    return to_utc(moment).strftime("%Y-%m-%d")


@dataclass(frozen=True)
class WarmShape:
    time_field: str  # the time-series collection's timeField
    meta_field: str  # its metaField
    flat_time: str = "timestamp"  # the hot and cold documents' time field
    series_fields: tuple = SERIES_FIELDS

    def to_warm(self, document: dict) -> dict:
        """A hot document in the time-series shape (the input is not changed)."""
        if self.meta_field in document:
            raise ShardsmithError(f"document {document.get('_id')!r} already has a field {self.meta_field!r}, "
                                  "the warm collection's metaField",
                                  hint="rename that field, or use a metaField name the documents do not use")
        warm = {k: v for k, v in document.items() if k not in self.series_fields and k != self.flat_time}
        meta = {k: document[k] for k in self.series_fields if k in document}
        meta[DAY] = day_of(document[self.flat_time])
        warm[self.time_field] = document[self.flat_time]
        warm[self.meta_field] = meta
        return warm

    def to_flat(self, document: dict) -> dict:
        """The inverse of to_warm: the original fields, marker gone."""
        flat = {k: v for k, v in document.items() if k not in (self.meta_field, self.time_field)}
        meta = dict(document.get(self.meta_field) or {})
        meta.pop(DAY, None)
        flat.update(meta)
        flat[self.flat_time] = document[self.time_field]
        return flat

    @property
    def day_path(self) -> str:
        return f"{self.meta_field}.{DAY}"
