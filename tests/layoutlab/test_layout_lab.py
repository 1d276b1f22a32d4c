"""The layout lab on real mongod 6.0.5 with generated messages, every figure checked with an independent client.

The lab runs once per module with keep=True, so the test can look at the three
layouts itself: $collStats and counts taken here, _id sets read here, the query
mix written here in plain pymongo against each layout and the source.
"""

from __future__ import annotations

import datetime
import re

import pytest
from rich.console import Console

from shardsmith.errors import ShardsmithError
from shardsmith.layoutlab import print_layout_report, run_layout_lab, write_layout_chart

FAST = {"runs": 3, "insert_documents": 500, "insert_runs": 1}


def layout_names(db, prefix: str) -> dict:
    """The lab's collections, found by name here: regular, time-series, and the months (oldest first)."""
    names = db.list_collection_names()
    months = sorted(n for n in names if re.fullmatch(rf"{re.escape(prefix)}_\d{{4}}_\d{{2}}", n))
    return {"regular": f"{prefix}_regular", "timeseries": f"{prefix}_timeseries", "months": months}


def user_collections(db) -> list[str]:
    """Every collection, view and time-series collection but the system ones (system.views stays behind, empty,
    once a time-series collection was created)."""
    return [name for name in db.list_collection_names() if not name.startswith("system.")]


def db_hash(collection) -> str:
    return collection.database.command("dbHash", collections=[collection.name])["collections"][collection.name]


@pytest.fixture(scope="module")
def kept(client, messages):
    """One lab run with the layouts kept (dropped here at the end), and the source's hash before it."""
    before = db_hash(messages)
    report = run_layout_lab(client, messages.full_name, meta_field=None, keep=True,
                            lab_database="layoutlab_kept", **FAST)
    yield report, before
    client.drop_database("layoutlab_kept")


def test_timeseries_stores_fewer_buckets_than_documents_as_collstats_says(client, kept):
    report, _ = kept
    db = client["layoutlab_kept"]
    names = layout_names(db, report.prefix)
    stats = next(db[names["timeseries"]].aggregate([{"$collStats": {"storageStats": {}}}]))["storageStats"]
    buckets = db[f"system.buckets.{names['timeseries']}"].count_documents({})
    measurements = db[names["timeseries"]].count_documents({})
    regular = db[names["regular"]].count_documents({})
    series = report.sizes["time-series"]
    assert stats["timeseries"]["bucketCount"] == buckets == series.stored
    assert measurements == regular == series.documents == report.sizes["regular"].stored
    assert series.stored < series.documents
    assert report.sizes["monthly"].documents == sum(db[m].count_documents({}) for m in names["months"])
    regular_stats = next(db[names["regular"]].aggregate([{"$collStats": {"storageStats": {}}}]))["storageStats"]
    assert report.sizes["regular"].index_size == regular_stats["totalIndexSize"]
    assert report.sizes["time-series"].storage_size == stats["storageSize"]


def test_three_layouts_hold_the_source_documents(client, messages, kept):
    report, before = kept
    db = client["layoutlab_kept"]
    names = layout_names(db, report.prefix)
    source_ids = {d["_id"] for d in messages.find({}, {"_id": 1})}
    assert {d["_id"] for d in db[names["regular"]].find({}, {"_id": 1})} == source_ids
    assert {d["_id"] for d in db[names["timeseries"]].find({}, {"_id": 1})} == source_ids
    month_ids = [d["_id"] for m in names["months"] for d in db[m].find({}, {"_id": 1})]
    assert len(month_ids) == len(source_ids) and set(month_ids) == source_ids
    for month in names["months"]:  # each month holds only its own month's messages
        year, number = map(int, month.rsplit("_", 2)[-2:])
        assert all((d["timestamp"].year, d["timestamp"].month) == (year, number)
                   for d in db[month].find({}, {"timestamp": 1}))
    assert db_hash(messages) == before  # the source was only read


