"""Commands that work on the data (the `data` group): load, rotate, restore, cleanup, tier, stats, indexes, compact.

Each takes the topology (for its rolling, tiers and database sections) and
--uri to act on any cluster; reporting commands print a table or, with --json, JSON.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from pymongo import MongoClient

from ..display import print_json
from ..errors import ShardsmithError
from ..state import state_root
from ..topology.model import Topology
from .common import (
    DATABASE,
    JSON,
    MEASURE,
    TOPOLOGY,
    URI,
    console,
    err_console,
    open_target,
    progress,
    required_spec,
    warn,
)
from .declare import Option, comma_list, command, utc_date, whole_number

if TYPE_CHECKING:
    from ..workload.load import CollectionSink, RollingSink

ARCHIVE = Option("archive_dir", "where archives are written and read (default: <state_dir>/archive)")
AS_OF = Option("as_of", "act as if today were this UTC date, YYYY-MM-DD (default: now)", convert=utc_date)


def archive_root(spec: Topology, archive_dir: Optional[str]) -> Path:
    return Path(archive_dir) if archive_dir else state_root(spec) / "archive"


@command("data.load", TOPOLOGY, URI,
         Option("messages", "how many messages to generate and write", convert=whole_number),
         Option("months", "spread them over this many months, from the month of --start (default 1)",
                convert=whole_number, default=1),
         Option("seed", "same seed, same messages (default 0)", convert=whole_number, default=0),
         Option("start", "ISO date whose month the messages start in (default 2024-01-01)"),
         Option("collection", "write everything into this one collection instead of monthly rolling collections"),
         Option("database", "database to write to (default: the spec's database declaring rolling collections)"),
         Option("prefix", "rolling family to write through (default: the one the spec declares, else 'messages')"),
         Option("batch", "documents per write batch (default 5000)", convert=whole_number, default=5000),
         Option("json", "print the summary as JSON", switch=True))
def load(topology: Optional[str], uri: Optional[str], messages: Optional[int], months: int, seed: int,
         start: Optional[str], collection: Optional[str], database: Optional[str], prefix: Optional[str],
         batch: int, json: bool) -> None:
    """Generate realistic messages (deterministic per seed) and write them in batches; report docs/s."""
    from ..workload.generator import DEFAULT_START
    from ..workload.load import load_messages
    from .load_progress import load_bar

    if messages is None:
        raise ShardsmithError("how many messages? give --messages N", hint="e.g. shardsmith data.load --messages 200000")
    target = open_target(topology, uri, spec_required=False)
    sink = load_sink(target.spec, target.client, database, prefix, collection)
    with load_bar(sink.destination, messages, quiet=json) as advance:
        result = load_messages(sink, messages, months=months, seed=seed, start=start or DEFAULT_START,
                               batch_size=batch, on_batch=advance)
    if json:
        print_json(result.as_dict())
        return
    console.print(f"[green]✓[/] wrote {result.messages:,} messages into {result.destination} "
                  f"({len(result.collections)} collection(s)) in {result.seconds:.1f}s: "
                  f"[bold]{result.docs_per_second:,.0f} docs/s[/] "
                  f"[dim](waiting on writes {result.write_seconds:.1f}s)[/]")


def load_sink(spec: Optional[Topology], client: MongoClient[dict[str, Any]], database: Optional[str],
              prefix: Optional[str], collection: Optional[str]) -> "CollectionSink | RollingSink":
    """Where data.load writes: one collection, or a rolling family (the spec's, with its index set)."""
    from pymongo.write_concern import WriteConcern

    from ..rolling import RollingCollections
    from ..workload.load import CollectionSink, RollingSink

    declared = spec.declared_rolling() if spec else []
    name = database or next((db for db, _ in declared), None) or "shardsmith"
    if collection:
        return CollectionSink(client[name].get_collection(collection, write_concern=WriteConcern("majority")))
    family = prefix or next((p for db, p in declared if db == name), None) or "messages"
    if spec is not None and (name, family) in declared:
        return RollingSink(RollingCollections.from_topology(client[name], spec, family))
    warn(f"{name}.{family}_YYYY_MM is not declared in the spec: no index set is applied")
    return RollingSink(RollingCollections(client[name], family))


@command("data.rotate", TOPOLOGY, URI, DATABASE,
         Option("keep", "months to keep (the current one counts); default: the spec's retention",
                convert=whole_number),
         ARCHIVE, AS_OF, JSON)
def rotate(topology: Optional[str], uri: Optional[str], database: Optional[str], keep: Optional[int],
           archive_dir: Optional[str], as_of: Optional[datetime], json: bool) -> None:
    """Archive month collections older than the retention to verified files, then drop them."""
    from ..archive import check_keep
    from ..archive import rotate as rotate_months

    if keep is not None:
        check_keep(keep)
    target = open_target(topology, uri)
    spec = required_spec(target)
    report, outcomes = progress(json), []
    for db_name, rolling in spec.rolling_families(database):
        months = keep if keep is not None else rolling.retention
        if months is None:
            raise ShardsmithError(f"rolling {db_name}.{rolling.prefix} has no retention",
                                  hint="give --keep N or set retention: N in the spec")
        outcomes += rotate_months(target.client[db_name], rolling.prefix, months, archive_root(spec, archive_dir),
                                  now=as_of, progress=report)
    if json:
        print_json({"rotated": [o.as_dict() for o in outcomes]})
        return
    if not outcomes:
        console.print("nothing to rotate: no month is older than the retention")
    for o in outcomes:
        console.print(f"{o.collection}: {o.documents:,} documents archived to {o.archive}, collection dropped")


@command("data.restore", Option("month", "the month to load back, YYYY-MM", positional=True, metavar="MONTH"),
         TOPOLOGY, URI, DATABASE, Option("prefix", "which rolling collections (default: the spec's only one)"),
         ARCHIVE, JSON)
def restore(month: str, topology: Optional[str], uri: Optional[str], database: Optional[str], prefix: Optional[str],
            archive_dir: Optional[str], json: bool) -> None:
    """Check a month's archive (checksums), then load it back with its indexes; repeatable."""
    from ..archive import restore as restore_month
    from ..archive.restore import parse_month

    parse_month(month)
    target = open_target(topology, uri)
    spec = required_spec(target)
    pairs = spec.rolling_families(database, prefix)
    if len(pairs) > 1:
        raise ShardsmithError(f"several rolling collections ({', '.join(f'{d}.{r.prefix}' for d, r in pairs)})",
                              hint="choose one with --database and --prefix")
    (db_name, rolling), = pairs
    outcome = restore_month(target.client[db_name], rolling.prefix, month, archive_root(spec, archive_dir),
                            progress=progress(json))
    if json:
        print_json(outcome.as_dict())
        return
    console.print(f"{db_name}.{outcome.collection}: {outcome.documents:,} documents in the archive, "
                  f"{outcome.inserted:,} inserted, {outcome.indexes} indexes ensured")


@command("data.cleanup", TOPOLOGY, URI, DATABASE, JSON)
def cleanup(topology: Optional[str], uri: Optional[str], database: Optional[str], json: bool) -> None:
    """Drop empty month collections (only names of the spec's rolling collections)."""
    from ..archive import cleanup as drop_empty

    target = open_target(topology, uri)
    dropped = [f"{db}.{name}" for db, rolling in required_spec(target).rolling_families(database)
               for name in drop_empty(target.client[db], rolling.prefix)]
    if json:
        print_json({"dropped": dropped})
        return
    console.print(f"dropped {len(dropped)} empty month collection(s)" + (": " + ", ".join(dropped) if dropped else ""))


@command("data.tier", TOPOLOGY, URI, DATABASE, Option("name", "only this tier (default: every tier)"),
         Option("batch_size", "documents per copy/verify/delete batch (default 1000)", convert=whole_number,
                default=1000),
         AS_OF, JSON)
def tier(topology: Optional[str], uri: Optional[str], database: Optional[str], name: Optional[str], batch_size: int,
         as_of: Optional[datetime], json: bool) -> None:
    """Move documents hot -> warm -> cold by age: exact-once batches, resumable after a crash."""
    from ..tiers import run_tier

    target = open_target(topology, uri)
    spec = required_spec(target)
    report = []
    for db_name, tier_spec in spec.tier_specs(database, name):
        for result in run_tier(target.client[db_name], spec, tier_spec, now=as_of, batch_size=batch_size,
                               progress=progress(json)):
            report.append({"database": db_name, "tier": tier_spec.name, **result.as_dict()})
    if json:
        print_json({"moves": report})
        return
    for r in report:
        resumed = " (resumed an interrupted batch)" if r["resumed"] else ""
        console.print(f"{r['database']}.{r['source']} -> {r['target']}: {r['moved']:,} moved{resumed}")


@command("data.stats", TOPOLOGY, URI, DATABASE, JSON,
         Option("chart", "also write a PNG bar chart of sizes to this file"), MEASURE)
def stats(topology: Optional[str], uri: Optional[str], database: Optional[str], json: bool,
          chart: Optional[str], measure: bool) -> None:
    """Documents, data, storage and index size per collection and in total, and what each index costs."""
    from ..metrics import database_storage, index_costs, totals
    from ..metrics.chart import storage_chart
    from ..metrics.report import index_cost_table, index_cost_warnings, storage_table

    target = open_target(topology, uri, writes=measure)
    databases = required_spec(target).databases_with(database=database)
    rows = [row for db in databases for row in database_storage(target.client[db.name])]
    costs = [cost for db in databases for cost in index_costs(target.client[db.name], measure=measure)]
    total = totals(rows)
    if chart:
        storage_chart(rows, Path(chart))
        err_console.print(f"chart written to {chart}")
    if json:
        print_json({"collections": [r.as_dict() for r in rows], "total": total,
                    "index_costs": [c.as_dict() for c in costs]})
        return
    console.print(storage_table(rows, total))
    if costs:
        console.print(index_cost_table(costs))
    for warning in index_cost_warnings(costs):
        warn(warning)


@command("data.indexes", TOPOLOGY, URI, DATABASE,
         Option("rarely", "flag indexes with fewer operations than this (default 100)", convert=whole_number,
                default=100), JSON)
def indexes(topology: Optional[str], uri: Optional[str], database: Optional[str], rarely: int, json: bool) -> None:
    """Per-index usage from $indexStats, flagging never-used and rarely-used indexes."""
    from ..metrics import index_usage
    from ..metrics.report import usage_table

    target = open_target(topology, uri, writes=False)
    rows = [row for db in required_spec(target).databases_with(database=database)
            for row in index_usage(target.client[db.name], rarely=rarely)]
    if json:
        print_json({"indexes": [r.as_dict() for r in rows]})
    else:
        console.print(usage_table(rows))


@command("data.compact", Option("collections", "comma-separated collection names", convert=comma_list,
                                positional=True, metavar="COLL[,COLL...]"),
         TOPOLOGY, URI, DATABASE,
         Option("each_member", "compact every replica-set member over direct connections (default: the primary)",
                switch=True), JSON)
def compact(collections: list[str], topology: Optional[str], uri: Optional[str], database: Optional[str],
            each_member: bool, json: bool) -> None:
    """Compact chosen collections and report the bytes freed."""
    from ..metrics import compact as compact_collections
    from ..metrics.report import compact_table

    target = open_target(topology, uri)
    databases = required_spec(target).databases_with(database=database)
    if len(databases) > 1:
        raise ShardsmithError("the spec has several databases", hint="choose one with --database")
    results = compact_collections(target.client, databases[0].name, collections,
                                  each_member_of=target.uri if each_member else None)
    if json:
        print_json({"compacted": [r.as_dict() for r in results], "bytes_freed": sum(r.bytes_freed for r in results)})
    else:
        console.print(compact_table(results))
