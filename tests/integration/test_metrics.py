"""Storage stats, index usage and compaction on a real mongod, through the library and the tasks."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone

import bson
import pytest
from rich.console import Console

from shardsmith.errors import ShardsmithError
from shardsmith.metrics import compact, database_storage, index_costs, index_usage, totals
from shardsmith.metrics.chart import storage_chart
from shardsmith.metrics.report import index_cost_table, index_cost_warnings, usage_table
from shardsmith.workload import generate_messages
from tests.cli_run import run_data as run
from tests.crash.months import fresh_database

SPEC = "name: metrics\nreplica_set: {{name: rs0, members: 1}}\ndatabases:\n  {db}:\n    collections: {{}}\n"


@pytest.fixture
def db(replset, request):
    yield from fresh_database(replset, request, "metrics")


@pytest.fixture
def spec(db, tmp_path):
    path = tmp_path / "metrics.yaml"
    path.write_text(SPEC.format(db=db.name))
    return path


def fill(db):
    """A regular collection and a time-series one; the regular documents (for their BSON sizes)."""
    documents = [{"_id": i, "kind": "k%d" % (i % 7), "pad": "x" * (50 + i % 200)} for i in range(3000)]
    db.plain.insert_many(documents)
    db.plain.create_index("kind")
    db.create_collection("series", timeseries={"timeField": "t", "metaField": "m", "granularity": "minutes"})
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    db.series.insert_many([{"t": start + timedelta(seconds=30 * i), "m": {"s": i % 4}, "v": i} for i in range(2000)])
    return documents


def test_stats_report_documents_sizes_and_totals(db):
    documents = fill(db)
    rows = {r.collection: r for r in database_storage(db)}
    plain, series = rows["plain"], rows["series"]
    assert plain.documents == len(documents)
    assert plain.data_size == sum(len(bson.encode(d)) for d in documents)
    assert plain.indexes == 2 and plain.index_size > 0 and plain.storage_size > 0
    assert series.kind == "timeseries" and 0 < series.documents < 2000  # buckets, not measurements
    total = totals(list(rows.values()))
    assert total["documents"] == plain.documents + series.documents
    assert total["data_size"] == plain.data_size + series.data_size


def test_index_usage_counts_operations_and_flags_unused_indexes(db):
    db.used.insert_many([{"a": i, "b": i, "c": i} for i in range(50)])
    for keys in ("a", "b", "c"):
        db.used.create_index(keys)
    for i in range(5):
        list(db.used.find({"a": i}).hint("a_1"))
    list(db.used.find({"b": 1}).hint("b_1"))
    rows = {r.index: r for r in index_usage(db, rarely=3)}
    assert (rows["a_1"].ops, rows["a_1"].flag) == (5, "")
    assert (rows["b_1"].ops, rows["b_1"].flag) == (1, "rarely used")
    assert (rows["c_1"].ops, rows["c_1"].flag) == (0, "never used")
    assert rows["_id_"].flag == "required" and rows["a_1"].since is not None
    with pytest.raises(ShardsmithError, match="threshold"):
        index_usage(db, rarely=0)


def test_compact_runs_with_force_on_the_primary_and_reports_bytes(db, replset):
    fill(db)
    for start in range(0, 20000, 2000):  # ~12 MB on disk that barely compresses
        db.big.insert_many([{"_id": i, "noise": os.urandom(600)} for i in range(start, start + 2000)])
    db.client.admin.command("fsync")
    db.big.delete_many({"_id": {"$gte": 2000}})
    db.client.admin.command("fsync")  # a checkpoint: the deleted space is now free inside the file
    [result] = compact(db.client, db.name, ["big"])
    assert (result.collection, result.forced) == ("big", True)
    assert result.bytes_freed > 1024 * 1024
    each = compact(db.client, db.name, ["plain"], each_member_of=replset.uri())
    assert [r.member for r in each] == [replset.uri().split("@")[1].split("/")[0]]
    with pytest.raises(ShardsmithError, match="no collection nope"):
        compact(db.client, db.name, ["plain", "nope"])
    with pytest.raises(ShardsmithError, match="series: time-series collections cannot be compacted"):
        compact(db.client, db.name, ["series"])


def test_the_chart_is_a_png_with_one_bar_group_per_collection(db, tmp_path):
    fill(db)
    path = storage_chart(database_storage(db), tmp_path / "sizes.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ShardsmithError, match="must end in .png"):
        storage_chart(database_storage(db), tmp_path / "sizes.jpg")


def test_tasks_print_tables_json_and_the_chart(db, replset, spec, tmp_path, capsys):
    fill(db)
    uri = replset.uri()
    code, out, err = run(capsys, "stats", spec, "--uri", uri, "--json", "--chart", tmp_path / "c.png")
    assert code == 0, err
    report = json.loads(out)
    assert {r["collection"] for r in report["collections"]} == {"plain", "series"}
    assert report["total"]["documents"] == sum(r["documents"] for r in report["collections"])
    assert (tmp_path / "c.png").stat().st_size > 0
    code, out, _ = run(capsys, "stats", spec, "--uri", uri)
    assert code == 0 and "total" in out and "time-series*" in out
    code, out, _ = run(capsys, "indexes", spec, "--uri", uri, "--json", "--rarely", "5")
    assert code == 0 and {"kind_1", "_id_"} <= {r["index"] for r in json.loads(out)["indexes"]}
    code, out, _ = run(capsys, "compact", "plain", spec, "--uri", uri, "--json")
    assert code == 0 and json.loads(out)["compacted"][0]["collection"] == "plain"
    code, _, err = run(capsys, "compact", "plain,ghost", spec, "--uri", uri)
    assert code == 2 and "no collection ghost" in err and "Traceback" not in err


def chat(db):
    """Generated messages with a compound index (key order type, timestamp) and a wildcard text index."""
    db.chat.create_index([("type", 1), ("timestamp", -1)])
    db.chat.create_index([("$**", "text")])
    db.chat.insert_many(list(generate_messages(2000, seed=4)))
    db.client.admin.command("fsync")  # a checkpoint: the sizes stop moving


def scratch_left(db) -> list[str]:
    return [name for name in db.list_collection_names() if name.startswith("shardsmith_scratch_")]


def test_index_costs_give_each_index_its_bytes_against_the_data_and_measure_wildcard_text(db):
    chat(db)
    stats = db.command("collStats", "chat")  # the server's own figures, read apart from the code under test
    costs = {c.index: c for c in index_costs(db)}
    assert set(costs) == {"_id_", "type_1_timestamp_-1", "$**_text"}
    for name, cost in costs.items():
        assert (cost.namespace, cost.size, cost.data_size) == (f"{db.name}.chat", stats["indexSizes"][name], stats["size"])
        assert cost.as_dict()["size_vs_data"] == round(stats["indexSizes"][name] / stats["size"], 3)
    assert list(costs["type_1_timestamp_-1"].key.items()) == [("type", 1), ("timestamp", -1)]
    text = costs["$**_text"]
    assert text.key == {"$**": "text"} and "wildcard text index" in text.warning
    assert text.write_cost.documents == 500 and text.write_cost.ratio > 1.2, text.write_cost
    assert not costs["type_1_timestamp_-1"].warning and costs["type_1_timestamp_-1"].write_cost is None
    assert scratch_left(db) == []
    unmeasured = {c.index: c for c in index_costs(db, ["chat"], measure=False)}
    assert unmeasured["$**_text"].warning and unmeasured["$**_text"].write_cost is None
    assert index_cost_warnings(unmeasured.values())[0].endswith("its write cost was not measured (that writes and "
                                                                "drops a scratch collection on the target)")
    [line] = index_cost_warnings(costs.values())
    assert line.startswith(f"{db.name}.chat index $**_text ($**: text): wildcard text index") and "x as long" in line


def test_index_cost_table_shows_sizes_shares_and_the_measured_warning(db):
    chat(db)
    console = Console(width=200, record=True)
    console.print(index_cost_table(index_costs(db)))
    table = console.export_text()
    assert "type: 1, timestamp: -1" in table and "$**: text" in table
    assert "wildcard text: inserts" in table and "x as long" in table


def test_index_keys_keep_their_order_in_the_indexes_json_and_table(db, replset, spec, capsys):
    db.ordered.create_index([("type", 1), ("timestamp", -1)])
    db.ordered.create_index([("$**", "text")])
    code, out, err = run(capsys, "indexes", spec, "--uri", replset.uri(), "--json")
    assert code == 0, err
    keys = {r["index"]: r["key"] for r in json.loads(out)["indexes"]}
    assert list(keys["type_1_timestamp_-1"].items()) == [("type", 1), ("timestamp", -1)]
    assert keys["$**_text"] == {"$**": "text"}
    console = Console(width=200, record=True)
    console.print(usage_table(index_usage(db)))
    assert "type: 1, timestamp: -1" in console.export_text()


def test_index_costs_cover_time_series_collections_by_their_user_facing_keys(db):
    fill(db)
    db.series.create_index([("m.s", 1), ("t", -1)])
    db.client.admin.command("fsync")
    stats = next(db.series.aggregate([{"$collStats": {"storageStats": {}}}]))["storageStats"]
    [series] = [c for c in index_costs(db, ["series"])]
    assert (series.index, list(series.key.items())) == ("m.s_1_t_-1", [("m.s", 1), ("t", -1)])
    assert (series.size, series.data_size) == (stats["indexSizes"]["m.s_1_t_-1"], stats["size"])


def test_stats_task_shows_what_each_index_costs_and_measures_only_when_asked(db, spec, replset, capsys):
    db.notes.insert_many([{"_id": i, "text": f"note {i} " * 20, "tag": f"t{i % 5}"} for i in range(500)])
    db.notes.create_index([("$**", "text")], name="everything_text")
    db.notes.create_index([("tag", 1)], name="tag_1")
    code, out, err = run(capsys, "stats", spec, "--uri", replset.uri(), "--json")
    assert code == 0, err
    costs = {c["index"]: c for c in json.loads(out)["index_costs"] if c["namespace"] == f"{db.name}.notes"}
    assert costs["everything_text"]["warning"] and costs["everything_text"]["write_cost"] is None  # not measured
    assert costs["tag_1"]["warning"] is None and costs["tag_1"]["size"] > 0
    assert costs["everything_text"]["size"] > costs["tag_1"]["size"]
    before = set(db.list_collection_names())
    code, out, err = run(capsys, "stats", spec, "--uri", replset.uri(), "--json", "--measure")
    assert code == 0, err
    measured = next(c for c in json.loads(out)["index_costs"] if c["index"] == "everything_text")
    assert measured["write_cost"]["ratio"] > 0
    assert set(db.list_collection_names()) == before  # the scratch collection is gone
