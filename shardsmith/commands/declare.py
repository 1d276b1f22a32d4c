"""Each command is declared once: its name, its options, the function that runs it.

Both doors are built from these declarations: `shardsmith` (argparse, with
optional positional arguments) and `inv` (Invoke tasks, where an optional
positional becomes a flag: `inv up --topology X`). Values arrive as text and
are converted here, once, by each option's `convert`.

    @command("up", TOPOLOGY, Option("no_routers", "start only the replica sets", switch=True), JSON)
    def up(topology=None, no_routers=False, json=False): ...
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Optional, Sequence

from ..errors import ShardsmithError

Runner = Callable[..., Optional[int]]


@dataclass(frozen=True)
class Option:
    name: str  # the Python name; the flag is --name with dashes
    help: str
    convert: Callable[[str, str], Any] = lambda flag, text: text  # (flag, text) -> value; ShardsmithError if bad
    default: Any = None
    switch: bool = False  # a flag without a value (--json)
    repeat: bool = False  # may be given several times; a list
    positional: bool = False  # `shardsmith CMD VALUE`
    optional: bool = False  # a positional that may be left out (a --flag under inv)
    metavar: Optional[str] = None
    choices: Optional[tuple[str, ...]] = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def value(self, given: Any) -> Any:
        """The option's value from what a door parsed (text, a list of texts, a bool, or None)."""
        if given is None or self.switch:
            return self.default if given is None else given
        if self.choices and given not in self.choices:
            raise ShardsmithError(f"{self.flag} {given!r} is not one of: {', '.join(self.choices)}")
        if self.repeat:
            return [self.convert(self.flag, item) for item in given]
        return self.convert(self.flag, given)


@dataclass(frozen=True)
class Command:
    name: str  # "up", "data.load"
    run: Runner
    options: tuple[Option, ...] = field(default_factory=tuple)

    @property
    def summary(self) -> str:
        return (self.run.__doc__ or "").strip().splitlines()[0] if self.run.__doc__ else ""

    @property
    def group(self) -> Optional[str]:
        return self.name.split(".", 1)[0] if "." in self.name else None

    @property
    def leaf(self) -> str:
        return self.name.rsplit(".", 1)[-1]

    def call(self, given: dict[str, Any]) -> Optional[int]:
        """Run with the doors' parsed values (missing ones take their defaults).

        A command that reaches a cluster by --uri has that target's failures (login, rights, not
        primary, unreachable) explained in one line, whenever they happen.
        """
        from ..target import target_errors

        values = {option.name: option.value(given.get(option.name)) for option in self.options}
        if "uri" not in values:
            return self.run(**values)
        with target_errors(values["uri"]):
            return self.run(**values)


REGISTRY: list[Command] = []


def command(name: str, *options: Option) -> Callable[[Runner], Runner]:
    """Declare `name` with `options`, run by the decorated function (its docstring is the help)."""
    def register(run: Runner) -> Runner:
        REGISTRY.append(Command(name, run, tuple(options)))
        return run

    return register


# -- converters: one place that turns text into values, with the flag in every error --------------

def whole_number(flag: str, text: str, minimum: int = 0) -> int:
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise ShardsmithError(f"{flag} {text!r} is not a whole number") from None
    if value < minimum:
        raise ShardsmithError(f"{flag} {value} must be at least {minimum}")
    return value


def positive(flag: str, text: str) -> int:
    return whole_number(flag, text, minimum=1)


def number(flag: str, text: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        raise ShardsmithError(f"{flag} {text!r} is not a number") from None


def utc_date(flag: str, text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError:
        raise ShardsmithError(f"{flag} {text!r} is not a date", hint="write it as YYYY-MM-DD") from None


def comma_list(flag: str, text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise ShardsmithError(f"{flag} is empty", hint="give one or more names separated by commas")
    return names


def commands_in(group: Optional[str]) -> Sequence[Command]:
    return [c for c in REGISTRY if c.group == group]
