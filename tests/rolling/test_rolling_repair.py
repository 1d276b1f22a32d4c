"""A month dropped under a writer (rotate, cleanup, a user) always gets its index set back, sync and async.

The drops happen from a command listener at an exact point of a batch (after
its listing, after a new month's createIndexes), so each race is reproduced
deterministically; the month's index list shows the race happened before the
next batch is asked to repair it.
"""

import asyncio
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
from pymongo import AsyncMongoClient, monitoring

from shardsmith.rolling import AsyncRollingCollections, RollingCollections
from shardsmith.topology.model import IndexSpec

INDEXES = (IndexSpec(keys=(("uuid", 1),), unique=True), IndexSpec(keys=(("timestamp", -1),)))
EXPECTED_INDEXES = {"_id_", "uuid_1", "timestamp_-1"}
MAY = "messages_2025_05"
HANDSHAKE = {"saslStart", "saslContinue", "hello", "isMaster", "endSessions"}  # the driver's own, per connection


class Saboteur(monitoring.CommandListener):
    """Records the commands of the writer's client; once armed, drops a month (through another client)
    right after the next command matching `when` succeeds, before the writer sends anything else."""

    def __init__(self, dropper):
        self.dropper = dropper
        self.commands = []
        self.armed = None
        self._trigger = None

    def arm(self, month, when):
        self.armed = (month, when)

    def started(self, event):
        if event.command_name in HANDSHAKE:
            return
        self.commands.append((event.command_name, dict(event.command)))
        if self.armed and self.armed[1](event.command_name, event.command):
            self._trigger = event.request_id

    def succeeded(self, event):
        if self._trigger is not None and event.request_id == self._trigger:
            self.dropper.drop_collection(self.armed[0])
            self.armed, self._trigger = None, None

    def failed(self, event):
        pass

    def names(self):
        return [name for name, _ in self.commands]

    def named(self, name):
        return [command for command_name, command in self.commands if command_name == name]


def batch_listing(name, command):
    """The listing a batch starts with (the set-up's own listing filters one name, not $in)."""
    return name == "listCollections" and "$in" in str(command.get("filter"))


class SyncWriter:
    def __init__(self, replset, database_name, listener):
        self.client = replset.client(event_listeners=[listener])
        self.rolling = RollingCollections(self.client[database_name], "messages", indexes=INDEXES)

    def insert(self, batch):
        return self.rolling.insert_many(batch)

    def insert_concurrently(self, batches):
        with ThreadPoolExecutor(len(batches)) as pool:
            return list(pool.map(self.insert, batches))

    def close(self):
        self.client.close()


class AsyncWriter:
    """The same calls on AsyncRollingCollections, each run to completion on one kept event loop."""

    def __init__(self, replset, database_name, listener):
        self.runner = asyncio.Runner()
        self.client = self.runner.run(self._connect(replset.uri(), listener))
        self.rolling = AsyncRollingCollections(self.client[database_name], "messages", indexes=INDEXES)

    @staticmethod
    async def _connect(uri, listener):
        return AsyncMongoClient(uri, event_listeners=[listener])

    def insert(self, batch):
        return self.runner.run(self.rolling.insert_many(batch))

    def insert_concurrently(self, batches):
        async def together():
            return await asyncio.gather(*(self.rolling.insert_many(batch) for batch in batches))
        return self.runner.run(together())

    def close(self):
        try:
            self.runner.run(self.client.close())
        finally:
            self.runner.close()


@pytest.fixture(params=[SyncWriter, AsyncWriter], ids=["sync", "async"])
def writer(request, replset, database):
    """(writer, saboteur): a rolling writer on its own recorded client, and the listener that drops months."""
    saboteur = Saboteur(database)
    writer = request.param(replset, database.name, saboteur)
    yield writer, saboteur
    writer.close()


def message(uuid, day=5, month=5):
    return {"uuid": uuid, "timestamp": datetime(2025, month, day)}


def test_a_new_month_costs_one_create_one_listing_and_one_index_build_then_only_inserts(writer, database):
    writer, saboteur = writer
    assert writer.insert([message("1")]).created == [MAY]
    assert saboteur.names() == ["listCollections", "create", "listCollections", "createIndexes", "insert"]
    saboteur.commands.clear()
    assert writer.insert([message("2"), message("3", day=6)]).created == []
    assert saboteur.names() == ["listCollections", "insert"]
    assert set(database[MAY].index_information()) == EXPECTED_INDEXES


def test_a_month_dropped_between_batches_is_recreated_with_its_index_set(writer, database):
    writer, _ = writer
    writer.insert([message("1")])
    database.drop_collection(MAY)  # e.g. rotated away by another process
    assert writer.insert([message("2")]).created == [MAY]
    assert set(database[MAY].index_information()) == EXPECTED_INDEXES
    assert [d["uuid"] for d in database[MAY].find()] == ["2"]


def test_a_drop_between_the_listing_and_the_insert_is_repaired_by_the_next_batch(writer, database):
    writer, saboteur = writer
    writer.insert([message("1")])
    saboteur.arm(MAY, batch_listing)
    writer.insert([message("2")])  # listed as set up, dropped, then re-created by the insert
    assert set(database[MAY].index_information()) == {"_id_"}, "the race was not reproduced"
    saboteur.commands.clear()
    assert writer.insert([message("3")]).created == []
    assert set(database[MAY].index_information()) == EXPECTED_INDEXES
    assert saboteur.names() == ["listCollections", "createIndexes", "insert"]
    saboteur.commands.clear()
    writer.insert([message("4")])
    assert saboteur.names() == ["listCollections", "insert"]  # set up again: back to the cheap path
    assert sorted(d["uuid"] for d in database[MAY].find()) == ["2", "3", "4"]


def test_a_drop_right_after_a_new_months_set_up_is_repaired_by_the_next_batch(writer, database):
    writer, saboteur = writer
    saboteur.arm(MAY, lambda name, command: name == "createIndexes" and command["createIndexes"] == MAY)
    writer.insert([message("1")])  # created, indexed, dropped, then re-created by the insert
    assert set(database[MAY].index_information()) == {"_id_"}, "the race was not reproduced"
    writer.insert([message("2")])
    assert set(database[MAY].index_information()) == EXPECTED_INDEXES
    assert sorted(d["uuid"] for d in database[MAY].find()) == ["1", "2"]


def test_the_repair_only_touches_the_month_that_changed(writer, database):
    writer, saboteur = writer
    both = [message("a1", month=4), message("m1")]
    writer.insert(both)
    saboteur.arm(MAY, batch_listing)
    writer.insert([message("a2", month=4), message("m2")])
    saboteur.commands.clear()
    writer.insert([message("a3", month=4), message("m3")])
    assert [command["createIndexes"] for command in saboteur.named("createIndexes")] == [MAY]
    for name in ("messages_2025_04", MAY):
        assert set(database[name].index_information()) == EXPECTED_INDEXES


def test_concurrent_batches_set_each_month_up_once(writer, database):
    writer, saboteur = writer
    months = (1, 2, 3)
    writer.insert_concurrently([[message(f"{n}-{i}", month=months[i % 3]) for i in range(12)] for n in range(8)])
    names = [f"messages_2025_{m:02d}" for m in months]
    assert Counter(command["create"] for command in saboteur.named("create")) == Counter(names)
    assert Counter(command["createIndexes"] for command in saboteur.named("createIndexes")) == Counter(names)
    for name in names:
        assert set(database[name].index_information()) == EXPECTED_INDEXES
        assert database[name].count_documents({}) == 32
