"""The `load` task: realistic generated messages into a cluster, with progress and a throughput figure."""

from __future__ import annotations

from pathlib import Path

from invoke import task
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

from .cli_support import (DEFAULT_TOPOLOGY, TOPOLOGY_HELP, URI_HELP, connect_target, console, err_console,
                          load_spec, user_errors)
from .display import print_json
from .errors import ShardsmithError

LOAD_HELP = {
    "topology": TOPOLOGY_HELP, "uri": URI_HELP,
    "messages": "how many messages to generate and write",
    "months": "spread them over this many months, from the month of --start (default 1)",
    "seed": "same seed, same messages (default 0)",
    "start": "ISO date whose month the messages start in (default 2024-01-01)",
    "collection": "write everything into this one collection instead of monthly rolling collections",
    "database": "database to write to (default: the spec's database declaring rolling collections)",
    "prefix": "rolling family to write through (default: the one the spec declares, else 'messages')",
    "batch": "documents per write batch (default 5000)",
    "json": "print the summary as JSON",
}


class RateColumn(ProgressColumn):
    def render(self, task) -> Text:
        return Text(f"{task.speed:,.0f} docs/s" if task.speed else "- docs/s", style="cyan")


@task(name="load", positional=["topology"], help=LOAD_HELP)
@user_errors
def load_task(c, topology=None, uri=None, messages=None, months=1, seed=0, start=None, collection=None,
              database=None, prefix=None, batch=5000, json=False):
    """Generate realistic messages (deterministic per seed) and write them in batches; report docs/s."""
    from .workload.generator import DEFAULT_START
    from .workload.load import load_messages

    if messages is None:
        raise ShardsmithError("how many messages? give --messages N", hint="e.g. inv data.load --messages 200000")
    count, months, seed, batch = (_whole(name, value) for name, value in
                                  (("--messages", messages), ("--months", months), ("--seed", seed),
                                   ("--batch", batch)))
    spec, client = _target(topology, uri)
    sink = _sink(spec, client, database, prefix, collection)
    with Progress(TextColumn("[bold]loading[/] {task.description}"), BarColumn(), MofNCompleteColumn(),
                  RateColumn(), TimeElapsedColumn(), console=err_console, disable=json) as bar:
        job = bar.add_task(sink.destination, total=count)
        result = load_messages(sink, count, months=months, seed=seed, start=start or DEFAULT_START,
                               batch_size=batch, on_batch=lambda n: bar.advance(job, n))
    if json:
        print_json(result.as_dict())
        return
    console.print(f"[green]✓[/] wrote {result.messages:,} messages into {result.destination} "
                  f"({len(result.collections)} collection(s)) in {result.seconds:.1f}s: "
                  f"[bold]{result.docs_per_second:,.0f} docs/s[/] "
                  f"[dim](waiting on writes {result.write_seconds:.1f}s)[/]")


def _whole(flag: str, value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ShardsmithError(f"{flag} {value!r} is not a whole number") from None


def _target(topology, uri):
    """The spec (optional with --uri when there is no default spec file) and a checked client."""
    from .cluster import Cluster

    spec = load_spec(topology) if topology or not uri or Path(DEFAULT_TOPOLOGY).exists() else None
    return spec, connect_target(uri or Cluster(spec).uri())


def _sink(spec, client, database, prefix, collection):
    from pymongo.write_concern import WriteConcern

    from .rolling import RollingCollections
    from .workload.load import CollectionSink, RollingSink

    declared = [(db.name, rolling.prefix) for db in (spec.databases if spec else ()) for rolling in db.rolling]
    name = database or next((db for db, _ in declared), None) or "shardsmith"
    if collection:
        return CollectionSink(client[name].get_collection(collection, write_concern=WriteConcern("majority")))
    family = prefix or next((p for db, p in declared if db == name), None) or "messages"
    if (name, family) in declared:
        return RollingSink(RollingCollections.from_topology(client[name], spec, family))
    err_console.print(f"[yellow]{name}.{family}_YYYY_MM is not declared in the spec: no index set is applied[/]")
    return RollingSink(RollingCollections(client[name], family))


tasks = [load_task]
