"""Every name and address a process is reached by: what its certificate must cover.

Clients and other members verify the certificate against the host they
connected to, so it lists: the address members advertise (the host's, or
this machine's reachable address), every non-wildcard address it listens on,
`localhost`/127.0.0.1 (init services and health checks beside it connect
there), and its compose service name (how members on a bridge network name
each other).
"""

from __future__ import annotations

import ipaddress

from ..topology.addresses import WILDCARDS, is_ip
from ..topology.model import Process, Topology
from .authority import Names

LOOPBACK = ("localhost", "127.0.0.1")


def process_names(topology: Topology, proc: Process) -> Names:
    """The subjectAltName entries `proc`'s certificate needs, in a stable order."""
    wanted = [*LOOPBACK, proc.service, topology.reach_of(proc)]
    wanted += [entry for entry in topology.bind_ip_of(proc).split(",") if entry not in WILDCARDS]
    unique = list(dict.fromkeys(entry.strip() for entry in wanted if entry.strip()))
    return Names(dns=tuple(dict.fromkeys(n.lower() for n in unique if not is_ip(n))),
                 ips=tuple(dict.fromkeys(ipaddress.ip_address(n).compressed for n in unique if is_ip(n))))
