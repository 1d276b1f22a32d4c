"""What every backend reports: where each process is, from inside and outside."""

from __future__ import annotations

import socket
from dataclasses import dataclass

from ..errors import ShardsmithError


@dataclass(frozen=True)
class Endpoint:
    name: str  # "shard01.2", "mongos.1"
    host: str  # as members name each other in replica-set configs ("127.0.0.1:27022")
    address: str  # as this host reaches it ("127.0.0.1:27022")

    @property
    def port(self) -> int:
        return int(self.address.rsplit(":", 1)[1])


def check_ports_free(bind_ip: str, claims: dict[str, int]) -> None:
    """Refuse to start when a port we need is taken: say which, and by whom we wanted it."""
    busy = []
    for name, port in claims.items():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((bind_ip if bind_ip != "0.0.0.0" else "", port))
            except OSError:
                busy.append(f"{port} ({name})")
    if busy:
        raise ShardsmithError(
            f"port(s) already in use on {bind_ip}: {', '.join(busy)}; nothing was started",
            hint="stop what holds them (`ss -ltnp`), or change deploy.base_port / the member's port in the spec",
        )
