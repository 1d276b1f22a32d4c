"""The rendered mongosh init script, run for real by mongosh 2.12.0.

Replica-set parts against real mongods (started as local processes at the
addresses a host-network compose file gives them); the router part against
mockupdb playing mongos, and against a real mongos when this machine has one.
"""

from __future__ import annotations

import os
import subprocess
import threading

import pytest
from mockupdb import OpMsgReply
from pymongo import MongoClient
from pymongo.errors import OperationFailure

from shardsmith.binaries import resolve_binaries
from shardsmith.clients import direct_client
from shardsmith.credentials import ensure_keyfile
from shardsmith.endpoints import Endpoint
from shardsmith.render.init_script import init_executor, render_init_plan
from shardsmith.topology import parse_topology
from shardsmith.wait import Deadline, poll
from tests.mongos_double import WIRE_VERSIONS, fake_mongos, real_mongos_binary, requires_real_mongos
from tests.plugin import tools

PASSWORD = "init-script-pw-1"

SETS = """
name: init-BASE_PORT
deploy: {base_port: BASE_PORT, network: host}
storage: {wiredtiger_cache: 256MB}
config_servers: {members: 1}
shards:
  - {name: shard01, members: [{priority: 2}, {}, {}]}
mongos: {count: 1}
"""

ROUTER = """
name: init-router
deploy: {base_port: 30000, network: host}
auth: {enabled: AUTH}
config_servers: {members: 1}
shards:
  - {name: shard01, members: 3}
  - {name: shard02, members: [{}, {}, {arbiter: true}]}
mongos: {count: 1}
"""


def write_init(folder, topology, endpoints=None):
    """init.js and the plan beside it, exactly what the compose file mounts (the plan at its own path)."""
    (folder / "plan.json").write_text(render_init_plan(topology, endpoints))
    script = folder / "init.js"
    script.write_text(init_executor())
    return script


def init_env(script_path, part: str, password: str | None = PASSWORD) -> dict:
    """What an init service's environment holds: the part, the password, and here the plan's path."""
    env = {k: v for k, v in os.environ.items() if k != "SHARDSMITH_ROOT_PASSWORD"}
    env["SHARDSMITH_INIT_PART"] = part
    env["SHARDSMITH_INIT_PLAN"] = str(script_path.with_name("plan.json"))
    if password is not None:
        env["SHARDSMITH_ROOT_PASSWORD"] = password
    return env


def run_part(script_path, part: str, password: str | None = PASSWORD, timeout: float = 90):
    env = init_env(script_path, part, password)
    return subprocess.run([tools.mongosh(), "--nodb", "--quiet", "--file", str(script_path)],
                          capture_output=True, text=True, env=env, timeout=timeout)


@pytest.fixture
def members(make_cluster, tmp_path):
    """Real mongods with keyfile auth at the spec's host-network addresses; nothing initiated."""
    cluster = make_cluster(SETS, routers=False)
    cluster.backend.binaries = resolve_binaries(cluster.topology, need_mongos=False)
    cluster.backend.start(cluster.topology.members, keyfile=ensure_keyfile(cluster.state))
    script = write_init(tmp_path, cluster.topology)
    return cluster, script


def test_replica_set_parts_initiate_elect_create_the_user_and_are_idempotent(members, monkeypatch):
    cluster, script = members
    topology = cluster.topology
    firsts = {rs.name: run_part(script, rs.name) for rs in topology.replica_sets}
    for name, done in firsts.items():
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"replica set {name} initiated" in done.stdout
        assert f"root user admin created on replica set {name}" in done.stdout
    assert PASSWORD not in script.read_text() + script.with_name("plan.json").read_text()

    monkeypatch.setenv("SHARDSMITH_ROOT_PASSWORD", PASSWORD)
    shard = topology.shards[0]
    seed = cluster.endpoints()["shard01.1"].address
    with direct_client(seed, cluster.credentials()) as client:
        assert client.admin.command("hello")["isWritablePrimary"]
        config = client.admin.command("replSetGetConfig")["config"]
        status = client.admin.command("replSetGetStatus")
    assert config["configsvr"] is False if "configsvr" in config else True
    assert config["settings"]["electionTimeoutMillis"] == 10000  # fast-election settings undone
    assert [m["priority"] for m in config["members"]] == [m.priority for m in shard.members]
    assert sorted(m["stateStr"] for m in status["members"]) == ["PRIMARY", "SECONDARY", "SECONDARY"]
    with direct_client(cluster.endpoints()["cfg.1"].address, cluster.credentials()) as client:
        assert client.admin.command("replSetGetConfig")["config"]["configsvr"] is True
    with direct_client(seed) as anonymous:
        with pytest.raises(OperationFailure) as refused:
            anonymous.app.things.insert_one({"x": 1})
        assert refused.value.code == 13

    again = run_part(script, "shard01")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "initiated" not in again.stdout and "created" not in again.stdout

    wrong = run_part(script, "shard01", password="not-the-password")
    assert wrong.returncode == 2 and "does not work" in wrong.stdout
    missing = run_part(script, "shard01", password=None)
    assert missing.returncode == 2 and "SHARDSMITH_ROOT_PASSWORD is not set" in missing.stdout


