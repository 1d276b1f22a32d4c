"""Staging across hosts, simulated on this machine (issue 15): every "host" is its own loopback address
(127.0.0.11, .12, .13) with its own Docker context pointing at the local engine, on the host network.

Two clusters, each brought up once through the real `shardsmith` command line and shared by the tests
of its part:
- the local image (no mongosh: Shardsmith bootstraps from here): config servers and a shard, 3 members
  each, spread over the three hosts, requireTLS with x509 member authentication (no mongos exists here);
- the official image's path, with the stand-in for `mongo:X` (tests/official_standin.py): a replica set
  over the three hosts whose init services, one per host bundle, initiate it, create the root user and the
  application users, over TLS.
The contexts, containers and volumes are removed afterwards, pass or fail.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import docker
import pytest
from pymongo import MongoClient, WriteConcern
from pymongo.errors import OperationFailure, ServerSelectionTimeoutError

from shardsmith.cluster import Cluster
from shardsmith.wait import Deadline, poll
from tests.cli_run import run
from tests.conftest import free_port_block, with_test_version
from tests.plugin import tools
from tests.writers import MajorityWriter

pytestmark = pytest.mark.docker

ADDRESSES = ("127.0.0.11", "127.0.0.12", "127.0.0.13")
PASSWORDS = {"SHARDSMITH_ROOT_PASSWORD": "hosts-root-pw-31", "HOSTS_APP_PW": "hosts-app-pw-47"}
HOSTS = """
hosts:
  h1: {address: 127.0.0.11, docker: {context: CONTEXT1}}
  h2: {address: 127.0.0.12, docker: {context: CONTEXT2}}
  h3: {address: 127.0.0.13, docker: {context: CONTEXT3}}
"""
SHARDED = """
name: hosts-sh
mongodb: {image: "IMAGE"}
deploy: {backend: compose, base_port: BASE_PORT, placement: spread}
storage: {wiredtiger_cache: 256MB}
tls: {mode: requireTLS, member_auth: x509}
config_servers: {name: cfg, members: 3}
shards:
  - {name: shard01, members: 3}
mongos: {count: 1}
""" + HOSTS
REPLSET = """
name: hosts-rs
mongodb: {image: "IMAGE"}
deploy: {backend: compose, base_port: BASE_PORT, placement: spread}
storage: {wiredtiger_cache: 256MB}
tls: {mode: requireTLS}
users:
  - {name: app, password_env: HOSTS_APP_PW, roles: [{role: readWrite, db: app}]}
replica_set: {name: rs0, members: 3}
""" + HOSTS


@contextmanager
def docker_contexts(count: int) -> Iterator[list[str]]:
    """`count` Docker contexts on the local engine, removed afterwards (only these, by name)."""
    names = [f"shardsmith-test-{uuid.uuid4().hex[:8]}-h{i}" for i in range(1, count + 1)]
    created = []
    try:
        for name in names:
            subprocess.run(["docker", "context", "create", name, "--docker", "host=unix:///var/run/docker.sock"],
                           check=True, capture_output=True, timeout=60)
            created.append(name)
        yield names
    finally:
        if created:
            subprocess.run(["docker", "context", "rm", "--force", *created], check=False, capture_output=True,
                           timeout=60)


def projects_left(name: str) -> dict:
    """Containers and volumes still labelled with one of the cluster's per-host projects."""
    engine = docker.from_env()
    projects = [f"{name}-h{i}" for i in (1, 2, 3)]
    containers = [c.name for p in projects
                  for c in engine.containers.list(all=True, filters={"label": f"com.docker.compose.project={p}"})]
    volumes = [v.name for v in engine.volumes.list() if any(v.name.startswith(p) for p in projects)]
    return {"containers": containers, "volumes": volumes}


class HostsCluster:
    def __init__(self, folder: Path, text: str, image: str, contexts: list[str]):
        for i, context in enumerate(contexts, start=1):
            text = text.replace(f"CONTEXT{i}", context)
        self.spec = folder / "spec.yaml"
        self.spec.write_text(with_test_version(text.replace("BASE_PORT", str(free_port_block(8)))
                                               .replace("IMAGE", image)))

    @property
    def cluster(self) -> Cluster:
        return Cluster.from_spec(self.spec, routers=False)


