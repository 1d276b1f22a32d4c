"""Month collection names and UTC time: the pure core every rolling feature shares.

A RollingSpec prefix `messages` owns collections `messages_YYYY_MM`. Time
ranges are half-open, [start, end), so a month is exactly
[first instant, first instant of the next month) and no instant belongs to
two months.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from ..errors import ShardsmithError

UTC = timezone.utc


def to_utc(value) -> datetime:
    """An aware UTC datetime from an ISO string (Z or offset) or a datetime; naive means UTC.

    Anything else (missing, numbers, unparseable text) is the caller's
    mistake: a ShardsmithError naming the bad value.
    """
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text)
        except ValueError:
            parsed = None
        if parsed is not None:
            return to_utc(parsed)
        raise ShardsmithError(f"unparseable timestamp {value!r}",
                              hint="write an ISO 8601 time such as 2025-01-31T23:59:59Z or 2025-02-01T00:59:59+01:00")
    if value is None:
        raise ShardsmithError("missing timestamp", hint="every document needs a timestamp (ISO string or datetime)")
    raise ShardsmithError(f"timestamp {value!r} is a {type(value).__name__}, not a time",
                          hint="give an ISO 8601 string or a datetime")


def collection_name(prefix: str, year: int, month: int) -> str:
    """`messages`, 2025, 1 -> `messages_2025_01`."""
    return f"{prefix}_{year:04d}_{month:02d}"


def collection_for(prefix: str, when) -> str:
    """The month collection a document timestamped `when` belongs to."""
    moment = to_utc(when)
    return collection_name(prefix, moment.year, moment.month)


def name_pattern(prefix: str) -> str:
    """A regex matching exactly this prefix's month collections (for listCollections filters)."""
    return rf"^{re.escape(prefix)}_[0-9]{{4}}_(0[1-9]|1[0-2])$"


def parse_collection_name(prefix: str, name: str) -> tuple[int, int] | None:
    """(year, month) if `name` is one of this prefix's month collections, else None."""
    if not re.fullmatch(name_pattern(prefix).strip("^$"), name):
        return None
    year, month = name[len(prefix) + 1:].split("_")
    return int(year), int(month)


def next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """[start, end) of a month in UTC: end is the first instant of the next month."""
    if not 1 <= month <= 12:
        raise ShardsmithError(f"month {month} of {year} does not exist", hint="months are 1 to 12")
    return datetime(year, month, 1, tzinfo=UTC), datetime(*next_month(year, month), 1, tzinfo=UTC)


def months_overlapping(start, end) -> list[tuple[int, int]]:
    """Every (year, month) that shares an instant with [start, end), oldest first; [] if end <= start."""
    first, last = to_utc(start), to_utc(end)
    months: list[tuple[int, int]] = []
    year, month = first.year, first.month
    while last > first and datetime(year, month, 1, tzinfo=UTC) < last:
        months.append((year, month))
        year, month = next_month(year, month)
    return months
