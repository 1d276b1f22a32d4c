"""The rendered "official image" compose file, run alone: `docker compose up -d --wait`, no Shardsmith.

Issue 3 point 2: with the official image, the rendered file plus its init
script must come up initialised and authenticated on their own, and a second
`up` must change nothing. No registry answers here, so the image is a local
stand-in for `mongo:X` (tests/official_standin.py: mongod, mongosh, busybox,
the official image's user and HOME); where a registry answers (CI),
SHARDSMITH_TEST_OFFICIAL_IMAGE=mongo:8.0 runs the same checks on the real
image. Both networks are exercised: a replica set on a bridge network with
its members published on 127.0.0.1 (expose_members, reached with
directConnection through the published ports), and config RS + 2 shard RSs
on the host network bound to 127.0.0.1.

Routers are left out (`routers=False`, as `shardsmith render --no-routers`):
no mongos exists on this machine, so the file's router service and router
init part cannot run here; the router part of the init script is checked
against mockupdb in test_compose_init_script.py.
"""

from __future__ import annotations

import os
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import docker
import pytest
from docker.errors import NotFound
from pymongo import MongoClient, WriteConcern
from pymongo.errors import OperationFailure

from shardsmith.render import write_compose_files
from shardsmith.topology import parse_topology
from shardsmith.wait import Deadline, poll
from tests.conftest import free_port_block

pytestmark = pytest.mark.docker

PASSWORD = "official-file-pw-7"
UP_TIMEOUT = 150  # seconds for `up --wait`; a healthy run needs a fraction of it

REPLSET_ON_BRIDGE = """
name: off-rs-BASE_PORT
mongodb: {image: "IMAGE"}
deploy: {base_port: BASE_PORT, network: bridge, expose_members: true}
storage: {wiredtiger_cache: 256MB}
replica_set:
  name: rs0
  members: [{priority: 2}, {}, {}]
"""

SHARDED_ON_HOST = """
name: off-sh-BASE_PORT
mongodb: {image: "IMAGE"}
deploy: {base_port: BASE_PORT, network: host, bind_ip: 127.0.0.1}
storage: {wiredtiger_cache: 256MB}
config_servers: {name: cfg, members: 1}
shards:
  - {name: shard01, members: 1}
  - {name: shard02, members: 1}
mongos: {count: 1}
"""


class ComposeRun:
    """`docker compose -p PROJECT -f FILE ...` with the root password in the environment, like a user runs it."""

    def __init__(self, compose_file: Path, project: str):
        self.file = compose_file
        self.project = project
        self.engine = docker.from_env()

    def __call__(self, *args: str, timeout: float = UP_TIMEOUT + 30) -> subprocess.CompletedProcess:
        return subprocess.run(["docker", "compose", "-p", self.project, "-f", str(self.file), *args],
                              capture_output=True, text=True, cwd=self.file.parent, timeout=timeout,
                              env={**os.environ, "SHARDSMITH_ROOT_PASSWORD": PASSWORD})

    def up(self) -> None:
        done = self("up", "-d", "--wait", "--wait-timeout", str(UP_TIMEOUT))
        assert done.returncode == 0, f"up failed:\n{done.stdout}{done.stderr}\n{self.diagnosis()}"

    def diagnosis(self) -> str:
        """Every container's state and health, and the one-shot services' whole logs."""
        lines = []
        for service, container in sorted(self.containers().items()):
            state = container.attrs["State"]
            health = state.get("Health") or {}
            lines.append(f"--- {service}: {state['Status']} exit={state['ExitCode']} health={health.get('Status')} "
                         f"last check={[h.get('Output', '')[-200:] for h in health.get('Log', [])[-1:]]}")
            if "Health" not in state:
                lines.append(container.logs(tail=60).decode(errors="replace"))
        return "\n".join(lines)

    def containers(self) -> dict:
        found = self.engine.containers.list(all=True, filters={"label": f"com.docker.compose.project={self.project}"})
        return {c.labels["com.docker.compose.service"]: c for c in found}

    def volumes(self) -> set[str]:
        """Named and anonymous volumes of the project (the image declares VOLUMEs, as the official one does)."""
        named = self.engine.volumes.list(filters={"label": f"com.docker.compose.project={self.project}"})
        mounted = {m["Name"] for c in self.containers().values() for m in c.attrs["Mounts"] if m["Type"] == "volume"}
        return {v.name for v in named} | mounted

    def down(self) -> list[str]:
        """Remove containers, networks and volumes; return what `down -v` left behind (and remove it)."""
        volumes = self.volumes()
        done = self("down", "-v", "--remove-orphans", "--timeout", "5", timeout=120)
        assert done.returncode == 0, done.stderr
        leftovers = []
        for name in volumes:
            try:
                self.engine.volumes.get(name).remove(force=True)
                leftovers.append(name)
            except NotFound:
                pass
        return leftovers


