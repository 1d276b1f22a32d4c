"""The compose backend on real containers (the local image from `inv image`): up, down/up, kill, destroy, errors.

One cluster per network mode, each exercised through its whole life, keeps
this file to about a minute. Every cluster is destroyed (containers,
network, volumes) by the make_cluster fixture, pass or fail.
"""

from __future__ import annotations

import socket

import docker
import pytest
from pymongo import WriteConcern
from pymongo.errors import OperationFailure

from shardsmith.clients import direct_client
from shardsmith.errors import ShardsmithError
from tests.plugin import tools

pytestmark = pytest.mark.docker

REPLSET = """
name: c-rs-BASE_PORT
mongodb: {image: "IMAGE"}
deploy: {backend: compose, base_port: BASE_PORT, network: bridge}
storage: {wiredtiger_cache: 256MB}
replica_set:
  name: rs0
  members: [{priority: 2}, {}, {}]
"""

SHARDED = """
name: c-sh-BASE_PORT
mongodb: {image: "IMAGE"}
deploy: {backend: compose, base_port: BASE_PORT, network: NETWORK}
storage: {wiredtiger_cache: 256MB}
config_servers: {members: 1}
shards:
  - {name: shard01, members: 1}
  - {name: shard02, members: 1}
mongos: {count: 1}
"""


@pytest.fixture(scope="module")
def image():
    return tools.local_image()


def project_volumes(name: str) -> list[str]:
    return [v.name for v in docker.from_env().volumes.list(filters={"label": f"com.docker.compose.project={name}"})]


def project_containers(name: str) -> list:
    return docker.from_env().containers.list(all=True, filters={"label": f"com.docker.compose.project={name}"})


def states(cluster) -> dict:
    return {s.name: s.state for s in cluster.status()}


def primary_client(cluster, set_name: str):
    return direct_client(cluster.endpoints()[cluster.primary(set_name)].address, cluster.credentials())


def test_replica_set_on_a_bridge_network_lives_through_down_up_kill_destroy(make_cluster, image):
    cluster = make_cluster(REPLSET.replace("IMAGE", image))
    name = cluster.topology.name
    first = cluster.up()
    assert first.report.initiated == ["rs0"] and sorted(first.started) == ["rs0.1", "rs0.2", "rs0.3"]
    assert states(cluster) == {"rs0.1": "PRIMARY", "rs0.2": "SECONDARY", "rs0.3": "SECONDARY"}
    with primary_client(cluster, "rs0") as client:
        client.app.things.with_options(write_concern=WriteConcern("majority")).insert_one({"_id": 1})
        hosts = [m["host"] for m in client.admin.command("replSetGetConfig")["config"]["members"]]
    assert hosts == [f"rs0-{n}:{m.port}" for n, m in enumerate(cluster.topology.members, 1)]  # service names
    # members publish nothing on the host: only the unix sockets Shardsmith mounted reach them
    for member in cluster.topology.members:
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", member.port)) != 0
    assert cluster.up().changed is False
    # the connection string it prints works from this host: the members' names do not resolve here,
    # so it is a direct connection to the primary (through its socket), not a discovering one
    uri = cluster.uri()
    assert "directConnection=true" in uri and "replicaSet" not in uri
    with cluster.client(serverSelectionTimeoutMS=10000) as client:
        assert client.app.things.find_one({"_id": 1}) == {"_id": 1}

    cluster.down()
    assert project_containers(name) == []  # containers and network gone...
    assert len(project_volumes(name)) == 4  # ...the keyfile and three data volumes kept
    again = cluster.up()
    assert again.changed and again.report.initiated == [] and again.report.users_created == []
    with primary_client(cluster, "rs0") as client:
        assert client.app.things.find_one({"_id": 1}) == {"_id": 1}

    untouched = {s.name: s.pid for s in cluster.status()}
    assert cluster.kill("rs0.3") == ["rs0.3"]
    assert states(cluster)["rs0.3"] == "DOWN"
    restarted = cluster.up()
    assert restarted.started == ["rs0.3"]
    after = {s.name: s.pid for s in cluster.status()}
    assert after["rs0.1"] == untouched["rs0.1"] and after["rs0.2"] == untouched["rs0.2"]
    assert after["rs0.3"] != untouched["rs0.3"]
    assert cluster.backend.log_file(cluster.topology.members[2]).read_text().count('"Waiting for connections"') == 2

    cluster.destroy()
    assert project_containers(name) == [] and project_volumes(name) == []
    assert not cluster.state.path.exists()


def test_config_and_shard_sets_on_the_host_network(make_cluster, image):
    cluster = make_cluster(SHARDED.replace("IMAGE", image).replace("NETWORK", "host"), routers=False)
    report = cluster.up().report
    assert sorted(report.initiated) == ["cfg", "shard01", "shard02"]
    roles = {}
    for set_name in ("cfg", "shard01", "shard02"):
        with primary_client(cluster, set_name) as client:
            roles[set_name] = client.admin.command("getCmdLineOpts")["parsed"].get("sharding", {}).get("clusterRole")
    assert roles == {"cfg": "configsvr", "shard01": "shardsvr", "shard02": "shardsvr"}
    shard = cluster.topology.shards[0].members[0]
    with direct_client(f"127.0.0.1:{shard.port}") as anonymous:  # the host network: members on bind_ip
        with pytest.raises(OperationFailure) as refused:
            anonymous.app.things.insert_one({"x": 1})
        assert refused.value.code == 13
    cluster.down()
    assert cluster.up().report.initiated == []
    assert {name: state for name, state in states(cluster).items() if name != "mongos.1"} == \
           {"cfg.1": "PRIMARY", "shard01.1": "PRIMARY", "shard02.1": "PRIMARY"}


def test_missing_image_is_named_before_anything_starts(make_cluster, image):
    cluster = make_cluster(REPLSET.replace("IMAGE", "shardsmith/mongod:0.0.0-never-built"))
    with pytest.raises(ShardsmithError, match="shardsmith/mongod:0.0.0-never-built is not on this machine") as err:
        cluster.up()
    assert "inv image" in str(err.value)
    assert project_containers(cluster.topology.name) == []


def test_local_image_with_routers_says_it_has_no_mongos(make_cluster, image):
    cluster = make_cluster(SHARDED.replace("IMAGE", image).replace("NETWORK", "bridge"))
    with pytest.raises(ShardsmithError, match="has no mongos"):
        cluster.up()
    assert project_containers(cluster.topology.name) == []


def test_host_port_in_use_is_refused_before_anything_starts(make_cluster, image):
    cluster = make_cluster(SHARDED.replace("IMAGE", image).replace("NETWORK", "host"), routers=False)
    taken = cluster.topology.shards[1].members[0].port
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", taken))
        holder.listen()
        with pytest.raises(ShardsmithError, match=f"{taken} \\(shard02.1\\)"):
            cluster.up()
    assert project_containers(cluster.topology.name) == []


def test_a_container_that_exits_during_start_shows_its_log(make_cluster, image):
    broken = REPLSET.replace("IMAGE", image).replace("members: [{priority: 2}, {}, {}]",
                                                     "members: [{args: [--noSuchOption]}]")
    cluster = make_cluster(broken)
    with pytest.raises(ShardsmithError) as err:
        cluster.up()
    message = str(err.value)
    assert "rs0.1" in message and "noSuchOption" in message
