"""A real 3-member replica set on local processes: up, idempotent up, down, up, destroy."""

from __future__ import annotations

import pytest
from pymongo import MongoClient, WriteConcern
from pymongo.errors import OperationFailure

from shardsmith.backends.local import alive as pid_alive

REPLSET = """
name: rs-test
deploy: {base_port: BASE_PORT}
storage: {wiredtiger_cache: 256MB}
replica_set:
  name: rs0
  members:
    - {priority: 2}
    - {}
    - {}
"""


def states(cluster) -> dict:
    return {s.name: s.state for s in cluster.status()}


def test_replica_set_up_down_up_destroy(make_cluster):
    cluster = make_cluster(REPLSET)
    first = cluster.up()
    assert first.changed and sorted(first.started) == ["rs0.1", "rs0.2", "rs0.3"]
    assert first.report.initiated == ["rs0"]
    assert states(cluster) == {"rs0.1": "PRIMARY", "rs0.2": "SECONDARY", "rs0.3": "SECONDARY"}

    with cluster.client() as client:
        client.app.things.with_options(write_concern=WriteConcern("majority")).insert_one({"_id": 1})
        config = client.admin.command("replSetGetConfig")["config"]
    assert config["settings"]["electionTimeoutMillis"] == 10000  # the fast-election setting was undone

    assert cluster.up().changed is False  # a running cluster: nothing to do

    pids = [s.pid for s in cluster.status()]
    cluster.down()
    assert not any(pid_alive(pid) for pid in pids)
    assert set(states(cluster).values()) == {"DOWN"}

    again = cluster.up()
    assert again.changed and again.report.initiated == []  # restarted, not re-initiated
    with cluster.client() as client:
        assert client.app.things.find_one({"_id": 1}) == {"_id": 1}

    state_dir = cluster.state.path
    cluster.destroy()
    assert not state_dir.exists()
    assert not any(pid_alive(s.pid) for s in cluster.status() if s.pid)


def test_auth_is_enforced_and_root_user_works(make_cluster):
    cluster = make_cluster(REPLSET.replace("members:\n    - {priority: 2}\n    - {}\n    - {}", "members: 1"))
    cluster.up()
    address = cluster.endpoints()["rs0.1"].address
    with MongoClient(f"mongodb://{address}/", directConnection=True) as anonymous:
        with pytest.raises(OperationFailure) as refused:
            anonymous.app.things.insert_one({"x": 1})
        assert refused.value.code == 13  # Unauthorized
    with cluster.client() as client:
        client.app.things.insert_one({"x": 1})
        assert client.app.things.count_documents({}) == 1
    keyfile = cluster.state.path / "keyfile"
    assert oct(keyfile.stat().st_mode & 0o777) == "0o400"
    assert oct((cluster.state.path / "root-password").stat().st_mode & 0o777) == "0o600"


def test_killed_member_is_restarted_alone(make_cluster):
    cluster = make_cluster(REPLSET)
    cluster.up()
    before = {s.name: s.pid for s in cluster.status()}
    assert cluster.kill("rs0.3") == ["rs0.3"]
    assert states(cluster)["rs0.3"] == "DOWN"
    result = cluster.up()
    assert result.started == ["rs0.3"]
    after = {s.name: s.pid for s in cluster.status()}
    assert after["rs0.1"] == before["rs0.1"] and after["rs0.2"] == before["rs0.2"]
    assert after["rs0.3"] != before["rs0.3"]
