"""What every benchmark shares: interleaved runs, and rows in benchmarks/RESULTS.md that say how they were made.

    trials = interleave({"ours": run_ours, "peer": run_peer}, runs=3)   # ours, peer / peer, ours / ours, peer
    row = table_row(trials.runs, [spread(trials.seconds("ours")), ...], trials.load_note())
    record(Path("benchmarks/RESULTS.md"), SECTION, table_header(["ours s", ...]), row)

Contenders run in turn within each run, and the order rotates from one run to
the next (two contenders alternate), so a drift in the machine's load hits
every contender alike. Every row starts with the date, the commit measured,
the machine's cores and the number of runs, figures are given as
min / median / max over the runs, and the row ends with the 1-minute load
average seen around the runs (the machine is shared).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
COMMON_COLUMNS = ("date", "commit", "cores", "runs")


@dataclass
class Trials:
    """One result per contender per run, in run order, and the load average before and after each run."""

    results: dict = field(default_factory=dict)
    loads: list = field(default_factory=list)
    runs: int = 0

    def of(self, name: str, key: str | None = None) -> list:
        """The results of one contender (or one field of each, when results are dicts)."""
        return [r[key] for r in self.results[name]] if key else list(self.results[name])

    def ratios(self, numerator: str, denominator: str, key: str | None = None) -> list[float]:
        """Per-run ratios: each run's contenders ran back to back, so a run's ratio is what compares."""
        return [a / b for a, b in zip(self.of(numerator, key), self.of(denominator, key))]

    def load_note(self) -> str:
        return f"load {min(self.loads):.1f}-{max(self.loads):.1f}" if self.loads else ""


def interleave(contenders: dict[str, Callable[[], object]], runs: int, *, log: Callable[[str], None] = print) -> Trials:
    """Run every contender `runs` times; the order within a run rotates each run. Results are what each returns."""
    if runs < 1:
        raise SystemExit(f"--runs {runs}: give at least one run")
    names = list(contenders)
    trials = Trials({name: [] for name in names}, [], runs)
    for run in range(runs):
        shift = run % len(names)
        order = names[shift:] + names[:shift]
        trials.loads.append(os.getloadavg()[0])
        for name in order:
            trials.results[name].append(contenders[name]())
        trials.loads.append(os.getloadavg()[0])
        log(f"run {run + 1}/{runs} ({' then '.join(order)}): "
            + "; ".join(f"{name} {_short(trials.results[name][-1])}" for name in names)
            + f"; load {trials.loads[-2]:.1f} -> {trials.loads[-1]:.1f}")
    return trials


def _short(result) -> str:
    if isinstance(result, float):
        return f"{result:.3f}"
    if isinstance(result, dict):
        return ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in result.items()
                         if not isinstance(v, (list, dict)))
    return str(result)


def spread(values, form: str = "{:.2f}") -> str:
    """min / median / max of the runs, each formatted with `form`."""
    values = list(values)
    return " / ".join(form.format(v) for v in (min(values), statistics.median(values), max(values)))


def commit() -> str:
    """The commit measured; `+changes` when the product or the benchmarks differ from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True).stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = git("status", "--porcelain", "--untracked-files=no", "--", "shardsmith", "benchmarks", ":!benchmarks/RESULTS.md")
    return head + ("+changes" if changed else "")


def table_header(columns: list[str]) -> str:
    """A results table's header: the common columns, the benchmark's own, then the note."""
    names = [*COMMON_COLUMNS, *columns, "note"]
    return "| " + " | ".join(names) + " |\n|" + " --- |" * len(names) + "\n"


def table_row(runs: int, cells: list[str], note: str = "") -> str:
    """A row for table_header's columns: today, the commit, this machine's cores, the runs, the cells, the note."""
    return "| " + " | ".join([time.strftime("%Y-%m-%d"), commit(), str(os.cpu_count()), str(runs), *cells, note]) + " |"


def record(path: Path, section: str, header: str, row: str) -> None:
    """Add `row` under the table whose column line is `header`'s in `section` (both created on first use,
    with any text `header` has before its table).

    Other sections, and other tables of the same section (older formats), are left as they are.
    """
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    if section not in text:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    head, _, rest = text.partition(section)
    body, nxt, tail = rest.partition("\n## ")
    first_line = next(line for line in header.split("\n") if line.startswith("|"))  # the table's column line
    if first_line not in body.split("\n"):
        body = body.rstrip("\n") + "\n\n" + header
    lines = body.rstrip("\n").split("\n")
    start = lines.index(first_line)
    end = start
    while end + 1 < len(lines) and lines[end + 1].startswith("|"):
        end += 1
    lines.insert(end + 1, row)  # under the table's last row: notes after the table stay after it
    body = "\n".join(lines) + "\n"
    path.write_text(head + section + body + (("\n## " + tail) if nxt else ""))
