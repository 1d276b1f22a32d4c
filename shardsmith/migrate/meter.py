"""A live progress bar for long copies: done / total, documents per second, time left; silent when quiet."""

from __future__ import annotations

import time

from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
from rich.progress import Progress as Bar

from ..progress import Progress


class Meter:
    def __init__(self, progress: Progress, title: str, total: int, done: int = 0):
        self.progress, self.title, self.total, self.done = progress, title, max(total, done), done
        self.began, self.started_at = time.monotonic(), done
        self._bar = None if progress.quiet else Bar(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
            TextColumn("ETA"), TimeRemainingColumn(), console=progress.console)

    @property
    def rate(self) -> float:
        elapsed = time.monotonic() - self.began
        return (self.done - self.started_at) / elapsed if elapsed > 0 else 0.0

    def __enter__(self):
        if self._bar:
            self._bar.start()
            self._task = self._bar.add_task(self.title, total=self.total, completed=self.done, rate="")
        return self

    def advance(self, count: int) -> None:
        self.done += count
        self.total = max(self.total, self.done)  # the source grows while it is copied
        if self._bar:
            self._bar.update(self._task, completed=self.done, total=self.total, rate=f"{self.rate:,.0f} docs/s")

    def __exit__(self, *exc_info):
        if self._bar:
            self._bar.stop()
        self.progress.note(f"[green]✓[/] {self.title}: {self.done:,} documents, {self.rate:,.0f} docs/s")
