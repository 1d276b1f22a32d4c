"""The malformed-spec corpus: cases/*.yaml and, in expected.yaml, every problem each must produce.

Shared by the loader tests (tests/unit/test_spec_corpus.py) and the CLI tests
(tests/integration/test_cli_spec_errors.py), so both hold the same specs to
the same expectations.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

HERE = Path(__file__).parent
CASES = HERE / "cases"


@dataclass(frozen=True)
class Expected:
    line: int
    path: str | None  # None: YAML that cannot be read (syntax, encoding, limits), reported before any path exists
    fragment: str
    warning: bool = False

    def head(self, source: str) -> str:
        """How the problem's line starts in the message: `FILE:LINE path: `."""
        if self.path is None:
            return f"{source}:{self.line}: "
        return f"{source}:{self.line} {self.path}: " + ("warning: " if self.warning else "")

    def found_in(self, text: str, source: str) -> bool:
        head = self.head(source)
        lines = (line.removeprefix("error: ") for line in text.splitlines())  # the CLI's prefix
        return any(line.startswith(head) and self.fragment in line[len(head):] for line in lines)


def table() -> dict[str, tuple[list[Expected], list[Expected]]]:
    """file name -> (expected errors, expected warnings)."""
    raw = yaml.safe_load((HERE / "expected.yaml").read_text())
    return {
        name: ([Expected(*item) for item in entry.get("errors") or []],
               [Expected(*item, warning=True) for item in entry.get("warnings") or []])
        for name, entry in raw.items()
    }


def case_names() -> list[str]:
    return sorted(p.name for p in CASES.glob("*.yaml"))


def reported_lines(text: str, source: str) -> list[str]:
    """The message lines that report a problem in `source`."""
    return [line for line in text.splitlines() if line.startswith(f"{source}:")]
