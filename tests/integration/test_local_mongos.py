"""The whole sharded bring-up with a real mongos, when this machine has one."""

from __future__ import annotations

from tests.mongos_double import real_mongos_binary, requires_real_mongos

MINIMAL = """
name: mongos-test
deploy: {base_port: BASE_PORT}
config_servers: {members: 1}
shards:
  - {name: shard01, members: 1}
  - {name: shard02, members: 1}
mongos: {count: 1}
"""

pytestmark = requires_real_mongos(
    "router commands are covered at the wire level in tests/unit/test_router_wire.py").marks


def test_shards_are_added_once(make_cluster, monkeypatch):
    monkeypatch.setenv("MONGOS_BIN", real_mongos_binary())
    cluster = make_cluster(MINIMAL)
    first = cluster.up()
    assert first.report.shards_added == ["shard01", "shard02"]
    with cluster.client() as client:
        listed = {s["_id"] for s in client.admin.command("listShards")["shards"]}
    assert listed == {"shard01", "shard02"}
    cluster.kill("mongos")
    again = cluster.up()
    assert again.started == ["mongos.1"] and again.report.shards_added == []
