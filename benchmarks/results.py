"""benchmarks/RESULTS.md: one section per benchmark, rows appended under their own heading."""

from __future__ import annotations

from pathlib import Path


def record(path: Path, section: str, header: str, row: str) -> None:
    """Add `row` to the table of `section` (created with `header` on first use), whatever other sections the file has."""
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    if section not in text:
        text = text.rstrip("\n") + "\n\n" + section + "\n\n" + header
    head, _, rest = text.partition(section)
    body, nxt, tail = rest.partition("\n## ")
    lines = body.rstrip("\n").split("\n")
    table_end = max((i for i, line in enumerate(lines) if line.startswith("|")), default=len(lines) - 1)
    lines.insert(table_end + 1, row)  # under the table's last row: notes after the table stay after it
    body = "\n".join(lines) + "\n"
    path.write_text(head + section + body + (("\n## " + tail) if nxt else ""))
