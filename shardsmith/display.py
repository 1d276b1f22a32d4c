"""How results look on a terminal (rich tables) and to scripts (--json)."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

STATE_STYLES = {"PRIMARY": "bold green", "SECONDARY": "green", "ARBITER": "cyan", "RUNNING": "green", "DOWN": "bold red"}


def print_json(data) -> None:
    """Keys in the order the data holds them: an index key or a shard key in key order is its meaning."""
    print(json.dumps(data, indent=2, default=str))


def status_table(statuses) -> Table:
    table = Table(title=None, header_style="bold")
    for column in ("member", "role", "state", "health", "lag", "address", "pid"):
        table.add_column(column, justify="right" if column in ("lag", "pid") else "left")
    for s in statuses:
        lag = "" if s.lag_seconds is None else f"{s.lag_seconds:.0f}s"
        style = STATE_STYLES.get(s.state, "yellow")
        table.add_row(s.name, s.role, f"[{style}]{s.state}[/]", "ok" if s.healthy else "[red]down[/]",
                      lag, s.address, str(s.pid or "-"))
    return table


def print_status(statuses, console: Console | None = None) -> None:
    (console or Console()).print(status_table(statuses))
