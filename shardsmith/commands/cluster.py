"""Commands that run a cluster: up, down, status, start, stop, kill, logs, destroy."""

from __future__ import annotations

import shlex
import time
from pathlib import Path
from typing import Optional

from ..cluster import Cluster
from ..display import print_json, print_status
from ..errors import ShardsmithError
from ..status import DOWN
from .common import JSON, TOPOLOGY, console, err_console, open_cluster, warn
from .declare import Option, command, positive
from .hosts import print_member_access

INTERRUPTED = 130  # the shell's code for a command ended by Ctrl-C
MEMBER = Option("member", "which processes: cfg, shard01, shard01.2, shard01.primary, mongos, mongos.1, all",
                positional=True, metavar="MEMBER")
NO_ROUTERS = Option("no_routers", "start only the config and shard replica sets (no mongos needed)", switch=True)
BACKEND = Option("backend", "local or compose; overrides deploy.backend (later commands follow it)",
                 choices=("local", "compose"))


def spec_argument(cluster: Cluster) -> str:
    return shlex.quote(cluster.topology.source)


@command("up", TOPOLOGY, NO_ROUTERS, BACKEND, Option("json", "print the final status as JSON", switch=True))
def up(topology: Optional[str], no_routers: bool, backend: Optional[str], json: bool) -> Optional[int]:
    """Start (or restart) the cluster and bootstrap it; idempotent."""
    cluster = open_cluster(topology, no_routers=no_routers, quiet=json, backend=backend)
    started = time.monotonic()
    try:
        result = cluster.up()
    except KeyboardInterrupt:
        return interrupted(cluster, "up")
    if not result.changed:
        err_console.print(f"[green]{cluster.topology.name} is already up; nothing changed.[/]")
    else:
        err_console.print(f"[green]{cluster.topology.name} is up[/] ({len(result.started)} process(es) started "
                          f"in {time.monotonic() - started:.1f}s)")
    show_status(cluster, json)
    if not json:
        print_connection(cluster)
    print_member_access(cluster, as_json=json)
    return None


def interrupted(cluster: Cluster, verb: str) -> int:
    """After Ctrl-C: what runs now, and what to run next."""
    where = cluster.progress_report()
    err_console.print(f"interrupted during `{verb}`: {len(where.running)} of {len(where.wanted)} process(es) "
                      f"running{': ' + ', '.join(where.running) if where.running else ''}", soft_wrap=True)
    err_console.print(f"next: `shardsmith up {spec_argument(cluster)}` finishes the start; "
                      f"`shardsmith down {spec_argument(cluster)}` stops what runs", soft_wrap=True)
    return INTERRUPTED


def show_status(cluster: Cluster, as_json: bool) -> None:
    statuses = cluster.status()
    if as_json:
        print_json({"cluster": cluster.topology.name, "members": [s.as_dict() for s in statuses],
                    "foreign": {name: str(alien) for name, alien in cluster.foreign().items()}})
        return
    for name, alien in cluster.foreign().items():
        warn(f"{name}: {alien}; it is not the process Shardsmith started, so it is left alone")
    if all(s.state == DOWN for s in statuses):
        console.print(f"{cluster.topology.name} is not running; start it with `shardsmith up {spec_argument(cluster)}`")
        return
    print_status(statuses, console)
    if any(s.state == "AUTH FAILED" for s in statuses):
        warn(f"the members refuse the root password in use; set {cluster.topology.auth.root_password_env} to the "
             "password the cluster was created with")


