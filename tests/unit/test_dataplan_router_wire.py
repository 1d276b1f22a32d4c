"""Router conversations of the data plan, at the wire level, against a played mongos 6.0 / 7.0 / 8.0.

The played router (tests/routerplay) keeps config.* and the user databases in a
real mongod and runs the product's reads there; these tests assert the exact
writes and their order, the layout the server then holds (read back with plain
finds), and that a second apply sends none. Expected server behaviour comes from
tests/routerplay/rules.py, which cites the MongoDB source or manual for each.
"""

from __future__ import annotations

import importlib
import threading
from collections import Counter

import pytest
from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey

from shardsmith.dataplan import apply, connect, make_plan
from shardsmith.dataplan.apply import apply_plan
from shardsmith.dataplan.report import summary
from shardsmith.dataplan.steps import Plan
from shardsmith.errors import ShardsmithError
from tests.dataplan import scenarios
from tests.dataplan.played_router import SHARDS, played_router
from tests.dataplan.scenarios import chunk_counts, sharding_entry, topology
from tests.routerplay import rules

VERSIONS = ["6.0", "7.0", "8.0"]
PRESPLIT = topology(scenarios.PRESPLIT)
ZONED = topology(scenarios.ZONED)
BALANCER = topology(scenarios.BALANCER_OFF)
CARD = topology(scenarios.CARD)
HASHED = {"sessionId": "hashed"}
DECLARED = 4 * len(SHARDS)  # PRESPLIT: chunks_per_shard 4
OBSERVE = importlib.import_module("shardsmith.dataplan.observe")  # the module (the package exports its function)


def names(writes):
    return [name for name, _ in writes]


def observed_chunks(result, ns: str) -> dict:
    """Chunks per shard as the product observed them after apply (counted by its $group on config.chunks)."""
    return next(row["chunks"] for row in summary(result.after) if row["namespace"] == ns)


def initial_owner(version: str, point: int) -> str:
    """The shard the version's initial hashed layout (rules.py) puts the hashed value `point` on."""
    return next(shard for lo, hi, shard in rules.hashed_layout(version, HASHED, list(SHARDS))
                if _hash(lo) <= point < _hash(hi))


def _hash(bound: dict) -> float:
    value = bound["sessionId"]
    return float("-inf") if isinstance(value, MinKey) else float("inf") if isinstance(value, MaxKey) else value


def presplit_conversation(version: str, mongod) -> dict:
    """Plan and apply the pre-split through the played router; the chunks per shard the config server holds."""
    with played_router(version, mongod) as router:
        client = connect(router.uri)
        plan = make_plan(PRESPLIT, client)
        result = apply(PRESPLIT, client)
        writes = router.writes
        if rules.VERSION_RULES[version].honours_num_initial_chunks:
            assert plan.behaviour["presplit"] == "numInitialChunks"
            assert writes == [("shardCollection", {"shardCollection": "app.messages", "key": HASHED,
                                                   "numInitialChunks": DECLARED})]
        else:
            assert plan.behaviour["presplit"] == "split-and-move"
            assert "numInitialChunks is ignored from 7.2" in plan.steps[0].behaviour
            assert writes[0] == ("shardCollection", {"shardCollection": "app.messages", "key": HASHED})
            # the server's own initial boundaries are skipped; the rest of the declared ones are sent
            initial = rules.hashed_split_points(len(SHARDS) * rules.VERSION_RULES[version].hashed_chunks_per_shard)
            splits = [doc["middle"]["sessionId"] for name, doc in writes if name == "split"]
            assert splits == [p for p in rules.hashed_split_points(DECLARED) if p not in initial]
            assert all(isinstance(s, Int64) for s in splits)
            # each declared piece goes to its block's shard: the first half to shard01, unless it starts there
            starts = [None] + rules.hashed_split_points(DECLARED)
            wanted = ["shard01"] * 4 + ["shard02"] * 4
            needed = [w for start, w in zip(starts, wanted)
                      if initial_owner(version, float("-inf") if start is None else start) != w]
            moves = [doc for name, doc in writes if name == "moveRange"]
            assert names(writes) == ["shardCollection"] + ["split"] * len(splits) + ["moveRange"] * len(needed)
            assert [m["toShard"] for m in moves] == needed
            assert isinstance(moves[0]["min"]["sessionId"], MinKey) and isinstance(moves[-1]["max"]["sessionId"], MaxKey)
        assert observed_chunks(result, "app.messages") == chunk_counts(client, "app.messages")
        assert result.remaining.empty
        before = len(router.log)
        again = apply(PRESPLIT, client)
        assert again.outcomes == [] and names(router.writes) == names(writes)  # observed says done: nothing sent
        assert len(router.log) > before  # it did look
        return chunk_counts(client, "app.messages")


