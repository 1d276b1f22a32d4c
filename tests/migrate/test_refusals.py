"""Bad input is refused with a clear error and nothing written; what the migration cannot apply stops it
before anything wrong is applied; a change stream that lost its history is reported with its fix."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from datetime import datetime

import pytest
from bson.timestamp import Timestamp
from rich.console import Console

from shardsmith.errors import ShardsmithError
from shardsmith.migrate import follow, plan_from_topology, start, verify
from shardsmith.migrate.report import print_result
from shardsmith.migrate.state import STATE_COLLECTION
from shardsmith.topology.model import IndexSpec

from .data import TARGETS, fill_source, write_spec


def assert_nothing_written(db, source: str = "messages") -> None:
    assert STATE_COLLECTION not in db.list_collection_names()
    assert not [n for n in db.list_collection_names() if n.startswith(("messages_ts", "monthly_"))]
    options = next(db.list_collections(filter={"name": source}))["options"]
    assert "changeStreamPreAndPostImages" not in options


def test_documents_without_a_date_are_counted_and_shown(db, replset, topology):
    fill_source(db.messages, 300)
    db.messages.insert_many([{"_id": "no-time", "sessionId": "s"},
                             {"_id": "text-time", "sessionId": "s", "timestamp": "2024-01-02T00:00:00Z"}])
    plan = plan_from_topology(topology, f"{db.name}.messages", "rolling")
    with pytest.raises(ShardsmithError, match=r"2 document\(s\) of .*messages have no date in 'timestamp' "
                                              r"\(e\.g\. _id 'no-time': missing, _id 'text-time': "
                                              r"'2024-01-02T00:00:00Z' \(str\)\); nothing was written"):
        start(replset.client(), plan)
    assert_nothing_written(db)


@pytest.mark.parametrize("to", ["timeseries", "rolling"])
def test_a_target_that_holds_documents_is_refused(db, replset, topology, to):
    fill_source(db.messages, 100)
    if to == "timeseries":
        db.create_collection("messages_ts", timeseries={"timeField": "timestamp", "metaField": "sessionId"})
        busy = db.messages_ts
    else:
        busy = db.monthly_2024_02
    busy.insert_one({"timestamp": datetime(2024, 2, 1), "sessionId": "x"})
    plan = plan_from_topology(topology, f"{db.name}.messages", to, target=TARGETS[to])
    with pytest.raises(ShardsmithError, match=rf"{db.name}\.{busy.name} exists and is not empty; nothing was written"):
        start(replset.client(), plan)
    assert STATE_COLLECTION not in db.list_collection_names() and busy.count_documents({}) == 1


def test_an_index_a_time_series_collection_cannot_have_is_refused_before_anything_is_written(db, replset, topology):
    """A plan built in code (a spec file is refused when it loads): a hashed index on a measurement field."""
    fill_source(db.messages, 100)
    plan = plan_from_topology(topology, f"{db.name}.messages", "timeseries", target=TARGETS["timeseries"])
    plan = replace(plan, indexes=(IndexSpec(keys=(("uuid", "hashed"),)),))
    with pytest.raises(ShardsmithError, match=r"index \{'uuid': 'hashed'\} of the index set: a time-series "
                                              r"collection's measurement field \('uuid'\) can only be indexed"):
        start(replset.client(), plan)
    assert_nothing_written(db)


def test_a_standalone_server_is_refused(make_cluster, tmp_path):
    cluster = make_cluster("name: solo\ndeploy: {base_port: BASE_PORT}\nstandalone: {}\n", ports=2)
    cluster.up()
    client = cluster.client()
    fill_source(client.app.messages, 100)
    topology = write_spec(tmp_path / "solo.yaml", "app")
    plan = plan_from_topology(topology, "app.messages", "rolling")
    with pytest.raises(ShardsmithError, match="standalone mongod: it has no oplog, so no change stream"):
        start(client, plan)
    assert_nothing_written(client.app)


def test_a_time_series_target_refuses_documents_without_a_series(db, replset, topology):
    """messages_meta's metaField `metadata` is in no message: an update could not be applied (6.0)."""
    fill_source(db.messages, 200)
    plan = plan_from_topology(topology, f"{db.name}.messages", "timeseries", target="messages_meta")
    with pytest.raises(ShardsmithError, match=r"200 document\(s\) have no 'metadata', so an update or delete .*"
                                              r"MongoDB 6.0 deletes measurements only by metaField value"):
        start(replset.client(), plan)
    assert_nothing_written(db)

    start(replset.client(), plan, insert_only=True)  # the application promises not to update or delete
    victim = db.messages.find_one()
    db.messages.update_one({"_id": victim["_id"]}, {"$set": {"content": "changed"}})
    with pytest.raises(ShardsmithError, match=rf"the update of _id {re.escape(repr(victim['_id']))} .* cannot be applied to the "
                                              r"time-series target \(no 'metadata' in the document\)"):
        follow(replset.client(), plan, until_caught_up=True)
    assert db.messages_meta.find_one({"_id": victim["_id"]})["content"] == victim["content"]


