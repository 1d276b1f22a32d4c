"""A handle on one topology's deployment: up, down, status, stop/start/kill.

    from shardsmith.cluster import Cluster

    cluster = Cluster.from_spec("topology/replset.yaml")
    cluster.up()                      # start, initiate, create the root user
    cluster.client().test.things.insert_one({"hello": "world"})
    cluster.kill("rs0.primary")       # a crash, for failover experiments
    cluster.up()                      # restarts only what is down
    cluster.down()                    # clean shutdown, data kept
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional
from urllib.parse import quote_plus

from pymongo import MongoClient

from .backends.base import check_ports_free
from .backends.local import LocalBackend
from .bootstrap import BootstrapReport, add_shards, bootstrap_replica_sets
from .credentials import ensure_keyfile, root_credentials
from .errors import ShardsmithError
from .progress import QUIET, Progress
from .replset import find_primary
from .selectors import select
from .topology import load_topology
from .state import StateDir
from .status import ProcessStatus, cluster_status, member_states


@dataclass
class UpResult:
    changed: bool
    started: list
    report: Optional[BootstrapReport] = None


class Cluster:
    def __init__(self, topology, *, state_root=None, routers: bool = True, progress: Progress = QUIET,
                 backend: Optional[str] = None):
        self.topology = topology
        self.state = StateDir(topology, state_root)
        self.with_routers = routers
        self.progress = progress
        self.backend = self._choose_backend(backend)

    def _choose_backend(self, override: Optional[str]):
        """--backend, else the backend this cluster was last brought up with, else the spec's deploy.backend."""
        chosen = override or self.state.read().get("backend") or self.topology.deploy.backend
        if chosen == "compose":
            from .backends.compose import ComposeBackend  # the docker SDK costs 0.1 s to import: only compose pays

            return ComposeBackend(self.topology, self.state, routers=self.with_routers)
        if chosen == "local":
            return LocalBackend(self.topology, self.state)
        raise ShardsmithError(f"unknown backend {chosen!r}", hint="use local or compose")

    def _prepare_backend(self, *, need_mongos: bool) -> None:
        """Local processes need binaries found; containers need engine, compose and image checked."""
        self.backend.prepare(need_mongos=need_mongos)

    @classmethod
    def from_spec(cls, path, **options) -> "Cluster":
        return cls(load_topology(path), **options)

    # -- what we run ------------------------------------------------------------
    @property
    def wanted(self) -> list:
        """The processes `up` keeps running: every mongod, and routers unless skipped."""
        routers = list(self.topology.routers) if self.with_routers else []
        return list(self.topology.members) + routers

    def endpoints(self) -> dict:
        return self.backend.endpoints()

    def credentials(self, *, create: bool = False):
        return root_credentials(self.topology.auth, self.state.path, create=create)

    # -- lifecycle -------------------------------------------------------------
    def up(self) -> UpResult:
        """Make the cluster run: start what is down; initiate what is new. Idempotent."""
        topo = self.topology
        need_mongos = self.with_routers and bool(topo.routers)
        self._prepare_backend(need_mongos=need_mongos)
        running = self.backend.running()
        missing = [p for p in self.wanted if not running[p.name]]
        initiated = self.state.read().get("initiated", False)
        if not missing and initiated:
            return UpResult(changed=False, started=[])
        check_ports_free(topo.deploy.bind_ip, {p.name: p.port for p in missing})
        keyfile = ensure_keyfile(self.state.path, topo.auth.keyfile) if topo.auth.enabled else None
        credentials = self.credentials(create=True)
        self._record(initiated=initiated)
        members = [p for p in missing if p.role != "mongos"]
        routers = [p for p in missing if p.role == "mongos"]
        endpoints = self.endpoints()
        if members:
            with self.progress.phase(f"started {len(members)} mongod process(es)"):
                self.backend.start(members, keyfile=keyfile)
        with self.progress.phase("replica sets initiated, primaries elected, root user ready"):
            report = bootstrap_replica_sets(topo, endpoints, credentials)
        self._record(initiated=True)
        if routers:
            with self.progress.phase(f"started {len(routers)} mongos router(s)"):
                self.backend.start(routers, keyfile=keyfile)
        if self.with_routers and topo.routers:
            with self.progress.phase("shards added"):
                report.shards_added = add_shards(topo, endpoints[topo.routers[0].name].address, endpoints, credentials)
        self._record(initiated=True)
        return UpResult(changed=True, started=[p.name for p in missing], report=report)

    def down(self) -> list[str]:
        """Clean shutdown of everything, routers first; data kept."""
        running = self.backend.running()
        routers = [p for p in self.topology.routers if running[p.name]]
        members = [p for p in self.topology.members if running[p.name]]
        self.backend.stop(routers)
        self.backend.stop(members)
        self._record()
        return [p.name for p in routers + members]

    def destroy(self) -> None:
        """Kill everything and remove the state folder (data, logs, keyfile, password)."""
        self.backend.destroy()

    def stop(self, selector: str) -> list[str]:
        return self._act(selector, self.backend.stop)

    def kill(self, selector: str) -> list[str]:
        return self._act(selector, self.backend.kill)

    def start(self, selector: str) -> list[str]:
        """Start selected processes that are down; wait for their sets' primaries."""
        chosen = [p for p in select(self.topology, selector) if not self.backend.pid(p)]
        if not chosen:
            return []
        need_mongos = any(p.role == "mongos" for p in chosen)
        self._prepare_backend(need_mongos=need_mongos)
        keyfile = ensure_keyfile(self.state.path, self.topology.auth.keyfile) if self.topology.auth.enabled else None
        self.backend.start(chosen, keyfile=keyfile)
        self._record()
        return [p.name for p in chosen]

    def _act(self, selector: str, action) -> list[str]:
        states = member_states(self.status()) if selector.rsplit(".", 1)[-1] in ("primary", "secondary", "arbiter") else None
        chosen = [p for p in select(self.topology, selector, states) if self.backend.pid(p)]
        action(chosen)
        self._record()
        return [p.name for p in chosen]

    # -- looking at it -----------------------------------------------------------
    def status(self) -> list[ProcessStatus]:
        credentials = self.credentials() if self.state.exists() else None
        return cluster_status(self.topology, self.endpoints(), self.backend.running(), credentials)

    def primary(self, set_name: str) -> str:
        replica_set = next(rs for rs in self.topology.replica_sets if rs.name == set_name)
        return find_primary(replica_set, self.endpoints(), credentials=self.credentials())

    def uri(self, *, with_password: bool = True) -> str:
        """Where applications connect: the routers, the replica set, or the standalone."""
        topo, endpoints = self.topology, self.endpoints()
        if topo.routers and self.with_routers:
            hosts, options = [endpoints[r.name].address for r in topo.routers], {}
        elif topo.replica_set:
            hosts = [endpoints[m.name].address for m in topo.replica_set.members]
            options = {"replicaSet": topo.replica_set.name}
        elif topo.standalone:
            hosts, options = [endpoints[topo.standalone.name].address], {}
        else:
            raise ShardsmithError("this cluster runs without routers: there is no single connection string",
                                  hint="connect to a shard's replica set directly (see `inv status`)")
        userinfo = ""
        credentials = self.credentials() if topo.auth.enabled else None
        if credentials:
            password = quote_plus(credentials.password) if with_password else "<password>"
            userinfo = f"{quote_plus(credentials.username)}:{password}@"
            options["authSource"] = "admin"
        query = "&".join(f"{k}={v}" for k, v in options.items())
        return f"mongodb://{userinfo}{','.join(hosts)}/" + (f"?{query}" if query else "")

    def client(self, **options) -> MongoClient:
        return MongoClient(self.uri(), **options)

    def _record(self, **changes) -> None:
        running = self.backend.running()
        binaries = self.backend.binaries
        processes = {
            p.name: {"port": p.port, "role": p.role, "pid": running[p.name],
                     "dir": str(self.state.process_dir(p))}
            for p in self.topology.processes
        }
        record = {"name": self.topology.name, "spec": self.topology.source, "backend": self.backend.name,
                  "processes": processes, **changes}
        if binaries:
            record["binaries"] = {
                kind: {"path": str(b.path), "version": b.version, "found_via": b.found_via}
                for kind, b in (("mongod", binaries.mongod), ("mongos", binaries.mongos)) if b
            }
        self.state.update(**record)