@pytest.mark.parametrize("version", VERSIONS)
def test_presplit_hashed_key_uses_what_the_version_honours(version, played_mongod):
    assert presplit_conversation(version, played_mongod) == {"shard01": 4, "shard02": 4}


@pytest.mark.parametrize("version", VERSIONS)
def test_the_chunk_counts_come_from_the_products_own_group_run_by_the_server(version, played_mongod, monkeypatch):
    """A wrong $group in observe makes the conversation fail: the played router runs the product's pipeline."""
    def counted_twice(uuids):
        return [{"$match": {"uuid": {"$in": uuids}}},
                {"$group": {"_id": {"uuid": "$uuid", "shard": "$shard"}, "chunks": {"$sum": 2}}}]

    monkeypatch.setattr(OBSERVE, "chunk_count_pipeline", counted_twice)
    with pytest.raises(AssertionError):
        presplit_conversation(version, played_mongod)


@pytest.mark.parametrize("version", VERSIONS)
def test_apply_then_the_automerger_then_apply_is_empty(version, played_mongod):
    merges = rules.VERSION_RULES[version].auto_merger
    with played_router(version, played_mongod) as router:
        client = connect(router.uri)
        first = make_plan(CARD, client)
        assert first.behaviour["auto_merger"] == ("left-on" if merges else "absent")
        assert ("AutoMerger" in first.steps[0].behaviour) == merges
        apply(CARD, client)
        writes = list(router.writes)
        merged = router.catalog.merge_pass()
        assert (merged > 0) == merges
        expected = {"shard01": 1, "shard02": 1} if merges else {"shard01": 4, "shard02": 4}
        assert chunk_counts(client, "app.messages") == expected
        plan = make_plan(CARD, client)
        assert plan.empty and plan.differences == [], plan.as_dict()
        assert any("holds its share of the hashed range" in note for note in plan.notes) == merges
        assert apply(CARD, client).outcomes == [] and router.writes == writes


@pytest.mark.parametrize("version", VERSIONS)
def test_compound_hashed_key_defines_zones_before_presplit_hashed_zones(version, played_mongod):
    with played_router(version, played_mongod) as router:
        client = connect(router.uri)
        apply(ZONED, client)
        assert names(router.writes) == ["addShardToZone", "updateZoneKeyRange", "addShardToZone", "updateZoneKeyRange",
                                        "shardCollection"]
        zone_range = router.writes[1][1]
        assert zone_range["min"] == {"region": "east", "sessionId": MinKey()}
        assert zone_range["max"] == {"region": "eastz", "sessionId": MinKey()}
        assert router.writes[-1][1] == {"shardCollection": "app.events", "key": {"region": 1, "sessionId": "hashed"},
                                        "presplitHashedZones": True}
        zones = list(client.config.tags.find({"ns": "app.events"}).sort("min", 1))
        layout = rules.zoned_layout(version, {"region": 1, "sessionId": "hashed"}, list(SHARDS), zones,
                                    {"east": ["shard01"], "west": ["shard02"]}, presplit_hashed=True)
        assert chunk_counts(client, "app.events") == dict(Counter(shard for _, _, shard in layout))
        count = len(router.writes)
        assert make_plan(ZONED, client).empty
        apply(ZONED, client)
        assert len(router.writes) == count


