"""Month collection names and UTC time: the pure core every rolling feature shares.

A RollingSpec prefix `messages` owns collections `messages_YYYY_MM`. Time
ranges are half-open, [start, end), so a month is exactly
[first instant, first instant of the next month) and no instant belongs to
two months.

Names hold four-digit years, and Python's datetime holds years 1 to 9999, so
the months are 0001-01 to 9999-12; the last one has no end (its next month
does not exist). A time outside them (0001-01-01T00:30+01:00 is in year 0 in
UTC) is a ShardsmithError; a collection named like a month outside them
(messages_0000_05) is not one of the family.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from ..errors import ShardsmithError

UTC = timezone.utc
FIRST_YEAR, LAST_YEAR = 1, 9999
YEARS_HINT = "collection names hold the years 0001 to 9999 (in UTC)"


def to_utc(value) -> datetime:
    """An aware UTC datetime from an ISO string (Z or offset) or a datetime; naive means UTC.

    Anything else (missing, numbers, unparseable text, a time outside the
    years 0001-9999 in UTC) is the caller's mistake: a ShardsmithError naming
    the bad value.
    """
    if isinstance(value, datetime):
        return _in_utc(value, value)
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text)
        except ValueError:
            parsed = None
        if parsed is not None:
            return _in_utc(parsed, value)
        raise ShardsmithError(f"unparseable timestamp {value!r}",
                              hint="write an ISO 8601 time such as 2025-01-31T23:59:59Z or 2025-02-01T00:59:59+01:00")
    if value is None:
        raise ShardsmithError("missing timestamp", hint="every document needs a timestamp (ISO string or datetime)")
    raise ShardsmithError(f"timestamp {value!r} is a {type(value).__name__}, not a time",
                          hint="give an ISO 8601 string or a datetime")


def _in_utc(moment: datetime, given) -> datetime:
    """`moment` in UTC; one whose UTC time falls before year 1 or after 9999 is named as `given`."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        shown = given.isoformat() if isinstance(given, datetime) else given
        raise ShardsmithError(f"timestamp {shown!r} is outside the years 0001 to 9999 in UTC",
                              hint=YEARS_HINT) from None


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
    """(year, month) if `name` is one of this prefix's month collections, else None (year 0000 included)."""
    if not re.fullmatch(name_pattern(prefix).strip("^$"), name):
        return None
    year, month = (int(part) for part in name[len(prefix) + 1:].split("_"))
    return (year, month) if year >= FIRST_YEAR else None


def next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def month_bounds(year: int, month: int) -> tuple[datetime, datetime | None]:
    """[start, end) of a month in UTC: end is the first instant of the next month, None after 9999-12."""
    if not 1 <= month <= 12:
        raise ShardsmithError(f"month {month} of {year} does not exist", hint="months are 1 to 12")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ShardsmithError(f"month {year}-{month:02d} is outside the years 0001 to 9999", hint=YEARS_HINT)
    after = next_month(year, month)
    return datetime(year, month, 1, tzinfo=UTC), datetime(*after, 1, tzinfo=UTC) if after[0] <= LAST_YEAR else None


def months_overlapping(start, end) -> list[tuple[int, int]]:
    """Every (year, month) that shares an instant with [start, end), oldest first; [] if end <= start."""
    first, last = to_utc(start), to_utc(end)
    months: list[tuple[int, int]] = []
    year, month = first.year, first.month
    while last > first and year <= LAST_YEAR and datetime(year, month, 1, tzinfo=UTC) < last:
        months.append((year, month))
        year, month = next_month(year, month)
    return months