@contextmanager
def rendered_and_run(text: str, image: str, folder: Path) -> Iterator[tuple]:
    """Render the spec as `shardsmith render --no-routers` does, then hand over the compose run; always downed."""
    topology = parse_topology(text.replace("BASE_PORT", str(free_port_block(16))).replace("IMAGE", image),
                              str(folder / "spec.yaml"))
    written = write_compose_files(topology, folder, routers=False)
    assert [p.name for p in written] == [f"{topology.name}.yaml", "init.js", f"{topology.name}.plan.json"]
    assert PASSWORD not in "".join(p.read_text() for p in written)
    run = ComposeRun(written[0], topology.name)
    downed = False
    try:
        yield topology, run, lambda: run.down()
        downed = True
    finally:
        if not downed:
            run.down()


def client(port: int, authenticated: bool = True) -> MongoClient:
    userinfo = f"admin:{PASSWORD}@" if authenticated else ""
    return MongoClient(f"mongodb://{userinfo}127.0.0.1:{port}/?directConnection=true&authSource=admin",
                       serverSelectionTimeoutMS=5000)


def set_state(replica_set) -> dict:
    """What the set says about itself, asked of its intended primary through its published port."""
    seed = replica_set.members[0]
    with client(seed.port) as member:
        config = member.admin.command("replSetGetConfig")["config"]

        def settled():
            status = member.admin.command("replSetGetStatus")
            states = sorted(m["stateStr"] for m in status["members"])
            return status if states == ["PRIMARY"] + ["SECONDARY"] * (len(states) - 1) else None

        status = poll(settled, until=Deadline.after(60), what=f"{replica_set.name}: one primary, the rest secondaries",
                      transient=lambda error: True)  # any driver error: not up yet
    return {"hosts": [m["host"] for m in config["members"]], "version": config["version"],
            "term": config.get("term"), "configsvr": config.get("configsvr", False),
            "primary": next(m["name"] for m in status["members"] if m["stateStr"] == "PRIMARY")}


def cluster_role(port: int) -> str | None:
    with client(port) as member:
        return member.admin.command("getCmdLineOpts")["parsed"].get("sharding", {}).get("clusterRole")


def assert_auth_enforced(port: int, writable: bool = True) -> None:
    """The root user works, an unauthenticated write is refused (config servers take no user data)."""
    with client(port) as root:
        users = root.admin.command("usersInfo", "admin")["users"]
        assert [r["role"] for r in users[0]["roles"]] == ["root"]
        if writable:
            root.app.things.with_options(write_concern=WriteConcern("majority")).insert_one({"by": "root"})
            assert root.app.things.count_documents({"by": "root"}) == 1
    with client(port, authenticated=False) as anonymous:
        with pytest.raises(OperationFailure) as refused:
            anonymous.app.things.insert_one({"by": "nobody"})
        assert refused.value.code == 13  # Unauthorized


def assert_keyfile_usable_by_mongodb(run: ComposeRun, service: str) -> None:
    container = run.containers()[service]
    done = container.exec_run(["stat", "-c", "%u:%g %a", "/keyfile/keyfile"])
    assert done.exit_code == 0, done.output
    assert done.output.decode().strip() == "999:999 400"