HASHED_FIRST_ZONED = """
databases:
  DB:
    collections:
      events:
        shard_key: {sessionId: hashed, at: 1}
        presplit: {chunks_per_shard: 2}
        zones:
          - {zone: all, shards: [shard01, shard02], min: {sessionId: $minKey}, max: {sessionId: $maxKey}}
"""


@pytest.mark.parametrize("version", VERSIONS)
def test_a_hashed_first_key_presplits_zones_only_with_one_zone_over_everything(version, played_mongod):
    with played_router(version, played_mongod) as router:
        client = connect(router.uri)
        result = apply(topology(HASHED_FIRST_ZONED), client)
        assert router.writes[-1][1]["presplitHashedZones"] is True and result.remaining.empty
        zones = list(client.config.tags.find({"ns": "app.events"}))
        layout = rules.zoned_layout(version, {"sessionId": "hashed", "at": 1}, list(SHARDS), zones,
                                    {"all": list(SHARDS)}, presplit_hashed=True)
        assert chunk_counts(client, "app.events") == dict(Counter(shard for _, _, shard in layout))
    two_zones = HASHED_FIRST_ZONED.replace("max: {sessionId: $maxKey}}", "max: {sessionId: 0}}") + (
        "          - {zone: all, shards: [shard01], min: {sessionId: 0}, max: {sessionId: $maxKey}}\n")
    with played_router(version, played_mongod) as router:
        plan = make_plan(topology(two_zones), connect(router.uri))
        assert "needs a single zone over the whole key range" in plan.refusals[0].reason


EAST_WIDER = scenarios.ZONED.replace("max: {region: eastz}", "max: {region: f}").split("          - {zone: west")[0]
WEST_ONLY_DROPPED = scenarios.ZONED.split("          - {zone: west")[0]


def zone_ranges(client) -> list:
    return sorted((t["tag"], t["min"]["region"], t["max"]["region"]) for t in client.config.tags.find())


@pytest.mark.parametrize("version", VERSIONS)
def test_zone_ranges_the_spec_no_longer_declares(version, played_mongod):
    with played_router(version, played_mongod) as router:
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
        assert len(router.writes) == before and zone_ranges(client) == [("east", "east", "eastz"), ("west", "west", "westz")]

        # --prune removes the ranges the spec no longer declares, first, then adds the new one
        result = apply(topology(EAST_WIDER), client, prune=True)
        removed = [doc for name, doc in router.writes[before:] if doc.get("zone", "") is None]
        assert [(d["min"]["region"], d["max"]["region"]) for d in removed] == [("east", "eastz"), ("west", "westz")]
        assert router.writes[-1][1]["zone"] == "east" and names(router.writes[before:]) == ["updateZoneKeyRange"] * 3
        assert zone_ranges(client) == [("east", "east", "f")]
        assert result.remaining.empty and not result.remaining.differences


def test_compound_key_without_hashed_prefix_needs_zones_to_presplit(played_mongod):
    spec = topology(scenarios.ZONED.split("        zones:")[0])
    with played_router("7.0", played_mongod) as router:
        plan = make_plan(spec, connect(router.uri))
        assert "needs zones" in plan.refusals[0].reason and router.writes == []


@pytest.mark.parametrize("version", ["6.0", "8.0"])
def test_ranged_key_splits_at_the_given_points_and_spreads_the_ranges(version, played_mongod):
    spec = topology(scenarios.RANGED)
    with played_router(version, played_mongod) as router:
        client = connect(router.uri)
        apply(spec, client)
        assert names(router.writes) == ["shardCollection", "split", "split", "split", "moveRange", "moveRange"]
        assert [d["middle"] for n, d in router.writes if n == "split"] == [{"customer": "g"}, {"customer": "n"}, {"customer": "t"}]
        # one chunk on the database's primary shard at first; the ranges of the other shard move there
        assert rules.primary_shard(list(SHARDS)) == "shard02"
        assert [(d["min"], d["toShard"]) for n, d in router.writes if n == "moveRange"] == [
            ({"customer": MinKey()}, "shard01"), ({"customer": "g"}, "shard01")]
        assert chunk_counts(client, "app.orders") == {"shard01": 2, "shard02": 2}


