"""Phases of long work, shown live on a terminal and silent in library use."""

from __future__ import annotations

import time
from contextlib import contextmanager

from rich.console import Console


class Progress:
    def __init__(self, console: Console | None = None, *, quiet: bool = False):
        self.console = console or Console(stderr=True)
        self.quiet = quiet
        self.timings: list[tuple[str, float]] = []

    @contextmanager
    def phase(self, title: str):
        started = time.monotonic()
        if self.quiet:
            yield
        else:
            with self.console.status(f"{title} ..."):
                yield
        elapsed = time.monotonic() - started
        self.timings.append((title, elapsed))
        self.note(f"[green]✓[/] {title} [dim]({elapsed:.1f}s)[/]")

    def note(self, text: str) -> None:
        if not self.quiet:
            self.console.print(text)


QUIET = Progress(quiet=True)
