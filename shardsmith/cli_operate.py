"""Tasks that operate the data: rotate, restore, cleanup, tier, stats, indexes, compact (the `data` namespace).

Each takes the topology (for the rolling, tiers and database sections) and
--uri to act on any cluster; reporting tasks print a table or, with --json, JSON.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from invoke import task

from .cli_support import TOPOLOGY_HELP, URI_HELP, console, err_console, target, user_errors
from .display import print_json
from .errors import ShardsmithError
from .progress import Progress

COMMON = {"topology": TOPOLOGY_HELP, "uri": URI_HELP, "database": "only this database (default: the spec's)",
          "json": "print JSON instead of a table"}
ARCHIVE_HELP = "where archives are written and read (default: <state_dir>/archive)"
AS_OF_HELP = "act as if today were this UTC date, YYYY-MM-DD (default: now)"


def parse_as_of(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError:
        raise ShardsmithError(f"--as-of {text!r} is not a date", hint="write it as YYYY-MM-DD") from None


def whole_number(flag: str, text) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        raise ShardsmithError(f"--{flag} {text!r} is not a whole number") from None


def archive_root(spec, archive_dir: str | None) -> Path:
    return Path(archive_dir) if archive_dir else Path(spec.deploy.state_dir) / "archive"


def spec_databases(spec, database: str | None, section: str | None = None) -> list:
    """The spec's DatabaseSpecs to act on (those with `section`, e.g. rolling), or --database's."""
    found = [db for db in spec.databases if (section is None or getattr(db, section))
             and (database is None or db.name == database)]
    if not found and database is not None and section is None:
        from .topology.model import DatabaseSpec
        return [DatabaseSpec(name=database)]
    if not found:
        what = f" with {section}" if section else ""
        raise ShardsmithError(f"no database{what}{f' named {database!r}' if database else ''} in {spec.source}",
                              hint=f"declare databases.<name>.{section or 'collections'} in the topology")
    return found


def rolling_specs(spec, database: str | None, prefix: str | None = None) -> list[tuple[str, object]]:
    pairs = [(db.name, rolling) for db in spec_databases(spec, database, "rolling") for rolling in db.rolling
             if prefix is None or rolling.prefix == prefix]
    if not pairs:
        raise ShardsmithError(f"no rolling collections {prefix!r} in {spec.source}")
    return pairs


@task(positional=["topology"], help={**COMMON, "keep": "months to keep (the current one counts); default: the "
                                     "spec's retention", "archive_dir": ARCHIVE_HELP, "as_of": AS_OF_HELP})
@user_errors
def rotate(c, topology=None, uri=None, database=None, keep=None, archive_dir=None, as_of=None, json=False):
    """Archive month collections older than the retention to verified files, then drop them."""
    from .archive import check_keep, rotate as rotate_months

    if keep is not None:
        keep = check_keep(whole_number("keep", keep))
    spec, client = target(topology, uri)
    progress, outcomes = Progress(err_console, quiet=json), []
    for db_name, rolling in rolling_specs(spec, database):
        months = keep if keep is not None else rolling.retention
        if months is None:
            raise ShardsmithError(f"rolling {db_name}.{rolling.prefix} has no retention",
                                  hint="give --keep N or set retention: N in the spec")
        outcomes += rotate_months(client[db_name], rolling.prefix, months, archive_root(spec, archive_dir),
                                  now=parse_as_of(as_of), progress=progress)
    if json:
        print_json({"rotated": [o.as_dict() for o in outcomes]})
    elif not outcomes:
        console.print("nothing to rotate: no month is older than the retention")
    for o in [] if json else outcomes:
        console.print(f"{o.collection}: {o.documents:,} documents archived to {o.archive}, collection dropped")


@task(positional=["month", "topology"], help={**COMMON, "month": "the month to load back, YYYY-MM",
                                              "prefix": "which rolling collections (default: the spec's only one)",
                                              "archive_dir": ARCHIVE_HELP})
@user_errors
def restore(c, month, topology=None, uri=None, database=None, prefix=None, archive_dir=None, json=False):
    """Check a month's archive (checksums), then load it back with its indexes; repeatable."""
    from .archive import restore as restore_month
    from .archive.restore import parse_month

    parse_month(month)
    spec, client = target(topology, uri)
    pairs = rolling_specs(spec, database, prefix)
    if len(pairs) > 1:
        raise ShardsmithError(f"several rolling collections ({', '.join(f'{d}.{r.prefix}' for d, r in pairs)})",
                              hint="choose one with --database and --prefix")
    (db_name, rolling), = pairs
    outcome = restore_month(client[db_name], rolling.prefix, month, archive_root(spec, archive_dir),
                            progress=Progress(err_console, quiet=json))
    if json:
        print_json(outcome.as_dict())
    else:
        console.print(f"{db_name}.{outcome.collection}: {outcome.documents:,} documents in the archive, "
                      f"{outcome.inserted:,} inserted, {outcome.indexes} indexes ensured")