@pytest.mark.parametrize("version", VERSIONS)
def test_balancer_settings_from_the_spec(version, played_mongod):
    with played_router(version, played_mongod) as router:
        client = connect(router.uri)
        apply(BALANCER, client)
        assert router.writes == [
            ("balancerStop", {"balancerStop": 1}),
            ("update", {"update": "settings", "updates": [
                {"q": {"_id": "balancer"}, "u": {"$set": {"activeWindow": {"start": "23:00", "stop": "06:00"}}},
                 "upsert": True}], "writeConcern": {"w": "majority"}}),
            ("create", {"create": "plain", "writeConcern": {"w": "majority"}}),
        ]
        settings = client.config.settings.find_one({"_id": "balancer"}, {"_id": 0})
        assert settings == {"stopped": True, "mode": "off", "activeWindow": {"start": "23:00", "stop": "06:00"}}
        assert make_plan(BALANCER, client).empty
        on = topology(scenarios.BALANCER_ON)
        apply(on, client)
        assert names(router.writes)[3:] == ["balancerStart", "update"]
        assert router.writes[-1][1]["updates"][0]["u"] == {"$unset": {"activeWindow": True}}


def test_different_shard_key_is_refused_with_the_reshard_command(played_mongod):
    with played_router("7.0", played_mongod) as router:
        router.catalog.shard_collection("app.messages", {"userId": 1})
        plan = make_plan(PRESPLIT, connect(router.uri))
        refusal = plan.refusals[0]
        assert "already sharded on {'userId': 1}" in refusal.reason
        assert refusal.command == {"reshardCollection": "app.messages", "key": HASHED}
        with pytest.raises(ShardsmithError, match="reshardCollection") as raised:
            apply(PRESPLIT, connect(router.uri))
        assert "nothing was changed" in str(raised.value) and router.writes == []


def test_presplitting_a_non_empty_collection_is_refused(played_mongod):
    with played_router("8.0", played_mongod) as router:
        router.database("app").messages.insert_many([{"sessionId": f"s{i}"} for i in range(10)])
        with pytest.raises(ShardsmithError, match="already holds documents; pre-splitting works only on an empty"):
            apply(PRESPLIT, connect(router.uri))
        assert router.writes == []


def test_a_presplit_cut_short_resumes_where_it_stopped(played_mongod):
    with played_router("8.0", played_mongod) as router:
        client = connect(router.uri)
        plan = make_plan(PRESPLIT, client)
        third_move = [i for i, s in enumerate(plan.steps) if s.kind == "move"][2]
        apply_plan(client, Plan(plan.target, plan.behaviour, steps=plan.steps[:third_move + 1]))  # then a crash
        sent = len(router.writes)
        again = make_plan(PRESPLIT, client)
        assert any("do not give every shard its share" in note for note in again.notes)
        outcomes = apply_plan(client, again)
        assert [o.status for o in outcomes if o.step.kind == "split"] == ["skipped"] * (DECLARED - 1)
        assert [o.status for o in outcomes if o.step.kind == "move"] == ["skipped"] * 3 + ["done"] * 5
        assert names(router.writes[sent:]) == ["moveRange"] * 5
        assert chunk_counts(client, "app.messages") == {"shard01": 4, "shard02": 4}
        assert make_plan(PRESPLIT, client).empty


def test_an_empty_collection_already_spread_over_the_shards_is_left_alone(played_mongod):
    with played_router("8.0", played_mongod) as router:
        router.catalog.shard_collection("app.messages", HASHED)  # one chunk per shard (rules: 8.0)
        plan = make_plan(PRESPLIT, connect(router.uri))
        assert plan.empty and "holds its share of the hashed range" in plan.notes[0]


