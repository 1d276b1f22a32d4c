"""The plan (diff) against observed states the real mongod reported (tests/fixtures/observed, capture.py).

No server here: the fixtures are what `observe` read from a real 6.0.5 replica
set after plain pymongo calls built each state; these tests vary the spec.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bson.int64 import Int64

from shardsmith.dataplan.diff import diff
from shardsmith.dataplan.observe import Observed
from shardsmith.dataplan.versions import parse_version
from shardsmith.topology import parse_topology
from tests.routerplay.rules import hashed_split_points

FIXTURES = Path(__file__).parent.parent / "fixtures" / "observed"
SPEC_TEXT = (FIXTURES / "spec.yaml").read_text()
DAY = 86400


def spec(*replacements):
    """spec.yaml, with (old, new) text replacements applied (each must match)."""
    text = SPEC_TEXT
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    return parse_topology(text, "spec.yaml")


def observed(state: str) -> Observed:
    return Observed.from_dict(json.loads((FIXTURES / f"{state}.json").read_text()))


def through_a_router(state: str, version: str, wire: int, shards=("shard01", "shard02")) -> Observed:
    """The same collections seen through a mongos of `version` with `shards` (none of them sharded yet)."""
    seen = observed(state)
    seen.kind, seen.server = "sharded", parse_version(version, wire)
    seen.shards = [{"id": s, "tags": []} for s in shards]
    return seen


def kinds(plan, target=None):
    return [s.kind for s in plan.steps if target is None or s.target == target]


def test_the_fixtures_are_what_the_real_server_reported():
    for state in ("empty", "matching", "drifted"):
        seen = observed(state)
        assert (seen.kind, seen.server.version, seen.server.wire_version) == ("replset", "6.0.5", 17)
    assert observed("empty").databases == {"capture": {}}


def test_empty_replica_set_plans_every_collection_and_notes_the_shard_keys():
    plan = diff(spec(), observed("empty"))
    assert [(s.kind, s.target) for s in plan.steps] == [
        ("create", "capture.messages"), ("createIndexes", "capture.messages"),
        ("create", "capture.sessions"), ("create", "capture.messages_timeseries"),
        ("create", "capture.events"), ("create", "capture.report")]
    assert plan.refusals == [] and plan.differences == []
    assert sum("applied only through a mongos" in n for n in plan.notes) == 3
    timeseries = plan.steps[3].command
    assert timeseries == {"create": "messages_timeseries",
                          "timeseries": {"timeField": "timestamp", "metaField": "metadata", "granularity": "minutes"},
                          "expireAfterSeconds": 365 * DAY, "writeConcern": {"w": "majority"}}
    indexes = plan.steps[1].command["indexes"]
    assert [i["name"] for i in indexes] == ["uuid_1", "sessionId_1_uuid_1", "sessionId_1_timestamp_1", "timestamp_-1",
                                            "costUsd_-1", "expiry", "$**_text"]
    assert indexes[5] == {"key": {"expiresAt": 1}, "name": "expiry", "expireAfterSeconds": 90 * DAY}
    assert indexes[4]["partialFilterExpression"] == {"costUsd": {"$gt": 0}}


def test_a_state_made_by_hand_to_match_needs_nothing():
    plan = diff(spec(), observed("matching"), prune=True)
    assert plan.empty and plan.differences == [], plan.as_dict()


def test_drift_is_refused_reported_or_planned_without_prune():
    plan = diff(spec(), observed("drifted"))
    refused = {r.target: r for r in plan.refusals}
    assert set(refused) == {"capture.events", "capture.report", "capture.messages_timeseries"}
    assert "cannot turn it into a time-series collection in place" in refused["capture.events"].reason
    assert refused["capture.events"].command["pipeline"][0]["$out"]["timeseries"] == {"timeField": "at", "metaField": "source"}
    assert "is a view" in refused["capture.report"].reason
    assert "only to a coarser one, not to minutes" in refused["capture.messages_timeseries"].reason
    differences = sorted(d.what for d in plan.differences)
    assert len(differences) == 3
    assert "expiry differs" in differences[0] and "expireAfterSeconds 2592000 -> 7776000" in differences[0]
    assert "legacy_1" in differences[1] and "not in the index set" in differences[1]
    assert "uuid_1 differs" in differences[2] and "unique True -> False" in differences[2]
    # the missing indexes, all in one createIndexes; nothing is dropped
    assert kinds(plan, "capture.messages") == ["createIndexes"]
    assert [i["name"] for i in plan.steps[0].command["indexes"]] == ["sessionId_1_uuid_1", "costUsd_-1", "$**_text"]
    assert "dropIndexes" not in kinds(plan)


def test_prune_drops_extra_and_differing_indexes_then_creates_in_one_command():
    plan = diff(spec(), observed("drifted"), prune=True)
    steps = [s for s in plan.steps if s.target == "capture.messages"]
    assert [(s.kind, s.command.get("index")) for s in steps] == [
        ("dropIndexes", "uuid_1"), ("dropIndexes", "expiry"), ("dropIndexes", "legacy_1"), ("createIndexes", None)]
    assert [i["name"] for i in steps[-1].command["indexes"]] == [
        "uuid_1", "sessionId_1_uuid_1", "costUsd_-1", "expiry", "$**_text"]
    assert not any("index" in d.what for d in plan.differences)


def test_expire_after_change_is_a_collmod_and_coarser_granularity_too():
    drifted = diff(spec(("granularity: minutes", "granularity: hours")), observed("drifted"))
    assert [s.command for s in drifted.steps if s.target == "capture.messages_timeseries"] == [
        {"collMod": "messages_timeseries", "expireAfterSeconds": 365 * DAY, "writeConcern": {"w": "majority"}}]
    coarser = diff(spec(("granularity: minutes", "granularity: hours")), observed("matching"))
    assert [s.command for s in coarser.steps] == [
        {"collMod": "messages_timeseries", "timeseries": {"granularity": "hours"}, "writeConcern": {"w": "majority"}}]
    off = diff(spec(("          expire_after: 365d\n", "")), observed("matching"))
    assert [s.command["expireAfterSeconds"] for s in off.steps] == ["off"]


def test_time_and_meta_fields_cannot_change():
    plan = diff(spec(("time_field: at", "time_field: when")), observed("matching"))
    assert [r.target for r in plan.refusals] == ["capture.events"]
    assert "has timeField 'at'; the spec says 'when'" in plan.refusals[0].reason


def test_an_index_set_is_only_managed_where_the_spec_names_one():
    plan = diff(spec(("        indexes: messages-standard\n", "")), observed("drifted"), prune=True)
    assert "capture.messages" not in {s.target for s in plan.steps}
    assert not any(d.target == "capture.messages" for d in plan.differences)


@pytest.mark.parametrize("version, wire, presplit", [("6.0.14", 17, "numInitialChunks"), ("7.0.12", 21, "numInitialChunks"),
                                                     ("8.0.4", 25, "split-and-move")])
def test_through_a_router_the_version_chooses_how_to_presplit(version, wire, presplit):
    plan = diff(spec(), through_a_router("matching", version, wire))
    assert plan.behaviour["presplit"] == presplit
    messages = [s for s in plan.steps if s.target == "capture.messages"]
    shard = messages[0]
    assert shard.kind == "shardCollection" and shard.behaviour
    if presplit == "numInitialChunks":
        assert shard.command == {"shardCollection": "capture.messages", "key": {"sessionId": "hashed"}, "numInitialChunks": 8}
        assert len(messages) == 1
    else:
        assert "numInitialChunks" not in shard.command and "ignored from 7.2" in shard.behaviour
        splits = [s.command["middle"]["sessionId"] for s in messages if s.kind == "split"]
        assert splits == [Int64(p) for p in hashed_split_points(8)]
        assert [s.command["toShard"] for s in messages if s.kind == "move"] == ["shard01"] * 4 + ["shard02"] * 4
    # enableSharding is optional from 6.0: never planned here
    assert "enableSharding" not in kinds(plan)
    sessions = [s.command for s in plan.steps if s.target == "capture.sessions"]
    assert sessions == [{"shardCollection": "capture.sessions", "key": {"sessionId": "hashed", "timestamp": 1}}]
    ts = [s.kind for s in plan.steps if s.target == "capture.messages_timeseries"]
    assert ts == ["shardCollection"]


def test_through_a_router_a_collection_with_documents_is_not_presplit():
    plan = diff(spec(), through_a_router("drifted", "8.0.4", 25))
    refusal = next(r for r in plan.refusals if r.target == "capture.messages")
    assert "already holds documents; pre-splitting works only on an empty collection" in refusal.reason
    assert not any(s.target == "capture.messages" and s.kind in ("shardCollection", "split", "move") for s in plan.steps)
