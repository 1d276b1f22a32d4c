"""Routed writes: the right month, whole-batch validation, index sets created once under concurrency."""

import multiprocessing
import threading
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from pymongo import monitoring

from shardsmith.errors import ShardsmithError
from shardsmith.rolling import RollingCollections
from shardsmith.topology.model import IndexSpec

INDEXES = (IndexSpec(keys=(("uuid", 1),), unique=True), IndexSpec(keys=(("timestamp", -1),)),
           IndexSpec(keys=(("costUsd", 1),), sparse=True, name="cost_sparse"),
           IndexSpec(keys=(("model", 1),), partial_filter=(("type", "assistant"),)))
EXPECTED_INDEXES = {"_id_", "uuid_1", "timestamp_-1", "cost_sparse", "model_1"}


class Recorder(monitoring.CommandListener):
    def __init__(self):
        self.commands, self.outcomes = [], []

    def started(self, event):
        self.commands.append((event.command_name, dict(event.command)))

    def succeeded(self, event):
        self.outcomes.append((event.command_name, event.request_id, True))

    def failed(self, event):
        self.outcomes.append((event.command_name, event.request_id, False))

    def named(self, name):
        return [command for command_name, command in self.commands if command_name == name]


@pytest.fixture
def recorded(replset, database):
    recorder = Recorder()
    client = replset.client(event_listeners=[recorder])
    yield client[database.name], recorder
    client.close()


def test_iso_strings_and_offsets_route_by_utc_month_and_store_dates(database):
    rolling = RollingCollections(database, "messages", indexes=INDEXES)
    summary = rolling.insert_many([
        {"uuid": "a", "timestamp": "2025-01-31T23:59:59.999Z"},
        {"uuid": "b", "timestamp": "2025-02-01T00:30:00+01:00"},  # 23:30 UTC on Jan 31
        {"uuid": "c", "timestamp": datetime(2025, 2, 1)},  # naive: UTC
        {"uuid": "d", "timestamp": datetime(2025, 2, 1, 1, tzinfo=timezone(timedelta(hours=2)))},  # Jan 31 23:00 UTC
    ])
    assert summary.inserted == {"messages_2025_01": 3, "messages_2025_02": 1} and summary.total == 4
    assert sorted(summary.created) == ["messages_2025_01", "messages_2025_02"]
    stored = {d["uuid"]: d["timestamp"] for d in database.messages_2025_01.find()}
    assert stored == {"a": datetime(2025, 1, 31, 23, 59, 59, 999000), "b": datetime(2025, 1, 31, 23, 30),
                      "d": datetime(2025, 1, 31, 23, 0)}
    assert set(database.messages_2025_02.index_information()) == EXPECTED_INDEXES


@pytest.mark.parametrize("batch, words", [
    ([{"uuid": "ok", "timestamp": "2025-01-01T00:00:00Z"}, {"uuid": "bad", "timestamp": "31/01/2025"}],
     ["#1", "'bad'", "31/01/2025"]),
    ([{"uuid": "ok", "timestamp": "2025-01-01T00:00:00Z"}, {"uuid": "none"}], ["#1", "'none'", "'timestamp'"]),
    ([{"uuid": "ok", "timestamp": "2025-01-01T00:00:00Z"}, {"uuid": "n", "timestamp": None}], ["#1", "missing"]),
    ([{"uuid": "ok", "timestamp": "2025-01-01T00:00:00Z"}, {"uuid": "n", "timestamp": 1735689600}], ["int"]),
    ([{"uuid": "ok", "timestamp": "2025-01-01T00:00:00Z"}, "a string"], ["#1", "str", "not a document"]),
    ([{"uuid": "ok", "timestamp": "2025-01-01T00:00:00Z"}, 42], ["#1", "int"]),
    ({"uuid": "ok", "timestamp": "2025-01-01T00:00:00Z"}, ["batch", "insert_one"]),
])
def test_bad_input_is_a_clear_error_and_nothing_is_written(recorded, batch, words):
    database, recorder = recorded
    rolling = RollingCollections(database, "messages", indexes=INDEXES)
    with pytest.raises(ShardsmithError) as raised:
        rolling.insert_many(batch)
    assert all(word in str(raised.value) for word in words), str(raised.value)
    assert "nothing was written" in str(raised.value) or "batch" in str(raised.value)
    assert recorder.commands == [] and database.list_collection_names() == []


