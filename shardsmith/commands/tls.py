"""`tls rotate`: new certificates for every member and router, loaded without downtime."""

from __future__ import annotations

from typing import Optional

from ..display import print_json
from .common import JSON, TOPOLOGY, console, open_cluster
from .declare import command


@command("tls.rotate", TOPOLOGY, JSON)
def rotate(topology: Optional[str], json: bool) -> None:
    """Replace every member's and router's certificate, one process at a time; the sets keep their primaries."""
    from ..tls.rotate import print_rotation, rotate_certificates

    cluster = open_cluster(topology, quiet=json)
    result = rotate_certificates(cluster, progress=cluster.progress)
    if json:
        print_json(result.as_dict())
    else:
        print_rotation(result, console)
