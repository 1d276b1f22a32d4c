"""The user's door: Invoke tasks, served by `inv` (tasks.py) and `shardsmith`.

Each task parses flags, calls one library function and prints the result.
User errors exit 2 with a one- or two-line message and no traceback.
"""

from __future__ import annotations

import time
from pathlib import Path

from invoke import Program, task

from . import __version__
from .cli_parsing import TaskCollection
from .cli_compose import tasks as compose_tasks
from .cli_dataplan import tasks as dataplan_tasks
from .cli_hosts import print_member_access, tasks as hosts_tasks
from .cli_lab import tasks as lab_tasks
from .cli_operate import tasks as operate_tasks
from .cli_support import TOPOLOGY_HELP, console, err_console, load_spec, user_errors
from .cli_workload import tasks as workload_tasks
from .cluster import Cluster
from .display import print_json, print_status
from .errors import ShardsmithError
from .progress import Progress

MEMBER_HELP = "which processes: cfg, shard01, shard01.2, shard01.primary, mongos, mongos.1, all"


def open_cluster(topology: str | None, *, no_routers: bool = False, quiet: bool = False,
                 backend: str | None = None) -> Cluster:
    return Cluster(load_spec(topology), routers=not no_routers, progress=Progress(err_console, quiet=quiet),
                   backend=backend)


def show(cluster: Cluster, as_json: bool) -> None:
    statuses = cluster.status()
    if as_json:
        print_json({"cluster": cluster.topology.name, "members": [s.as_dict() for s in statuses]})
        return
    print_status(statuses, console)


@task(positional=["topology"], help={"topology": TOPOLOGY_HELP,
                                     "no_routers": "start only the config and shard replica sets (no mongos needed)",
                                     "backend": "local or compose; overrides deploy.backend (later tasks follow it)",
                                     "json": "print the final status as JSON"})
@user_errors
def up(c, topology=None, no_routers=False, backend=None, json=False):
    """Start (or restart) the cluster and bootstrap it; idempotent."""
    cluster = open_cluster(topology, no_routers=no_routers, quiet=json, backend=backend)
    started = time.monotonic()
    result = cluster.up()
    if not result.changed:
        err_console.print(f"[green]{cluster.topology.name} is already up; nothing changed.[/]")
    else:
        err_console.print(f"[green]{cluster.topology.name} is up[/] ({len(result.started)} process(es) started "
                          f"in {time.monotonic() - started:.1f}s)")
    show(cluster, json)
    if not json:
        print_connection(cluster)
    print_member_access(cluster, as_json=json)


def print_connection(cluster: Cluster) -> None:
    try:
        uri = cluster.uri(with_password=False)
    except ShardsmithError:
        return
    console.print(f"connect: [bold]{uri}[/]", soft_wrap=True)  # one line: copy/paste must work
    auth = cluster.topology.auth
    if auth.enabled:
        console.print(f"password: ${auth.root_password_env} or {cluster.state.path / 'root-password'}", soft_wrap=True)


@task(positional=["topology"], help={"topology": TOPOLOGY_HELP, "json": "print JSON instead of a table"})
@user_errors
def status(c, topology=None, json=False):
    """Every process: role, replica-set state, health, lag, address, pid."""
    cluster = open_cluster(topology, quiet=True)
    show(cluster, json)
    print_member_access(cluster, as_json=json)


@task(positional=["topology"], help={"topology": TOPOLOGY_HELP})
@user_errors
def down(c, topology=None):
    """Clean shutdown of every process; data is kept for the next `up`."""
    stopped = open_cluster(topology).down()
    err_console.print(f"stopped {len(stopped)} process(es); data kept (`inv up` restarts, `inv destroy --yes` removes)")


@task(positional=["topology"], help={"topology": TOPOLOGY_HELP, "yes": "really remove all data, logs and secrets"})
@user_errors
def destroy(c, topology=None, yes=False):
    """Kill every process and delete the state folder."""
    cluster = open_cluster(topology)
    if not yes:
        raise ShardsmithError(f"destroy removes {cluster.state.path} with all its data", hint="add --yes to confirm")
    cluster.destroy()
    err_console.print(f"destroyed {cluster.topology.name} ({cluster.state.path} removed)")


def _member_task(action: str, doc: str):
    @task(name=action, positional=["member", "topology"], help={"member": MEMBER_HELP, "topology": TOPOLOGY_HELP})
    @user_errors
    def run(c, member, topology=None):
        done = getattr(open_cluster(topology), action)(member)
        err_console.print(f"{action}: {', '.join(done) if done else 'nothing to do'}")

    run.__doc__ = doc
    return run


stop = _member_task("stop", "Clean shutdown of the selected processes.")
start = _member_task("start", "Start the selected processes that are down.")
kill = _member_task("kill", "SIGKILL the selected processes, as a crash would.")


@task(positional=["member", "topology"], help={"member": MEMBER_HELP, "topology": TOPOLOGY_HELP,
                                               "lines": "how many lines from the end (default 40)"})
@user_errors
def logs(c, member, topology=None, lines=40):
    """The last lines of each selected process's log."""
    from .selectors import select

    cluster = open_cluster(topology, quiet=True)
    for proc in select(cluster.topology, member):
        path = cluster.backend.log_file(proc)
        console.print(f"==> {proc.name}: {path} <==", markup=False, highlight=False, soft_wrap=True)
        text = Path(path).read_text(errors="replace").splitlines() if Path(path).exists() else ["(no log yet)"]
        console.print("\n".join(text[-int(lines):]), markup=False, highlight=False, soft_wrap=True)


namespace = TaskCollection(up, down, status, destroy, start, stop, kill, logs, *compose_tasks, *dataplan_tasks,
                           *hosts_tasks)
namespace.add_collection(TaskCollection("data", *workload_tasks, *operate_tasks))
namespace.add_collection(TaskCollection("lab", *lab_tasks))
program = Program(namespace=namespace, version=__version__, name="Shardsmith", binary="shardsmith")


def main() -> None:
    program.run()