def test_refused_documents_are_reported_and_the_rest_written(database):
    rolling = RollingCollections(database, "messages", indexes=INDEXES)
    rolling.insert_one({"uuid": "taken", "timestamp": "2025-03-03T00:00:00Z"})
    with pytest.raises(ShardsmithError) as raised:
        rolling.insert_many([{"uuid": "taken", "timestamp": "2025-03-04T00:00:00Z"},
                             {"uuid": "free", "timestamp": "2025-03-05T00:00:00Z"},
                             {"uuid": "april", "timestamp": "2025-04-05T00:00:00Z"}])
    assert "messages_2025_03: 1 not written" in str(raised.value) and "duplicate key" in str(raised.value)
    assert rolling.count() == 3


def test_reads_touch_only_existing_overlapping_months_found_by_one_listing(recorded):
    database, recorder = recorded
    rolling = RollingCollections(database, "messages")
    rolling.insert_many([{"timestamp": datetime(2024, month, 10)} for month in range(1, 13)])
    database.create_collection("messages_current")
    database.create_collection("other_2024_05")
    recorder.commands.clear()
    assert rolling.count(None, "2024-04-20T00:00:00Z", "2024-07-01T00:00:00Z") == 2  # May and June
    (listing,) = recorder.named("listCollections")
    assert "messages" in str(listing["filter"])
    touched = {stage["$unionWith"]["coll"] for stage in recorder.named("aggregate")[0]["pipeline"]
               if "$unionWith" in stage}
    assert touched == {"messages_2024_04", "messages_2024_05", "messages_2024_06"}
    recorder.commands.clear()
    assert rolling.find(None, "2030-01-01T00:00:00Z", "2030-02-01T00:00:00Z") == []
    assert [name for name, _ in recorder.commands] == ["listCollections"]


def test_concurrent_threads_create_each_month_and_index_set_once(recorded):
    database, recorder = recorded
    rolling = RollingCollections(database, "messages", indexes=INDEXES)
    months = [datetime(2025, m, 15) for m in (1, 2, 3, 4)]
    barrier = threading.Barrier(8)
    errors = []

    def writer(number):
        try:
            barrier.wait()
            rolling.insert_many([{"uuid": f"{number}-{i}", "timestamp": months[i % 4]} for i in range(40)])
        except Exception as exc:  # collected: the assertion below shows it
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    creates = Counter(command["create"] for command in recorder.named("create"))
    index_builds = Counter(command["createIndexes"] for command in recorder.named("createIndexes"))
    names = [f"messages_2025_{m:02d}" for m in (1, 2, 3, 4)]
    assert creates == Counter(names) and index_builds == Counter(names)
    for name in names:
        assert set(database[name].index_information()) == EXPECTED_INDEXES
        assert database[name].count_documents({}) == 80


def _write_from_another_process(uri, database_name, number, barrier):
    from pymongo import MongoClient
    client = MongoClient(uri)
    rolling = RollingCollections(client[database_name], "messages", indexes=INDEXES)
    barrier.wait()
    rolling.insert_many([{"uuid": f"p{number}-{i}", "timestamp": datetime(2025, 1 + i % 3, 2)} for i in range(30)])
    client.close()


def test_concurrent_processes_share_months_without_errors(replset, database):
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(3)
    workers = [context.Process(target=_write_from_another_process, args=(replset.uri(), database.name, n, barrier))
               for n in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0, 0, 0]
    names = sorted(database.list_collection_names())
    assert names == ["messages_2025_01", "messages_2025_02", "messages_2025_03"]
    for name in names:
        assert set(database[name].index_information()) == EXPECTED_INDEXES
    assert sum(database[name].count_documents({}) for name in names) == 90


def test_from_topology_uses_the_declared_index_set(database):
    from shardsmith.topology import parse_topology
    spec = parse_topology(f"""
name: t
replica_set: {{name: rs0, members: 1}}
databases:
  {database.name}:
    rolling:
      messages: {{period: monthly, indexes: standard, retention: 6}}
index_sets:
  standard:
    - {{keys: {{uuid: 1}}, unique: true}}
    - {{keys: {{timestamp: -1}}}}
""", "t.yaml")
    rolling = RollingCollections.from_topology(database, spec, "messages")
    rolling.insert_one({"uuid": "x", "timestamp": "2025-01-01T00:00:00Z"})
    assert set(database.messages_2025_01.index_information()) == {"_id_", "uuid_1", "timestamp_-1"}
    with pytest.raises(ShardsmithError, match="no rolling collections 'events'"):
        RollingCollections.from_topology(database, spec, "events")