def print_connection(cluster: Cluster) -> None:
    """The connection string apps use, or, without routers, each replica set's."""
    topology = cluster.topology
    if topology.routers and not cluster.with_routers:
        for replica_set in topology.replica_sets:
            console.print(f"{replica_set.name}: [bold]{cluster.set_uri(replica_set, with_password=False)}[/]",
                          soft_wrap=True)
        console.print(f"the data plan (`plan`, `apply`) needs a router: run `shardsmith up {spec_argument(cluster)}` "
                      "with routers, or give a set's connection string with --uri", soft_wrap=True)
    else:
        console.print(f"connect: [bold]{cluster.uri(with_password=False)}[/]", soft_wrap=True)
    if topology.auth.enabled:
        console.print(f"password: ${topology.auth.root_password_env} or {cluster.state.path / 'root-password'}",
                      soft_wrap=True)


@command("status", TOPOLOGY, JSON)
def status(topology: Optional[str], json: bool) -> None:
    """Every process: role, replica-set state, health, lag, address, pid."""
    cluster = open_cluster(topology, quiet=True)
    show_status(cluster, json)
    print_member_access(cluster, as_json=json)


@command("down", TOPOLOGY)
def down(topology: Optional[str]) -> Optional[int]:
    """Clean shutdown of every process (primaries hand over first); data is kept for the next `up`."""
    cluster = open_cluster(topology)
    try:
        stopped = cluster.down()
    except KeyboardInterrupt:
        return interrupted(cluster, "down")
    err_console.print(f"stopped {len(stopped)} process(es); data kept (`shardsmith up` restarts, "
                      "`shardsmith destroy --yes` removes)")
    return None


@command("destroy", TOPOLOGY, Option("yes", "really remove all data, logs and secrets", switch=True))
def destroy(topology: Optional[str], yes: bool) -> None:
    """Kill every process of the cluster and delete its state folder."""
    cluster = open_cluster(topology)
    if not yes:
        raise ShardsmithError(f"destroy removes {cluster.state.path} with all its data", hint="add --yes to confirm")
    for name, alien in cluster.foreign().items():
        warn(f"{name}: {alien}; not Shardsmith's, left alone")
    cluster.destroy()
    err_console.print(f"destroyed {cluster.topology.name} ({cluster.state.path} removed)")


def member_command(action: str, doc: str) -> None:
    def run(member: str, topology: Optional[str]) -> None:
        refuse_spec_as_member(member, topology)
        cluster = open_cluster(topology)
        done = getattr(cluster, action)(member)
        for name, alien in cluster.foreign().items():
            warn(f"{name}: {alien}; not Shardsmith's, left alone")
        err_console.print(f"{action}: {', '.join(done) if done else 'nothing to do'}")

    run.__doc__ = doc
    command(action, MEMBER, TOPOLOGY)(run)


member_command("stop", "Clean shutdown of the selected processes (a primary hands over first).")
member_command("start", "Start the selected processes that are down; wait until they are back in service.")
member_command("kill", "SIGKILL the selected processes, as a crash would.")


def refuse_spec_as_member(member: str, topology: Optional[str]) -> None:
    """`logs topology/x.yaml` names a spec where a member belongs: say so instead of "no process matches"."""
    if member.endswith((".yaml", ".yml")) or Path(member).is_file():
        raise ShardsmithError(f"{member!r} is a spec, but a member is expected first",
                              hint=f"write the member before the spec, e.g. `shardsmith logs rs0.1 {member}` "
                                   "(members: SET.N, SET.primary, SET, mongos, all)")


@command("logs", MEMBER, TOPOLOGY, Option("lines", "how many lines from the end (default 40)", convert=positive,
                                          default=40))
def logs(member: str, topology: Optional[str], lines: int) -> None:
    """The last lines of each selected process's log."""
    refuse_spec_as_member(member, topology)
    cluster = open_cluster(topology, quiet=True)
    for proc in cluster.select(member):
        path = Path(cluster.backend.log_file(proc))
        console.print(f"==> {proc.name}: {path} <==", markup=False, highlight=False, soft_wrap=True)
        text = path.read_text(errors="replace").splitlines() if path.exists() else ["(no log yet)"]
        console.print("\n".join(text[-lines:]), markup=False, highlight=False, soft_wrap=True)
