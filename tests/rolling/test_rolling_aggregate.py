"""Cross-month aggregation and counts equal the same pipeline over one collection holding all the data."""

from datetime import datetime

import pytest

from shardsmith.rolling import RollingCollections
from shardsmith.rolling.queries import match_filter, range_filter
from shardsmith.topology.model import IndexSpec
from shardsmith.workload import generate_messages

INDEXES = (IndexSpec(keys=(("uuid", 1),), unique=True), IndexSpec(keys=(("timestamp", -1),)),
           IndexSpec(keys=(("sessionId", 1), ("timestamp", 1))))
RANGES = [(None, None), ("2024-12-10T00:00:00Z", "2025-02-20T12:00:00+02:00"), (datetime(2025, 1, 1), None),
          (None, "2024-12-01T00:00:00Z"), ("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z")]
PIPELINES = {
    "cost per session, top 7": [
        {"$group": {"_id": "$sessionId", "cost": {"$sum": "$costUsd"}, "messages": {"$sum": 1},
                    "models": {"$addToSet": "$model"}}},
        {"$sort": {"cost": -1, "_id": 1}}, {"$limit": 7}],
    "per type and month": [
        {"$match": {"type": {"$in": ["user", "assistant"]}}},
        {"$group": {"_id": {"type": "$type", "month": {"$month": "$timestamp"}},
                    "users": {"$addToSet": "$user_id"}, "n": {"$sum": 1}}},
        {"$sort": {"_id.type": 1, "_id.month": 1}}],
    "totals": [{"$group": {"_id": None, "cost": {"$sum": "$costUsd"}, "sessions": {"$addToSet": "$sessionId"}}}],
    "count": [{"$match": {"model": {"$exists": True}}}, {"$count": "assistant"}],
    "branches after limit": [{"$sort": {"timestamp": 1, "_id": 1}}, {"$limit": 300},
                             {"$group": {"_id": "$gitBranch", "n": {"$sum": 1}}}, {"$sort": {"n": -1, "_id": 1}}],
}


@pytest.fixture(scope="module")
def loaded(client):
    """The same 4,000 generated messages in monthly collections and in one collection."""
    name = "rolling_aggregate_equivalence"
    client.drop_database(name)
    database = client[name]
    messages = list(generate_messages(4000, months=4, seed=21, start="2024-11-01T00:00:00Z"))
    database.single.insert_many([dict(m) for m in messages])
    rolling = RollingCollections(database, "messages", indexes=INDEXES)
    rolling.insert_many([dict(m) for m in messages])
    yield rolling, database.single
    client.drop_database(name)


def canonical(value):
    """Results with $addToSet arrays as sorted lists and float sums rounded (order of addition differs)."""
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((canonical(v) for v in value), key=repr)
    if isinstance(value, float):
        return round(value, 6)
    return value


def in_order(rows):
    """Top-level rows keep their order; only arrays inside them are canonicalised."""
    return [canonical(row) for row in rows]


@pytest.mark.parametrize("start, end", RANGES)
@pytest.mark.parametrize("label", list(PIPELINES))
def test_aggregate_equals_single_collection(loaded, label, start, end):
    rolling, single = loaded
    pipeline = PIPELINES[label]
    bounded = [{"$match": range_filter("timestamp", start, end)}] if (start or end) else []
    expected = in_order(single.aggregate(bounded + pipeline))
    assert in_order(rolling.aggregate(pipeline, start, end)) == expected
    if start is None and end is None:
        assert expected, "the unbounded range must produce rows, or the comparison proves nothing"


@pytest.mark.parametrize("start, end", RANGES)
def test_count_equals_single_collection(loaded, start, end):
    rolling, single = loaded
    for query in (None, {"type": "assistant"}, {"costUsd": {"$gt": 0.02}}):
        assert rolling.count(query, start, end) == single.count_documents(match_filter(query, "timestamp", start, end))


def test_the_months_hold_the_data_split(loaded):
    rolling, single = loaded
    assert rolling.months() == ["messages_2024_11", "messages_2024_12", "messages_2025_01", "messages_2025_02"]
    database = single.database
    assert sum(database[name].estimated_document_count() for name in rolling.months()) == single.count_documents({})


def test_text_search_runs_in_every_month(database):
    rolling = RollingCollections(database, "messages", indexes=(IndexSpec(keys=(("content", "text"),)),))
    rolling.insert_many([{"timestamp": datetime(2025, m, 3), "content": word} for m, word in
                         [(1, "shard key"), (2, "balancer window"), (3, "hashed shard"), (3, "zones")]])
    rows = list(rolling.aggregate([{"$match": {"$text": {"$search": "shard"}}}, {"$count": "n"}],
                                  "2025-01-01T00:00:00Z", None))
    assert rows == [{"n": 2}]
