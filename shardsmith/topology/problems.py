"""Collect every spec problem in one pass, each with its YAML path and line."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from ..errors import ShardsmithError
from .yamlpos import Located, PathKey, format_path


@dataclass(frozen=True)
class Problem:
    source: str
    line: int | None
    path: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        kind = "warning: " if self.warning else ""
        return f"{where} {self.path}: {kind}{self.message}"


class SpecError(ShardsmithError):
    """A spec with one or more errors; `problems` holds them all."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        errors = [p for p in problems if not p.warning]
        lines = "\n".join(str(p) for p in problems)
        super().__init__(
            f"{len(errors)} problem(s) in the topology spec; nothing was started or written:\n{lines}"
        )


class Problems:
    """The running list for one document."""

    def __init__(self, located: Located):
        self.located = located
        self.items: list[Problem] = []
        for path, message, line in located.found:
            self.add(path, message, line=line)

    def add(self, path: PathKey, message: str, *, warning: bool = False, line: int | None = None) -> None:
        """Record a problem at `path` (its line looked up unless given)."""
        self.items.append(
            Problem(
                source=self.located.source,
                line=line or self.located.line_of(path),
                path=format_path(path),
                message=message,
                warning=warning,
            )
        )

    def unknown_key(self, path: PathKey, key: str, allowed) -> None:
        close = difflib.get_close_matches(key, sorted(allowed), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(sorted(allowed))}"
        self.add(path + (key,), f"unknown key {key!r}{hint}")

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if not p.warning]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.warning]

    @staticmethod
    def in_order(items: list[Problem]) -> list[Problem]:
        """As a reader meets them: by line, then in the order found."""
        return sorted(items, key=lambda p: p.line or 0)

    def raise_if_any(self) -> None:
        if self.errors:
            raise SpecError(self.in_order(self.items))


def late_spec_error(topology, found: list[tuple[str, str]]) -> SpecError:
    """Problems seen only when the spec is used (an unset password variable, a certificate that no longer
    covers an address), each at the line the loader kept for its path (Topology.spec_lines)."""
    items = [Problem(source=topology.source, line=topology.line_of(path), path=path, message=message)
             for path, message in found]
    return SpecError(Problems.in_order(items))
