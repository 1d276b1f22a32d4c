"""Rotate, restore and cleanup of month collections on a real mongod (the shared replica set)."""

from __future__ import annotations

import random
from datetime import datetime, timezone

import pytest

from shardsmith.archive import cleanup, restore, rotate
from shardsmith.archive.manifest import archive_dir
from shardsmith.errors import ShardsmithError
from tests.crash.kill import child, kill_after, run_to_end, started
from tests.crash.months import fill_months, fresh_database, uuids

NOW = datetime(2024, 5, 20, tzinfo=timezone.utc)  # keep 2 -> April and May stay; Jan-Mar go


@pytest.fixture
def db(replset, request):
    yield from fresh_database(replset, request, "archive")


def index_names(collection) -> set:
    return {doc["name"] for doc in collection.list_indexes()}


def test_rotate_archives_verifies_drops_and_restore_brings_back_the_same_documents(db, tmp_path):
    written = fill_months(db, "messages", 1200, months=4)
    indexes_before = {name: index_names(db[name]) for name in written}
    outcomes = rotate(db, "messages", 2, tmp_path, now=NOW, part_documents=100)

    assert [o.collection for o in outcomes] == ["messages_2024_01", "messages_2024_02", "messages_2024_03"]
    assert db.list_collection_names(filter={"name": {"$regex": "^messages_"}}) == ["messages_2024_04"]
    for outcome in outcomes:
        assert outcome.documents == len(written[outcome.collection])
        assert (archive_dir(tmp_path, db.name, outcome.collection) / "manifest.json").exists()

    for outcome in outcomes:
        result = restore(db, "messages", outcome.month, tmp_path, batch_size=64)
        assert result.inserted == len(written[outcome.collection])
        assert uuids(db[outcome.collection]) == written[outcome.collection]
        assert db[outcome.collection].count_documents({}) == len(written[outcome.collection])
        assert index_names(db[outcome.collection]) == indexes_before[outcome.collection]

    again = restore(db, "messages", "2024-01", tmp_path)  # idempotent: nothing doubled
    assert again.inserted == 0 and db["messages_2024_01"].count_documents({}) == len(written["messages_2024_01"])


@pytest.mark.parametrize("keep", [0, -3, "2"])
def test_a_retention_below_one_is_refused_and_nothing_changes(db, tmp_path, keep):
    written = fill_months(db, "messages", 200, months=3)
    with pytest.raises(ShardsmithError, match="retention"):
        rotate(db, "messages", keep, tmp_path, now=NOW)
    assert sorted(db.list_collection_names()) == sorted(written)
    assert not any(tmp_path.iterdir())


def test_unknown_or_malformed_months_are_clear_errors(db, tmp_path):
    fill_months(db, "messages", 200, months=2)
    rotate(db, "messages", 1, tmp_path, now=NOW)
    before = sorted(db.list_collection_names())
    with pytest.raises(ShardsmithError, match="no archive .* for 2023-07") as error:
        restore(db, "messages", "2023-07", tmp_path)
    assert "2024-01, 2024-02" in str(error.value)
    for bad in ("2024-13", "24-01", "January"):
        with pytest.raises(ShardsmithError, match="YYYY-MM"):
            restore(db, "messages", bad, tmp_path)
    assert sorted(db.list_collection_names()) == before


def test_a_corrupted_archive_is_refused_before_anything_is_written(db, tmp_path):
    fill_months(db, "messages", 300, months=1)
    rotate(db, "messages", 1, tmp_path, now=NOW)
    part = archive_dir(tmp_path, db.name, "messages_2024_01") / "part-00000.bson.gz"
    data = bytearray(part.read_bytes())
    data[len(data) // 2] ^= 0xFF
    part.write_bytes(bytes(data))
    with pytest.raises(ShardsmithError, match="does not match its checksum"):
        restore(db, "messages", "2024-01", tmp_path)
    assert "messages_2024_01" not in db.list_collection_names()


def test_restore_refuses_an_index_that_conflicts_and_writes_no_document(db, tmp_path):
    fill_months(db, "messages", 200, months=1)
    rotate(db, "messages", 1, tmp_path, now=NOW)
    db["messages_2024_01"].create_index("uuid", name="uuid_1")  # same name, not unique
    with pytest.raises(ShardsmithError, match="cannot recreate the archived indexes"):
        restore(db, "messages", "2024-01", tmp_path)
    assert db["messages_2024_01"].count_documents({}) == 0


def test_cleanup_drops_only_empty_month_collections(db):
    for name in ("messages_2024_01", "messages_2024_02", "messages_current", "messages_2024_13", "other_2024_01"):
        db.create_collection(name)
    db["messages_2024_02"].insert_one({"uuid": "kept"})
    assert cleanup(db, "messages") == ["messages_2024_01"]
    assert sorted(db.list_collection_names()) == ["messages_2024_02", "messages_2024_13", "messages_current",
                                                  "other_2024_01"]


def test_cleanup_puts_back_a_month_that_was_written_while_parked(db, monkeypatch):
    """A document arriving between the first check and the rename keeps the collection (and the document)."""
    db.create_collection("messages_2024_03")
    original_rename = type(db["x"]).rename

    def write_then_rename(collection, new_name, *args, **kwargs):
        if new_name.endswith(".shardsmith_empty"):
            collection.insert_one({"uuid": "late"})
        return original_rename(collection, new_name, *args, **kwargs)

    monkeypatch.setattr(type(db["x"]), "rename", write_then_rename)
    assert cleanup(db, "messages") == []
    assert [d["uuid"] for d in db["messages_2024_03"].find()] == ["late"]
    assert db.list_collection_names() == ["messages_2024_03"]


def test_a_kill_between_archive_and_drop_loses_nothing_and_a_rerun_finishes(db, replset, tmp_path):
    written = fill_months(db, "messages", 600, months=2)
    args = (replset.uri(), db.name, "messages", 1, NOW.isoformat(), tmp_path)
    assert kill_after(started(child("tests.crash.rotate_child", *args, "die-before-drop")), 120)
    assert (archive_dir(tmp_path, db.name, "messages_2024_01") / "manifest.json").exists()
    assert uuids(db["messages_2024_01"]) == written["messages_2024_01"]  # archived, not dropped

    run_to_end("tests.crash.rotate_child", *args)
    assert not db.list_collection_names()
    for name, month in (("messages_2024_01", "2024-01"), ("messages_2024_02", "2024-02")):
        restore(db, "messages", month, tmp_path)
        assert uuids(db[name]) == written[name]


@pytest.mark.parametrize("trial", range(3))
def test_rotate_killed_at_a_random_point_then_rerun_keeps_every_document(db, replset, tmp_path, trial):
    written = fill_months(db, "messages", 2000, months=4, seed=trial)
    everything = set().union(*written.values())
    args = (replset.uri(), db.name, "messages", 1, NOW.isoformat(), tmp_path)
    delay = random.Random(trial).uniform(0.02, 0.3)
    killed = kill_after(started(child("tests.crash.rotate_child", *args)), delay)
    print(f"trial {trial}: SIGKILL {delay:.2f}s into the work, killed mid-run: {killed}, "
          f"months left: {db.list_collection_names()}")
    assert set().union(*(uuids(db[name]) for name in db.list_collection_names())) <= everything

    run_to_end("tests.crash.rotate_child", *args)
    assert not db.list_collection_names()
    for month in ("2024-01", "2024-02", "2024-03", "2024-04"):
        restore(db, "messages", month, tmp_path)
    assert set().union(*(uuids(db[name]) for name in written)) == everything
    assert sum(db[name].count_documents({}) for name in written) == len(everything)
