"""The router scenarios of the data plan against a real mongos (2 shards), when this machine has one.

The same scenarios (tests/dataplan/scenarios.py) run at the wire level against
a played mongos 6.0/7.0/8.0 in tests/unit/test_dataplan_router_wire.py; here
the results are read back from the real config database.
"""

from __future__ import annotations

import pytest

from shardsmith.dataplan import apply, make_plan
from shardsmith.errors import ShardsmithError
from tests.conftest import free_port_block
from tests.dataplan import scenarios
from tests.dataplan.scenarios import chunk_counts, sharding_entry, topology
from tests.mongos_double import real_mongos_binary, requires_real_mongos

SHARDED = """
name: dataplan-mongos
deploy: {base_port: BASE_PORT}
storage: {wiredtiger_cache: 256MB}
config_servers: {members: 1}
shards:
  - {name: shard01, members: 1}
  - {name: shard02, members: 1}
mongos: {count: 1}
"""

pytestmark = requires_real_mongos(
    "the same router scenarios run at the wire level in tests/unit/test_dataplan_router_wire.py").marks


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """A client on the mongos of a real 2-shard cluster, destroyed after the module, pass or fail."""
    from shardsmith.cluster import Cluster
    from shardsmith.topology import parse_topology

    root = tmp_path_factory.mktemp("dataplan-sharded")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MONGOS_BIN", real_mongos_binary())
        patch.delenv("SHARDSMITH_ROOT_PASSWORD", raising=False)
        text = SHARDED.replace("BASE_PORT", str(free_port_block(16)))
        cluster = Cluster(parse_topology(text, str(root / "spec.yaml")), state_root=root / "state")
        try:
            cluster.up()
            with cluster.client() as mongos:
                yield mongos
        finally:
            cluster.destroy()


def honours_num_initial_chunks(client) -> bool:
    major, minor = (int(p) for p in client.admin.command("buildInfo")["version"].split(".")[:2])
    return (major, minor) < (7, 2)


def apply_twice(spec, client):
    """Apply, check nothing is left, apply again: nothing to do."""
    result = apply(spec, client)
    assert result.remaining.empty, result.remaining.as_dict()
    assert apply(spec, client).outcomes == []
    return result


def test_hashed_key_is_presplit_to_n_chunks_per_shard(client):
    spec = topology(scenarios.PRESPLIT, database="dp_presplit")
    plan = make_plan(spec, client)
    assert plan.behaviour["presplit"] == ("numInitialChunks" if honours_num_initial_chunks(client) else "split-and-move")
    apply_twice(spec, client)
    assert chunk_counts(client, "dp_presplit.messages") == {"shard01": 4, "shard02": 4}


def test_compound_hashed_key_with_zones(client):
    spec = topology(scenarios.ZONED, database="dp_zoned")
    apply_twice(spec, client)
    assert sharding_entry(client, "dp_zoned.events")["key"] == {"region": 1, "sessionId": "hashed"}
    assert sorted(t["tag"] for t in client.config.tags.find({"ns": "dp_zoned.events"})) == ["east", "west"]
    shards = {s["_id"]: s.get("tags", []) for s in client.admin.command("listShards")["shards"]}
    assert "east" in shards["shard01"] and "west" in shards["shard02"]


def test_ranged_key_split_at_the_given_points(client):
    spec = topology(scenarios.RANGED, database="dp_ranged")
    apply_twice(spec, client)
    assert chunk_counts(client, "dp_ranged.orders") == {"shard01": 2, "shard02": 2}


def test_balancer_settings_from_the_spec(client):
    apply_twice(topology(scenarios.BALANCER_OFF, database="dp_balancer"), client)
    assert client.admin.command("balancerStatus")["mode"] == "off"
    window = client.config.settings.find_one({"_id": "balancer"})["activeWindow"]
    assert (window["start"], window["stop"]) == ("23:00", "06:00")
    apply_twice(topology(scenarios.BALANCER_ON, database="dp_balancer"), client)
    assert client.admin.command("balancerStatus")["mode"] == "full"
    assert "activeWindow" not in client.config.settings.find_one({"_id": "balancer"})


def test_the_design_card_plan(client):
    spec = topology(scenarios.CARD, database="dp_card")
    apply_twice(spec, client)
    assert chunk_counts(client, "dp_card.messages") == {"shard01": 4, "shard02": 4}
    assert sharding_entry(client, "dp_card.sessions")["key"] == {"sessionId": "hashed", "timestamp": 1}
    assert sharding_entry(client, "dp_card.messages_timeseries")["key"] == {"meta.sessionId": "hashed"}
    options = next(client.dp_card.list_collections(filter={"name": "messages_timeseries"}))["options"]
    assert options["timeseries"]["granularity"] == "minutes" and options["expireAfterSeconds"] == 365 * 86400


def test_refusals_change_nothing(client):
    client.admin.command({"shardCollection": "dp_refused.messages", "key": {"userId": 1}})
    spec = topology(scenarios.PRESPLIT, database="dp_refused")
    with pytest.raises(ShardsmithError, match="reshardCollection"):
        apply(spec, client)
    assert sharding_entry(client, "dp_refused.messages")["key"] == {"userId": 1}
    client.dp_full.messages.insert_one({"sessionId": "s1"})
    with pytest.raises(ShardsmithError, match="pre-splitting works only on an empty collection"):
        apply(topology(scenarios.PRESPLIT, database="dp_full"), client)
    assert sharding_entry(client, "dp_full.messages") == {}
