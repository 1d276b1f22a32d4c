"""lab.experiment's router conversation: exact commands and their order against a played mongos 6.0 / 7.0
(mockupdb), the refusal of a plain mongod (real), and the real thing when a mongos is found."""

from __future__ import annotations

from collections import Counter

import pytest
from pymongo import MongoClient

from shardsmith.errors import ShardsmithError
from shardsmith.keylab import parse_key, parse_queries
from shardsmith.keylab.experiment import run_experiment
from tests.keylab.messages import insert
from tests.keylab.played_lab_router import SHARDS, SOURCE_DOCS, played_lab_router
from tests.mongos_double import real_mongos_binary, requires_real_mongos
from tests.routerplay import rules

KEYS = [parse_key("{sessionId: hashed}"), parse_key("{timestamp: 1}")]
QUERIES = parse_queries(["{name: by session, eq: [sessionId]}", "{name: last hour, range: {timestamp: 1h}}"])
COPIES = ["shardsmith_keylab.messages_key0", "shardsmith_keylab.messages_key1"]


def experiment(router, **options):
    client = MongoClient(router.uri, serverSelectionTimeoutMS=3000)
    return run_experiment(client, client["app"]["messages"], KEYS, queries=QUERIES, **options)


@pytest.mark.parametrize("version, distribution", [("6.0.2", "$collStats"), ("6.0.14", "$shardedDataDistribution"),
                                                   ("7.0.12", "$shardedDataDistribution")])
def test_each_key_is_sharded_loaded_measured_explained_then_dropped(version, distribution, played_mongod):
    with played_lab_router(version, played_mongod) as router:
        outcome = experiment(router)
        left = router.catalog.config.collections.count_documents({}) + router.catalog.config.chunks.count_documents({})
    server_analysis = ["analyzeShardKey"] if version.startswith("7") else []
    per_key = (["shardCollection", "find", "insert", "aggregate", "find", "aggregate"] + ["explain"] * SOURCE_DOCS * 2
               + ["aggregate", "aggregate"] + server_analysis)
    assert router.names == ["buildInfo", "listShards", "listCollections", "aggregate", "aggregate"] + per_key * 2 + [
        "drop", "drop"]  # the key-field check, then the documents for the query mix
    assert router.commands("shardCollection") == [{"shardCollection": ns, "key": k.as_document()} for ns, k in zip(COPIES, KEYS)]
    measured = [doc for doc in router.commands("aggregate") if next(iter(doc["pipeline"][0])) == distribution]
    assert len(measured) == 2
    if distribution == "$collStats":
        assert [doc["aggregate"] for doc in measured] == ["messages_key0", "messages_key1"]
    else:
        assert [doc["pipeline"][1] for doc in measured] == [{"$match": {"ns": ns}} for ns in COPIES]
    assert all(doc["verbosity"] == "queryPlanner" for doc in router.commands("explain"))
    asked = [{"analyzeShardKey": ns, "key": k.as_document(), "keyCharacteristics": True, "readWriteDistribution": False}
             for ns, k in zip(COPIES, KEYS)]
    assert router.commands("analyzeShardKey") == (asked if server_analysis else [])
    assert [doc["drop"] for doc in router.commands("drop")] == ["messages_key0", "messages_key1"]
    hashed, ranged = outcome["keys"]
    assert outcome["distribution_from"] == distribution and outcome["shards"] == SHARDS
    assert hashed["loaded"] == SOURCE_DOCS and [r["docs"] for r in hashed["distribution"]] == [3, 2]
    # the version's initial layout of an empty hashed collection (rules.py), counted by the lab's $group
    initial = Counter(shard for _, _, shard in rules.hashed_layout(rules.family(version), KEYS[0].as_document(), SHARDS))
    assert hashed["chunks"] == dict(initial)
    assert left == 0  # the drops took the copies' sharding metadata with them
    assert [q["max_shards"] for q in hashed["targeting"]] == [1, 2]  # as the router explained it
    assert [q["max_shards"] for q in ranged["targeting"]] == [2, 2]
    assert ("analyze_shard_key" in hashed) == bool(server_analysis)


def test_a_misspelt_key_field_is_refused_before_any_copy_is_made(played_mongod):
    with played_lab_router("7.0.12", played_mongod) as router:
        client = MongoClient(router.uri, serverSelectionTimeoutMS=3000)
        with pytest.raises(ShardsmithError, match="has a field 'sesionId'") as raised:
            run_experiment(client, client["app"]["messages"], [parse_key("{sesionId: hashed}")])
    assert "did you mean 'sessionId'?" in raised.value.hint
    assert "shardCollection" not in router.names and "insert" not in router.names


def test_left_over_copies_are_refused_before_any_write(played_mongod):
    with played_lab_router("7.0.12", played_mongod, existing=["messages_key1"]) as router:
        with pytest.raises(ShardsmithError, match="already holds"):
            experiment(router)
    assert router.names == ["buildInfo", "listShards", "listCollections"]


def test_copies_are_dropped_when_the_router_refuses_midway(played_mongod):
    with played_lab_router("6.0.14", played_mongod) as router:
        router.failures["shardCollection"] = (13, "not authorized on admin to execute command")
        with pytest.raises(ShardsmithError, match="not authorized"):
            experiment(router)
    assert router.names[-3:] == ["shardCollection", "drop", "drop"]


def test_kept_copies_are_not_dropped(played_mongod):
    with played_lab_router("6.0.14", played_mongod) as router:
        outcome = experiment(router, keep=True)
    assert "drop" not in router.names and outcome["kept"]


def test_a_plain_mongod_is_refused(replset):
    client = replset.client()
    with pytest.raises(ShardsmithError, match="needs a sharded cluster"):
        run_experiment(client, client["keylab_none"]["messages"], KEYS)
    assert "shardsmith_keylab" not in client.list_database_names()


SHARDED = ("name: keylab-mongos\ndeploy: {base_port: BASE_PORT}\nconfig_servers: {members: 1}\n"
           "shards: [{name: shard01, members: 1}, {name: shard02, members: 1}]\nmongos: {count: 1}\n")


@requires_real_mongos("the router conversation is covered by the played mongos above")
def test_real_router_shards_loads_and_explains(make_cluster, monkeypatch):
    monkeypatch.setenv("MONGOS_BIN", real_mongos_binary())
    cluster = make_cluster(SHARDED)
    cluster.up()
    with cluster.client() as client:
        insert(client["app"]["messages"], 4000, sessions=500)
        outcome = run_experiment(client, client["app"]["messages"], KEYS, queries=QUERIES)
        assert "shardsmith_keylab" not in client.list_database_names() or not client["shardsmith_keylab"].list_collection_names()
    hashed, ranged = outcome["keys"]
    assert hashed["loaded"] == ranged["loaded"] == 4000
    assert sum(r["docs"] for r in hashed["distribution"]) == 4000
    assert hashed["targeting"][0]["max_shards"] == 1  # equality on the hashed key: one shard
    assert ranged["targeting"][0]["mean_shards"] >= 1