@task(positional=["topology"], help=COMMON)
@user_errors
def cleanup(c, topology=None, uri=None, database=None, json=False):
    """Drop empty month collections (only names of the spec's rolling collections)."""
    from .archive import cleanup as drop_empty

    spec, client = target(topology, uri)
    dropped = [f"{db}.{name}" for db, rolling in rolling_specs(spec, database)
               for name in drop_empty(client[db], rolling.prefix)]
    if json:
        print_json({"dropped": dropped})
    else:
        console.print(f"dropped {len(dropped)} empty month collection(s)" + (": " + ", ".join(dropped) if dropped else ""))


@task(positional=["topology"], help={**COMMON, "name": "only this tier (default: every tier)",
                                     "batch_size": "documents per copy/verify/delete batch (default 1000)",
                                     "as_of": AS_OF_HELP})
@user_errors
def tier(c, topology=None, uri=None, database=None, name=None, batch_size=1000, as_of=None, json=False):
    """Move documents hot -> warm -> cold by age: exact-once batches, resumable after a crash."""
    from .tiers import run_tier, tiers_of

    spec, client = target(topology, uri)
    progress, report = Progress(err_console, quiet=json), []
    for db_name, tier_spec in tiers_of(spec, database, name):
        for result in run_tier(client[db_name], spec, tier_spec, now=parse_as_of(as_of), batch_size=whole_number("batch-size", batch_size),
                               progress=progress):
            report.append({"database": db_name, "tier": tier_spec.name, **result.as_dict()})
    if json:
        print_json({"moves": report})
    for r in [] if json else report:
        resumed = " (resumed an interrupted batch)" if r["resumed"] else ""
        console.print(f"{r['database']}.{r['source']} -> {r['target']}: {r['moved']:,} moved{resumed}")


@task(positional=["topology"], help={**COMMON, "chart": "also write a PNG bar chart of sizes to this file"})
@user_errors
def stats(c, topology=None, uri=None, database=None, json=False, chart=None):
    """Documents, data, storage and index size per collection and in total."""
    from .metrics import database_storage, totals
    from .metrics.chart import storage_chart
    from .metrics.report import storage_table

    spec, client = target(topology, uri)
    rows = [row for db in spec_databases(spec, database) for row in database_storage(client[db.name])]
    total = totals(rows)
    if chart:
        storage_chart(rows, Path(chart))
        err_console.print(f"chart written to {chart}")
    if json:
        print_json({"collections": [r.as_dict() for r in rows], "total": total})
    else:
        console.print(storage_table(rows, total))


@task(positional=["topology"], help={**COMMON, "rarely": "flag indexes with fewer operations than this (default 100)"})
@user_errors
def indexes(c, topology=None, uri=None, database=None, rarely=100, json=False):
    """Per-index usage from $indexStats, flagging never-used and rarely-used indexes."""
    from .metrics import index_usage
    from .metrics.report import usage_table

    spec, client = target(topology, uri)
    rows = [row for db in spec_databases(spec, database) for row in index_usage(client[db.name], rarely=whole_number("rarely", rarely))]
    if json:
        print_json({"indexes": [r.as_dict() for r in rows]})
    else:
        console.print(usage_table(rows))


@task(positional=["collections", "topology"],
      help={**COMMON, "collections": "comma-separated collection names",
            "each_member": "compact every replica-set member over direct connections (default: the primary)"})
@user_errors
def compact(c, collections, topology=None, uri=None, database=None, each_member=False, json=False):
    """Compact chosen collections and report the bytes freed."""
    from .cluster import Cluster
    from .metrics import compact as compact_collections
    from .metrics.report import compact_table

    spec, client = target(topology, uri)
    databases = spec_databases(spec, database)
    if len(databases) > 1:
        raise ShardsmithError("the spec has several databases", hint="choose one with --database")
    names = [n.strip() for n in collections.split(",") if n.strip()]
    member_uri = (uri or Cluster(spec).uri()) if each_member else None
    results = compact_collections(client, databases[0].name, names, each_member_of=member_uri)
    if json:
        print_json({"compacted": [r.as_dict() for r in results], "bytes_freed": sum(r.bytes_freed for r in results)})
    else:
        console.print(compact_table(results))


tasks = [rotate, restore, cleanup, tier, stats, indexes, compact]
