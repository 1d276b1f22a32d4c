"""How each phase's result reads on a terminal (the JSON form is each result's as_dict())."""

from __future__ import annotations

from functools import singledispatch

from rich.console import Console
from rich.table import Table

from .backfill import BackfillResult
from .cutover import CutoverResult, RollbackResult
from .fingerprint import Fingerprint
from .follow import FollowResult
from .run import StartResult, StatusResult
from .snapshot import describe
from .verify import VerifyReport


@singledispatch
def print_result(result, console: Console | None = None) -> None:
    raise TypeError(f"no report for {type(result).__name__}")


def _copy_line(backfill: BackfillResult) -> str:
    resumed = f" (finished batch {backfill.resumed_batch} a killed run left)" if backfill.resumed_batch else ""
    return (f"copied {backfill.copied:,} documents in {backfill.batches:,} batches, {backfill.seconds:.1f} s, "
            f"{backfill.docs_per_second:,.0f} docs/s{resumed}")


@print_result.register
def _(result: StartResult, console: Console | None = None) -> None:
    console = console or Console()
    console.print(f"{result.plan.namespace} -> {result.plan.target_label} on the {result.server}"
                  f"{' (resumed)' if result.resumed else ''}")
    console.print(f"change stream followed from {describe(result.started_at)}")
    console.print(_copy_line(result.backfill))
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    console.print("next: follow (--until-caught-up), verify, cutover")


@print_result.register
def _(result: FollowResult, console: Console | None = None) -> None:
    console = console or Console()
    applied = ", ".join(f"{k} {v:,}" for k, v in sorted(result.applied.items()) if v) or "nothing"
    lag = "-" if result.lag_seconds is None else f"{result.lag_seconds:.2f} s"
    console.print(f"{result.events:,} events ({result.reflected:,} already in the copy); applied: {applied}")
    console.print(f"position {describe(result.position)}, lag {lag}, stopped: {result.stopped}")


@print_result.register
def _(report: VerifyReport, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title=f"source vs target as of {describe(report.at)}", header_style="bold")
    for column in ("month", "source", "target", "_ids", "content", ""):
        table.add_column(column, justify="right" if column in ("source", "target") else "left")
    for row in report.months:
        s, t = row.source, row.target
        table.add_row(row.month, f"{s.documents:,}" if s else "-", f"{t.documents:,}" if t else "-",
                      _pair(s and s.ids, t and t.ids), _pair(s and s.content, t and t.content),
                      "[green]same[/]" if row.same else "[bold red]differs[/]")
    console.print(table)
    for row in report.months:
        if row.differences:
            found = {k: v for k, v in row.differences.as_dict().items() if v}
            console.print(f"{row.month}: " + "; ".join(f"{k}: {', '.join(v)}" for k, v in found.items()))
    if report.queries:
        queries = Table(header_style="bold")
        for column in ("query", "source", "target", ""):
            queries.add_column(column)
        for q in report.queries:
            queries.add_row(q.name, f"{q.source:,}", f"{q.target:,}",
                            "[green]same[/]" if q.same else f"[bold red]differs[/] {q.detail}")
        console.print(queries)
    for name in report.misplaced:
        console.print(f"[bold red]{name} holds documents of another month[/]")
    console.print("[green]identical[/]" if report.ok else f"[bold red]{report.summary()}[/]")


def _pair(mine, theirs) -> str:
    if mine is None or theirs is None:
        return "-"
    return Fingerprint.short(mine) if mine == theirs else f"{Fingerprint.short(mine)} / {Fingerprint.short(theirs)}"


@print_result.register
def _(result: CutoverResult, console: Console | None = None) -> None:
    console = console or Console()
    if result.verified:
        console.print(f"verified: {result.verified.summary()}")
    console.print(f"drained {result.drained:,} events after the fence")
    if result.dated:
        console.print(f"the source is kept as {result.dated}")
    if result.view:
        console.print(f"{result.view} is a read-only view of the target")
    if result.late:
        console.print(f"[yellow]{result.late['documents']} document(s) were inserted under the source's name "
                      f"between its rename and the view; {result.late['moved']} moved to the target[/]")
    console.print(f"[bold]switch:[/] {result.switch}")


@print_result.register
def _(result: RollbackResult, console: Console | None = None) -> None:
    console = console or Console()
    for step in result.restored or ["nothing to undo"]:
        console.print(step)
    console.print(f"source {result.source_documents:,} documents, target {result.target_documents:,} (kept)")


@print_result.register
def _(result: StatusResult, console: Console | None = None) -> None:
    console = console or Console()
    counts = ", ".join(f"{k} {v:,}" for k, v in sorted(result.counts.items())) or "-"
    console.print(f"{result.plan.namespace} -> {result.plan.target_label}: phase {result.phase}")
    console.print(f"copied {result.copied:,} documents in {result.batches:,} batches; followed to "
                  f"{describe(result.position)}; applied: {counts}")
