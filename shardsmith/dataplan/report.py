"""How plans and apply results look on a terminal (rich) and to scripts (dicts for --json)."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

from ..metrics.report import index_cost_table, index_cost_warnings
from .bsonjson import to_plain
from .steps import PLAN_FORMAT

NOTHING_TO_DO = "nothing to do: the target matches the spec"


def to_json(data) -> str:
    """--json text: keys in the documented order (README), command documents in the order the server needs."""
    return json.dumps(data, indent=2, ensure_ascii=False)


def plan_dict(plan, costs=None) -> dict:
    """What `plan --json` prints: the plan and, when measured, the index sets' cost on the target (see costs)."""
    return {**plan.as_dict(), **_costs_dict(costs)}


def apply_result_dict(result, costs=None) -> dict:
    """What `apply --json` prints (README: "Data plan: plan and apply")."""
    return {"format": PLAN_FORMAT, "outcomes": [o.as_dict() for o in result.outcomes],
            "collections": summary(result.after), "remaining": result.remaining.as_dict(), **_costs_dict(costs)}


def _costs_dict(costs) -> dict:
    return {} if costs is None else {"index_costs": [c.as_dict() for c in costs]}


def print_costs(costs, console: Console) -> None:
    """The index-cost table and a line per warning (nothing when there are no index sets)."""
    if not costs:
        return
    console.print(index_cost_table(costs))
    for line in index_cost_warnings(costs):
        console.print(f"[bold yellow]warning[/] {line}")


def print_notes(notes, console: Console) -> None:
    for note in notes:
        console.print(f"[dim]note: {note}[/]")


def print_plan(plan, console: Console, costs=()) -> None:
    target = plan.target
    shards = f", {len(target['shards'])} shard(s)" if target["kind"] == "sharded" else ""
    merging = (", AutoMerger left on (pre-splits checked by each shard's share)"
               if plan.behaviour["auto_merger"] == "left-on" else "")
    console.print(f"target: {target['kind']} MongoDB {target['version'] or target['major_minor']}"
                  f" (wire {target['wire_version']}){shards}; behaviour since {plan.behaviour['since']}: "
                  f"presplit by {plan.behaviour['presplit']}, moves by {plan.behaviour['move_command']}{merging}")
    if plan.steps:
        table = Table(header_style="bold")
        for column in ("#", "kind", "target", "what", "command"):
            table.add_column(column, overflow="fold")
        for number, step in enumerate(plan.steps, start=1):
            what = step.description + (f"\n[dim]{step.behaviour}[/]" if step.behaviour else "")
            table.add_row(str(number), step.kind, step.target, what, json.dumps(to_plain(step.command)))
        console.print(table)
    elif not plan.refusals:
        console.print(f"[green]{NOTHING_TO_DO}[/]")
    for difference in plan.differences:
        console.print(f"[yellow]differs[/] {difference.target}: {difference.what}" +
                      (f" [dim]({difference.hint})[/]" if difference.hint else ""))
    print_notes(plan.notes, console)
    print_costs(costs, console)
    for refusal in plan.refusals:
        console.print(f"[bold red]refused[/] {refusal.target}: {refusal.reason}\n  -> {refusal.hint}")
        if refusal.command:
            console.print(f"  command: {json.dumps(to_plain(refusal.command))}", markup=False)


def summary(observed) -> list[dict]:
    """Per collection of the plan: type, shard key and chunks per shard, for the after-apply report."""
    rows = []
    for db, collections in observed.databases.items():
        for name, coll in collections.items():
            rows.append({"namespace": f"{db}.{name}", "type": coll.type,
                         "shard_key": to_plain(coll.shard_key), "chunks": dict(coll.chunks),
                         "indexes": len(coll.indexes)})
    return rows


def print_result(result, console: Console, costs=()) -> None:
    """What apply did (or that there was nothing to do), the collections after it, and the notes that still hold."""
    done = sum(1 for o in result.outcomes if o.status == "done")
    if result.outcomes:
        console.print(f"applied: {done} step(s) done, {len(result.outcomes) - done} already so")
    else:
        console.print(f"[green]{NOTHING_TO_DO}[/]")
    table = Table(header_style="bold")
    for column in ("collection", "type", "shard key", "chunks per shard", "indexes"):
        table.add_column(column)
    for row in summary(result.after):
        chunks = ", ".join(f"{s}: {n}" for s, n in sorted(row["chunks"].items())) or "-"
        key = json.dumps(row["shard_key"]) if row["shard_key"] else "-"
        table.add_row(row["namespace"], row["type"], key, chunks, str(row["indexes"]))
    console.print(table)
    print_notes(result.remaining.notes, console)
    print_costs(costs, console)
    if result.remaining.steps:
        console.print(f"[yellow]{len(result.remaining.steps)} step(s) still differ; run `inv plan`[/]")
