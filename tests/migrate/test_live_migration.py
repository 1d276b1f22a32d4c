"""A live collection, written to throughout, migrated onto a time-series collection and onto monthly
collections on a real mongod replica set: every document exactly once, with equal content.

The suite uses 20,000 messages (all four phases take about 6 s on two cores);
benchmarks/bench_migrate.py --live runs the same check on 200,000.
"""

from __future__ import annotations

import pytest
from pymongo.errors import OperationFailure
from rich.console import Console

from shardsmith.migrate import cutover, follow, plan_from_topology, rollback, start, status, verify
from shardsmith.migrate.report import print_result

from .data import TARGETS, fill_source, target_documents
from .live import LiveWriter, assert_cut_over_exactly, assert_exactly_once

MESSAGES = 20_000


@pytest.mark.parametrize("to", ["timeseries", "rolling"])
def test_a_live_collection_migrates_with_every_write_exactly_once(db, replset, topology, to):
    fill_source(db.messages, MESSAGES)
    plan = plan_from_topology(topology, f"{db.name}.messages", to, target=TARGETS[to])
    client = replset.client()
    with LiveWriter(replset.uri(), db.name, "messages") as writer:
        started = start(client, plan, batch_size=1000)
        followed = follow(client, plan, until_caught_up=True)
        report = verify(client, plan)
        done = cutover(client, plan)
        after = writer.counts.copy()
    assert started.backfill.copied >= MESSAGES and followed.caught_up
    assert report.ok, report.summary()
    assert sum(m.source.documents for m in report.months) >= MESSAGES
    assert [q.name for q in report.queries] == ["by session", "session + time range", "time range",
                                                "per-model daily aggregation"]
    assert all(after[kind] > 0 for kind in ("insert", "update", "move", "session", "replace", "delete")), after

    kept = db[done.dated]
    assert_cut_over_exactly(db, to)  # the writer's inserts between the rename and the view count too
    assert db.messages.count_documents({}) == len(target_documents(db, to))  # the name is a view of the target
    assert db.messages.find_one({"_id": kept.find_one()["_id"]}) is not None
    with pytest.raises(OperationFailure, match="is a view"):
        db.messages.insert_one({"late": True})
    options = next(db.list_collections(filter={"name": done.dated}))["options"]
    assert "validator" not in options or options["validator"] == {}  # the fence is lifted from the kept source
    assert not options.get("changeStreamPreAndPostImages", {}).get("enabled")


def test_inserts_racing_the_copy_into_a_time_series_target_are_neither_missed_nor_doubled(db, replset, topology):
    """Only inserts, fast, during a copy in small batches: many land ahead of the copy (copied, their
    events must be skipped) and many behind it (only the follow phase can write them). Nothing else
    happens that could hide a doubled document (a series re-copy would)."""
    fill_source(db.messages, 10_000)
    plan = plan_from_topology(topology, f"{db.name}.messages", "timeseries", target=TARGETS["timeseries"])
    client = replset.client()
    with LiveWriter(replset.uri(), db.name, "messages", rate=400, kinds={"insert": 1}) as writer:
        started = start(client, plan, batch_size=100)
    followed = follow(client, plan, until_caught_up=True)
    assert_exactly_once(db.messages.find(), target_documents(db, "timeseries"))
    assert writer.counts["insert"] > 100 and started.backfill.copied > 10_000
    assert followed.reflected > 0 and followed.applied["inserted"] > 0, followed.as_dict()  # both kinds happened


def test_rollback_gives_the_source_its_name_back(db, replset, topology):
    fill_source(db.messages, 2000)
    plan = plan_from_topology(topology, f"{db.name}.messages", "rolling")
    client = replset.client()
    shown = Console(record=True, width=200)
    print_result(start(client, plan), shown)
    done = cutover(client, plan, rename=True)
    print_result(done, shown)
    print_result(status(client, plan), shown)
    assert next(db.list_collections(filter={"name": "messages"}))["type"] == "view"

    undone = rollback(client, plan)
    print_result(undone, shown)
    text = shown.export_text()
    for line in (f"{db.name}.messages -> {db.name}.monthly_YYYY_MM (monthly) on the replica set rs0",
                 "copied 2,000 documents in 3 batches", f"the source is kept as {done.dated}",
                 f"{db.name}.messages is a read-only view of the target", "switch: write and read through "
                 f"RollingCollections(client['{db.name}'], 'monthly', ...)", "phase done",
                 f"renamed {done.dated} back to messages", "source 2,000 documents, target 2,000 (kept)"):
        assert line in text, text
    assert status(client, plan).phase == "rolled_back"
    info = next(db.list_collections(filter={"name": "messages"}))
    assert info["type"] == "collection" and done.dated not in db.list_collection_names()
    assert "validator" not in info["options"] or info["options"]["validator"] == {}
    db.messages.insert_one({"written": "after the rollback"})  # writable again
    assert undone.source_documents == 2000 and undone.target_documents == 2000
    assert undone.restored == [f"dropped the view {db.name}.messages", f"renamed {done.dated} back to messages",
                               "lifted the write fence"]


def test_cutover_without_rename_fences_the_source_and_names_the_switch(db, replset, topology):
    fill_source(db.messages, 1000)
    plan = plan_from_topology(topology, f"{db.name}.messages", "timeseries", target=TARGETS["timeseries"])
    client = replset.client()
    start(client, plan)
    done = cutover(client, plan, rename=False)
    assert done.dated is None and done.view is None
    assert done.switch.startswith(f"write to and read from {db.name}.{TARGETS['timeseries']} (time-series)")
    with pytest.raises(OperationFailure, match="Document failed validation"):
        db.messages.insert_one({"_id": "late"})
    assert_exactly_once(db.messages.find(), target_documents(db, "timeseries"))
    rollback(client, plan)
    db.messages.insert_one({"_id": "late"})  # the fence is lifted
