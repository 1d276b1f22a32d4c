"""A throwaway MongoDB cluster for your tests, from a Shardsmith topology spec.

Registered as a pytest plugin (entry point `shardsmith`), it offers one
session-scoped fixture, `shardsmith_cluster`:

    # tests/test_orders.py
    def test_orders_are_stored(shardsmith_cluster):
        orders = shardsmith_cluster.client().shop.orders
        orders.insert_one({"_id": 1, "total": 42})
        assert orders.count_documents({}) == 1

    $ pytest --shardsmith-spec topology/replset.yaml                # local processes
    $ pytest --shardsmith-spec topology/replset.yaml --shardsmith-backend compose

The cluster comes up once per session (local processes or containers,
whatever the spec or --shardsmith-backend says) and is destroyed at the end,
data and all, even when tests fail. Settings can live in pytest.ini instead:
`shardsmith_spec`, `shardsmith_backend`, `shardsmith_routers`.

With the compose backend, testcontainers drives the containers: Shardsmith
renders the compose file as `inv up --backend compose` does and bootstraps the
cluster with the same code, but testcontainers' `DockerCompose` (exposed as
`shardsmith_cluster.compose`) starts, stops and finally removes them, with
their volumes and network. Before importing testcontainers the plugin sets
TESTCONTAINERS_RYUK_DISABLED=true in its own process (unless already set):
the ryuk reaper image cannot be pulled without a registry, and the fixture's
teardown does the reaping.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest

from .errors import ShardsmithError
from .topology.model import Topology

SPEC_HELP = "topology spec the shardsmith_cluster fixture brings up"
BACKEND_HELP = "local or compose (default: the spec's deploy.backend)"
ROUTERS_HELP = "start mongos routers too (true/false; default true)"


class ComposeThroughTestcontainers:
    """The runner a ComposeBackend drives its containers with, here through testcontainers' DockerCompose.

    Same rendered file, same project (the file names it), so the backend's
    status, logs and bootstrap see these containers as their own. The root
    password reaches init services through a 0600 env file in the state folder.
    """

    def __init__(self, backend):
        os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
        from testcontainers.compose import DockerCompose

        self.backend = backend
        self.env_file = backend.state.path / "compose.env"
        self.compose = DockerCompose(context=str(backend.folder), compose_file_name=backend.compose_file.name,
                                     pull=False, wait=True, env_file=str(self.env_file))

    def up(self, services: list[str]) -> None:
        with self._reported():
            dataclasses.replace(self.compose, services=services).start()

    def remove(self, services: list[str]) -> None:
        """Stopped, not removed: DockerCompose has no `rm`; `up` starts them again on their volumes."""
        with self._reported():
            dataclasses.replace(self.compose, services=services).stop(down=False)

    def kill(self, services: list[str]) -> None:
        """SIGKILL, through the docker SDK, to the containers DockerCompose reports for these services."""
        with self._reported():
            for container in self.compose.get_containers():
                if container.Service in services:
                    self.backend.client.containers.get(container.ID).kill(signal="SIGKILL")

    def down(self, *, volumes: bool) -> None:
        """With volumes: `down --volumes` (containers, volumes, network); without: stop everything."""
        with self._reported():
            self.compose.stop(down=volumes)

    @contextmanager
    def _reported(self):
        """A failed compose command becomes a ShardsmithError with compose's words and the exited members' logs."""
        self._write_env_file()
        try:
            yield
        except subprocess.CalledProcessError as exc:
            done = subprocess.CompletedProcess(exc.cmd, exc.returncode, _text(exc.stdout), _text(exc.stderr))
            raise ShardsmithError(f"`{' '.join(exc.cmd)}` (testcontainers) failed:\n{self.backend.failure_report(done)}",
                                  hint="`docker compose ls` lists projects; the members' logs are above") from None

    def _write_env_file(self) -> None:
        lines = []
        for name, value in self.backend.secret_environment().items():
            if "'" in value or "\n" in value:
                raise ShardsmithError(f"{name} holds a quote or a newline: compose's env file cannot carry it",
                                      hint=f"unset {name} (a password is generated) or choose one without ' or newlines")
            lines.append(f"{name}='{value}'\n")
        self.env_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.env_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.writelines(lines)


def _text(output) -> str:
    return output.decode(errors="replace") if isinstance(output, bytes) else (output or "")


class ClusterHandle:
    """What a test needs from a running cluster; `.cluster` is the full shardsmith Cluster."""

    def __init__(self, cluster):
        self.cluster = cluster

    @property
    def uri(self) -> str:
        """Connection string with credentials: routers, the replica set, or the standalone."""
        return self.cluster.uri()

    def client(self, **options):
        """A pymongo MongoClient on `.uri` (close it, or use it in a `with`)."""
        return self.cluster.client(**options)

    @property
    def members(self) -> list[str]:
        """Names of every process: cfg.1, shard01.2, rs0.1, mongos.1 ..."""
        return [p.name for p in self.cluster.wanted]

    @property
    def compose(self):
        """The testcontainers DockerCompose running the containers (None with the local backend)."""
        runner = getattr(self.cluster.backend, "runner", None)
        return getattr(runner, "compose", None)

    def kill(self, member: str) -> list[str]:
        """SIGKILL the selected processes (`rs0.2`, `shard01.primary`, `mongos` ...), as a crash would."""
        return self.cluster.kill(member)

    def stop(self, member: str) -> list[str]:
        """Clean shutdown of the selected processes; their data stays for `.start`."""
        return self.cluster.stop(member)

    def start(self, member: str) -> list[str]:
        """Start the selected processes that are down, on their data, and wait until each is back in service.

        Back in service: PRIMARY or SECONDARY (or ARBITER) in its replica set; answering, for a router.
        """
        return self.cluster.start(member)

    def primary(self, set_name: str) -> str:
        """Name of the set's current primary (`rs0.1` ...)."""
        return self.cluster.primary(set_name)