def snapshot(run: ComposeRun, topology) -> dict:
    """Everything a harmless second `up` must leave alone (and the init containers' start times)."""
    containers = run.containers()
    return {
        "sets": {rs.name: set_state(rs) for rs in topology.replica_sets},
        "members": {m.service: (containers[m.service].id, containers[m.service].attrs["State"]["StartedAt"])
                    for m in topology.members},
    }


def init_containers(run: ComposeRun, topology) -> dict:
    containers = run.containers()
    return {f"init-{rs.name}": containers[f"init-{rs.name}"] for rs in topology.replica_sets}


def assert_idempotent_second_up(run: ComposeRun, topology) -> None:
    """A second `up` runs every init service again; they find their work done and change nothing."""
    before = snapshot(run, topology)
    first = {name: (c.attrs["State"]["StartedAt"], c.logs().decode()) for name, c in init_containers(run, topology).items()}
    for name, (_, logs) in first.items():
        set_name = name.removeprefix("init-")
        assert f"replica set {set_name} initiated" in logs and f"root user admin created on replica set {set_name}" in logs, logs
    run.up()
    assert snapshot(run, topology) == before
    for name, container in init_containers(run, topology).items():
        state = container.attrs["State"]
        assert state["ExitCode"] == 0 and state["Status"] == "exited", state
        started, first_logs = first[name]
        assert state["StartedAt"] != started, f"{name} did not run again"
        again = container.logs().decode()[len(first_logs):]
        assert f"{name.removeprefix('init-')}: done" in again, again
        assert "initiated" not in again and "created" not in again, again


def assert_members_healthy(run: ComposeRun, topology) -> None:
    """Health checks run mongosh as uid 999 with the image's HOME; `healthy` proves they work."""
    containers = run.containers()
    for member in topology.members:
        attrs = containers[member.service].attrs
        assert attrs["Config"]["User"] == "999:999"
        assert attrs["State"]["Health"]["Status"] == "healthy", attrs["State"]["Health"]["Log"][-1:]


def test_replica_set_on_a_bridge_network_comes_up_initialised_and_a_second_up_is_harmless(official_image, tmp_path):
    with rendered_and_run(REPLSET_ON_BRIDGE, official_image, tmp_path) as (topology, run, down):
        run.up()
        rs = topology.replica_set
        state = set_state(rs)
        assert state["hosts"] == [f"{m.service}:{m.port}" for m in rs.members]  # names inside the network
        assert state["primary"] == f"{rs.members[0].service}:{rs.members[0].port}"  # priority 2 won
        assert state["configsvr"] is False
        assert_members_healthy(run, topology)
        assert [cluster_role(m.port) for m in rs.members] == [None] * len(rs.members)
        assert_auth_enforced(rs.members[0].port)
        assert_keyfile_usable_by_mongodb(run, rs.members[0].service)
        assert run.containers()["ready"].attrs["State"]["Running"]

        assert_idempotent_second_up(run, topology)
        assert down() == [], "docker compose down -v left volumes behind"
        assert run.containers() == {}


def test_config_and_shard_sets_on_the_host_network_come_up_initialised_without_routers(official_image, tmp_path):
    with rendered_and_run(SHARDED_ON_HOST, official_image, tmp_path) as (topology, run, down):
        run.up()
        assert "router" not in run.containers() and not any(s.startswith("mongos") for s in run.containers())
        for rs in topology.replica_sets:
            state = set_state(rs)
            assert state["hosts"] == [f"127.0.0.1:{m.port}" for m in rs.members]
            assert state["configsvr"] is (rs is topology.config_servers)
            expected_role = "configsvr" if rs is topology.config_servers else "shardsvr"
            assert [cluster_role(m.port) for m in rs.members] == [expected_role] * len(rs.members)
            assert_auth_enforced(rs.members[0].port, writable=rs is not topology.config_servers)
        assert_members_healthy(run, topology)
        assert_keyfile_usable_by_mongodb(run, topology.shards[0].members[0].service)

        assert_idempotent_second_up(run, topology)
        assert down() == [], "docker compose down -v left volumes behind"
        assert run.containers() == {}
