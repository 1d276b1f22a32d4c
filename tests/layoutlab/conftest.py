"""Generated chat messages (shardsmith.workload) in databases of our own on the shared real replica set."""

from __future__ import annotations

import re

import pytest

from shardsmith.workload import generate_messages

COUNT = 3000
TEN_YEARS = 10 * 365 * 86400
# The source's own indexes (the lab's default index set): one the time-series collection takes, two it refuses
# (text, unique), and a TTL index the copies must get without its TTL (10 years: nothing in the source expires).
SOURCE_INDEXES = [
    {"key": {"sessionId": 1, "timestamp": 1}, "name": "sessionId_1_timestamp_1"},
    {"key": {"timestamp": -1}, "name": "timestamp_-1"},
    {"key": {"content": "text"}, "name": "content_text"},
    {"key": {"uuid": 1}, "name": "uuid_1", "unique": True},
    {"key": {"timestamp": 1}, "name": "timestamp_ttl", "expireAfterSeconds": TEN_YEARS},
]


def load_messages(collection, count: int, seed: int = 11) -> None:
    """`count` generated messages over three months, in batches, with SOURCE_INDEXES."""
    collection.drop()
    batch = []
    for message in generate_messages(count, months=3, seed=seed):
        batch.append(message)
        if len(batch) == 5000:
            collection.insert_many(batch)
            batch = []
    if batch:
        collection.insert_many(batch)
    collection.database.command("createIndexes", collection.name, indexes=SOURCE_INDEXES)


@pytest.fixture(scope="module")
def client(replset):
    with replset.client() as client:
        yield client


@pytest.fixture(scope="module")
def messages(client):
    """layoutlab_source.messages: COUNT messages; the database is dropped afterwards."""
    load_messages(client["layoutlab_source"]["messages"], COUNT)
    yield client["layoutlab_source"]["messages"]
    client.drop_database("layoutlab_source")


@pytest.fixture
def lab_database(client, request):
    """A lab database of the test's own (so leftovers of other tests cannot blur its checks), dropped after."""
    name = "layoutlab_" + re.sub(r"\W", "_", request.node.name.replace("test_", ""))[:40]
    client.drop_database(name)
    yield name
    client.drop_database(name)