def test_unknown_part_is_refused_with_the_choices(tmp_path):
    script = write_init(tmp_path, parse_topology(ROUTER.replace("AUTH", "true"), "r.yaml"))
    done = run_part(script, "shard09")
    assert done.returncode == 2
    assert "cfg, shard01, shard02, router, all" in done.stdout


def router_script(tmp_path, router_address: str, auth: bool):
    topology = parse_topology(ROUTER.replace("AUTH", "true" if auth else "false"), "r.yaml")
    endpoints = {p.name: Endpoint(p.name, f"{p.service}:{p.port}", f"127.0.0.1:{p.port}") for p in topology.processes}
    endpoints["mongos.1"] = Endpoint("mongos.1", "mongos-1:30000", router_address)
    script = write_init(tmp_path, topology, endpoints)
    return script


class PlayedRouter:
    """Answers what mongosh asks on connect; records and answers the init's own commands."""

    INTERESTING = ("listShards", "addShard", "createUser")

    def __init__(self, server, listed: list[str]):
        self.server, self.listed, self.seen = server, list(listed), []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                request = self.server.receives(timeout=60)
            except Exception:  # server stopped or idle: the script is done
                return
            if request is None:  # mockupdb answers None forever once stopped: leave, do not spin
                return
            name = request.command_name
            if name in self.INTERESTING:
                self.seen.append(request.doc)
            if name == "listShards":
                request.reply(OpMsgReply(ok=1, shards=[{"_id": s, "host": f"{s}/x:1", "state": 1} for s in self.listed]))
            elif name == "addShard":
                self.listed.append(request.doc["name"])
                request.reply(OpMsgReply(ok=1, shardAdded=request.doc["name"]))
            else:
                request.reply(OpMsgReply(ok=1))


@pytest.mark.parametrize("version", sorted(WIRE_VERSIONS))
def test_router_part_adds_each_missing_shard_once(tmp_path, version):
    with fake_mongos(version) as server:
        played = PlayedRouter(server, listed=["shard01"])
        done = run_part(router_script(tmp_path, server.address_string, auth=False), "router", password=None)
    assert done.returncode == 0, done.stdout + done.stderr
    commands = [(next(iter(doc)), doc[next(iter(doc))]) for doc in played.seen]
    # shard01 was listed already; the arbiter is left out of shard02's seed list
    assert commands == [("listShards", 1), ("addShard", "shard02/shard02-1:30005,shard02-2:30006")]
    assert played.seen[1]["name"] == "shard02"
    assert "shard shard02 added" in done.stdout


def test_router_part_creates_the_root_user_first(tmp_path):
    with fake_mongos("7.0") as server:
        script = router_script(tmp_path, server.address_string, auth=True)
        played = PlayedRouter(server, listed=[])
        env = init_env(script, "router")
        log = tmp_path / "mongosh.out"
        with log.open("w") as out:
            shell = subprocess.Popen([tools.mongosh(), "--nodb", "--quiet", "--file", str(script)],
                                     stdout=out, stderr=subprocess.STDOUT, text=True, env=env)
        try:
            # a played router cannot complete the SCRAM handshake that follows: stop once the script
            # has reported the user (or has ended on its own)
            poll(lambda: "created on the router" in log.read_text() or shell.poll() is not None, until=Deadline.after(60),
                 what="the init script to report the root user on the router")
        finally:
            shell.kill()
            shell.wait()
        output = log.read_text()
    created = played.seen[0]
    assert next(iter(created)) == "createUser", played.seen  # before listShards or addShard
    assert created["createUser"] == "admin" and created["pwd"] == PASSWORD and created["roles"] == ["root"]
    assert created["writeConcern"]["w"] == 1
    assert "root user admin created on the router" in output


@requires_real_mongos("the router part is verified against a played mongos above")
def test_router_part_against_a_real_mongos(members, monkeypatch, tmp_path):
    cluster, script = members
    for rs in cluster.topology.replica_sets:
        assert run_part(script, rs.name).returncode == 0
    monkeypatch.setenv("MONGOS_BIN", real_mongos_binary())
    cluster.backend.binaries = resolve_binaries(cluster.topology, need_mongos=True)
    cluster.backend.start(cluster.topology.routers, keyfile=ensure_keyfile(cluster.state))
    done = run_part(script, "router")
    assert done.returncode == 0, done.stdout + done.stderr
    router = cluster.endpoints()["mongos.1"].address
    with MongoClient(f"mongodb://admin:{PASSWORD}@{router}/?authSource=admin") as client:
        assert {s["_id"] for s in client.admin.command("listShards")["shards"]} == {"shard01"}
    assert run_part(script, "router").returncode == 0  # idempotent
