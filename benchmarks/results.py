"""benchmarks/RESULTS.md: one section per benchmark, rows appended under their own heading."""

from __future__ import annotations

from pathlib import Path


def record(path: Path, section: str, header: str, row: str) -> None:
    """Add `row` under `section` (created with `header` on first use), whatever other sections the file has."""
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    if section not in text:
        text = text.rstrip("\n") + "\n\n" + section + "\n\n" + header
    head, _, rest = text.partition(section)
    body, nxt, tail = rest.partition("\n## ")
    body = body.rstrip("\n") + "\n" + row + "\n"
    path.write_text(head + section + body + (("\n## " + tail) if nxt else ""))
