"""Run a topology across several hosts: one compose bundle per host, each driven through its Docker context.

    hosts:
      db1: {address: db1.staging.internal, docker: {context: db1}}

Each host's ComposeBackend runs its bundle (`docker --context db1 compose -p
<cluster>-db1 ...`); this backend sends every call to the hosts concerned, in
parallel where they can overlap, and answers for the whole cluster. Members
advertise their host's address, so the bootstrap, status and clients reach
them from here as applications anywhere do.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional, Sequence

from ..endpoints import Endpoints
from ..state import Foreign, StateDir
from ..topology.model import Process, Topology
from .compose import ComposeBackend

if TYPE_CHECKING:
    from ..binaries import Binaries


class HostsBackend:
    name = "compose"
    binaries: Optional["Binaries"] = None  # containers bring their own

    def __init__(self, topology: Topology, state: StateDir, *, routers: bool = True):
        self.topology = topology
        self.state = state
        self.sites = {host.name: ComposeBackend(topology, state, routers=routers, host=host)
                      for host in topology.hosts}

    def _by_site(self, procs: Sequence[Process]) -> dict[str, list[Process]]:
        grouped: dict[str, list[Process]] = {}
        for proc in procs:
            grouped.setdefault(str(proc.host), []).append(proc)
        return grouped

    def _each(self, procs: Sequence[Process], action: Callable[[ComposeBackend, list[Process]], None]) -> None:
        """`action` on every host that runs some of `procs`, all at once (one host's failure is raised)."""
        grouped = self._by_site(procs)
        if not grouped:
            return
        with ThreadPoolExecutor(max_workers=len(grouped)) as pool:
            for future in [pool.submit(action, self.sites[name], group) for name, group in grouped.items()]:
                future.result()

    # -- where things are ---------------------------------------------------------------------------
    def endpoints(self) -> Endpoints:
        return next(iter(self.sites.values())).endpoints()  # every bundle computes every address alike

    def running(self) -> dict[str, Optional[int]]:
        found: dict[str, Optional[int]] = {}
        with ThreadPoolExecutor(max_workers=len(self.sites)) as pool:
            for pids in pool.map(lambda site: site.running(), self.sites.values()):
                found.update(pids)
        return found

    def foreign(self) -> dict[str, Foreign]:
        return {}  # containers are ours by their compose project label

    def discoverable_from_host(self) -> bool:
        return True  # members name each other by the hosts' addresses

    def log_file(self, proc: Process) -> Path:
        return self.sites[str(proc.host)].log_file(proc)

    # -- lifecycle --------------------------------------------------------------------------------
    def prepare(self, procs: Sequence[Process], *, need_mongos: bool) -> None:
        self._each(procs, lambda site, mine: site.prepare(mine, need_mongos=need_mongos))

    def start(self, procs: Sequence[Process], *, keyfile: Optional[Path]) -> None:
        """All hosts at once: an init service waits for members on the other hosts."""
        self._each(procs, lambda site, mine: site.start(mine, keyfile=keyfile))

    def publish_secrets(self, procs: Sequence[Process]) -> None:
        self._each(procs, lambda site, mine: site.publish_secrets(mine))

    def stop(self, procs: Sequence[Process]) -> None:
        self._each(procs, lambda site, mine: site.stop(mine))

    def kill(self, procs: Sequence[Process]) -> None:
        self._each(procs, lambda site, mine: site.kill(mine))

    def destroy(self) -> None:
        """Every host's containers, volumes and secrets volume, then the state folder."""
        self._each(self.topology.processes, lambda site, mine: site.remove_containers())
        self.state.remove()
