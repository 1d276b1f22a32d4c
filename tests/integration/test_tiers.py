"""Hot -> warm (time-series) -> cold (monthly) moves on a real mongod: exact, resumable, never doubled."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from shardsmith.errors import ShardsmithError
from shardsmith.tiers import run_tier
from shardsmith.tiers.checkpoint import STATE_COLLECTION
from tests.crash.kill import child, kill_after, run_to_end, started
from tests.crash.months import fresh_database
from tests.crash.tiers_data import NOW, fill_hot, stage_documents, tiers_spec

HOT_CUTOFF = NOW - timedelta(days=7)
WARM_CUTOFF = datetime(2024, 4, 1, tzinfo=timezone.utc)  # the day of NOW - 90d is April 1st


@pytest.fixture
def db(replset, request):
    yield from fresh_database(replset, request, "tiers", tz_aware=True)


def assert_exactly(db, originals):
    """Every original message is in exactly one stage, unchanged."""
    found = stage_documents(db)
    counts = Counter(d["uuid"] for d in found)
    assert [u for u, n in counts.items() if n > 1] == []
    assert set(counts) == {d["uuid"] for d in originals}
    by_uuid = {d["uuid"]: d for d in originals}
    assert all(d == by_uuid[d["uuid"]] for d in found)


def test_tiers_move_each_message_to_the_stage_its_age_says(db, tmp_path):
    topology = tiers_spec(tmp_path / "tiers.yaml", db.name)
    originals = fill_hot(db, 1500)
    [(_, tier)] = topology.tier_specs(db.name)
    results = run_tier(db, topology, tier, now=NOW, batch_size=200)

    older_than_hot = [d for d in originals if d["timestamp"] < HOT_CUTOFF]
    cold = [d for d in originals if d["timestamp"] < WARM_CUTOFF]
    assert [r.moved for r in results] == [len(older_than_hot), len(cold)]
    assert db.messages_current.count_documents({}) == len(originals) - len(older_than_hot)
    assert db.messages_timeseries.count_documents({}) == len(older_than_hot) - len(cold)
    assert sorted(n for n in db.list_collection_names() if n.startswith("messages_2")) == [
        "messages_2024_01", "messages_2024_02", "messages_2024_03"]
    assert {i["name"] for i in db.messages_2024_02.list_indexes()} >= {"uuid_1", "timestamp_-1"}
    assert_exactly(db, originals)
    assert db[STATE_COLLECTION].count_documents({}) == 0  # no checkpoint or lease left behind

    again = run_tier(db, topology, tier, now=NOW, batch_size=200)
    assert [r.moved for r in again] == [0, 0]
    assert_exactly(db, originals)


@pytest.mark.parametrize("point", ["die-after-warm-write", "die-after-cold-write", "die-in-delete"])
def test_a_kill_at_each_phase_boundary_resumes_exactly(db, replset, tmp_path, point):
    spec = tmp_path / "tiers.yaml"
    tiers_spec(spec, db.name)
    originals = fill_hot(db, 600)
    args = (replset.uri(), spec, db.name, 100)
    assert kill_after(started(child("tests.crash.tier_child", *args, point)), 120)
    assert db[STATE_COLLECTION].find_one({"_id": {"$regex": "^messages:"}})["phase"] in ("copy", "delete")
    run_to_end("tests.crash.tier_child", *args)
    assert_exactly(db, originals)
    assert db.messages_timeseries.count_documents({}) == sum(HOT_CUTOFF > d["timestamp"] >= WARM_CUTOFF
                                                             for d in originals)


@pytest.mark.parametrize("trial", range(3))
def test_sigkill_at_random_points_then_resume_ends_with_exactly_the_originals(db, replset, tmp_path, trial):
    spec = tmp_path / "tiers.yaml"
    tiers_spec(spec, db.name)
    originals = fill_hot(db, 1000, seed=trial)
    args = (replset.uri(), spec, db.name, 50)
    delays = random.Random(trial).sample([x / 100 for x in range(5, 150)], 2)
    for delay in delays:
        killed = kill_after(started(child("tests.crash.tier_child", *args)), delay)
        state = list(db[STATE_COLLECTION].find({}, {"ids": 0}))
        print(f"trial {trial}: SIGKILL {delay:.2f}s in, killed mid-run: {killed}, state left: {state}")
    run_to_end("tests.crash.tier_child", *args)
    assert_exactly(db, originals)
    assert db.messages_current.count_documents({}) == sum(d["timestamp"] >= HOT_CUTOFF for d in originals)


def test_a_missing_warm_collection_is_a_clear_error_and_nothing_moves(db, tmp_path):
    topology = tiers_spec(tmp_path / "tiers.yaml", db.name)
    originals = fill_hot(db, 200)
    db.messages_timeseries.drop()
    [(_, tier)] = topology.tier_specs(db.name)
    with pytest.raises(ShardsmithError, match="messages_timeseries does not exist"):
        run_tier(db, topology, tier, now=NOW)
    assert db.messages_current.count_documents({}) == len(originals)
    with pytest.raises(ShardsmithError, match="batch size"):
        run_tier(db, topology, tier, now=NOW, batch_size=0)


def test_a_live_run_holds_the_lease(db, tmp_path):
    topology = tiers_spec(tmp_path / "tiers.yaml", db.name)
    fill_hot(db, 50)
    db[STATE_COLLECTION].insert_one({"_id": "lease:messages", "host": "elsewhere", "pid": 1,
                                     "since": datetime.now(timezone.utc)})
    [(_, tier)] = topology.tier_specs(db.name)
    with pytest.raises(ShardsmithError, match="is being moved by pid 1 on elsewhere"):
        run_tier(db, topology, tier, now=NOW)
    assert db.messages_current.count_documents({}) == 50
