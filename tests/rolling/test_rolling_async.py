"""The async twin gives the same answers as the sync API, on pymongo's AsyncMongoClient."""

import asyncio

import pytest
from pymongo import AsyncMongoClient

from shardsmith.errors import ShardsmithError
from shardsmith.rolling import AsyncRollingCollections, RollingCollections
from shardsmith.topology.model import IndexSpec
from shardsmith.workload import generate_messages

INDEXES = (IndexSpec(keys=(("uuid", 1),), unique=True), IndexSpec(keys=(("timestamp", -1),)))
PIPELINE = [{"$group": {"_id": "$type", "n": {"$sum": 1}, "sessions": {"$addToSet": "$sessionId"}}},
            {"$project": {"n": 1, "sessions": {"$size": "$sessions"}}}, {"$sort": {"_id": 1}}]


def test_async_writes_and_reads_match_sync(replset, database):
    messages = list(generate_messages(1500, months=3, seed=4, start="2025-01-01T00:00:00Z"))
    for message in messages[::2]:
        message["timestamp"] = message["timestamp"].isoformat().replace("+00:00", "Z")  # strings route too

    async def run():
        client = AsyncMongoClient(replset.uri())
        try:
            rolling = AsyncRollingCollections(client[database.name], "messages", indexes=INDEXES)
            summary = await asyncio.gather(*(rolling.insert_many(messages[i:i + 300])
                                             for i in range(0, len(messages), 300)))
            with pytest.raises(ShardsmithError):
                await rolling.insert_many([{"uuid": "x", "timestamp": "soon"}])
            page = await rolling.find({"type": "user"}, "2025-01-20T00:00:00Z", None, sort=-1, skip=250, limit=40)
            rows = await (await rolling.aggregate(PIPELINE, None, "2025-03-01T00:00:00Z")).to_list()
            scanned = [d["_id"] async for d in rolling.scan(None, "2025-02-01T00:00:00Z", None)]
            return (sum(s.total for s in summary), await rolling.count(), page, rows, scanned,
                    await rolling.months())
        finally:
            await client.close()

    total, count, page, rows, scanned, months = asyncio.run(run())
    sync = RollingCollections(database, "messages", indexes=INDEXES)
    assert total == count == 1500 == sync.count()
    assert months == sync.months() == ["messages_2025_01", "messages_2025_02", "messages_2025_03"]
    assert page == sync.find({"type": "user"}, "2025-01-20T00:00:00Z", None, sort=-1, skip=250, limit=40)
    assert len(page) == 40
    assert rows == list(sync.aggregate(PIPELINE, None, "2025-03-01T00:00:00Z")) and rows
    assert scanned == [d["_id"] for d in sync.scan(None, "2025-02-01T00:00:00Z", None)] and scanned
    for name in months:
        assert set(database[name].index_information()) == {"_id_", "uuid_1", "timestamp_-1"}
