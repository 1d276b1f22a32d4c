"""How Shardsmith's own clients speak TLS to a cluster: the CA it trusts, as pymongo options and URI options.

No client certificate is needed: members accept connections without one
(net.tls.allowConnectionsWithoutCertificates), and users log in with a
password over the encrypted connection. A unix socket path cannot be in a
certificate, so over a socket (ours, local by its file permissions) the
host name is not checked; the chain still is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    from ..state import StateDir
    from ..topology.model import Topology


@dataclass(frozen=True)
class ClientTLS:
    ca_file: Path

    def options(self, address: str = "") -> dict[str, Any]:
        """pymongo keyword options for a client on `address` (`host:port`, or a URL-quoted socket path)."""
        options: dict[str, Any] = {"tls": True, "tlsCAFile": str(self.ca_file)}
        if is_socket(address):
            options["tlsAllowInvalidHostnames"] = True
        return options

    def uri_options(self) -> dict[str, str]:
        """What a printed connection string carries: tls=true&tlsCAFile=..."""
        return {"tls": "true", "tlsCAFile": str(self.ca_file)}


def is_socket(address: str) -> bool:
    return address.startswith(("%2F", "%2f", "/"))


def client_tls(topology: "Topology", state: "StateDir") -> Optional[ClientTLS]:
    """The TLS options for `topology`'s cluster, or None when it runs without TLS."""
    if not topology.tls.enabled:
        return None
    return ClientTLS(ca_file=state.path / "tls" / "ca.pem")
