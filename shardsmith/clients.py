"""pymongo clients on one process of ours, by the address its backend reports.

Used before a replica set exists (so never with discovery) and to ask one
member about itself. Timeouts are short: a member that does not answer
within them is "not yet", and the caller's wait decides how long to go on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from pymongo import MongoClient

from .credentials import Credentials

if TYPE_CHECKING:
    from .tls import ClientTLS

SELECTION_TIMEOUT_MS = 5000
CONNECT_TIMEOUT_MS = 2000


def direct_client(address: str, credentials: Optional[Credentials] = None, *, tls: Optional["ClientTLS"] = None,
                  **options: Any) -> MongoClient[dict[str, Any]]:
    """A client for exactly one process (`host:port` or a URL-quoted unix socket path), over TLS with `tls`."""
    settings: dict[str, Any] = {"serverSelectionTimeoutMS": SELECTION_TIMEOUT_MS,
                                "connectTimeoutMS": CONNECT_TIMEOUT_MS,
                                **(credentials.client_options() if credentials else {}),
                                **(tls.options(address) if tls else {}), **options}
    return MongoClient(f"mongodb://{address}/", directConnection=True, **settings)
