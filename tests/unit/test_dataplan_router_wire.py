"""Router conversations of the data plan, at the wire level, against a played mongos 6.0 / 7.0 / 8.0.

The played router (tests/dataplan/played_router.py) answers reads from a small
model of the cluster and records every command; these tests assert the exact
writes and their order, and that a second apply sends none.
"""

from __future__ import annotations

import pytest
from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey

from shardsmith.dataplan import apply, connect, make_plan
from shardsmith.dataplan.apply import apply_plan
from shardsmith.dataplan.layout import hashed_split_points
from shardsmith.errors import ShardsmithError
from shardsmith.topology import parse_topology
from tests.dataplan import scenarios
from tests.dataplan.played_router import played_router
from tests.dataplan.scenarios import chunk_counts, sharding_entry, topology

VERSIONS = ["6.0", "7.0", "8.0"]
PRESPLIT = topology(scenarios.PRESPLIT)
ZONED = topology(scenarios.ZONED)
BALANCER = topology(scenarios.BALANCER_OFF)
CARD = topology(scenarios.CARD)


def names(writes):
    return [name for name, _ in writes]


@pytest.mark.parametrize("version", VERSIONS)
def test_presplit_hashed_key_uses_what_the_version_honours(version):
    with played_router(version) as router:
        client = connect(router.uri)
        plan = make_plan(PRESPLIT, client)
        result = apply(PRESPLIT, client)
        writes = router.writes
        if version in ("6.0", "7.0"):
            assert plan.behaviour["presplit"] == "numInitialChunks"
            assert writes == [("shardCollection", {"shardCollection": "app.messages", "key": {"sessionId": "hashed"},
                                                   "numInitialChunks": 8})]
        else:
            assert plan.behaviour["presplit"] == "split-and-move"
            assert "numInitialChunks is ignored from 7.2" in plan.steps[0].behaviour
            assert writes[0] == ("shardCollection", {"shardCollection": "app.messages", "key": {"sessionId": "hashed"}})
            # 8.0 made one chunk per shard, split at 0: that boundary is skipped, the other six are sent
            splits = [doc["middle"]["sessionId"] for name, doc in writes if name == "split"]
            assert splits == [p for p in hashed_split_points(8) if p != 0]
            assert all(isinstance(s, Int64) for s in splits)
            moves = [doc for name, doc in writes if name == "moveRange"]
            assert names(writes) == ["shardCollection"] + ["split"] * 6 + ["moveRange"] * 8
            assert [m["toShard"] for m in moves] == ["shard01"] * 4 + ["shard02"] * 4
            assert isinstance(moves[0]["min"]["sessionId"], MinKey) and isinstance(moves[-1]["max"]["sessionId"], MaxKey)
        assert chunk_counts(client, "app.messages") == {"shard01": 4, "shard02": 4}
        assert result.remaining.empty
        before = len(router.log)
        again = apply(PRESPLIT, client)
        assert again.outcomes == [] and names(router.writes) == names(writes)  # observed says done: nothing sent
        assert len(router.log) > before  # it did look


@pytest.mark.parametrize("version", VERSIONS)
def test_compound_hashed_key_defines_zones_before_presplit_hashed_zones(version):
    with played_router(version) as router:
        client = connect(router.uri)
        apply(ZONED, client)
        assert names(router.writes) == ["addShardToZone", "updateZoneKeyRange", "addShardToZone", "updateZoneKeyRange",
                                        "shardCollection"]
        zone_range = router.writes[1][1]
        assert zone_range["min"] == {"region": "east", "sessionId": MinKey()}
        assert zone_range["max"] == {"region": "eastz", "sessionId": MinKey()}
        assert router.writes[-1][1] == {"shardCollection": "app.events", "key": {"region": 1, "sessionId": "hashed"},
                                        "presplitHashedZones": True}
        count = len(router.writes)
        assert make_plan(ZONED, client).empty
        apply(ZONED, client)
        assert len(router.writes) == count


EAST_WIDER = scenarios.ZONED.replace("max: {region: eastz}", "max: {region: f}").split("          - {zone: west")[0]
WEST_ONLY_DROPPED = scenarios.ZONED.split("          - {zone: west")[0]


def zone_ranges(router) -> list:
    return sorted((t["tag"], t["min"]["region"], t["max"]["region"]) for t in router.tags)


