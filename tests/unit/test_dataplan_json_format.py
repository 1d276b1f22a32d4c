"""`plan --json` and `apply --json`: the documented, stable shape (README: "Data plan: plan and apply").

Run through the command line against a played mongos 8.0 (split points,
MinKey/MaxKey bounds, a refusal with a command, a difference, notes).
"""

from __future__ import annotations

import json

from bson import json_util
from bson.int64 import Int64

from tests.cli_run import run
from tests.dataplan import scenarios
from tests.dataplan.played_router import played_router
from tests.routerplay.rules import hashed_split_points

PLAN_KEYS = ["format", "target", "behaviour", "steps", "refusals", "differences", "notes"]
TARGET_KEYS = ["kind", "shards", "version", "wire_version", "major_minor"]
BEHAVIOUR_KEYS = ["since", "presplit", "move_command", "enable_sharding", "default_hashed_chunks_per_shard",
                  "coarser_granularity_only", "auto_merger", "note"]
STEP_KEYS = ["n", "kind", "target", "database", "command", "description", "behaviour"]
REFUSAL_KEYS = ["target", "reason", "hint", "command"]
DIFFERENCE_KEYS = ["target", "what", "hint"]
APPLY_KEYS = ["format", "outcomes", "collections", "remaining", "index_costs"]
COST_KEYS = ["namespace", "index", "key", "size", "data_size", "size_vs_data", "warning", "write_cost"]
OUTCOME_KEYS = ["step", "status", "detail"]
COLLECTION_KEYS = ["namespace", "type", "shard_key", "chunks", "indexes"]


def spec_file(tmp_path, body: str):
    path = tmp_path / "spec.yaml"
    path.write_text(scenarios.HEAD + body.replace("DB", "app"))
    return str(path)


def test_plan_json_has_the_documented_shape_and_keeps_bson_types(tmp_path, capsys, played_mongod):
    with played_router("8.0", played_mongod) as router:
        code, out, _ = run(capsys, "plan", spec_file(tmp_path, scenarios.CARD), "--uri", router.uri, "--json")
    assert code == 0
    plan = json.loads(out)
    assert list(plan) == PLAN_KEYS + ["index_costs"] and plan["format"] == 1  # a printed plan adds what indexes cost
    assert all(list(cost) == COST_KEYS for cost in plan["index_costs"])
    assert list(plan["target"]) == TARGET_KEYS and list(plan["behaviour"]) == BEHAVIOUR_KEYS
    assert plan["target"] == {"kind": "sharded", "shards": ["shard01", "shard02"], "version": "8.0.4",
                              "wire_version": 25, "major_minor": "8.0"}
    assert all(list(step) == STEP_KEYS for step in plan["steps"])
    assert [s["n"] for s in plan["steps"]] == list(range(1, len(plan["steps"]) + 1))
    first = plan["steps"][0]
    assert list(first["command"])[0] == "shardCollection"  # command documents keep the server's key order
    assert "numInitialChunks is ignored" in first["behaviour"]
    splits = [s["command"]["middle"]["sessionId"] for s in plan["steps"] if s["kind"] == "split"]
    assert splits == [{"$numberLong": str(p)} for p in hashed_split_points(8)]
    move = next(s for s in plan["steps"] if s["kind"] == "move")
    assert move["command"]["min"] == {"sessionId": {"$minKey": 1}}
    # Extended JSON reads back into the BSON values a script would send
    assert json_util.loads(json.dumps(move["command"]))["min"]["sessionId"] == json_util.loads('{"$minKey": 1}')
    assert json_util.loads(json.dumps(plan["steps"][1]["command"]))["middle"]["sessionId"] == Int64(hashed_split_points(8)[0])


def test_refusals_and_differences_in_json(tmp_path, capsys, played_mongod):
    with played_router("7.0", played_mongod) as router:
        router.catalog.shard_collection("app.messages", {"userId": 1})
        router.database("app").create_collection("messages_timeseries")
        code, out, _ = run(capsys, "plan", spec_file(tmp_path, scenarios.CARD), "--uri", router.uri, "--json")
    assert code == 2
    plan = json.loads(out)
    assert all(list(r) == REFUSAL_KEYS for r in plan["refusals"])
    reshard = next(r for r in plan["refusals"] if r["target"] == "app.messages")
    assert reshard["command"] == {"reshardCollection": "app.messages", "key": {"sessionId": "hashed"}}
    migrate = next(r for r in plan["refusals"] if r["target"] == "app.messages_timeseries")
    assert list(migrate["command"]) == ["aggregate", "pipeline", "cursor"]
    assert plan["differences"] == [] and plan["notes"] == []


def test_differences_in_json(tmp_path, capsys, played_mongod):
    with played_router("8.0", played_mongod) as router:
        router.database("app").orders.create_index([("legacy", 1)])
        body = "databases: {DB: {collections: {orders: {indexes: s}}}}\nindex_sets: {s: [{keys: {at: 1}}]}\n"
        code, out, _ = run(capsys, "plan", spec_file(tmp_path, body), "--uri", router.uri, "--json")
    differences = json.loads(out)["differences"]
    assert code == 0 and [list(d) for d in differences] == [DIFFERENCE_KEYS]
    assert differences[0] == {"target": "app.orders", "what": "index legacy_1 {'legacy': 1} is not in the index set",
                              "hint": "apply --prune drops it"}


def test_apply_json_reports_outcomes_collections_and_what_remains(tmp_path, capsys, played_mongod):
    with played_router("6.0", played_mongod) as router:
        path = spec_file(tmp_path, scenarios.PRESPLIT)
        code, out, _ = run(capsys, "apply", path, "--uri", router.uri, "--json")
        assert code == 0
        result = json.loads(out)
        assert list(result) == APPLY_KEYS and result["format"] == 1
        assert [list(o) for o in result["outcomes"]] == [OUTCOME_KEYS]
        assert result["outcomes"][0]["status"] == "done" and list(result["outcomes"][0]["step"]) == STEP_KEYS[1:]
        assert result["collections"] == [{"namespace": "app.messages", "type": "collection",
                                          "shard_key": {"sessionId": "hashed"}, "chunks": {"shard01": 4, "shard02": 4},
                                          "indexes": 2}]
        assert list(result["collections"][0]) == COLLECTION_KEYS
        assert result["remaining"]["steps"] == [] and result["remaining"]["refusals"] == []
        code, out, _ = run(capsys, "apply", path, "--uri", router.uri, "--json")
        assert json.loads(out)["outcomes"] == []
