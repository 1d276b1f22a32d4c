"""The played router keeps its contract: config documents in the shapes its sources give, the AutoMerger's rules.

The product's conversations with it are in test_dataplan_router_wire.py; these
check the fake itself against tests/routerplay/rules.py and the cited sources.
"""

from __future__ import annotations

import pytest
from pymongo import MongoClient
from pymongo.errors import OperationFailure

from tests.dataplan.played_router import played_router
from tests.routerplay import rules

HASHED = {"sessionId": "hashed"}


@pytest.mark.parametrize("version", ["6.0", "7.0", "8.0"])
def test_config_documents_have_the_servers_shapes(version, played_mongod):
    with played_router(version, played_mongod) as router:
        router.catalog.shard_collection("app.messages", HASHED)
        config = router.catalog.config
        entry = config.collections.find_one()
        # s/catalog/type_collection.idl, in its field order
        assert list(entry) == ["_id", "lastmodEpoch", "lastmod", "timestamp", "uuid", "key", "unique", "noBalance"]
        assert entry["uuid"] == next(router.database("app").list_collections())["info"]["uuid"]
        chunks = list(config.chunks.find().sort("min", 1))
        # ChunkType::toConfigBSON (s/catalog/type_chunk.cpp); onCurrentShardSince from 7.0
        since = ["onCurrentShardSince"] if rules.VERSION_RULES[version].on_current_shard_since else []
        assert {tuple(c) for c in chunks} == {("_id", "uuid", "min", "max", "shard", "lastmod", *since, "history")}
        assert [c["lastmod"].inc for c in chunks] == list(range(len(chunks)))  # versions 1|0, 1|1, ...
        layout = rules.hashed_layout(version, HASHED, ["shard01", "shard02"])
        assert [(c["min"], c["max"], c["shard"]) for c in chunks] == layout


@pytest.mark.parametrize("switched_off", ["balancer", "automerge", "collection", "none"])
def test_the_automerger_runs_only_where_the_manual_says(switched_off, played_mongod):
    with played_router("7.0", played_mongod) as router:
        router.catalog.shard_collection("app.messages", HASHED, num_initial_chunks=8)
        settings = router.catalog.config.settings
        if switched_off == "balancer":
            router.catalog.set_balancer("off")
        elif switched_off == "automerge":  # sh.stopAutoMerger()
            settings.insert_one({"_id": "automerge", "enabled": False})
        elif switched_off == "collection":  # configureCollectionBalancing {enableAutoMerger: false}
            router.catalog.config.collections.update_one({}, {"$set": {"enableAutoMerge": False}})
        merged = router.catalog.merge_pass()
        assert merged == (8 if switched_off == "none" else 0)
        if merged:
            chunks = list(router.catalog.config.chunks.find().sort("min", 1))
            assert [c["shard"] for c in chunks] == ["shard01", "shard02"]
            assert all(c["history"] == [{"validAfter": c["onCurrentShardSince"], "shard": c["shard"]}] for c in chunks)


def test_the_products_reads_run_on_the_real_server(played_mongod):
    """An aggregation stage no table here knows is still answered: by the mongod, as a mongos would pass it on."""
    with played_router("8.0", played_mongod) as router:
        router.catalog.shard_collection("app.messages", HASHED)
        client = MongoClient(router.uri)
        rows = list(client.config.chunks.aggregate([{"$sortByCount": "$shard"}]))
        assert sorted((r["_id"], r["count"]) for r in rows) == [("shard01", 1), ("shard02", 1)]
        with pytest.raises(OperationFailure, match="does not model this: admin command reshardCollection"):
            client.admin.command("reshardCollection", "app.messages", key={"other": 1})
