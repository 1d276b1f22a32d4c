"""What every task module shares: consoles, the user-error exit, spec and target loading."""

from __future__ import annotations

import contextlib
import functools
import inspect
from contextvars import ContextVar

from invoke import Exit
from rich.console import Console

from .errors import ShardsmithError
from .target import connect, target_errors
from .topology import load_topology

DEFAULT_TOPOLOGY = "topology/local.yaml"
TOPOLOGY_HELP = f"the topology spec (default {DEFAULT_TOPOLOGY})"
URI_HELP = "target any cluster by connection string (default: the cluster the topology describes)"
# Tasks that only read their target (by function name): they may run on a secondary or as a read-only user.
READING_TASKS = frozenset({"plan_task", "stats", "indexes", "analyze_task"})
TASK_WRITES: ContextVar[bool] = ContextVar("task_writes", default=True)
console = Console()
err_console = Console(stderr=True)


def user_errors(body):
    """Turn ShardsmithError into a clean exit 2; let real bugs keep their traceback.

    A task with --uri also gets its target's failures (login, rights, not primary, unreachable) as
    ShardsmithError, and tells `target()` whether it writes (until each command declares it).
    """
    takes_uri = "uri" in inspect.signature(body).parameters
    writes = body.__name__ not in READING_TASKS

    @functools.wraps(body)
    def run(*args, **kwargs):
        token = TASK_WRITES.set(writes)
        try:
            with target_errors(kwargs.get("uri")) if takes_uri else contextlib.nullcontext():
                return body(*args, **kwargs)
        except ShardsmithError as exc:
            raise Exit(f"error: {exc}", code=exc.exit_code) from None
        finally:
            TASK_WRITES.reset(token)

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

    spec = load_spec(topology)
    return spec, connect_target(uri or Cluster(spec).uri())


def connect_target(uri: str):
    """A client on `uri`, checked for what the running task needs (writable when it writes)."""
    return connect(uri, writes=TASK_WRITES.get())
