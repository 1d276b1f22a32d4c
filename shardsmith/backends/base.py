"""What a backend is: the contract `Cluster` drives local processes and containers through.

A backend knows how to run processes and where they are; it knows nothing
of replica sets or users (that is the bootstrap's job). Each backend checks
what it needs before anything starts: binaries or an engine and an image,
and the host ports it will itself bind.
"""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Protocol, Sequence

import psutil

from ..endpoints import Endpoints
from ..errors import ShardsmithError
from ..topology.model import Process

if TYPE_CHECKING:
    from ..binaries import Binaries
    from ..state.processes import Foreign


class Backend(Protocol):
    name: str
    binaries: Optional["Binaries"]  # the mongod/mongos found (local processes), None for containers

    def prepare(self, procs: Sequence[Process], *, need_mongos: bool) -> None:
        """Check, before anything starts, that `procs` can start: tools, images, free host ports."""

    def endpoints(self) -> Endpoints:
        """Where every process of the topology is (running or not)."""

    def running(self) -> dict[str, Optional[int]]:
        """Process name -> pid (or container pid) of each of ours that runs; None for the others."""

    def foreign(self) -> dict[str, "Foreign"]:
        """Process name -> a process found where ours was expected that is not ours (left alone)."""

    def start(self, procs: Sequence[Process], *, keyfile: Optional[Path]) -> None:
        """Start them in parallel; return once each answers, or raise with their log tails."""

    def publish_secrets(self, procs: Sequence[Process]) -> None:
        """Put `procs`' certificates (as the state folder now holds them) where the processes read them."""

    def stop(self, procs: Sequence[Process]) -> None:
        """Clean shutdown; data kept."""

    def kill(self, procs: Sequence[Process]) -> None:
        """SIGKILL, as a crash would."""

    def destroy(self) -> None:
        """Kill everything of ours and remove its data (the state folder last)."""

    def log_file(self, proc: Process) -> Path:
        """A file holding the process's log."""

    def discoverable_from_host(self) -> bool:
        """Whether this host reaches members by the names their replica-set configs give them."""


def check_ports_free(address: str, claims: dict[str, int]) -> None:
    """Refuse to start when a port we need is taken on `address`: say which, and by whom we wanted it."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    busy = []
    for name, port in claims.items():
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((address, port))
            except OSError:
                busy.append(f"{port} ({name})")
    if busy:
        raise ShardsmithError(
            f"port(s) already in use on {address}: {', '.join(busy)}; nothing was started",
            hint="stop what holds them (`ss -ltnp`), or change deploy.base_port / the member's port in the spec",
        )


def is_this_machine(address: str) -> bool:
    """Whether `address` (an IP or a name) is one of this machine's: loopback, or on one of its interfaces."""
    try:
        found = {info[4][0] for info in socket.getaddrinfo(address, None)}
    except OSError:
        return False
    local = {entry.address.split("%")[0] for entries in psutil.net_if_addrs().values() for entry in entries}
    return any(ipaddress.ip_address(ip).is_loopback or ip in local for ip in found)
