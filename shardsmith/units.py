"""Durations ("90s", "7d") and sizes ("256MB", "1GB") as written in specs.

Both raise ValueError with a message fit for a spec problem; a bare
non-negative integer is already seconds or bytes.
"""

from __future__ import annotations

import re

_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)B?\s*$", re.IGNORECASE)
DURATION_HINT = "write e.g. 90s, 15m, 12h, 7d, 2w"
SIZE_HINT = "write e.g. 256MB or 1GB"


def _plain_count(value: object) -> int | None:
    """A non-negative int (not a bool) is taken as is."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def parse_duration(value: object) -> int:
    """Seconds in a duration such as "90s", "15m", "7d"."""
    count = _plain_count(value)
    if count is not None:
        return count
    match = _DURATION.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"{value!r} is not a duration; {DURATION_HINT}")
    return int(match.group(1)) * _DURATION_UNITS[match.group(2)]


def parse_size(value: object) -> int:
    """Bytes in a size such as "256MB", "1GB" (binary multiples, as mongod counts)."""
    count = _plain_count(value)
    if count is not None:
        return count
    match = _SIZE.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"{value!r} is not a size; {SIZE_HINT}")
    return int(float(match.group(1)) * _SIZE_UNITS[match.group(2).upper()])
