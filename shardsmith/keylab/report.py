"""The key-lab report on a terminal: one table of key figures, one of placement per shard, verdict lines."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from .placement import skew

RATING_STYLES = {"good": "bold green", "fair": "yellow", "poor": "bold red"}


def format_bytes(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024


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
