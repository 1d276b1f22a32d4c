"""A handle on one topology's deployment: up, down, status, stop/start/kill, destroy.

    from shardsmith.cluster import Cluster

    cluster = Cluster.from_spec("topology/replset.yaml")
    cluster.up()                      # start, initiate, create the root user
    cluster.client().test.things.insert_one({"hello": "world"})
    cluster.kill("rs0.primary")       # a crash, for failover experiments
    cluster.up()                      # restarts only what is down
    cluster.down()                    # clean shutdown, data kept

Every call that starts, stops or deletes holds the cluster's lock, so two
commands on one cluster never interleave.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Sequence, Union
from urllib.parse import quote_plus

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from .backends.base import Backend
from .backends.local import LocalBackend
from .bootstrap import ROUTER_PART, BootstrapReport, bootstrap, find_primary, set_parts
from .bootstrap.users import require_passwords
from .clients import direct_client
from .credentials import Credentials, ensure_keyfile, password_hint, root_credentials
from .endpoints import Endpoints
from .errors import ShardsmithError
from .progress import QUIET, Progress
from .selectors import STATE_WORDS, select
from .state import Foreign, StateDir, cluster_lock
from .status import ProcessStatus, cluster_status, member_states
from .tls import CertificateStore, ClientTLS, client_tls
from .topology import load_topology
from .topology.model import Process, ReplicaSet, Role, Topology
from .wait import Deadline, poll

logger = logging.getLogger(__name__)
IN_SERVICE = ("PRIMARY", "SECONDARY", "ARBITER", "RUNNING")  # RUNNING: a router or standalone that answers
BACK_IN_SERVICE_SECONDS = 120.0
STEP_DOWN_SECONDS = 60  # how long a stepped-down primary stays ineligible
CATCH_UP_SECONDS = 10  # how long it waits for a secondary to catch up before stepping down


@dataclass
class UpResult:
    changed: bool
    started: list[str]
    report: Optional[BootstrapReport] = None


@dataclass
class Progressing:
    """What `up`/`down` had done when interrupted: the names of what runs now."""

    running: list[str] = field(default_factory=list)
    wanted: list[str] = field(default_factory=list)


class Cluster:
    def __init__(self, topology: Topology, *, state_root: Union[str, Path, None] = None, routers: bool = True,
                 progress: Progress = QUIET, backend: Optional[str] = None):
        self.topology = topology
        self.state = StateDir(topology, state_root)
        self.with_routers = routers
        self.progress = progress
        self.backend: Backend = self._choose_backend(backend)

    @classmethod
    def from_spec(cls, path: Union[str, Path], **options: Any) -> "Cluster":
        return cls(load_topology(path), **options)

    def _choose_backend(self, override: Optional[str]) -> Backend:
        """--backend, else the backend this cluster was last brought up with, else the spec's deploy.backend."""
        chosen = override or self.state.read_or_empty().get("backend") or self.topology.deploy.backend
        if chosen == "compose" and self.topology.hosts:
            from .backends.hosts import HostsBackend

            return HostsBackend(self.topology, self.state, routers=self.with_routers)
        if chosen == "compose":
            from .backends.compose import ComposeBackend  # the docker SDK costs 0.1 s to import: only compose pays

            return ComposeBackend(self.topology, self.state, routers=self.with_routers)
        if chosen == "local":
            return LocalBackend(self.topology, self.state)
        raise ShardsmithError(f"unknown backend {chosen!r}", hint="use local or compose")

    @contextmanager
    def locked(self) -> Iterator[None]:
        with cluster_lock(self.state.path, self.topology.name):
            yield

    # -- what we run ------------------------------------------------------------
    @property
    def wanted(self) -> list[Process]:
        """The processes `up` keeps running: every mongod, and routers unless skipped."""
        routers = list(self.topology.routers) if self.with_routers else []
        return list(self.topology.members) + routers

    def endpoints(self) -> Endpoints:
        return self.backend.endpoints()

    def credentials(self, *, create: bool = False) -> Optional[Credentials]:
        return root_credentials(self.topology.auth, self.state, create=create)

    @property
    def tls(self) -> Optional[ClientTLS]:
        """How Shardsmith's clients reach the members: over TLS, trusting the cluster's CA (None: plain)."""
        return client_tls(self.topology, self.state)

    def _keyfile(self) -> Optional[Path]:
        """The members' shared keyfile; none without auth, nor with x509 member authentication."""
        if not self.topology.auth.enabled or self.topology.tls.x509:
            return None
        return ensure_keyfile(self.state, self.topology.auth.keyfile)


    def foreign(self) -> dict[str, Foreign]:
        """Processes found where ours were expected that are not ours: left alone, worth reporting."""
        return self.backend.foreign()

    def progress_report(self) -> Progressing:
        running = self.backend.running()
        return Progressing(running=[name for name, pid in running.items() if pid],
                           wanted=[p.name for p in self.wanted])

    # -- lifecycle -------------------------------------------------------------
    def up(self) -> UpResult:
        """Make the cluster run: start what is down; initiate what is new. Idempotent."""
        with self.locked():
            return self._up()

    def _up(self) -> UpResult:
        topo = self.topology
        recorded = self.state.read()
        initiated = bool(recorded.get("initiated", False))
        running = self.backend.running()
        missing = [p for p in self.wanted if not running[p.name]]
        if not missing and recorded.get("bootstrapped") == self.with_routers:
            return UpResult(changed=False, started=[])
        require_passwords(topo)  # before anything is started or written
        self.backend.prepare(missing, need_mongos=any(p.role is Role.MONGOS for p in missing))
        CertificateStore(topo, self.state).ensure()  # issued if missing; wrong ones are spec errors
        keyfile = self._keyfile()
        credentials = self.credentials(create=True)
        self._record(initiated=initiated)
        members = [p for p in missing if p.role is not Role.MONGOS]
        routers = [p for p in missing if p.role is Role.MONGOS]
        if members:
            with self.progress.phase(f"started {len(members)} mongod process(es)"):
                self.backend.start(members, keyfile=keyfile)
        with self.progress.phase("replica sets initiated, primaries elected, root user ready"):
            report = self._bootstrap(set_parts(topo), credentials)
        self._record(initiated=True)
        if routers:
            with self.progress.phase(f"started {len(routers)} mongos router(s)"):
                self.backend.start(routers, keyfile=keyfile)
        if self.with_routers and topo.routers:
            with self.progress.phase("shards added"):
                report.shards_added = self._bootstrap([ROUTER_PART], credentials).shards_added
        self._record(initiated=True, bootstrapped=self.with_routers)
        return UpResult(changed=True, started=[p.name for p in missing], report=report)

    def _bootstrap(self, parts: list[str], credentials: Optional[Credentials]) -> BootstrapReport:
        return bootstrap(self.topology, self.endpoints(), credentials, parts=parts,
                         password_hint=password_hint(self.topology.auth, self.state), tls=self.tls)

    def down(self) -> list[str]:
        """Clean shutdown of everything, routers first; primaries hand over before they stop; data kept."""
        with self.locked():
            running = self.backend.running()
            routers = [p for p in self.topology.routers if running[p.name]]
            members = [p for p in self.topology.members if running[p.name]]
            self.backend.stop(routers)
            self._hand_over(members)
            self.backend.stop(members)
            self._record()
            return [p.name for p in routers + members]

    def destroy(self) -> None:
        """Kill everything of ours and remove the state folder (data, logs, keyfile, password)."""
        with self.locked():
            self.backend.destroy()

    def stop(self, selector: str) -> list[str]:
        """Clean shutdown of the selected processes; a primary first hands over to a caught-up secondary."""
        def hand_over_then_stop(procs: Sequence[Process]) -> None:
            self._hand_over(procs)
            self.backend.stop(procs)

        return self._act(selector, hand_over_then_stop)

    def kill(self, selector: str) -> list[str]:
        return self._act(selector, self.backend.kill)

    def start(self, selector: str) -> list[str]:
        """Start the selected processes that are down; return once each is back in service."""
        with self.locked():
            running = self.backend.running()
            chosen = [p for p in select(self.topology, selector) if not running[p.name]]
            if not chosen:
                return []
            self.backend.prepare(chosen, need_mongos=any(p.role is Role.MONGOS for p in chosen))
            CertificateStore(self.topology, self.state).ensure()
            self.backend.start(chosen, keyfile=self._keyfile())
            self._record()
        names = [p.name for p in chosen]
        poll(lambda: all(member_states(self.status()).get(name) in IN_SERVICE for name in names),
             until=Deadline.after(BACK_IN_SERVICE_SECONDS), what=f"{', '.join(names)} to be back in service",
             interval=0.2, hint="`shardsmith logs MEMBER` shows what it is doing")
        return names

    def select(self, selector: str) -> list[Process]:
        """The processes `selector` names; `SET.primary` and the like read the live states."""
        word = selector.rsplit(".", 1)[-1]
        return select(self.topology, selector, member_states(self.status()) if word in STATE_WORDS else None)

    def _act(self, selector: str, action: Callable[[Sequence[Process]], None]) -> list[str]:
        with self.locked():
            running = self.backend.running()
            chosen = [p for p in self.select(selector) if running[p.name]]
            action(chosen)
            self._record()
            return [p.name for p in chosen]

    def _hand_over(self, procs: Sequence[Process]) -> None:
        """Step down each primary among `procs` once a secondary has caught up (bounded), so stopping it
        never leaves an acknowledged write behind; a set with nobody to hand over to stops as it is."""
        members = [p for p in procs if p.role is not Role.MONGOS and p.role is not Role.STANDALONE]
        if not members:
            return
        states = member_states(self.status())
        credentials = self.credentials()
        for proc in members:
            if states.get(proc.name) != "PRIMARY" or not self._has_electable_peer(proc, states):
                continue
            with direct_client(self.endpoints()[proc.name].address, credentials, tls=self.tls) as client:
                try:
                    client.admin.command("replSetStepDown", STEP_DOWN_SECONDS,
                                         secondaryCatchUpPeriodSecs=CATCH_UP_SECONDS)
                    logger.info("%s stepped down before stopping", proc.name)
                except PyMongoError as exc:
                    logger.warning("%s could not step down before stopping (%s); stopping it as it is",
                                   proc.name, exc)

    def _has_electable_peer(self, proc: Process, states: dict[str, str]) -> bool:
        replica_set = self.topology.replica_set_named(str(proc.set_name))
        return any(m.name != proc.name and states.get(m.name) == "SECONDARY" and m.priority > 0 and m.votes
                   for m in replica_set.members)

    # -- looking at it -----------------------------------------------------------
    def status(self) -> list[ProcessStatus]:
        self.state.read()  # a damaged state file is reported with what to do
        credentials = self.credentials() if self.state.exists() else None
        return cluster_status(self.topology, self.endpoints(), self.backend.running(), credentials, self.tls)

    def primary(self, set_name: str) -> str:
        replica_set: ReplicaSet = self.topology.replica_set_named(set_name)
        return find_primary(replica_set, self.endpoints(), self.credentials(), tls=self.tls)

    def uri(self, *, with_password: bool = True) -> str:
        """Where applications connect: the routers, the replica set, or the standalone."""
        topo, endpoints = self.topology, self.endpoints()
        if topo.routers and self.with_routers:
            return self._uri([endpoints[r.name].address for r in topo.routers], {}, with_password)
        if topo.replica_set:
            return self.set_uri(topo.replica_set, with_password=with_password)
        if topo.standalone:
            return self._uri([endpoints[topo.standalone.name].address], {}, with_password)
        raise ShardsmithError("this cluster runs without routers: there is no single connection string",
                              hint="connect to a shard's replica set (`shardsmith status` prints each set's)")

    def set_uri(self, replica_set: ReplicaSet, *, with_password: bool = True) -> str:
        """One replica set: with discovery where this host can reach members by the names in the set's
        config; otherwise a direct connection to its current primary."""
        endpoints = self.endpoints()
        if self.backend.discoverable_from_host():
            hosts = [endpoints[m.name].address for m in replica_set.members if not m.arbiter]
            return self._uri(hosts, {"replicaSet": replica_set.name}, with_password)
        primary = find_primary(replica_set, endpoints, self.credentials(), deadline=Deadline.after(10), tls=self.tls)
        return self._uri([endpoints[primary].address], {"directConnection": "true"}, with_password)

    def _uri(self, hosts: list[str], options: dict[str, str], with_password: bool) -> str:
        userinfo = ""
        credentials = self.credentials() if self.topology.auth.enabled else None
        if credentials:
            password = quote_plus(credentials.password) if with_password else "<password>"
            userinfo = f"{quote_plus(credentials.username)}:{password}@"
            options = {**options, "authSource": "admin"}
        if self.tls:
            options = {**options, **{k: quote_plus(v, safe="/") for k, v in self.tls.uri_options().items()}}
        query = "&".join(f"{k}={v}" for k, v in options.items())
        return f"mongodb://{userinfo}{','.join(hosts)}/" + (f"?{query}" if query else "")

    def client(self, **options: Any) -> MongoClient[dict[str, Any]]:
        return MongoClient(self.uri(), **options)

    def _record(self, **changes: Any) -> None:
        running = self.backend.running()
        processes = {
            p.name: {"port": p.port, "role": str(p.role), "pid": running[p.name],
                     "dir": str(self.state.process_dir(p))}
            for p in self.topology.processes
        }
        record: dict[str, Any] = {"name": self.topology.name, "spec": self.topology.source,
                                  "backend": self.backend.name, "processes": processes, **changes}
        binaries = self.backend.binaries
        if binaries:
            record["binaries"] = {
                kind: {"path": str(b.path), "version": b.version, "found_via": b.found_via}
                for kind, b in (("mongod", binaries.mongod), ("mongos", binaries.mongos)) if b
            }
        self.state.update(**record)
