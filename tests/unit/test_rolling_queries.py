"""Pure pipeline building for rolling reads: validation and the shape of server-side work."""

from datetime import datetime, timezone

import pytest

from shardsmith.errors import ShardsmithError
from shardsmith.rolling.queries import aggregate_pipeline, check_page, match_filter, months_in_range, sort_keys, union

UTC = timezone.utc


def test_sort_always_ends_in_id_in_the_last_direction():
    assert sort_keys(-1, "timestamp") == {"timestamp": -1, "_id": -1}
    assert sort_keys([("costUsd", -1), ("timestamp", 1)], "timestamp") == {"costUsd": -1, "timestamp": 1, "_id": 1}
    assert sort_keys([("_id", -1)], "timestamp") == {"_id": -1}


@pytest.mark.parametrize("bad", [0, 2, True, "asc", [("a", 2)], [("a",)], [], None])
def test_bad_sorts_are_errors(bad):
    with pytest.raises(ShardsmithError):
        sort_keys(bad, "timestamp")


@pytest.mark.parametrize("skip, limit", [(-1, 10), (0, 0), (0, 10_001), ("5", 10), (0, True)])
def test_bad_pages_are_errors(skip, limit):
    with pytest.raises(ShardsmithError):
        check_page(skip, limit)


def test_filters_and_ranges_combine_half_open():
    assert match_filter(None, "ts", None, None) == {}
    assert match_filter({"a": 1}, "ts", "2025-01-01T00:00:00+01:00", None) == {
        "$and": [{"a": 1}, {"ts": {"$gte": datetime(2024, 12, 31, 23, tzinfo=UTC)}}]}
    with pytest.raises(ShardsmithError):
        match_filter([("a", 1)], "ts", None, None)


def test_months_in_range_keeps_own_overlapping_months_in_time_order():
    names = ["m_2025_03", "m_2024_12", "m_current", "x_2025_01", "m_2025_01", "m_2025_13"]
    assert months_in_range(names, "m", None, None) == ["m_2024_12", "m_2025_01", "m_2025_03"]
    assert months_in_range(names, "m", "2025-01-31T23:59:59Z", "2025-03-01T00:00:00Z") == ["m_2025_01"]


def test_leading_matches_run_inside_each_month():
    stages = aggregate_pipeline(["a", "b"], {"ts": {"$gte": 1}}, [{"$match": {"x": 1}}, {"$group": {"_id": 1}}])
    assert stages == union(["a", "b"], [{"$match": {"x": 1}}, {"$match": {"ts": {"$gte": 1}}}]) + [
        {"$group": {"_id": 1}}]
    assert stages[0] == {"$documents": []}


@pytest.mark.parametrize("bad", [{"$match": {}}, [{"$match": {}, "$limit": 1}], ["$match"], None])
def test_bad_pipelines_are_errors(bad):
    with pytest.raises(ShardsmithError, match="pipeline"):
        aggregate_pipeline([], {}, bad)


def test_only_monthly_families_and_named_prefixes():
    from shardsmith.rolling.core import RollingCore
    from shardsmith.topology.model import RollingSpec

    assert RollingCore(None, RollingSpec(prefix="messages")).prefix == "messages"
    with pytest.raises(ShardsmithError, match="period 'weekly'"):
        RollingCore(None, RollingSpec(prefix="messages", period="weekly"))
    with pytest.raises(ShardsmithError, match="non-empty"):
        RollingCore(None, "")