# -- the same collection sharded by someone else at the same time ----------------------------
@pytest.mark.parametrize("version", VERSIONS)
def test_two_applies_at_once_shard_once_and_both_end_on_the_same_key(version, played_mongod):
    """Both plan before either shards, then both apply; the router answers one command at a time, as the config
    server's DDL and chunk locks serialise them (mockupdb serves one request at a time)."""
    with played_router(version, played_mongod) as router:
        both_planned = threading.Barrier(2, timeout=30)
        finished, errors = [], []

        def one_apply():
            client = connect(router.uri)
            try:
                plan = make_plan(PRESPLIT, client)
                both_planned.wait()
                finished.append((apply_plan(client, plan), make_plan(PRESPLIT, client)))
            except (ShardsmithError, threading.BrokenBarrierError) as exc:
                errors.append(exc)

        threads = [threading.Thread(target=one_apply) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == [] and len(finished) == 2
        client = connect(router.uri)
        # an identical request joins or finds the first one's result: ok to both (rules.ALREADY_SHARDED)
        assert [reply["ok"] for name, reply in router.answers if name == "shardCollection"] == [1.0, 1.0]
        assert client.config.collections.count_documents({}) == 1
        assert sharding_entry(client, "app.messages")["key"] == HASHED
        assert all(outcomes[0].step.kind == "shardCollection" and remaining.empty for outcomes, remaining in finished)
        assert chunk_counts(client, "app.messages") == {"shard01": 4, "shard02": 4}


def test_sharded_meanwhile_on_the_same_key_with_other_options_is_already_so(played_mongod):
    spec = topology(scenarios.RANGED)
    with played_router("7.0", played_mongod) as router:
        client = connect(router.uri)
        plan = make_plan(spec, client)
        router.catalog.shard_collection("app.orders", {"customer": 1}, unique=True)  # sh.shardCollection(ns, key, true)
        outcomes = apply_plan(client, plan)
        codes = [reply.get("code") for name, reply in router.answers if name == "shardCollection"]
        assert codes == [rules.ALREADY_SHARDED.code]
        assert (outcomes[0].step.kind, outcomes[0].status) == ("shardCollection", "already")
        assert outcomes[0].detail == "sharded meanwhile on the same key, with unique: True, which the spec does not ask for"
        assert chunk_counts(client, "app.orders") == {"shard01": 2, "shard02": 2}
        assert make_plan(spec, client).empty


def test_sharded_meanwhile_on_another_key_is_a_clear_conflict(played_mongod):
    with played_router("8.0", played_mongod) as router:
        client = connect(router.uri)
        plan = make_plan(PRESPLIT, client)
        router.catalog.shard_collection("app.messages", {"userId": 1})
        with pytest.raises(ShardsmithError, match=r"sharded meanwhile on \{'userId': 1\}, not on \{'sessionId': "
                                                  r"'hashed'\} \(the router answered AlreadyInitialized\)") as raised:
            apply_plan(client, plan)
        assert "reshardCollection app.messages" in raised.value.hint


def test_an_older_router_answering_illegal_operation_counts_alike(played_mongod):
    """Routers before 4.4 answered code 20 for any sharded collection (s/commands/cluster_shard_collection_cmd.cpp
    of 3.x: "sharding already enabled for collection <ns>"); no played router is that old, so it is scripted."""
    with played_router("6.0", played_mongod) as router:
        client = connect(router.uri)
        plan = make_plan(PRESPLIT, client)
        router.catalog.shard_collection("app.messages", HASHED, num_initial_chunks=DECLARED)
        router.fail_next("shardCollection", 20, "sharding already enabled for collection app.messages")
        outcomes = apply_plan(client, plan)
        assert [(o.step.kind, o.status) for o in outcomes] == [("shardCollection", "already")]


def test_illegal_operation_on_a_collection_nobody_sharded_is_the_error_it_is(played_mongod):
    with played_router("6.0", played_mongod) as router:
        router.fail_next("shardCollection", 20, "can't shard system namespaces")
        with pytest.raises(ShardsmithError, match=r"step 1 of 1 failed .*\(code 20\): can't shard system namespaces"):
            apply(PRESPLIT, connect(router.uri))


def test_splits_and_moves_made_meanwhile_are_skipped(played_mongod):
    with played_router("8.0", played_mongod) as router:
        client = connect(router.uri)
        router.before("split", lambda doc: router.catalog.split(doc["split"], dict(doc["middle"])))
        router.before("moveRange", lambda doc: router.catalog.move_range(
            doc["moveRange"], dict(doc["min"]), dict(doc["max"]), doc["toShard"]))
        result = apply(PRESPLIT, client)
        first_split, first_move = (next(o for o in result.outcomes if o.step.kind == kind) for kind in ("split", "move"))
        answered = dict(reversed(router.answers))  # the first answer to each command
        assert answered["split"]["errmsg"].startswith("new split key") and "code" not in answered["split"]
        assert answered["moveRange"]["code"] == rules.MOVE_TO_OWNER.code
        assert (first_split.status, first_split.detail) == ("skipped", "a chunk boundary made meanwhile")
        assert (first_move.status, first_move.detail) == ("skipped", "moved to shard01 meanwhile")
        assert result.remaining.empty
        assert chunk_counts(client, "app.messages") == {"shard01": 4, "shard02": 4}


def test_server_errors_name_the_step_code_and_message(played_mongod):
    with played_router("8.0", played_mongod) as router:
        router.fail_next("moveRange", 117, "Data transfer error: migration aborted")
        with pytest.raises(ShardsmithError) as raised:
            apply(PRESPLIT, connect(router.uri))
        text = str(raised.value)
        assert "step 9 of 16 failed (move [MinKey" in text
        assert "(code 117): Data transfer error: migration aborted" in text
        assert "8 step(s) were done before it" in text


CARD_INDEXES = ["uuid_1", "sessionId_1_timestamp_1", "timestamp_-1", "model_1_timestamp_-1"]


@pytest.mark.parametrize("version", VERSIONS)
def test_the_design_card_plan_in_exact_order_then_nothing(version, played_mongod):
    with played_router(version, played_mongod) as router:
        client = connect(router.uri)
        apply(CARD, client)
        writes = router.writes
        messages = ["shardCollection"]
        if not rules.VERSION_RULES[version].honours_num_initial_chunks:
            messages += [n for n in names(writes) if n in ("split", "moveRange")]
            assert set(messages[1:]) == {"split", "moveRange"}
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


def test_a_refused_shard_collection_names_the_step_and_the_server_error(played_mongod):
    with played_router("7.0", played_mongod) as router:
        router.fail_next("shardCollection", 13, "not authorized on admin to execute command { shardCollection: ... }")
        with pytest.raises(ShardsmithError) as raised:
            apply(PRESPLIT, connect(router.uri))
        assert "step 1 of 1 failed (shard app.messages on {sessionId: hashed})" in str(raised.value)
        assert "(code 13): not authorized on admin to execute command" in str(raised.value)
        assert "0 step(s) were done before it" in str(raised.value)


def test_an_unreadable_config_database_is_a_user_error_not_a_traceback(played_mongod):
    with played_router("8.0", played_mongod) as router:
        router.fail_next("listShards", 13, "not authorized on admin to execute command { listShards: 1 }")
        with pytest.raises(ShardsmithError, match=r"reading the target failed: not authorized .* \(code 13\)") as raised:
            make_plan(PRESPLIT, connect(router.uri))
        assert "clusterMonitor" in raised.value.hint


@pytest.mark.parametrize("version", VERSIONS)
def test_enable_sharding_is_never_sent_from_6_0(version, played_mongod):
    with played_router(version, played_mongod) as router:
        apply(PRESPLIT, connect(router.uri))
        assert "enableSharding" not in names(router.writes)