def test_verify_names_the_months_and_ids_that_differ(db, replset, topology):
    fill_source(db.messages, 3000)
    plan = plan_from_topology(topology, f"{db.name}.messages", "rolling")
    client = replset.client()
    start(client, plan)
    assert verify(client, plan).ok
    gone = db.monthly_2024_01.find_one_and_delete({})
    changed = db.monthly_2024_02.find_one_and_update({}, {"$set": {"content": "tampered"}})
    doubled = db.monthly_2024_03.find_one()
    db.monthly_2024_02.insert_one(doubled)  # the same _id again, in the wrong month's collection

    report = verify(client, plan)
    assert not report.ok
    rows = {m.month: m for m in report.months}
    assert [m for m, row in rows.items() if not row.same] == ["2024-01", "2024-02", "2024-03"]
    assert rows["2024-01"].differences.missing == [gone["_id"]]
    assert rows["2024-02"].differences.changed == [changed["_id"]]
    assert rows["2024-03"].differences.doubled == [doubled["_id"]]
    assert rows["2024-01"].target.documents == rows["2024-01"].source.documents - 1
    assert report.misplaced == ["monthly_2024_02"]
    assert all(q.same for q in report.queries if q.name != "per-model daily aggregation")
    shown = Console(record=True, width=250)
    print_result(report, shown)
    text = shown.export_text()
    assert f"2024-01: missing: {gone['_id']!r}" in text and f"2024-03: doubled: {doubled['_id']!r}" in text
    assert "monthly_2024_02 holds documents of another month" in text and "3 month(s) differ" in text


def test_a_change_stream_that_lost_its_history_is_reported_with_the_fix(make_cluster, tmp_path):
    """A 1 MB oplog (mongod --oplogSize 1) overwritten while the migration was not following; a checkpoint
    every second (--syncdelay 1), since mongod truncates the oplog only behind a checkpoint."""
    member = "{args: ['--oplogSize', '1', '--syncdelay', '1']}"
    cluster = make_cluster("name: tiny\ndeploy: {base_port: BASE_PORT}\nauth: {enabled: false}\n"
                           f"replica_set: {{name: rs0, members: [{member}]}}\n", ports=2)
    cluster.up()
    client = cluster.client()
    fill_source(client.app.messages, 500)
    plan = plan_from_topology(write_spec(tmp_path / "tiny.yaml", "app"), "app.messages", "rolling")
    start(client, plan)
    position = client.app[STATE_COLLECTION].find_one({"_id": plan.key})["position"]
    overwrite_oplog_after(client, position)

    with pytest.raises(ShardsmithError, match=r"(?s)no longer in the oplog \(ChangeStreamHistoryLost, code 286\).*"
                                              r"start over with --restart"):
        follow(client, plan, until_caught_up=True)
    start(client, plan, restart=True)  # the fix: copy again from a new position
    assert follow(client, plan, until_caught_up=True).caught_up
    assert verify(client, plan).ok


def overwrite_oplog_after(client, position: Timestamp) -> None:
    """Write big documents elsewhere, with checkpoints (fsync) that let mongod truncate the oplog, until
    its oldest entry is newer than `position`."""
    deadline = time.monotonic() + 180
    while client.local["oplog.rs"].find_one(sort=[("$natural", 1)])["ts"] <= position:
        assert time.monotonic() < deadline, "the oplog was not truncated in 3 minutes"
        client.app.ballast.insert_many([{"pad": "x" * 100_000} for _ in range(10)])
        client.admin.command("fsync")
