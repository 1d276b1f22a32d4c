"""Durations and sizes as written in specs."""

from __future__ import annotations

import pytest

from shardsmith.units import parse_duration, parse_size


@pytest.mark.parametrize("text, seconds", [
    ("90s", 90), ("15m", 15 * 60), ("12h", 12 * 3600), ("7d", 7 * 86400), ("365d", 365 * 86400),
    ("2w", 14 * 86400), (" 7 d ", 7 * 86400), ("0s", 0), (3600, 3600), (0, 0),
])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["soon", "7 days", "1y", "1.5h", "-5s", "90", "7D", "", -5, 1.5, True, None, [7]])
def test_bad_durations_say_what_to_write(bad):
    with pytest.raises(ValueError) as raised:
        parse_duration(bad)
    assert f"{bad!r} is not a duration" in str(raised.value)
    assert "90s" in str(raised.value)


@pytest.mark.parametrize("text, size", [
    ("256MB", 256 * 1024**2), ("1GB", 1024**3), ("1.5GB", 1536 * 1024**2), ("512kb", 512 * 1024),
    ("256M", 256 * 1024**2), ("1g", 1024**3), ("2 TB", 2 * 1024**4), ("100B", 100), ("1024", 1024), (4096, 4096),
])
def test_sizes(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("bad", ["lots", "1 gigabyte", "MB", "-1GB", "1PB", "", -1, True, None, 2.5])
def test_bad_sizes_say_what_to_write(bad):
    with pytest.raises(ValueError) as raised:
        parse_size(bad)
    assert f"{bad!r} is not a size" in str(raised.value)
    assert "256MB" in str(raised.value)