@pytest.mark.parametrize("version", VERSIONS)
def test_zone_ranges_the_spec_no_longer_declares(version):
    with played_router(version) as router:
        client = connect(router.uri)
        apply(ZONED, client)
        before = len(router.writes)

        # west dropped from the spec: reported, not changed; nothing else to do
        plan = make_plan(topology(WEST_ONLY_DROPPED), client)
        assert plan.empty and not plan.refusals
        assert [d.what for d in plan.differences] == [
            "zone range west: [(west, MinKey), (westz, MinKey)) of app.events is not in the spec"]

        # east widened: its old range would overlap the new one, which the server rejects; refused as a whole
        with pytest.raises(ShardsmithError, match="overlaps a range the spec declares"):
            apply(topology(EAST_WIDER), client)
        assert len(router.writes) == before and zone_ranges(router) == [("east", "east", "eastz"), ("west", "west", "westz")]

        # --prune removes the ranges the spec no longer declares, first, then adds the new one
        result = apply(topology(EAST_WIDER), client, prune=True)
        removed = [doc for name, doc in router.writes[before:] if doc.get("zone", "") is None]
        assert [(d["min"]["region"], d["max"]["region"]) for d in removed] == [("east", "eastz"), ("west", "westz")]
        assert router.writes[-1][1]["zone"] == "east" and names(router.writes[before:]) == ["updateZoneKeyRange"] * 3
        assert zone_ranges(router) == [("east", "east", "f")]
        assert result.remaining.empty and not result.remaining.differences


def test_compound_key_without_hashed_prefix_needs_zones_to_presplit():
    spec = topology(scenarios.ZONED.split("        zones:")[0])
    with played_router("7.0") as router:
        plan = make_plan(spec, connect(router.uri))
        assert "needs zones" in plan.refusals[0].reason and router.writes == []


@pytest.mark.parametrize("version", ["6.0", "8.0"])
def test_ranged_key_splits_at_the_given_points_and_spreads_the_ranges(version):
    spec = topology(scenarios.RANGED)
    with played_router(version) as router:
        client = connect(router.uri)
        apply(spec, client)
        assert names(router.writes) == ["shardCollection", "split", "split", "split", "moveRange", "moveRange"]
        assert [d["middle"] for n, d in router.writes if n == "split"] == [{"customer": "g"}, {"customer": "n"}, {"customer": "t"}]
        # one chunk on the last shard at first; the two lower ranges move to shard01
        assert [(d["min"], d["toShard"]) for n, d in router.writes if n == "moveRange"] == [
            ({"customer": MinKey()}, "shard01"), ({"customer": "g"}, "shard01")]
        assert chunk_counts(client, "app.orders") == {"shard01": 2, "shard02": 2}


@pytest.mark.parametrize("version", VERSIONS)
def test_balancer_settings_from_the_spec(version):
    with played_router(version) as router:
        client = connect(router.uri)
        apply(BALANCER, client)
        assert router.writes == [
            ("balancerStop", {"balancerStop": 1}),
            ("update", {"update": "settings", "updates": [
                {"q": {"_id": "balancer"}, "u": {"$set": {"activeWindow": {"start": "23:00", "stop": "06:00"}}},
                 "upsert": True}], "writeConcern": {"w": "majority"}}),
            ("create", {"create": "plain", "writeConcern": {"w": "majority"}}),
        ]
        assert make_plan(BALANCER, client).empty
        on = topology(scenarios.BALANCER_ON)
        apply(on, client)
        assert names(router.writes)[3:] == ["balancerStart", "update"]
        assert router.writes[-1][1]["updates"][0]["u"] == {"$unset": {"activeWindow": True}}


def test_different_shard_key_is_refused_with_the_reshard_command():
    with played_router("7.0") as router:
        router.shard("app.messages", {"userId": 1})
        plan = make_plan(PRESPLIT, connect(router.uri))
        refusal = plan.refusals[0]
        assert "already sharded on {'userId': 1}" in refusal.reason
        assert refusal.command == {"reshardCollection": "app.messages", "key": {"sessionId": "hashed"}}
        with pytest.raises(ShardsmithError, match="reshardCollection") as raised:
            apply(PRESPLIT, connect(router.uri))
        assert "nothing was changed" in str(raised.value) and router.writes == []


def test_presplitting_a_non_empty_collection_is_refused():
    with played_router("8.0") as router:
        router.add_collection("app.messages", docs=10)
        with pytest.raises(ShardsmithError, match="already holds documents; pre-splitting works only on an empty"):
            apply(PRESPLIT, connect(router.uri))
        assert router.writes == []


def test_an_under_split_empty_collection_is_split_again_after_a_crash():
    with played_router("8.0") as router:
        router.shard("app.messages", {"sessionId": "hashed"}, chunks_per_shard=1)
        router.add_collection("app.other")  # the empty-check reads app.messages only
        client = connect(router.uri)
        plan = make_plan(PRESPLIT, client)
        assert [s.kind for s in plan.steps] == ["split"] * 7 + ["move"] * 8
        apply(PRESPLIT, client)
        assert chunk_counts(client, "app.messages") == {"shard01": 4, "shard02": 4}


