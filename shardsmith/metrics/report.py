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
        key = ", ".join(f"{k}: {v}" for k, v in r.key.items())
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