def _queries(session: str, moment: datetime.datetime) -> dict:
    """The default mix's shapes with the test's own values: (filter, sort, limit) or a pipeline."""
    day, hour, week = (datetime.timedelta(days=1), datetime.timedelta(hours=1), datetime.timedelta(days=7))
    end = moment + datetime.timedelta(milliseconds=1)
    return {
        "by session": ({"sessionId": session}, None, 0),
        "session day": ({"sessionId": session, "timestamp": {"$gte": moment - day, "$lt": end}}, None, 0),
        "hour": ({"timestamp": {"$gte": moment - hour, "$lt": end}}, None, 0),
        "last 20": ({"sessionId": session}, [("timestamp", -1), ("_id", -1)], 20),
        "per model per day": [{"$match": {"timestamp": {"$gte": moment - week, "$lt": end}}},
                              {"$group": {"_id": {"model": "$model",
                                                  "day": {"$dateTrunc": {"date": "$timestamp", "unit": "day"}}},
                                          "n": {"$sum": 1}, "cost": {"$sum": "$costUsd"}}},
                              {"$sort": {"_id": 1}}],
    }


def _run(db, name_or_months, query):
    """A query on one collection, or on the months through $unionWith (written here, not the rolling API)."""
    if isinstance(name_or_months, list):
        union = [{"$documents": []}] + [{"$unionWith": m} for m in name_or_months]
        if isinstance(query, list):
            return list(db.aggregate(union + query))
        flt, sort, limit = query
        tail = ([{"$sort": dict(sort)}] if sort else []) + ([{"$limit": limit}] if limit else [])
        return list(db.aggregate(union + [{"$match": flt}] + tail))
    if isinstance(query, list):
        return list(db[name_or_months].aggregate(query))
    flt, sort, limit = query
    return list(db[name_or_months].find(flt, sort=sort, limit=limit))


def _same(rows_a, rows_b) -> bool:
    def key(row):
        return repr(sorted((k, v) for k, v in row.items() if k != "cost"))

    a, b = sorted(rows_a, key=key), sorted(rows_b, key=key)
    return len(a) == len(b) and all(key(x) == key(y) and x.get("cost") == pytest.approx(y.get("cost"))
                                    for x, y in zip(a, b))


def test_query_mix_returns_the_same_results_on_every_layout(client, messages, kept):
    report, _ = kept
    db = client["layoutlab_kept"]
    names = layout_names(db, report.prefix)
    assert report.queries and all(q.same_results for q in report.queries), [q.mismatches for q in report.queries]
    picks = list(messages.aggregate([{"$sample": {"size": 4}}, {"$project": {"sessionId": 1, "timestamp": 1}}]))
    for pick in picks:
        for label, query in _queries(pick["sessionId"], pick["timestamp"]).items():
            expected = _run(messages.database, messages.name, query)
            assert expected, (label, pick)
            for layout in (names["regular"], names["timeseries"], names["months"]):
                assert _same(_run(db, layout, query), expected), (label, layout)


def test_timeseries_skips_what_it_refuses_and_ttl_stays_off_the_copies(client, kept):
    report, _ = kept
    db = client["layoutlab_kept"]
    names = layout_names(db, report.prefix)
    ts_keys = [dict(i["key"]) for i in db[names["timeseries"]].list_indexes()]
    regular = {i["name"]: i for i in db[names["regular"]].list_indexes()}
    assert {"content_text", "uuid_1", "timestamp_ttl"} <= set(regular)
    assert all("expireAfterSeconds" not in i for i in regular.values())
    assert {"sessionId": 1, "timestamp": 1} in ts_keys and {"uuid": 1} not in ts_keys
    skipped = {s["index"]: s["reason"] for s in report.indexes["time-series"]["skipped"]}
    assert set(skipped) == {"content_text", "uuid_1"}  # the TTL index went in as a plain one
    assert "Text" in skipped["content_text"] and "Unique" in skipped["uuid_1"]
    assert any("timestamp_ttl" in note and "TTL" in note for note in report.notes)


