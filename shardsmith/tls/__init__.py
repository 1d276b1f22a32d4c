"""TLS for a cluster: a CA and one certificate per member and router, clients that trust it, rotation.

    store = CertificateStore(topology, state); store.ensure()     # issue what is missing, check the rest
    client_tls(topology, state).options()                         # {"tls": True, "tlsCAFile": ...}
    rotate_certificates(cluster)                                  # new certificates, one member at a time
"""

from __future__ import annotations

from .client import ClientTLS, client_tls
from .store import CertificateStore

__all__ = ["CertificateStore", "ClientTLS", "client_tls"]
