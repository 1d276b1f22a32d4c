"""MongoDB version numbers and what a spec's `mongodb.version` asks for.

A spec says "7.0" (any 7.0.x, the newest when downloading), "8.0.4" (that
release exactly) or "latest" (the newest production release in the
manifest). Release candidates ("8.0.0-rc1") can be asked for exactly and
sort before their release, as MongoDB numbers them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_RELEASE = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:-(alpha|beta|rc)(\d+))?$")
_SERIES = re.compile(r"^(\d+)\.(\d+)$")
_PRE_ORDER = {"alpha": 0, "beta": 1, "rc": 2}
LATEST = "latest"


@dataclass(frozen=True, order=True)
class Version:
    """One release number; compares in release order (8.0.0-rc1 < 8.0.0 < 8.0.1)."""

    major: int
    minor: int
    patch: int
    pre: tuple[int, int] = (3, 0)  # (kind, number); a final release sorts after every pre-release
    text: str = field(default="", compare=False)

    @classmethod
    def parse(cls, text: str) -> "Version":
        match = _RELEASE.match(text.strip())
        if not match:
            raise ValueError(f"{text!r} is not a MongoDB release number such as 7.0.12")
        major, minor, patch, kind, number = match.groups()
        pre = (_PRE_ORDER[kind], int(number)) if kind else (3, 0)
        return cls(int(major), int(minor), int(patch), pre, text.strip())

    @property
    def series(self) -> str:
        return f"{self.major}.{self.minor}"

    @property
    def is_release(self) -> bool:
        return self.pre == (3, 0)

    def __str__(self) -> str:
        return self.text or f"{self.major}.{self.minor}.{self.patch}"


def parse_version(text: str) -> Version | None:
    """The release number, or None for text that is not one (a development build's banner)."""
    try:
        return Version.parse(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class VersionRequest:
    """What the spec (or `binaries fetch`) asks for: a series, an exact release, or the latest."""

    text: str
    kind: str  # "series" | "exact" | "latest"
    series: str | None = None  # "7.0" for a series or an exact release

    @classmethod
    def parse(cls, text: str) -> "VersionRequest":
        text = str(text).strip()
        if text == LATEST:
            return cls(text, "latest")
        if _SERIES.match(text):
            major, minor = (int(part) for part in text.split("."))
            return cls(f"{major}.{minor}", "series", f"{major}.{minor}")
        exact = parse_version(text)
        if exact is None:
            raise ValueError(f'{text!r} is not a MongoDB version: use MAJOR.MINOR ("7.0"), '
                             f'an exact release ("8.0.4") or "latest"')
        return cls(text, "exact", exact.series)

    @classmethod
    def exactly(cls, version: str) -> "VersionRequest":
        """The request for one release, e.g. mongos of the mongod already chosen."""
        return cls(version, "exact", Version.parse(version).series)

    def matches(self, version: str) -> bool:
        """Whether a binary of `version` satisfies this request ("latest" must be resolved first)."""
        if self.kind == "exact":
            return version == self.text
        found = parse_version(version)
        if self.kind == "series":
            return found is not None and found.series == self.series
        return False

    def __str__(self) -> str:
        return self.text


def newest(versions: Iterable[str]) -> str | None:
    """The highest release number among `versions` (strings); None when there are none."""
    parsed = [v for v in (parse_version(text) for text in versions) if v is not None]
    return str(max(parsed)) if parsed else None