def pytest_addoption(parser):
    group = parser.getgroup("shardsmith")
    group.addoption("--shardsmith-spec", dest="shardsmith_spec", help=SPEC_HELP)
    group.addoption("--shardsmith-backend", dest="shardsmith_backend", choices=("local", "compose"), help=BACKEND_HELP)
    parser.addini("shardsmith_spec", SPEC_HELP)
    parser.addini("shardsmith_backend", BACKEND_HELP)
    parser.addini("shardsmith_routers", ROUTERS_HELP, default="true")


def _setting(config, name: str):
    return config.getoption(name) or config.getini(name) or None


def for_this_worker(topology: Topology):
    """Under pytest-xdist each worker gets its own cluster: the spec's, renamed and moved to ports of its own.

    Worker gwN's ports are the spec's plus N times the span the spec's ports cover, so workers never
    meet on a port, a compose project or a state folder.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return topology
    index = int(worker[2:])
    ports = [p.port for p in topology.processes]
    return topology.relocated(index * (max(ports) - min(ports) + 1), f"-{worker}")


@pytest.fixture(scope="session")
def shardsmith_cluster(request, tmp_path_factory):
    """One cluster for the whole session, destroyed at the end (pass or fail)."""
    from .backends.compose import ComposeBackend
    from .cluster import Cluster
    from .topology import load_topology

    config = request.config
    spec = _setting(config, "shardsmith_spec")
    if not spec:
        raise pytest.UsageError("shardsmith_cluster needs a spec: --shardsmith-spec PATH or `shardsmith_spec` in pytest.ini")
    path = Path(spec)
    if not path.is_absolute():
        path = Path(config.rootpath) / path
    routers = str(config.getini("shardsmith_routers")).lower() not in ("false", "0", "no")
    cluster = Cluster(for_this_worker(load_topology(path)), state_root=tmp_path_factory.mktemp("shardsmith"),
                      routers=routers, backend=_setting(config, "shardsmith_backend"))
    if isinstance(cluster.backend, ComposeBackend):
        cluster.backend.runner = ComposeThroughTestcontainers(cluster.backend)
    try:
        cluster.up()
        yield ClusterHandle(cluster)
    finally:
        cluster.destroy()
