"""Where a process is, seen from inside the cluster and from this host.

Backends report endpoints; the bootstrap, status and rendering read them.
It sits below all of them so that none imports another to learn an address.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Endpoint:
    name: str  # "shard01.2", "mongos.1"
    host: str  # as members name each other in replica-set configs ("127.0.0.1:27022", "shard01-2:27022")
    address: str  # as this host reaches it ("127.0.0.1:27022", or a URL-quoted unix socket path)


Endpoints = dict[str, Endpoint]  # process name -> where it is
