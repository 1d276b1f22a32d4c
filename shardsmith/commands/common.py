"""What many commands share: the topology argument, --uri, --json, consoles, and opening targets.

`open_target` is the one way a command reaches a cluster's data: the spec's
own cluster, or any cluster by `--uri`, checked before use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from rich.console import Console

from ..errors import ShardsmithError
from ..progress import Progress
from ..topology import load_topology
from ..topology.model import Topology
from .declare import Option

if TYPE_CHECKING:
    from pymongo import MongoClient

    from ..cluster import Cluster

DEFAULT_SPECS = ("shardsmith.yaml", "topology/local.yaml")
TOPOLOGY = Option("topology", f"the topology spec (default: {' or '.join(DEFAULT_SPECS)} in this folder)",
                  positional=True, optional=True, metavar="SPEC")
URI = Option("uri", "act on any cluster by connection string (default: the cluster the topology describes)")
JSON = Option("json", "print JSON instead of text", switch=True)
DATABASE = Option("database", "only this database (default: the spec's)")
MEASURE = Option("measure", "time each wildcard text index's write cost on a scratch collection (writes and drops it; "
                            "needs write access)", switch=True)

console = Console()
err_console = Console(stderr=True)


def warn(text: str) -> None:
    err_console.print(f"warning: {text}", style="yellow", markup=False, soft_wrap=True)


def progress(quiet: bool = False) -> Progress:
    return Progress(err_console, quiet=quiet)


def default_spec() -> Optional[str]:
    return next((name for name in DEFAULT_SPECS if Path(name).exists()), None)


def load_spec(path: Optional[str]) -> Topology:
    """The validated spec (default: the first of DEFAULT_SPECS here), its warnings printed."""
    chosen = path or default_spec()
    if chosen is None:
        raise ShardsmithError(f"no topology spec given, and neither {' nor '.join(DEFAULT_SPECS)} is in this folder",
                              hint="name one (`shardsmith up path/to/spec.yaml`), or write a starter spec with "
                                   "`shardsmith init`")
    spec = load_topology(chosen)
    for warning in spec.warnings:
        warn(warning)
    return spec


def open_cluster(topology: Optional[str], *, no_routers: bool = False, quiet: bool = False,
                 backend: Optional[str] = None) -> "Cluster":
    from ..cluster import Cluster

    return Cluster(load_spec(topology), routers=not no_routers, progress=progress(quiet), backend=backend)


@dataclass
class Target:
    spec: Optional[Topology]  # None: --uri given and no spec in this folder
    client: "MongoClient[dict[str, Any]]"
    uri: str


def open_target(topology: Optional[str], uri: Optional[str], *, writes: bool = True,
                spec_required: bool = True) -> Target:
    """The spec and a client on --uri, or on the cluster the spec describes: checked reachable, logged in,
    and (for a command that `writes`) writable by this user."""
    from ..cluster import Cluster
    from ..target import connect

    spec = load_spec(topology) if topology or spec_required or not uri or default_spec() else None
    if uri is None:
        assert spec is not None
        uri = Cluster(spec).uri()
    return Target(spec, connect(uri, writes=writes), uri)


def required_spec(target: Target) -> Topology:
    if target.spec is None:
        raise ShardsmithError("this command reads the topology's data plan, and no spec was found",
                              hint=f"name the spec before the flags, or run it where {DEFAULT_SPECS[0]} is")
    return target.spec