@contextmanager
def hosts_cluster(folder: Path, text: str, image: str, *up_args: str) -> Iterator[tuple[HostsCluster, str]]:
    """Brought up by `shardsmith up SPEC --backend compose ...`; destroyed (and checked gone) afterwards."""
    tools.docker_engine()
    tools.compose_plugin()
    with docker_contexts(3) as contexts, pytest.MonkeyPatch.context() as patch:
        for name, value in PASSWORDS.items():
            patch.setenv(name, value)
        handle = HostsCluster(folder, text, image, contexts)
        try:
            done = subprocess.run([str(Path(sys.executable).parent / "shardsmith"), "up", str(handle.spec),
                                   *up_args], capture_output=True, text=True, timeout=600, check=False)
            assert done.returncode == 0, done.stdout + done.stderr
            yield handle, done.stdout
        finally:
            handle.cluster.destroy()
        assert projects_left(handle.cluster.topology.name) == {"containers": [], "volumes": []}


@pytest.fixture(scope="module")
def sharded(tmp_path_factory):
    with hosts_cluster(tmp_path_factory.mktemp("hosts-sharded"), SHARDED, tools.local_image(),
                       "--no-routers") as found:
        yield found


def set_config(cluster: Cluster, name: str) -> dict:
    with MongoClient(cluster.set_uri(cluster.topology.replica_set_named(name))) as client:
        return client.admin.command("replSetGetConfig")["config"]


def test_each_host_runs_its_own_bundle_through_its_context(sharded):
    handle, _ = sharded
    cluster = handle.cluster
    folder = cluster.state.path / "compose" / "hosts-sh"
    assert sorted(p.name for p in folder.glob("*.yaml")) == ["h1.yaml", "h2.yaml", "h3.yaml"]
    engine = docker.from_env()
    for i, host in enumerate(cluster.topology.hosts, start=1):
        services = {c.labels["com.docker.compose.service"] for c in engine.containers.list(
            filters={"label": f"com.docker.compose.project=hosts-sh-h{i}"})}
        assert services == {p.service for p in cluster.topology.processes_on(host.name) if p.role != "mongos"}
        assert len(services) == 2  # placement: spread put one member of each set on every host


def test_sets_span_the_hosts_addresses_and_require_tls(sharded):
    handle, _ = sharded
    cluster = handle.cluster
    for rs in cluster.topology.replica_sets:
        hosts = [m["host"].rsplit(":", 1)[0] for m in set_config(cluster, rs.name)["members"]]
        assert sorted(hosts) == list(ADDRESSES)
    member = cluster.topology.config_servers.members[0]
    with MongoClient(f"mongodb://{cluster.endpoints()[member.name].address}/?directConnection=true",
                     serverSelectionTimeoutMS=2000) as plain, pytest.raises(ServerSelectionTimeoutError):
        plain.admin.command("ping")
    assert not (cluster.state.path / "keyfile").exists()  # x509 between members


def test_tls_rotate_across_hosts_keeps_writing(sharded, capsys):
    """New certificates reach each host's secrets volume; every member reloads its own, none restarts."""
    handle, _ = sharded
    cluster = handle.cluster
    with MajorityWriter(cluster.set_uri(cluster.topology.shards[0])) as writer:
        code, out, err = run(capsys, "tls", "rotate", str(handle.spec), "--json")
    assert code == 0, err
    assert writer.failures == [] and writer.written > 10
    rotated = json.loads(out)["rotated"]
    assert {r["process"]: r["how"] for r in rotated if r["process"].startswith(("cfg", "shard"))} == {
        m.name: "rotateCertificates" for m in cluster.topology.members}
    assert all(r["presented"] == r["new_serial"] for r in rotated if r["how"] == "rotateCertificates")


def test_printed_string_writes_with_majority_and_losing_a_host_keeps_a_primary(sharded):
    handle, printed = sharded
    line = next(line for line in printed.splitlines() if line.startswith("shard01: "))
    uri = line.removeprefix("shard01: ").replace("<password>", PASSWORDS["SHARDSMITH_ROOT_PASSWORD"])
    assert "tls=true&tlsCAFile=" in uri and "replicaSet=shard01" in uri
    with MongoClient(uri) as client:
        things = client.app.things.with_options(write_concern=WriteConcern("majority", wtimeout=30000))
        things.insert_one({"_id": "before"})
        lost = handle.cluster.topology.hosts[0]
        for container in docker.from_env().containers.list(filters={"label": "com.docker.compose.project=hosts-sh-h1"}):
            container.kill()  # the whole machine is gone, as far as the sets can tell
        things.insert_one({"_id": "after"})
        assert things.count_documents({}) == 2
    cluster = handle.cluster
    down = {p.name for p in cluster.topology.processes_on(lost.name) if p.role != "mongos"}
    members = {m.name for m in cluster.topology.members}
    assert len(down) == 2

    def every_set_has_a_primary():  # cfg's primary was on h1: the two other hosts elect one
        states = {s.name: s.state for s in cluster.status()}
        assert {name for name, state in states.items() if state == "DOWN" and name in members} == down
        return all(sum(states[m.name] == "PRIMARY" for m in rs.members) == 1 for rs in cluster.topology.replica_sets)

    poll(every_set_has_a_primary, until=Deadline.after(60), what="a primary in every set without host h1")


