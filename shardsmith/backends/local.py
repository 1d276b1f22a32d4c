"""Run a topology as processes on this host, like mlaunch, but in parallel.

Each process gets <state>/<service>/ with its dbpath, log, pid file and a
config file rendered from templates/. `mongod --fork` returns once the child
is accepting connections, so starting N processes takes about as long as one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..binaries import resolve_binaries
from ..errors import ShardsmithError
from ..render import render_member_config
from ..wait import poll
from .base import Endpoint, check_ports_free

STOP_TIMEOUT = 60.0
LOG_TAIL_LINES = 8


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None


def pid_alive(pid: int | None) -> bool:
    """Alive and a mongo process (not a zombie, not a reused pid)."""
    if not pid:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    state = stat.rsplit(")", 1)[1].split()[0]
    return state not in ("Z", "X") and b"mongo" in cmdline


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(text[-lines:])


class LocalBackend:
    name = "local"

    def __init__(self, topology, state, binaries=None):
        self.topology = topology
        self.state = state
        self.binaries = binaries

    def prepare(self, *, need_mongos: bool) -> None:
        """Find mongod (and mongos when routers run) before anything starts."""
        self.binaries = resolve_binaries(self.topology, need_mongos=need_mongos)

    # -- where things are -------------------------------------------------
    def endpoints(self) -> dict[str, Endpoint]:
        bind = self.topology.deploy.bind_ip
        reach = "127.0.0.1" if bind in ("0.0.0.0", "::") else bind
        return {p.name: Endpoint(p.name, f"{reach}:{p.port}", f"{reach}:{p.port}") for p in self.topology.processes}

    def paths(self, proc) -> dict:
        folder = self.state.process_dir(proc)
        program = "mongos" if proc.role == "mongos" else "mongod"
        return {
            "dir": folder,
            "dbpath": folder / "db",
            "logpath": folder / f"{program}.log",
            "pidfile": folder / f"{program}.pid",
            "config": folder / f"{program}.conf",
        }

    def log_file(self, proc) -> Path:
        return self.paths(proc)["logpath"]

    def pid(self, proc) -> int | None:
        pid = read_pid(self.paths(proc)["pidfile"])
        return pid if pid_alive(pid) else None

    def running(self) -> dict[str, int | None]:
        return {p.name: self.pid(p) for p in self.topology.processes}

    # -- lifecycle ----------------------------------------------------------
    def start(self, procs, *, keyfile: Path | None) -> None:
        """Start `procs` in parallel; raise with their log tails if any fails."""
        procs = list(procs)
        if not procs:
            return
        check_ports_free(self.topology.deploy.bind_ip, {p.name: p.port for p in procs})
        with ThreadPoolExecutor(max_workers=len(procs)) as pool:
            failures = [f for f in pool.map(lambda p: self._start_one(p, keyfile), procs) if f]
        if failures:
            raise ShardsmithError("could not start:\n" + "\n".join(failures),
                                  hint="read the log lines above; `inv logs MEMBER` shows more")

    def _start_one(self, proc, keyfile) -> str | None:
        paths = self.paths(proc)
        paths["dir"].mkdir(parents=True, exist_ok=True)
        if proc.role != "mongos":
            paths["dbpath"].mkdir(exist_ok=True)
        paths["config"].write_text(render_member_config(self.topology, proc, self._config_paths(paths, keyfile)))
        binary = self.binaries.mongos if proc.role == "mongos" else self.binaries.mongod
        try:
            done = subprocess.run([str(binary.path), "--config", str(paths["config"]), *proc.args, "--fork"],
                                  capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired:
            return f"{proc.name}: did not finish starting in 120s\n{log_tail(paths['logpath'])}"
        if done.returncode != 0:
            reason = (done.stderr or done.stdout).strip().splitlines()[-1:] or [f"exit {done.returncode}"]
            return f"{proc.name} (port {proc.port}): {reason[0]}\n{log_tail(paths['logpath'])}"
        return None

    def _config_paths(self, paths: dict, keyfile) -> dict:
        return {
            "dbpath": str(paths["dbpath"]),
            "logpath": str(paths["logpath"]),
            "pidfile": str(paths["pidfile"]),
            "keyfile": str(keyfile) if keyfile else None,
        }

    def signal(self, procs, sig: int, *, wait: bool = True) -> None:
        """Send `sig` to each running proc, then wait for all of them to exit."""
        pids = [pid for pid in (self.pid(p) for p in procs) if pid]
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        if wait and pids:
            poll(lambda: not any(pid_alive(pid) for pid in pids), timeout=STOP_TIMEOUT,
                 what=f"{len(pids)} process(es) to exit", interval=0.05)

    def stop(self, procs) -> None:
        """Clean shutdown (SIGTERM): data files closed properly."""
        self.signal(procs, signal.SIGTERM)

    def kill(self, procs) -> None:
        """SIGKILL, as a crash would: for failover experiments."""
        self.signal(procs, signal.SIGKILL)

    def destroy(self) -> None:
        self.kill(self.topology.processes)
        self.state.remove()
