"""The data.load progress bar: documents written, docs/s, elapsed time."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

from .common import err_console


class RateColumn(ProgressColumn):
    def render(self, task) -> Text:  # type: ignore[no-untyped-def]  # rich's Task
        return Text(f"{task.speed:,.0f} docs/s" if task.speed else "- docs/s", style="cyan")


@contextmanager
def load_bar(destination: str, total: int, *, quiet: bool) -> Iterator[Callable[[int], None]]:
    """Yields `advance(n)`, called once per written batch."""
    with Progress(TextColumn("[bold]loading[/] {task.description}"), BarColumn(), MofNCompleteColumn(),
                  RateColumn(), TimeElapsedColumn(), console=err_console, disable=quiet) as bar:
        job = bar.add_task(destination, total=total)
        yield lambda n: bar.advance(job, n)
