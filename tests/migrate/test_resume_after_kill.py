"""Kill the migrating process (SIGKILL, or Ctrl-C) at random points of every phase while an application
writes; each phase run again resumes from the last checkpoint, and the end is exact."""

from __future__ import annotations

import random
import signal
import subprocess

import pytest

from shardsmith.migrate.state import STATE_COLLECTION
from tests.crash.kill import child, run_to_end, started

from .data import fill_source, write_spec
from .live import LiveWriter, assert_cut_over_exactly

MESSAGES = 12000
PHASES = ("start", "follow", "cutover")
# Seconds after the child connected. Each phase takes about a second on two cores; a slower machine
# only interrupts more of them.
DELAYS = {"start": (0.05, 0.6), "follow": (0.05, 0.5), "cutover": (0.05, 1.0)}
INTERRUPTED = {-signal.SIGKILL, -signal.SIGINT, 130}  # 130: the follow phase's own exit on Ctrl-C


def interrupt_after(process: subprocess.Popen, seconds: float, how: signal.Signals) -> bool:
    """Send `how` after `seconds` unless the phase ended first; True if it was interrupted mid-run."""
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.send_signal(how)
    out, err = process.communicate(timeout=120)
    if process.returncode not in INTERRUPTED | {0}:
        raise AssertionError(f"phase failed ({process.returncode}): {err.decode()[-3000:]}")
    return process.returncode != 0


@pytest.mark.parametrize("to, trial", [(to, trial) for to in ("timeseries", "rolling") for trial in range(3)])
def test_a_migration_killed_anywhere_resumes_and_ends_exact(db, replset, tmp_path, to, trial):
    spec = tmp_path / "migrate.yaml"
    write_spec(spec, db.name)
    fill_source(db.messages, MESSAGES, seed=trial)
    rng = random.Random(trial)
    how = signal.SIGINT if trial == 2 else signal.SIGKILL
    args = (replset.uri(), spec, f"{db.name}.messages", to)
    interrupted = []
    with LiveWriter(replset.uri(), db.name, "messages", seed=trial):
        for phase in PHASES:
            for _ in range(2):
                delay = rng.uniform(*DELAYS[phase])
                if not interrupt_after(started(child("tests.migrate.runner", *args, phase)), delay, how):
                    break
                interrupted.append(phase)
            else:
                run_to_end("tests.migrate.runner", *args, phase)
    print(f"{to} trial {trial}: {how.name} during {interrupted}")
    assert len(interrupted) >= 2, f"only {interrupted} were interrupted: the trial did not test resuming"
    assert_cut_over_exactly(db, to)


@pytest.mark.parametrize("to", ["timeseries", "rolling"])
def test_a_kill_in_the_middle_of_a_copy_batch_and_of_a_follow_batch_leaves_nothing_doubled(db, replset, tmp_path, to):
    """Deterministic kill points: half of a copy batch written (its _ids recorded beforehand), half of a
    batch of changes applied (a time-series target recorded how far it was going)."""
    spec = tmp_path / "migrate.yaml"
    write_spec(spec, db.name)
    fill_source(db.messages, 2000)
    args = (replset.uri(), spec, f"{db.name}.messages", to)
    with LiveWriter(replset.uri(), db.name, "messages", seed=5):
        assert child_killed(*args, "start", "die-mid-copy")
        half_written = [b for b in db[STATE_COLLECTION].find({"ids": {"$exists": True}})]
        assert [b["n"] for b in half_written] == [3]
        out = run_to_end("tests.migrate.runner", *args, "start")
        assert b"resumed batch 3" in out
        assert child_killed(*args, "follow", "die-mid-apply")
        run_to_end("tests.migrate.runner", *args, "follow")
        run_to_end("tests.migrate.runner", *args, "cutover")
    assert_cut_over_exactly(db, to)


def child_killed(*args) -> bool:
    process = started(child("tests.migrate.runner", *args))
    process.communicate(timeout=120)
    return process.returncode == -signal.SIGKILL


def test_inserts_made_while_a_killed_cutover_left_the_name_free_end_in_the_target(db, replset, tmp_path):
    """Killed between renaming the source and the view: the application's next insert creates a new
    collection under the source's name. The resumed cut-over moves it aside and its documents over."""
    spec = tmp_path / "migrate.yaml"
    write_spec(spec, db.name)
    fill_source(db.messages, 500)
    args = (replset.uri(), spec, f"{db.name}.messages", "timeseries")
    run_to_end("tests.migrate.runner", *args, "start")
    assert child_killed(*args, "cutover", "die-before-view")
    late = {**db.messages_ts.find_one(), "_id": "late", "content": "written while the name was free"}
    db.messages.insert_one(late)
    run_to_end("tests.migrate.runner", *args, "cutover")
    migration = db[STATE_COLLECTION].find_one({"_id": "messages->messages_ts"})
    assert migration["cutover"]["late"] == [f"{migration['cutover']['dated']}_late_1"]
    assert db.messages_ts.find_one({"_id": "late"}) == late
    assert next(db.list_collections(filter={"name": "messages"}))["type"] == "view"
    assert_cut_over_exactly(db, "timeseries")
