"""Rich tables for the storage, index-usage and compaction reports."""

from __future__ import annotations

from rich.table import Table

FLAG_STYLES = {"never used": "bold red", "rarely used": "yellow", "required": "dim"}


def human_bytes(count: int) -> str:
    value = float(count)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return str(count)


def storage_table(rows, total: dict) -> Table:
    table = Table(header_style="bold", show_footer=True,
                  caption="* a time-series collection's documents are its buckets" if any(
                      r.kind == "timeseries" for r in rows) else None)
    table.add_column("collection", footer="total")
    table.add_column("kind")
    for column, field in (("documents", "documents"), ("data", "data_size"), ("storage", "storage_size"),
                          ("indexes", "index_size")):
        footer = f"{total[field]:,}" if field == "documents" else human_bytes(total[field])
        table.add_column(column, justify="right", footer=footer)
    for r in rows:
        kind = "time-series*" if r.kind == "timeseries" else r.kind
        table.add_row(f"{r.database}.{r.collection}", kind, f"{r.documents:,}", human_bytes(r.data_size),
                      human_bytes(r.storage_size), human_bytes(r.index_size))
    return table


def usage_table(rows) -> Table:
    table = Table(header_style="bold")
    for column in ("collection", "index", "key", "ops", "since", "member", "flag"):
        table.add_column(column, justify="right" if column == "ops" else "left")
    for r in rows:
        key = key_text(r.key)
        since = f"{r.since:%Y-%m-%d %H:%M}" if r.since else "-"
        flag = f"[{FLAG_STYLES[r.flag]}]{r.flag}[/]" if r.flag else ""
        table.add_row(f"{r.database}.{r.collection}", r.index, key, f"{r.ops:,}", since, r.host, flag)
    return table


def compact_table(results) -> Table:
    table = Table(header_style="bold")
    for column in ("member", "collection", "freed", "force"):
        table.add_column(column, justify="right" if column == "freed" else "left")
    for r in results:
        table.add_row(r.member, f"{r.database}.{r.collection}", human_bytes(r.bytes_freed), "yes" if r.forced else "")
    return table


def key_text(key: dict) -> str:
    """An index key in its own order: {type: 1, timestamp: -1} reads `type: 1, timestamp: -1`."""
    return ", ".join(f"{field}: {direction}" for field, direction in key.items())


def index_cost_table(costs) -> Table:
    """Each index's bytes against its collection's data; wildcard text indexes flagged with their write cost."""
    table = Table(header_style="bold", title="index cost")
    for column in ("collection", "index", "key", "size", "vs data", "warning"):
        table.add_column(column, justify="right" if column in ("size", "vs data") else "left", overflow="fold")
    for c in costs:
        share = c.share
        warning = ""
        if c.warning:
            warning = "[bold yellow]wildcard text[/]" + (f": inserts {c.write_cost.ratio:.1f}x as long" if c.write_cost else "")
        table.add_row(c.namespace, c.index, key_text(c.key), "not built" if c.size is None else human_bytes(c.size),
                      "-" if share is None else f"{share:.0%}", warning)
    return table


def index_cost_warnings(costs) -> list[str]:
    """One line per flagged index: what it is, why it costs, what was measured."""
    return [f"{c.namespace} index {c.index} ({key_text(c.key)}): {c.warning}; "
            + (c.write_cost.describe() if c.write_cost else "its write cost was not measured (that writes and drops "
                                                             "a scratch collection on the target)")
            for c in costs if c.warning]
