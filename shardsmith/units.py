"""Durations ("90s", "7d") and sizes ("256MB", "1GB") as written in specs."""

from __future__ import annotations

import re

_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE_UNITS = {"": 1, "B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?B?)\s*$", re.IGNORECASE)


def parse_duration(value: object) -> int:
    """Seconds in a duration; a bare integer already is seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration like 90s, 15m, 7d")
    if isinstance(value, int) and value >= 0:
        return value
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a duration; write e.g. 90s, 15m, 12h, 7d, 2w")
    return int(match.group(1)) * _DURATION_UNITS[match.group(2)]


def parse_size(value: object) -> int:
    """Bytes in a size; a bare integer already is bytes."""
    if isinstance(value, bool):
        raise ValueError("expected a size like 256MB or 1GB")
    if isinstance(value, int) and value >= 0:
        return value
    match = _SIZE.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a size; write e.g. 256MB or 1GB")
    return int(float(match.group(1)) * _SIZE_UNITS[match.group(2).upper()])
