"""Run a topology as processes on this host, like mlaunch, but in parallel.

Each process gets <state>/<service>/ with its dbpath, log, pid file, process
record and a config file rendered from templates/. `mongod --fork` returns
once the child accepts connections, so starting N processes takes about as
long as one. Only processes that are provably ours (state.processes) are
ever signalled.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Optional, Sequence

from ..binaries import Binaries, resolve_binaries
from ..endpoints import Endpoint, Endpoints
from ..errors import ShardsmithError
from ..render import render_member_config
from ..state import Foreign, MemberProcess, StateDir
from ..tls import CertificateStore
from ..topology.model import Process, Role, Topology
from ..wait import Deadline, poll
from .base import check_ports_free, is_this_machine

logger = logging.getLogger(__name__)
STOP_SECONDS = 60.0
START_SECONDS = 120
LOG_TAIL_LINES = 8


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(text[-lines:])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return False


class LocalBackend:
    name = "local"

    def __init__(self, topology: Topology, state: StateDir, binaries: Optional[Binaries] = None):
        self.topology = topology
        self.state = state
        self.binaries = binaries

    def prepare(self, procs: Sequence[Process], *, need_mongos: bool) -> None:
        """Find mongod (and mongos when routers run) and check their ports, before anything starts."""
        elsewhere = sorted({f"{h.name} ({h.address})" for p in procs if (h := self.topology.host_of(p))
                            and not is_this_machine(h.address)})
        if elsewhere:
            raise ShardsmithError(f"the local backend runs every process on this machine, and host(s) "
                                  f"{', '.join(elsewhere)} are other machines; nothing was started",
                                  hint="use --backend compose (each host through its Docker context)")
        self.binaries = resolve_binaries(self.topology, need_mongos=need_mongos)
        for address in dict.fromkeys(self._bind_address(p) for p in procs):
            check_ports_free(address, {p.name: p.port for p in procs if self._bind_address(p) == address})

    def _bind_address(self, proc: Process) -> str:
        """Where to check its port: its host's address (hosts: on this machine), else deploy.bind_ip's."""
        return self.topology.reach_of(proc) if proc.host else self.topology.deploy.bind_address

    # -- where things are -------------------------------------------------
    def endpoints(self) -> Endpoints:
        reach = self.topology.reach_of
        return {p.name: Endpoint(p.name, f"{reach(p)}:{p.port}", f"{reach(p)}:{p.port}")
                for p in self.topology.processes}

    def paths(self, proc: Process) -> dict[str, Path]:
        folder = self.state.process_dir(proc)
        program = proc.role.program
        return {
            "dir": folder,
            "dbpath": folder / "db",
            "logpath": folder / f"{program}.log",
            "pidfile": folder / f"{program}.pid",
            "config": folder / f"{program}.conf",
        }

    def log_file(self, proc: Process) -> Path:
        return self.paths(proc)["logpath"]

    def discoverable_from_host(self) -> bool:
        return True  # members name each other by the address this host reaches them at

    def member_process(self, proc: Process) -> MemberProcess:
        paths = self.paths(proc)
        binary = self._binary(proc) if self.binaries else None
        return MemberProcess(paths["dir"], binary, paths["config"], paths["pidfile"])

    def _binary(self, proc: Process) -> Optional[Path]:
        assert self.binaries is not None
        found = self.binaries.mongos if proc.role is Role.MONGOS else self.binaries.mongod
        return found.path if found else None

    def pid(self, proc: Process) -> Optional[int]:
        return self.member_process(proc).find()[0]

    def running(self) -> dict[str, Optional[int]]:
        return {p.name: self.pid(p) for p in self.topology.processes}

    def foreign(self) -> dict[str, Foreign]:
        found = {p.name: self.member_process(p).find()[1] for p in self.topology.processes}
        return {name: alien for name, alien in found.items() if alien}

    # -- lifecycle ----------------------------------------------------------
    def start(self, procs: Sequence[Process], *, keyfile: Optional[Path]) -> None:
        """Start `procs` in parallel; raise with their log tails if any fails."""
        procs = list(procs)
        if not procs:
            return
        self.state.claim()
        with ThreadPoolExecutor(max_workers=len(procs)) as pool:
            failures = [f for f in pool.map(lambda p: self._start_one(p, keyfile), procs) if f]
        if failures:
            raise ShardsmithError("could not start:\n" + "\n".join(failures),
                                  hint="read the log lines above; `shardsmith logs MEMBER` shows more")

    def publish_secrets(self, procs: Sequence[Process]) -> None:
        """Nothing to do: local processes read their certificates in the state folder."""

    def _start_one(self, proc: Process, keyfile: Optional[Path]) -> Optional[str]:
        paths = self.paths(proc)
        paths["dir"].mkdir(parents=True, exist_ok=True)
        if proc.role is not Role.MONGOS:
            paths["dbpath"].mkdir(exist_ok=True)
        paths["config"].write_text(render_member_config(self.topology, proc, self._config_paths(proc, paths, keyfile)))
        member = self.member_process(proc)
        member.pid_file.unlink(missing_ok=True)  # mongod writes it afresh; a stale one must not be read as ours
        command = [str(member.binary), "--config", str(paths["config"]), *proc.args, "--fork"]
        logger.debug("starting %s: %s", proc.name, " ".join(command))
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=START_SECONDS)
        except subprocess.TimeoutExpired:
            return f"{proc.name}: did not finish starting in {START_SECONDS}s\n{log_tail(paths['logpath'])}"
        if done.returncode != 0:
            reason = (done.stderr or done.stdout).strip().splitlines()[-1:] or [f"exit {done.returncode}"]
            return f"{proc.name} (port {proc.port}): {reason[0]}\n{log_tail(paths['logpath'])}"
        pid = member.pid_file_pid()
        if pid is None:
            return f"{proc.name}: started, but wrote no pid file at {member.pid_file}"
        member.adopt(pid)
        return None

    def _config_paths(self, proc: Process, paths: dict[str, Path], keyfile: Optional[Path]) -> dict[str, Optional[str]]:
        certificates = CertificateStore(self.topology, self.state)
        return {
            "dbpath": str(paths["dbpath"]),
            "logpath": str(paths["logpath"]),
            "pidfile": str(paths["pidfile"]),
            "keyfile": str(keyfile) if keyfile else None,
            "tls_pem": str(certificates.pem_file(proc)),
            "tls_ca": str(certificates.ca_file),
        }

    def signal(self, procs: Sequence[Process], sig: int) -> None:
        """Send `sig` to each of ours that runs, wait for all of them to exit, then forget them."""
        ours = {proc: pid for proc in procs if (pid := self.pid(proc))}
        for proc, pid in ours.items():
            logger.debug("signal %s to %s (pid %d)", signal.Signals(sig).name, proc.name, pid)
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        if ours:
            poll(lambda: not any(alive(pid) for pid in ours.values()), until=Deadline.after(STOP_SECONDS),
                 what=f"{len(ours)} process(es) to exit", interval=0.05)
        for proc in ours:
            self.member_process(proc).forget()

    def stop(self, procs: Sequence[Process]) -> None:
        """Clean shutdown (SIGTERM): data files closed properly."""
        self.signal(procs, signal.SIGTERM)

    def kill(self, procs: Sequence[Process]) -> None:
        """SIGKILL, as a crash would: for failover experiments."""
        self.signal(procs, signal.SIGKILL)

    def destroy(self) -> None:
        self.kill(self.topology.processes)
        self.state.remove()
