"""Month naming and UTC parsing: the pure core of rolling collections."""

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shardsmith.errors import ShardsmithError
from shardsmith.rolling.naming import collection_for, month_bounds, months_overlapping, parse_collection_name, to_utc

UTC = timezone.utc
instants = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2199, 12, 31), timezones=st.just(UTC))


@pytest.mark.parametrize("text, expected", [
    ("2025-01-31T23:59:59Z", datetime(2025, 1, 31, 23, 59, 59, tzinfo=UTC)),
    ("2025-02-01T00:30:00+01:00", datetime(2025, 1, 31, 23, 30, tzinfo=UTC)),
    ("2024-12-31T20:00:00-05:00", datetime(2025, 1, 1, 1, 0, tzinfo=UTC)),
    ("2025-03-04T05:06:07.123456", datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)),
])
def test_iso_strings_with_z_offsets_or_none_become_utc(text, expected):
    assert to_utc(text) == expected and to_utc(text).tzinfo == UTC


def test_naive_datetimes_are_utc_and_aware_ones_are_converted():
    assert to_utc(datetime(2025, 1, 1, 12)) == datetime(2025, 1, 1, 12, tzinfo=UTC)
    plus_two = timezone(timedelta(hours=2))
    assert to_utc(datetime(2025, 1, 1, 1, tzinfo=plus_two)) == datetime(2024, 12, 31, 23, tzinfo=UTC)


@pytest.mark.parametrize("bad", ["yesterday", "2025-13-01T00:00:00Z", "", None, 1735689600, 3.5, ["2025-01-01"]])
def test_bad_timestamps_name_the_value(bad):
    with pytest.raises(ShardsmithError) as raised:
        to_utc(bad)
    assert (repr(bad) in str(raised.value)) or (bad is None and "missing" in str(raised.value))


def test_offsets_route_by_utc_month():
    assert collection_for("messages", "2025-02-01T00:30:00+01:00") == "messages_2025_01"
    assert collection_for("messages", datetime(2025, 2, 1)) == "messages_2025_02"
    assert collection_for("msg_log", "0999-12-31T00:00:00Z") == "msg_log_0999_12"


@given(instants, st.sampled_from(["messages", "a.b", "x_2025"]))
@settings(max_examples=60)
def test_names_round_trip_and_lie_within_their_bounds(moment, prefix):
    name = collection_for(prefix, moment)
    year, month = parse_collection_name(prefix, name)
    start, end = month_bounds(year, month)
    assert start <= moment < end


@pytest.mark.parametrize("name", ["messages_2025_13", "messages_2025_00", "messages_2025_1", "messages_2025_01x",
                                  "other_2025_01", "messages_current", "messagesX2025_01", "messages_25_01"])
def test_foreign_names_are_not_months(name):
    assert parse_collection_name("messages", name) is None


def test_prefix_is_literal_not_a_pattern():
    assert parse_collection_name("a.b", "aXb_2025_01") is None
    assert parse_collection_name("a.b", "a.b_2025_01") == (2025, 1)


def test_month_bounds_cross_the_year_and_reject_month_13():
    assert month_bounds(2024, 12) == (datetime(2024, 12, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC))
    with pytest.raises(ShardsmithError):
        month_bounds(2024, 13)


def test_months_overlapping_is_half_open():
    assert months_overlapping("2024-11-15T00:00:00Z", "2025-02-01T00:00:00Z") == [(2024, 11), (2024, 12), (2025, 1)]
    assert months_overlapping("2025-01-01T00:00:00Z", "2025-01-01T00:00:00.000001Z") == [(2025, 1)]
    assert months_overlapping("2025-02-01T00:00:00Z", "2025-01-01T00:00:00Z") == []


@given(instants, instants)
@settings(max_examples=60)
def test_months_overlapping_matches_a_walk_over_the_months(a, b):
    start, end = min(a, b), max(a, b)
    months = months_overlapping(start, end)
    for year, month in months:
        low, high = month_bounds(year, month)
        assert low < end and start < high
    if end > start:
        assert months[0] == (start.year, start.month)
        last = end - timedelta(microseconds=1)
        assert months[-1] == (last.year, last.month)
        assert len(months) == (last.year - start.year) * 12 + last.month - start.month + 1
    else:
        assert months == []


def test_the_last_month_has_no_end_and_years_outside_0001_9999_are_not_months():
    assert month_bounds(9999, 12) == (datetime(9999, 12, 1, tzinfo=UTC), None)
    assert month_bounds(1, 1)[0] == datetime(1, 1, 1, tzinfo=UTC)
    for year in (0, 10000):
        with pytest.raises(ShardsmithError, match="outside the years 0001 to 9999"):
            month_bounds(year, 1)
    assert parse_collection_name("messages", "messages_0000_05") is None
    assert parse_collection_name("messages", "messages_9999_12") == (9999, 12)
    assert months_overlapping("9999-11-30T00:00:00Z", datetime.max) == [(9999, 11), (9999, 12)]


@pytest.mark.parametrize("value", ["0001-01-01T00:30+01:00", "9999-12-31T23:30:00-01:00",
                                   datetime(1, 1, 1, tzinfo=timezone(timedelta(minutes=1)))])
def test_times_outside_the_years_in_utc_are_errors_naming_the_value(value):
    with pytest.raises(ShardsmithError) as raised:
        to_utc(value)
    shown = value.isoformat() if isinstance(value, datetime) else value
    assert f"timestamp {shown!r} is outside the years 0001 to 9999 in UTC" in str(raised.value)