def test_inferred_options_follow_the_data(client, messages, kept):
    """metaField: the highest-cardinality field of every document repeating 10+ times per value, counted here."""
    report, _ = kept
    series = report.series
    lengths = {}
    for name in ("sessionId", "user_id", "type", "gitBranch", "uuid"):
        distinct = len(messages.distinct(name))
        lengths[name] = (messages.count_documents({}) / distinct, distinct)
    fitting = {name: distinct for name, (length, distinct) in lengths.items() if length >= 10}
    assert series.meta_field == max(fitting, key=fitting.get)
    assert series.granularity in ("seconds", "minutes", "hours") and "gaps" in series.granularity_reason
    db = client["layoutlab_kept"]
    options = next(db.list_collections(filter={"name": f"{report.prefix}_timeseries"}))["options"]["timeseries"]
    assert (options["metaField"], options["granularity"]) == (series.meta_field, series.granularity)
    assert any(m["field"] == "parentUuid" for m in series.mixed_types)  # null first in a session, then strings


def test_report_prints_and_charts(kept, tmp_path):
    report, _ = kept
    data = report.as_dict()
    assert [row["layout"] for row in data["layouts"]] == ["regular", "time-series", "monthly"]
    assert data["layouts"][0]["ratio_to_regular"]["total"] == 1.0
    lines = [c["line"] for c in data["claims"]]
    assert lines[0].startswith("storage reduction 50-80% (time-series): measured ")
    assert "not measurable at sample scale" in lines[-1]
    console = Console(record=True, width=160)
    print_layout_report(report, console)
    text = console.export_text()
    assert "recommendation:" in text and "buckets" in text
    chart = write_layout_chart(report, tmp_path / "layouts.png")
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_scratch_collections_are_gone_after_a_run_and_the_source_is_untouched(client, messages, lab_database):
    before = db_hash(messages)
    report = run_layout_lab(client, messages.full_name, sample=1000, meta_field="sessionId",
                            lab_database=lab_database, **FAST)
    assert report.documents > 0 and not report.kept
    assert "whole series" in report.sample
    assert user_collections(client[lab_database]) == []
    assert db_hash(messages) == before


def test_bad_arguments_are_refused_before_anything_is_read(client, lab_database, tmp_path):
    bad_file = tmp_path / "queries.yaml"
    bad_file.write_text("- {name: q, eq: [sessionId], sort: {timestamp: 2}}\n")
    cases = [({"namespace": "nodot"}, "DB.COLL"), ({"sample": 0}, "--sample"), ({"granularity": "days"}, "granularity"),
             ({"queries": str(bad_file)}, "sort"), ({"queries": str(tmp_path / "missing.yaml")}, "cannot read")]
    for arguments, words in cases:
        namespace = arguments.pop("namespace", "layoutlab_source.messages")
        with pytest.raises(ShardsmithError, match=re.escape(words)):
            run_layout_lab(client, namespace, lab_database=lab_database, **arguments)
    assert user_collections(client[lab_database]) == []


def test_a_query_file_runs_on_every_layout_with_equal_results(client, messages, lab_database, tmp_path):
    """Shapes the default mix lacks: a sort on a measurement with a limit, a group by hour, an eq on a non-meta field."""
    path = tmp_path / "mix.yaml"
    path.write_text("queries:\n"
                    "  - {name: costliest of a day, range: {timestamp: 1d}, sort: {costUsd: -1}, limit: 5}\n"
                    "  - {name: messages per type per hour, range: {timestamp: 2d}, group: {by: [type], per: hour}}\n"
                    "  - {name: a user's week, eq: [user_id], range: {timestamp: 7d}}\n")
    report = run_layout_lab(client, messages.full_name, queries=str(path), lab_database=lab_database, runs=2,
                            insert_runs=0)
    assert [q.query.name for q in report.queries] == ["costliest of a day", "messages per type per hour",
                                                      "a user's week"]
    for q in report.queries:
        assert q.same_results, q.mismatches
        assert {"regular", "time-series", "monthly"} == set(q.layouts) and q.layouts["regular"]["runs"] == 2
    assert report.queries[0].layouts["regular"]["rows"] <= 5
    assert report.inserts == []