def test_status_start_stop_logs_and_up_work_across_hosts(sharded, capsys):
    handle, _ = sharded
    spec = str(handle.spec)
    code, _, err = run(capsys, "up", spec, "--no-routers")  # restarts what the lost host ran
    assert code == 0, err

    def members_in_service() -> dict | None:  # the others see a restarted member at their next heartbeat
        code, out, _ = run(capsys, "status", spec, "--json")
        members = {m["name"]: m for m in json.loads(out)["members"] if m["role"] != "mongos"}
        in_service = sorted(m["state"] for m in members.values()) == ["PRIMARY"] * 2 + ["SECONDARY"] * 4
        return members if code == 0 and in_service else None

    members = poll(members_in_service, until=Deadline.after(60), what="every member back in service")
    assert {m["address"].rsplit(":", 1)[0] for m in members.values()} == set(ADDRESSES)
    code, _, err = run(capsys, "stop", "shard01.2", spec)
    assert code == 0 and "stop: shard01.2" in err
    code, _, err = run(capsys, "start", "shard01.2", spec)
    assert code == 0 and "start: shard01.2" in err
    code, out, _ = run(capsys, "logs", "cfg.3", spec, "--lines", "100000")
    assert code == 0 and '"Waiting for connections"' in out
    code, _, err = run(capsys, "down", spec)
    assert code == 0 and "stopped 6 process(es)" in err
    assert not any(handle.cluster.backend.running().values())
    code, _, err = run(capsys, "up", spec, "--no-routers")
    assert code == 0, err
    with MongoClient(handle.cluster.set_uri(handle.cluster.topology.shards[0])) as client:
        assert client.app.things.count_documents({}) == 2  # the data outlived down/up


def test_official_image_bundles_initiate_and_create_users_on_each_host(official_image, tmp_path):
    with hosts_cluster(tmp_path, REPLSET, official_image) as (handle, printed):
        cluster = handle.cluster
        engine = docker.from_env()
        inits = {c.labels["com.docker.compose.service"]: c.attrs["State"]["ExitCode"]
                 for p in ("hosts-rs-h1", "hosts-rs-h2", "hosts-rs-h3")
                 for c in engine.containers.list(all=True, filters={"label": f"com.docker.compose.project={p}"})
                 if c.labels["com.docker.compose.service"].startswith("init")}
        assert inits == {"init-rs0": 0}  # beside the intended primary, on its host only
        init = next(c for c in engine.containers.list(all=True, filters={"label": "com.docker.compose.service=init-rs0"})
                    if c.labels["com.docker.compose.project"] == "hosts-rs-h1")
        logs = init.logs().decode()
        assert "replica set rs0 initiated" in logs and "user app created on replica set rs0" in logs, logs
        connect = next(line for line in printed.splitlines() if line.startswith("connect: "))
        assert "tls=true&tlsCAFile=" in connect
        hosts = ",".join(f"{a}:{m.port}" for a, m in zip(ADDRESSES, cluster.topology.replica_set.members, strict=True))
        ca = cluster.state.path / "tls" / "ca.pem"
        with MongoClient(f"mongodb://app:{PASSWORDS['HOSTS_APP_PW']}@{hosts}/?replicaSet=rs0&authSource=admin&tls=true",
                         tlsCAFile=str(ca)) as app:
            app.app.things.with_options(write_concern=WriteConcern("majority")).insert_one({"by": "app"})
            with pytest.raises(OperationFailure) as refused:
                app.other.things.insert_one({})
            assert refused.value.code == 13
        for path in cluster.state.path.rglob("*"):
            if path.is_file():
                assert not any(pw.encode() in path.read_bytes() for pw in PASSWORDS.values()), path
        poll(lambda: all(s.state in ("PRIMARY", "SECONDARY") for s in cluster.status()), until=Deadline.after(30),
             what="every member in service")