def test_already_sharded_answer_on_the_same_key_counts_as_done():
    with played_router("6.0") as router:
        client = connect(router.uri)
        plan = make_plan(PRESPLIT, client)
        # someone shards it between our read and our command; the router answers code 20
        router.shard("app.messages", {"sessionId": "hashed"}, chunks_per_shard=4)
        router.fail_next("shardCollection", 20, "sharding already enabled for collection app.messages")
        outcomes = apply_plan(client, plan)
        assert [(o.step.kind, o.status) for o in outcomes] == [("shardCollection", "already")]
        assert names(router.writes) == ["shardCollection"]


def test_already_sharded_on_another_key_is_a_clear_error():
    with played_router("7.0") as router:
        client = connect(router.uri)
        plan = make_plan(PRESPLIT, client)
        router.shard("app.messages", {"userId": 1})
        router.fail_next("shardCollection", 20, "already sharded")
        with pytest.raises(ShardsmithError, match=r"sharded meanwhile on \{'userId': 1\}"):
            apply_plan(client, plan)


def test_server_errors_name_the_step_code_and_message():
    with played_router("8.0") as router:
        router.fail_next("moveRange", 117, "Data transfer error: migration aborted")
        with pytest.raises(ShardsmithError) as raised:
            apply(PRESPLIT, connect(router.uri))
        text = str(raised.value)
        assert "step 9 of 16 failed (move [MinKey" in text
        assert "(code 117): Data transfer error: migration aborted" in text
        assert "8 step(s) were done before it" in text


CARD_INDEXES = ["uuid_1", "sessionId_1_timestamp_1", "timestamp_-1", "model_1_timestamp_-1"]


@pytest.mark.parametrize("version", VERSIONS)
def test_the_design_card_plan_in_exact_order_then_nothing(version):
    with played_router(version) as router:
        client = connect(router.uri)
        apply(CARD, client)
        writes = router.writes
        messages = ["shardCollection"] if version != "8.0" else ["shardCollection"] + ["split"] * 6 + ["moveRange"] * 8
        assert names(writes) == messages + ["createIndexes", "shardCollection", "create", "shardCollection"]
        create_indexes, sessions, ts_create, ts_shard = writes[-4:]
        assert [i["name"] for i in create_indexes[1]["indexes"]] == CARD_INDEXES
        assert sessions[1] == {"shardCollection": "app.sessions", "key": {"sessionId": "hashed", "timestamp": 1}}
        assert ts_create[1] == {"create": "messages_timeseries", "timeseries": {
            "timeField": "timestamp", "metaField": "metadata", "granularity": "minutes"},
            "expireAfterSeconds": 365 * 86400, "writeConcern": {"w": "majority"}}
        assert ts_shard[1] == {"shardCollection": "app.messages_timeseries", "key": {"metadata.sessionId": "hashed"}}
        # the router registers the buckets namespace with meta.sessionId; the plan reads it back as the spec's key
        assert sharding_entry(client, "app.messages_timeseries")["key"] == {"meta.sessionId": "hashed"}
        assert chunk_counts(client, "app.messages") == {"shard01": 4, "shard02": 4}
        again = make_plan(CARD, client)
        assert again.empty and again.differences == [], again.as_dict()
        assert apply(CARD, client).outcomes == [] and router.writes == writes


def test_a_refused_shard_collection_names_the_step_and_the_server_error():
    with played_router("7.0") as router:
        router.fail_next("shardCollection", 13, "not authorized on admin to execute command { shardCollection: ... }")
        with pytest.raises(ShardsmithError) as raised:
            apply(PRESPLIT, connect(router.uri))
        assert "step 1 of 1 failed (shard app.messages on {sessionId: hashed})" in str(raised.value)
        assert "(code 13): not authorized on admin to execute command" in str(raised.value)
        assert "0 step(s) were done before it" in str(raised.value)


def test_an_unreadable_config_database_is_a_user_error_not_a_traceback():
    with played_router("8.0") as router:
        router.fail_next("listShards", 13, "not authorized on admin to execute command { listShards: 1 }")
        with pytest.raises(ShardsmithError, match=r"reading the target failed: not authorized .* \(code 13\)") as raised:
            make_plan(PRESPLIT, connect(router.uri))
        assert "clusterMonitor" in raised.value.hint


@pytest.mark.parametrize("version", VERSIONS)
def test_enable_sharding_is_never_sent_from_6_0(version):
    with played_router(version) as router:
        apply(PRESPLIT, connect(router.uri))
        assert "enableSharding" not in names(router.writes)
