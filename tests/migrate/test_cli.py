"""`data.migrate` from both doors, as a user runs it: one phase per run, exit codes, JSON, and
bad input refused with nothing written. Real mongod replica set, real processes."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from shardsmith.migrate.state import STATE_COLLECTION
from shardsmith.wait import Deadline, poll

from .data import TARGETS, fill_source, target_documents

REPO = Path(__file__).resolve().parents[2]
DOORS = {"shardsmith": [sys.executable, "-m", "shardsmith"], "inv": [sys.executable, "-m", "invoke", "-r", str(REPO)]}


def migrate(door: str, spec: str, uri: str, *argv: str, source: str) -> subprocess.CompletedProcess:
    where = ["--topology", spec] if door == "inv" else [spec]
    return subprocess.run([*DOORS[door], "data.migrate", *where, "--uri", uri, "--source", source, *argv],
                          capture_output=True, text=True, timeout=300)


def ok_json(done: subprocess.CompletedProcess) -> dict:
    assert done.returncode == 0, done.stderr + done.stdout
    return json.loads(done.stdout)


@pytest.mark.parametrize("door", ["shardsmith", "inv"])
def test_each_phase_runs_from_the_command_line_and_rollback_restores_the_names(door, db, replset, topology):
    fill_source(db.messages, 3000)
    run = lambda *argv: migrate(door, topology.source, replset.uri(), "--to", "rolling",  # noqa: E731
                                "--target", TARGETS["rolling"], *argv, source=f"{db.name}.messages")

    started = ok_json(run("--batch", "500", "--json"))
    assert started["backfill"]["copied"] == 3000 and started["backfill"]["batches"] >= 3000 // 500
    db.messages.insert_many([{**doc, "_id": f"late-{n}", "uuid": f"late-{n}"} for n, doc in
                             enumerate(db.messages.find({}, {"_id": 0}).limit(40))])
    db.messages.delete_many({"_id": {"$in": [d["_id"] for d in db.messages.find({}, {"_id": 1}).limit(5)]}})
    # a lag under 1 ms is met only by an empty stream: every change above is read before it stops
    followed = ok_json(run("--step", "follow", "--until-caught-up", "--max-lag", "0.001", "--json"))
    assert followed["stopped"] == "caught-up" and followed["events"] == 45
    assert followed["applied"]["written"] == 40 and followed["applied"]["deleted"] == 5
    assert ok_json(run("--step", "status", "--json"))["phase"] == "follow"

    verified = run("--step", "verify")
    assert verified.returncode == 0 and "identical" in verified.stdout, verified.stderr + verified.stdout
    source_ids = sorted(str(d["_id"]) for d in db.messages.find({}, {"_id": 1}))
    assert sorted(str(d["_id"]) for d in target_documents(db, "rolling")) == source_ids

    cut = ok_json(run("--step", "cutover", "--json"))
    assert db[cut["dated"]].count_documents({}) == len(source_ids)
    assert next(db.list_collections(filter={"name": "messages"}))["type"] == "view"

    rolled = run("--step", "rollback")
    assert rolled.returncode == 0, rolled.stderr
    assert next(db.list_collections(filter={"name": "messages"}))["type"] == "collection"
    assert sorted(str(d["_id"]) for d in db.messages.find({}, {"_id": 1})) == source_ids


def test_verify_exits_1_and_names_the_month_when_the_target_lost_a_document(db, replset, topology):
    fill_source(db.messages, 1500)
    run = lambda *argv: migrate("shardsmith", topology.source, replset.uri(), "--to", "rolling",  # noqa: E731
                                "--target", TARGETS["rolling"], *argv, source=f"{db.name}.messages")
    ok_json(run("--json"))
    month = sorted(n for n in db.list_collection_names() if n.startswith(TARGETS["rolling"] + "_"))[0]
    db[month].delete_one({})  # behind the migration's back: no change event can repair it

    verified = run("--step", "verify", "--json")
    assert verified.returncode == 1, verified.stderr
    report = json.loads(verified.stdout)
    differing = [row["month"] for row in report["months"] if not row["same"]]
    assert differing == [month.removeprefix(TARGETS["rolling"] + "_").replace("_", "-")]
    refused = run("--step", "cutover")
    assert refused.returncode == 2 and "differences" in refused.stderr
    assert next(db.list_collections(filter={"name": "messages"}))["type"] == "collection"


def test_ctrl_c_ends_the_foreground_follow_with_exit_130_and_every_applied_change_kept(db, replset, topology):
    fill_source(db.messages, 500)
    argv = ["--to", "rolling", "--target", TARGETS["rolling"]]
    ok_json(migrate("shardsmith", topology.source, replset.uri(), *argv, "--json", source=f"{db.name}.messages"))
    command = [*DOORS["shardsmith"], "data.migrate", topology.source, "--uri", replset.uri(),
               "--source", f"{db.name}.messages", *argv, "--step", "follow"]
    follower = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        poll(lambda: db[STATE_COLLECTION].find_one({"_id": {"$regex": "^lease:"}, "pid": follower.pid}),
             until=Deadline.after(60), what="the follow holding its lease")
        db.messages.insert_many([{**doc, "_id": f"live-{n}", "uuid": f"live-{n}"} for n, doc in
                                 enumerate(db.messages.find({}, {"_id": 0}).limit(20))])
        poll(lambda: len(target_documents(db, "rolling")) == 520, until=Deadline.after(60),
             what="the follow applying 20 inserts")
        follower.send_signal(signal.SIGINT)
        out, err = follower.communicate(timeout=60)
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.wait()
    assert follower.returncode == 130, err
    assert "stopped: interrupted" in out and "Traceback" not in err
    assert db[STATE_COLLECTION].find_one({"_id": {"$regex": "^lease:"}}) is None  # released on the way out
    verified = migrate("shardsmith", topology.source, replset.uri(), *argv, "--step", "verify",
                       source=f"{db.name}.messages")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_a_change_the_targets_unique_index_refuses_stops_the_follow_until_the_source_is_corrected(
        db, replset, topology):
    """The source has no unique index on uuid; the rolling family's index set has one."""
    fill_source(db.messages, 500)
    run = lambda *argv: migrate("shardsmith", topology.source, replset.uri(), "--to", "rolling",  # noqa: E731
                                "--target", TARGETS["rolling"], *argv, source=f"{db.name}.messages")
    ok_json(run("--json"))
    twin = {**db.messages.find_one({}, {"_id": 0}), "_id": "twin"}
    db.messages.insert_one(twin)

    refused = run("--step", "follow", "--until-caught-up")
    assert refused.returncode == 2 and "refused 1 change(s)" in refused.stderr and "E11000" in refused.stderr
    assert "Traceback" not in refused.stderr
    db.messages.update_one({"_id": "twin"}, {"$set": {"uuid": "twin"}})
    followed = ok_json(run("--step", "follow", "--until-caught-up", "--json"))
    assert followed["stopped"] == "caught-up"
    assert ok_json(run("--step", "verify", "--json"))["ok"]


