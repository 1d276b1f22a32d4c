"""Typed reads from one YAML mapping that record problems instead of raising.

Each getter returns a usable value (the default when the input was wrong),
so one pass can go on and find every other problem too.
"""

from __future__ import annotations

from ..units import parse_duration, parse_size
from .problems import Problems
from .yamlpos import PathKey

_MISSING = object()
KeyNames = set[str]  # named here: inside Fields, `str` is the getter method


def type_name(value: object) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean",
            int: "an integer", float: "a number", type(None): "empty"}.get(type(value), type(value).__name__)


class Fields:
    """One mapping at `path`; keys outside `allowed` are reported with a did-you-mean."""

    def __init__(self, problems: Problems, path: PathKey, value: object, allowed: KeyNames):
        self.problems = problems
        self.path = tuple(path)
        if value is None:
            value = {}
        if not isinstance(value, dict):
            problems.add(self.path, f"must be a mapping, not {type_name(value)}")
            value = {}
        self.data = value
        for key in value:
            if key not in allowed:
                problems.unknown_key(self.path, key, allowed)

    def has(self, key: str) -> bool:
        return key in self.data

    def at(self, key: str) -> PathKey:
        return self.path + (key,)

    def _raw(self, key, default, required):
        if key not in self.data or self.data[key] is None and not required:
            if required:
                self.problems.add(self.path, f"missing required key {key!r}")
            return _MISSING if default is _MISSING else default, False
        return self.data[key], True

    def str(self, key, default=None, *, choices=None, required=False):
        value, present = self._raw(key, default, required)
        if not present:
            return value
        if not isinstance(value, str) or not value:
            self.problems.add(self.at(key), f"must be a non-empty string, not {type_name(value)}")
            return default
        if choices and value not in choices:
            self.problems.add(self.at(key), f"must be one of {', '.join(choices)}; got {value!r}")
            return default
        return value

    def bool(self, key, default=False):
        value, present = self._raw(key, default, False)
        if present and not isinstance(value, bool):
            self.problems.add(self.at(key), f"must be true or false, not {type_name(value)}")
            return default
        return value

    def number(self, key, default=None, *, minimum=None, maximum=None, integer=True, required=False):
        value, present = self._raw(key, default, required)
        if not present:
            return value
        ok_types = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, ok_types):
            self.problems.add(self.at(key), f"must be {'an integer' if integer else 'a number'}, not {type_name(value)}")
            return default
        if minimum is not None and value < minimum:
            self.problems.add(self.at(key), f"must be >= {minimum}")
            return default
        if maximum is not None and value > maximum:
            self.problems.add(self.at(key), f"must be <= {maximum}")
            return default
        return value

    def duration(self, key, default=None, *, maximum: int | None = None):
        """Seconds; above `maximum` (seconds) is a problem naming the bound in days."""
        seconds = self._parsed(key, default, parse_duration)
        if maximum is not None and seconds is not None and seconds > maximum:
            self.problems.add(self.at(key), f"{self.data[key]!r} is longer than MongoDB's limit of "
                                            f"{maximum // 86400}d ({maximum} seconds)")
            return default
        return seconds

    def size(self, key, default=None):
        return self._parsed(key, default, parse_size)

    def _parsed(self, key, default, parse):
        value, present = self._raw(key, default, False)
        if not present:
            return value
        try:
            return parse(value)
        except ValueError as exc:
            self.problems.add(self.at(key), str(exc))
            return default

    def list(self, key):
        value, present = self._raw(key, [], False)
        if present and not isinstance(value, list):
            self.problems.add(self.at(key), f"must be a list, not {type_name(value)}")
            return []
        return value

    def mapping(self, key):
        """A raw mapping value (for name -> entry sections)."""
        value, present = self._raw(key, {}, False)
        if present and not isinstance(value, dict):
            self.problems.add(self.at(key), f"must be a mapping, not {type_name(value)}")
            return {}
        return value

    def sub(self, key, allowed: KeyNames) -> "Fields":
        return Fields(self.problems, self.at(key), self.data.get(key), allowed)
