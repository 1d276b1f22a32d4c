"""The lab's result: one object for scripts (as_dict, for --json) and for a terminal (rich tables)."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table

from ..metrics.report import human_bytes
from .layouts import MONTHLY, REGULAR, TIMESERIES
from .preflight import DiskEstimate
from .series import SeriesChoice

LAYOUT_ORDER = (REGULAR, TIMESERIES, MONTHLY)
STATUS_STYLES = {"holds": "bold green", "holds (beyond the claimed range)": "bold green", "partly holds": "yellow",
                 "does not hold": "bold red"}


@dataclass
class LayoutReport:
    namespace: str
    server_version: str
    lab_database: str
    prefix: str
    sample: str  # how the copied documents were drawn
    source_documents: int
    documents: int
    disk: DiskEstimate
    series: SeriesChoice
    index_origin: str
    indexes: dict  # layout -> {"created": [...], "skipped": [{index, key, reason}]}
    sizes: dict  # layout -> LayoutSize
    inserts: list  # InsertResult per layout
    queries: list  # QueryResult per query
    claims: list = field(default_factory=list)
    recommendation: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    kept: list = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        regular_size = self.sizes[REGULAR]
        regular_inserts = next(r for r in self.inserts if r.layout == REGULAR) if self.inserts else None
        return {"format": 1, "namespace": self.namespace, "server_version": self.server_version,
                "lab_database": self.lab_database, "prefix": self.prefix, "sample": self.sample,
                "source_documents": self.source_documents, "documents": self.documents,
                "disk": self.disk.as_dict(), "timeseries": self.series.as_dict(),
                "index_origin": self.index_origin, "indexes": self.indexes,
                "layouts": [self.sizes[name].as_dict(regular_size) for name in LAYOUT_ORDER],
                "inserts": [r.as_dict(regular_inserts) for r in self.inserts],
                "queries": [q.as_dict() for q in self.queries], "claims": self.claims,
                "recommendation": self.recommendation, "notes": self.notes, "kept": self.kept,
                "seconds": round(self.seconds, 1)}


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def sizes_table(report: LayoutReport) -> Table:
    table = Table(title=f"{report.namespace}: {report.documents:,} of {report.source_documents:,} documents "
                        f"({report.sample}) in three layouts, MongoDB {report.server_version}", header_style="bold")
    for column in ("layout", "collections", "documents", "stored as", "data", "storage (free)", "indexes", "total",
                   "total vs regular"):
        table.add_column(column, justify="left" if column == "layout" else "right")
    regular = report.sizes[REGULAR]
    for name in LAYOUT_ORDER:
        size = report.sizes[name]
        stored = f"{size.stored:,} buckets" if name == TIMESERIES else f"{size.stored:,} documents"
        table.add_row(name, str(size.collections), f"{size.documents:,}", stored, human_bytes(size.data_size),
                      f"{human_bytes(size.storage_size)} ({human_bytes(size.free_storage)})",
                      human_bytes(size.index_size), human_bytes(size.total),
                      _ratio(size.ratios(regular)["total"]))
    return table


def inserts_table(report: LayoutReport) -> Table:
    regular = next(r for r in report.inserts if r.layout == REGULAR)
    batch = report.inserts[0].documents
    skipped = [s["key"] for s in report.indexes.get(TIMESERIES, {}).get("skipped", [])]
    table = Table(title=f"inserts: the same {batch:,} documents, in chunks of 1,000, fresh collections",
                  header_style="bold",
                  caption=f"time-series without the indexes it refuses: {', '.join(skipped)}" if skipped else None)
    for column in ("layout", "docs/s median", "min - max", "runs", "vs regular"):
        table.add_column(column, justify="left" if column == "layout" else "right")
    for result in report.inserts:
        figures = result.as_dict(regular)
        rates = figures["docs_per_second"] or {"median": 0, "min": 0, "max": 0}
        table.add_row(result.layout, f"{rates['median']:,.0f}", f"{rates['min']:,.0f} - {rates['max']:,.0f}",
                      str(figures["runs"]), _ratio(figures["ratio_to_regular"]))
    return table


def queries_table(report: LayoutReport) -> Table:
    runs = max((v["runs"] for q in report.queries for v in q.layouts.values()), default=0)
    table = Table(title=f"query latency, ms: median / p95 of {runs} runs (ratio of medians to regular)",
                  header_style="bold")
    table.add_column("query")
    for name in LAYOUT_ORDER:
        table.add_column(name, justify="right")
    table.add_column("rows", justify="right")
    table.add_column("same results")
    for q in report.queries:
        cells = []
        for name in LAYOUT_ORDER:
            figures, base = q.layouts.get(name), q.layouts.get(REGULAR)
            if not figures:
                cells.append("-")
                continue
            ratio = f" ({figures['median_ms'] / base['median_ms']:.2f}x)" if name != REGULAR and base[
                "median_ms"] else ""
            cells.append(f"{figures['median_ms']:.1f} / {figures['p95_ms']:.1f}{ratio}")
        rows = q.layouts.get(REGULAR, {}).get("rows", "-")
        same = "[green]yes[/]" if q.same_results else "[bold red]no[/]"
        table.add_row(q.query.name, *cells, f"{rows:g}" if isinstance(rows, (int, float)) else rows, same)
    return table


def plans_table(report: LayoutReport) -> Table:
    table = Table(title="winning plans (time-series: over its buckets; monthly: in each month read)",
                  header_style="bold")
    table.add_column("query")
    for name in LAYOUT_ORDER:
        table.add_column(name)
    for q in report.queries:
        table.add_row(q.query.name, *(q.layouts.get(name, {}).get("plan", "-") for name in LAYOUT_ORDER))
    return table


def print_layout_report(report: LayoutReport, console: Console) -> None:
    s = report.series
    console.print(f"time-series options: timeField {s.time_field}; metaField {s.meta_field or '(none)'}: "
                  f"{s.meta_reason}; granularity {s.granularity}: {s.granularity_reason}")
    console.print(sizes_table(report))
    created = report.indexes.get(REGULAR, {}).get("created", [])
    console.print(f"indexes ({report.index_origin}): {', '.join(created) or 'none'} on every layout")
    for skipped in report.indexes.get(TIMESERIES, {}).get("skipped", []):
        console.print(f"  [yellow]time-series skipped {skipped['key']}[/]: {skipped['reason']}")
    if report.inserts:
        console.print(inserts_table(report))
    if report.queries:
        console.print(queries_table(report))
        console.print(plans_table(report))
    for claim in report.claims:
        console.print(f"[{STATUS_STYLES.get(claim['status'], 'dim')}]{claim['line']}[/]")
    if report.recommendation:
        console.print(f"[bold]recommendation: {report.recommendation['summary']}[/]")
        for reason in report.recommendation["reasons"]:
            console.print(f"  - {reason}")
    for note in report.notes:
        console.print(f"[dim]note: {note}[/]")
    if report.kept:
        console.print(f"kept in {report.lab_database}: {', '.join(report.kept)}")
