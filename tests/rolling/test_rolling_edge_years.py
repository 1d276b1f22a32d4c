"""The ends of time: months 0001-01 and 9999-12 read like any other, and times that no month
name can hold (before 0001 or after 9999 in UTC) are refused before anything is written."""

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from pymongo import AsyncMongoClient

from shardsmith.errors import ShardsmithError
from shardsmith.rolling import AsyncRollingCollections, RollingCollections

MINUS_ONE = timezone(timedelta(hours=-1))


@pytest.fixture
def edges(database):
    """2025 months written through the API, plus month collections at both ends of time made by hand,
    and one named like a month that cannot exist (year 0000)."""
    rolling = RollingCollections(database, "messages")
    rolling.insert_many([{"_id": f"2025-{m:02d}", "timestamp": datetime(2025, m, 10)} for m in (1, 2, 3)])
    database.messages_9999_12.insert_one({"_id": "last", "timestamp": datetime(9999, 12, 15)})
    database.messages_0001_01.insert_one({"_id": "first", "timestamp": datetime(1, 1, 5)})
    database.messages_0000_05.insert_one({"_id": "not a month", "timestamp": datetime(1, 1, 1)})
    return rolling


def test_bounded_reads_of_2025_ignore_months_at_the_ends_of_time(edges):
    start, end = "2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"
    assert edges.months(start, end) == ["messages_2025_01", "messages_2025_02", "messages_2025_03"]
    assert edges.count(None, start, end) == 3
    assert [d["_id"] for d in edges.find(None, start, end, sort=-1)] == ["2025-03", "2025-02", "2025-01"]
    assert [d["_id"] for d in edges.scan(None, "2025-02-01T00:00:00Z", end)] == ["2025-02", "2025-03"]
    assert list(edges.aggregate([{"$count": "n"}], start, end)) == [{"n": 3}]


def test_unbounded_reads_include_the_first_and_last_months(edges):
    everything = ["first", "2025-01", "2025-02", "2025-03", "last"]
    assert edges.months() == ["messages_0001_01", "messages_2025_01", "messages_2025_02", "messages_2025_03",
                              "messages_9999_12"]
    assert edges.count() == 5
    assert [d["_id"] for d in edges.find(None, sort=1, limit=10)] == everything
    assert [d["_id"] for d in edges.find(None, sort=-1, skip=1, limit=2)] == ["2025-03", "2025-02"]
    assert [d["_id"] for d in edges.scan(None, sort=-1)] == everything[::-1]
    assert edges.count(None, "9999-12-01T00:00:00Z") == 1  # from the start of the last month, open-ended
    assert edges.count(None, None, "0001-02-01T00:00:00Z") == 1


def test_async_reads_survive_the_same_months(replset, edges, database):
    async def run():
        client = AsyncMongoClient(replset.uri())
        try:
            rolling = AsyncRollingCollections(client[database.name], "messages")
            return await rolling.count(), await rolling.count(None, "2025-01-01T00:00:00Z", "2025-02-01T00:00:00Z")
        finally:
            await client.close()

    assert asyncio.run(run()) == (5, 1)


def test_the_last_month_takes_writes_like_any_other(edges, database):
    summary = edges.insert_many([{"_id": "new last", "timestamp": "9999-12-31T23:59:59.999Z"}])
    assert summary.inserted == {"messages_9999_12": 1}
    assert edges.count(None, "9999-12-31T00:00:00Z") == 1


@pytest.mark.parametrize("timestamp, shown", [
    ("0001-01-01T00:30+01:00", "'0001-01-01T00:30+01:00'"),  # 0000-12-31T23:30 in UTC
    (datetime(9999, 12, 31, 23, 30, tzinfo=MINUS_ONE), "'9999-12-31T23:30:00-01:00'"),  # 10000-01-01 in UTC
])
def test_times_outside_the_years_a_month_name_holds_are_refused_at_insert_and_nothing_is_written(
        database, timestamp, shown):
    rolling = RollingCollections(database, "messages")
    batch = [{"uuid": "fine", "timestamp": "2025-01-01T00:00:00Z"}, {"uuid": "edge", "timestamp": timestamp}]
    with pytest.raises(ShardsmithError) as raised:
        rolling.insert_many(batch)
    message = str(raised.value)
    assert message.startswith(f"document #1 of the batch (uuid 'edge'): timestamp {shown} is outside the years "
                              "0001 to 9999 in UTC"), message
    assert "nothing was written" in message
    assert database.list_collection_names() == []


def test_a_read_range_outside_the_years_is_a_clear_error(edges):
    with pytest.raises(ShardsmithError, match="outside the years 0001 to 9999"):
        edges.find(None, "0001-01-01T00:30+01:00", "2025-01-01T00:00:00Z")
