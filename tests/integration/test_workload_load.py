"""`shardsmith data.load` (the real program) on the real replica set: deterministic messages, clean errors."""

import json

import pytest

from shardsmith.workload import generate_messages
from tests.cli_run import run as run_cli

SPEC = """
name: loadtest
replica_set: {{name: rs0, members: 1}}
databases:
  {database}:
    rolling:
      events: {{period: monthly, indexes: standard}}
index_sets:
  standard:
    - {{keys: {{uuid: 1}}, unique: true}}
    - {{keys: {{sessionId: 1, timestamp: 1}}}}
"""


@pytest.fixture
def database(replset):
    client = replset.client()
    client.drop_database("workload_load")
    yield client.workload_load
    client.drop_database("workload_load")
    client.close()


def test_load_through_the_spec_rolling_family(replset, database, spec_file, capsys):
    spec = spec_file(SPEC.format(database=database.name))
    code, out, err = run_cli(capsys, "data.load", str(spec), "--uri", replset.uri(), "--messages", "2500",
                         "--months", "3", "--seed", "9", "--start", "2025-01-15T00:00:00Z", "--batch", "700",
                         "--json")
    assert code == 0, err
    summary = json.loads(out)
    expected = list(generate_messages(2500, 3, 9, "2025-01-15T00:00:00Z"))
    assert summary["messages"] == 2500 and summary["docs_per_second"] > 0
    assert summary["collections"] == {name: sum(1 for m in expected if f"{m['timestamp']:%Y_%m}" == name[7:])
                                      for name in ("events_2025_01", "events_2025_02", "events_2025_03")}
    stored = {d["uuid"] for name in summary["collections"] for d in database[name].find({}, {"uuid": 1})}
    assert stored == {m["uuid"] for m in expected}
    assert set(database.events_2025_02.index_information()) == {"_id_", "uuid_1", "sessionId_1_timestamp_1"}


def test_load_into_one_collection_with_progress_and_rate(replset, database, capsys):
    code, out, err = run_cli(capsys, "data.load", "--uri", replset.uri(), "--database", database.name,
                         "--collection", "all_messages", "--messages", "1200", "--months", "2", "--seed", "3")
    assert code == 0, err
    assert "1,200 messages" in out and "docs/s" in out
    assert database.list_collection_names() == ["all_messages"]
    assert database.all_messages.count_documents({}) == 1200


@pytest.mark.parametrize("argv, words", [
    (["--messages", "many"], "--messages 'many' is not a whole number"),
    (["--messages", "10", "--months", "0"], "months 0 must be a whole number >= 1"),
    (["--messages", "10", "--start", "next tuesday"], "unparseable timestamp 'next tuesday'"),
    (["--months", "2"], "give --messages N"),
])
def test_bad_flags_are_clear_errors_and_nothing_is_written(replset, database, capsys, argv, words):
    code, out, err = run_cli(capsys, "data.load", "--uri", replset.uri(), "--database", database.name, *argv)
    assert code == 2 and words in " ".join(err.split()), err
    assert database.list_collection_names() == []


def test_the_library_reports_progress_after_every_batch(replset, database):
    from shardsmith.rolling import RollingCollections
    from shardsmith.workload.load import RollingSink, load_messages

    seen = []
    result = load_messages(RollingSink(RollingCollections(database, "events")), 2300, months=2, batch_size=500,
                           on_batch=seen.append)
    assert seen == [500, 500, 500, 500, 300]  # one call per written batch, with what it wrote: a bar can show docs/s
    assert result.messages == 2300 == sum(result.collections.values())
