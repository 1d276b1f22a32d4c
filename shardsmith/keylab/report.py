"""The key-lab report on a terminal: one table of key figures, one of placement per shard, verdict lines."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from .placement import skew

RATING_STYLES = {"good": "bold green", "fair": "yellow", "poor": "bold red"}


def format_bytes(count: float) -> str:
    if count < 1024:
        return f"{count:.0f} B"
    for unit in ("KiB", "MiB"):
        count /= 1024
        if count < 1024:
            return f"{count:.1f} {unit}"
    return f"{count / 1024:.1f} GiB"


def keys_table(report) -> Table:
    scope = f"sample of {report.sample}" if report.sample else f"{report.documents} documents"
    table = Table(title=f"{report.namespace}: candidate keys over {report.shards} shards ({scope})", header_style="bold")
    for column in ("key", "cardinality", "top value share", "monotonic (rho)", "skew max/mean",
                   f"latest {report.recent_share:.0%} on hottest shard", "rating"):
        table.add_column(column, justify="left" if column in ("key", "rating") else "right")
    for result in report.keys:
        total = sum(row["docs"] for row in result.distribution) or 1
        top = result.most_common[0]["docs"] / total if result.most_common else 0
        mono = result.monotonicity
        rating = result.verdict["rating"]
        table.add_row(result.key.label, f"{result.cardinality:,}", f"{top:.1%}",
                      f"{'yes' if mono['monotonic'] else 'no'} ({mono['coefficient']:+.2f})",
                      f"{skew(result.distribution):.2f}", f"{result.hotspot['share']:.0%}",
                      f"[{RATING_STYLES[rating]}]{rating}[/]")
    return table


def shards_table(report) -> Table:
    table = Table(title="documents (bytes) per shard", header_style="bold")
    table.add_column("key")
    for shard in range(report.shards):
        table.add_column(f"shard {shard}", justify="right")
    for result in report.keys:
        table.add_row(result.key.label, *(f"{row['docs']:,} ({format_bytes(row['bytes'])})" for row in result.distribution))
    return table


def targeting_table(report) -> Table | None:
    if not report.keys or not report.keys[0].targeting:
        return None
    table = Table(title=f"shards each query touches (mean / max of {report.shards})", header_style="bold")
    table.add_column("key")
    for query in report.keys[0].targeting:
        table.add_column(query["query"], justify="right")
    for result in report.keys:
        table.add_row(result.key.label, *(f"{q['mean_shards']:g} / {q['max_shards']}" for q in result.targeting))
    return table


def print_report(report, console: Console) -> None:
    console.print(keys_table(report))
    console.print(shards_table(report))
    targets = targeting_table(report)
    if targets is not None:
        console.print(targets)
    for result in report.keys:
        rating = result.verdict["rating"]
        console.print(f"[{RATING_STYLES[rating]}]{result.verdict['line']}[/]")


def experiment_table(outcome) -> Table:
    table = Table(title=f"{outcome['namespace']}: sharded copies on {len(outcome['shards'])} shards "
                        f"(MongoDB {outcome['router_version']}, data from {outcome['distribution_from']})",
                  header_style="bold")
    for column in ("key", "inserts/s", "documents per shard", "chunks per shard", "skew", "cardinality ours / server",
                   "rho ours / server", "rating"):
        table.add_column(column, justify="left" if column in ("key", "rating") else "right")
    for k in outcome["keys"]:
        server = k.get("analyze_shard_key") or {}
        rating = k["verdict"]["rating"]
        table.add_row(k["key"], f"{k['insert_docs_per_second'] or 0:,.0f}", " / ".join(f"{r['docs']:,}" for r in k["distribution"]),
                      " / ".join(str(n) for n in k["chunks"].values()), f"{k['skew']:.2f}",
                      f"{k['ours']['cardinality']:,} / {server.get('cardinality', '-')}",
                      f"{k['ours']['monotonicity']:+.2f} / {server.get('correlation', '-')}",
                      f"[{RATING_STYLES[rating]}]{rating}[/]")
    return table


def print_experiment(outcome, console: Console) -> None:
    console.print(experiment_table(outcome))
    for k in outcome["keys"]:
        for q in k["targeting"]:
            console.print(f"  {k['key']} '{q['query']}': mongos targets {q['mean_shards']:g} of {q['of']} shards (max {q['max_shards']})")
    for k in outcome["keys"]:
        console.print(f"[{RATING_STYLES[k['verdict']['rating']]}]{k['verdict']['line']}[/]")
    if outcome["kept"]:
        console.print(f"copies kept in {outcome['lab_database']}")
