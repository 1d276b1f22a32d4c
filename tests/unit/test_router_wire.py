"""Router conversations of bootstrap, verified at the wire level against a played mongos."""

from __future__ import annotations

import pytest
from mockupdb import go
from pymongo.errors import OperationFailure

from shardsmith.bootstrap import ROUTER_PART, bootstrap
from shardsmith.endpoints import Endpoint
from shardsmith.topology import parse_topology
from tests.mongos_double import WIRE_VERSIONS, fake_mongos

SPEC = """
name: wire
deploy: {base_port: 30000}
auth: {enabled: false}
config_servers: {members: 1}
shards:
  - {name: shard01, members: 3}
  - {name: shard02, members: [{}, {}, {arbiter: true}]}
mongos: {count: 1}
"""


@pytest.fixture
def topology():
    return parse_topology(SPEC, "wire.yaml")


def endpoints_for(topology, router):
    """Members where the spec puts them; the router where the played mongos listens."""
    endpoints = {p.name: Endpoint(p.name, f"127.0.0.1:{p.port}", f"127.0.0.1:{p.port}") for p in topology.processes}
    endpoints["mongos.1"] = Endpoint("mongos.1", router.address_string, router.address_string)
    return endpoints


def add_shards(topology, router):
    """The router part of the bootstrap plan, run against the played router; the shards it added."""
    return bootstrap(topology, endpoints_for(topology, router), None, parts=[ROUTER_PART]).shards_added


@pytest.mark.parametrize("version", sorted(WIRE_VERSIONS))
def test_add_shards_sends_each_missing_shard_once(topology, version):
    with fake_mongos(version) as router:
        future = go(add_shards, topology, router)
        router.receives(hello=1).ok(isWritablePrimary=True, msg="isdbgrid")  # the plan waits for it to answer
        router.receives(listShards=1).ok(shards=[])
        first = router.receives()
        assert first.command_name == "addShard"
        assert first.doc["addShard"] == "shard01/127.0.0.1:30002,127.0.0.1:30003,127.0.0.1:30004"
        assert first.doc["name"] == "shard01"
        first.ok(shardAdded="shard01")
        second = router.receives()
        # the arbiter is not a data-bearing host: it is left out of the seed list
        assert second.doc["addShard"] == "shard02/127.0.0.1:30005,127.0.0.1:30006"
        second.ok(shardAdded="shard02")
        assert future() == ["shard01", "shard02"]


@pytest.mark.parametrize("version", sorted(WIRE_VERSIONS))
def test_add_shards_is_idempotent(topology, version):
    with fake_mongos(version) as router:
        future = go(add_shards, topology, router)
        router.receives(hello=1).ok(isWritablePrimary=True, msg="isdbgrid")  # the plan waits for it to answer
        router.receives(listShards=1).ok(shards=[
            {"_id": "shard01", "host": "shard01/127.0.0.1:30002", "state": 1},
            {"_id": "shard02", "host": "shard02/127.0.0.1:30005", "state": 1},
        ])
        assert future() == []
        with pytest.raises(AssertionError, match="got nothing"):
            router.receives(timeout=0.3)  # no addShard followed


def test_router_error_is_surfaced(topology):
    with fake_mongos("7.0") as router:
        future = go(add_shards, topology, router)
        router.receives(hello=1).ok(isWritablePrimary=True, msg="isdbgrid")  # the plan waits for it to answer
        router.receives(listShards=1).ok(shards=[])
        router.receives().command_err(code=96, errmsg="failed to connect to shard01")
        with pytest.raises(OperationFailure, match="failed to connect to shard01"):
            future()
