"""Config-server and shard replica sets on real mongod, with auth, without a router."""

from __future__ import annotations

import pytest
from pymongo import MongoClient, WriteConcern
from pymongo.errors import OperationFailure

from shardsmith.clients import direct_client
from shardsmith.wait import Deadline, poll

SHARDED = """
name: sharded-test
deploy: {base_port: BASE_PORT}
storage: {wiredtiger_cache: 256MB}
config_servers: {name: cfg, members: 1}
shards:
  - {name: shard01, members: 3}
  - {name: shard02, members: 1}
mongos: {count: 1}
"""


@pytest.fixture(scope="module")
def sharded(tmp_path_factory):
    """One cluster for the module (the test that kills a primary runs last and leaves it whole again)."""
    from shardsmith.cluster import Cluster
    from shardsmith.topology import parse_topology
    from tests.conftest import free_port_block

    folder = tmp_path_factory.mktemp("sharded")
    text = SHARDED.replace("BASE_PORT", str(free_port_block(8)))
    cluster = Cluster(parse_topology(text, str(folder / "sharded.yaml")), state_root=folder / "state", routers=False)
    try:
        cluster.up()
        yield cluster
    finally:
        cluster.destroy()


def cmdline(cluster, member) -> dict:
    address = cluster.endpoints()[member].address
    with direct_client(address, cluster.credentials()) as client:
        return client.admin.command("getCmdLineOpts")["parsed"]


def test_members_run_with_their_cluster_roles(sharded):
    assert cmdline(sharded, "cfg.1")["sharding"]["clusterRole"] == "configsvr"
    for member in ("shard01.1", "shard01.2", "shard02.1"):
        parsed = cmdline(sharded, member)
        assert parsed["sharding"]["clusterRole"] == "shardsvr"
        assert parsed["security"]["keyFile"].endswith("keyfile")
    assert {s.name for s in sharded.status() if s.state == "PRIMARY"} == {"cfg.1", "shard01.1", "shard02.1"}


def test_auth_on_every_set(sharded):
    for member in ("cfg.1", "shard01.1", "shard02.1"):
        address = sharded.endpoints()[member].address
        with MongoClient(f"mongodb://{address}/", directConnection=True) as anonymous:
            with pytest.raises(OperationFailure):
                anonymous.admin.command("listDatabases")
        with direct_client(address, sharded.credentials()) as client:
            assert client.admin.command("listDatabases")["ok"] == 1


def test_killed_primary_is_replaced_and_data_survives_restart(sharded):
    with MongoClient(f"mongodb://{sharded.endpoints()['shard01.1'].address}/?replicaSet=shard01",
                     **sharded.credentials().client_options()) as client:
        client.app.things.with_options(write_concern=WriteConcern("majority")).insert_one({"_id": "kept"})
    assert sharded.kill("shard01.primary") == ["shard01.1"]
    new_primary = poll(lambda: next((s.name for s in sharded.status() if s.set_name == "shard01" and s.state == "PRIMARY"), None),
                       until=Deadline.after(60), what="a new shard01 primary")
    assert new_primary in ("shard01.2", "shard01.3")
    assert {s.name: s.state for s in sharded.status()}["shard01.1"] == "DOWN"

    sharded.down()
    sharded.up()
    with MongoClient(f"mongodb://{sharded.endpoints()['shard01.1'].address}/?replicaSet=shard01",
                     **sharded.credentials().client_options()) as client:
        assert client.app.things.find_one({"_id": "kept"}) == {"_id": "kept"}



def test_up_without_routers_prints_each_set_and_what_the_data_plan_needs(tmp_path):
    """Run as a user would: the connection strings printed for each set work, and `plan` is pointed at --uri."""
    import os
    import subprocess
    import sys

    from tests.conftest import free_port_block

    spec = tmp_path / "norouters.yaml"
    spec.write_text(SHARDED.replace("BASE_PORT", str(free_port_block(8))).replace("sharded-test", "norouters"))
    env = {k: v for k, v in os.environ.items() if k != "SHARDSMITH_ROOT_PASSWORD"}

    def shardsmith(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "shardsmith", *argv], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=180)

    try:
        up = shardsmith("up", str(spec), "--no-routers")
        assert up.returncode == 0, up.stderr
        printed = dict(line.split(": ", 1) for line in up.stdout.splitlines() if line.startswith(("cfg:", "shard0")))
        assert sorted(printed) == ["cfg", "shard01", "shard02"]
        assert "replicaSet=shard01" in printed["shard01"] and "<password>" in printed["shard01"]
        assert "the data plan (`plan`, `apply`) needs a router" in up.stdout
        password = (tmp_path / ".shardsmith" / "norouters" / "root-password").read_text()
        with MongoClient(printed["shard01"].replace("<password>", password), serverSelectionTimeoutMS=10000) as client:
            assert client.admin.command("hello")["setName"] == "shard01"
    finally:
        shardsmith("destroy", str(spec), "--yes")