def test_a_source_without_its_time_field_is_refused_with_examples_and_nothing_written(db, replset, topology):
    fill_source(db.messages, 200)
    db.messages.insert_many([{"_id": "no-time-1", "content": "x"}, {"_id": "no-time-2", "timestamp": "yesterday"}])
    refused = migrate("shardsmith", topology.source, replset.uri(), "--to", "timeseries",
                      "--target", TARGETS["timeseries"], source=f"{db.name}.messages")
    assert refused.returncode == 2
    assert "2 document(s)" in refused.stderr and "no-time-1" in refused.stderr and "nothing was written" in refused.stderr
    assert set(db.list_collection_names()) == {"messages"}
    assert STATE_COLLECTION not in db.list_collection_names()


@pytest.mark.parametrize("argv, says", [
    ((), "give --source DB.COLL and --to"),
    (("--source", "a.b", "--to", "sideways"), "--to 'sideways' is not one of"),
    (("--source", "a.b", "--to", "rolling", "--batch", "0"), "--batch 0 must be at least 1"),
    (("--source", "a.b", "--to", "rolling", "--resume", "--restart"), "contradict"),
])
def test_bad_flags_are_one_line_and_exit_2(argv, says, tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: x\nreplica_set: {name: rs0, members: 1}\n")
    done = subprocess.run([*DOORS["shardsmith"], "data.migrate", str(spec), "--uri", "mongodb://127.0.0.1:1",
                           *argv], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and says in done.stderr, done.stderr
