"""What every task module shares: consoles, the user-error exit, spec and target loading."""

from __future__ import annotations

import functools

from invoke import Exit
from rich.console import Console

from .errors import ShardsmithError
from .topology import load_topology

DEFAULT_TOPOLOGY = "topology/local.yaml"
TOPOLOGY_HELP = f"the topology spec (default {DEFAULT_TOPOLOGY})"
URI_HELP = "target any cluster by connection string (default: the cluster the topology describes)"
console = Console()
err_console = Console(stderr=True)


def user_errors(body):
    """Turn ShardsmithError into a clean exit 2; let real bugs keep their traceback."""

    @functools.wraps(body)
    def run(*args, **kwargs):
        try:
            return body(*args, **kwargs)
        except ShardsmithError as exc:
            raise Exit(f"error: {exc}", code=exc.exit_code) from None

    return run


def load_spec(topology: str | None):
    """The validated spec (default topology/local.yaml), its warnings printed."""
    spec = load_topology(topology or DEFAULT_TOPOLOGY)
    for warning in spec.warnings:
        err_console.print(f"warning: {warning}", style="yellow", markup=False, soft_wrap=True)
    return spec


def target(topology: str | None, uri: str | None):
    """The spec, and a checked client on --uri or on the cluster the spec describes."""
    from .cluster import Cluster
    from .target import connect

    spec = load_spec(topology)
    return spec, connect(uri or Cluster(spec).uri())
