"""The vocabulary of a bootstrap plan: three kinds of step and the probe that guards them.

A plan is data. Python (bootstrap.execute) and the rendered mongosh script
(templates/init.js) are two small executors of the same JSON; every
decision (which commands, in which order, which server answers mean "done",
"again" or "stop") is made once, in bootstrap.plan.

    command   send `command` to `at`, unless `unless` already holds there
    await     poll `until` on each address of `at` until one satisfies it; bind that address
    reconfig  make the set's config carry `settings` and `priorities` (read, change, replSetReconfig)

An address in `at` is literal ("127.0.0.1:27018") or a binding made by an
earlier await of the same part ("$primary:rs0"). A value {"$secret": name}
inside a command is replaced at run time: "rootPassword" by the root
password, "env:VAR" by the environment variable VAR (an application user's
password). No password enters the plan, nor any rendered file.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Optional

from ..errors import ShardsmithError

SECRET = "$secret"
ROOT_PASSWORD = "rootPassword"
FROM_ENVIRONMENT = "env:"


def secret(name: str) -> dict[str, str]:
    return {SECRET: name}


def env_secret(variable: str) -> dict[str, str]:
    """A password read from the environment variable `variable` when the step runs."""
    return secret(FROM_ENVIRONMENT + variable)


def from_environment(name: str) -> str:
    """The value of an "env:VAR" secret; an unset variable is a clear error (spec checks catch it earlier)."""
    variable = name[len(FROM_ENVIRONMENT):] if name.startswith(FROM_ENVIRONMENT) else ""
    value = os.environ.get(variable) if variable else None
    if not value:
        raise ShardsmithError(f"the secret {name!r} is not available: {variable or name} is not set",
                              hint=f"export {variable or 'the variable'} and run again")
    return value


def fill_secrets(value: Any, resolve: Callable[[str], str]) -> Any:
    """`value` with every {"$secret": name} replaced by resolve(name)."""
    if isinstance(value, dict):
        if set(value) == {SECRET}:
            return resolve(value[SECRET])
        return {k: fill_secrets(v, resolve) for k, v in value.items()}
    if isinstance(value, list):
        return [fill_secrets(v, resolve) for v in value]
    return value


@dataclass(frozen=True)
class Probe:
    """A read that tells whether something holds: `path` of `command`'s reply, truthy or containing `value`.

    `path` walks documents by field name and lists by element (`shards._id`
    is the list of every shard's _id).
    """

    command: dict[str, Any]
    path: str
    contains: Any = None  # None: the value at `path` must be truthy


@dataclass(frozen=True)
class Step:
    part: str  # what one init service runs: a replica set's name, "router" or "standalone"
    op: str  # "command" | "await" | "reconfig"
    what: str  # "initiate replica set rs0": for progress, logs and errors
    at: tuple[str, ...]  # the address (command, reconfig), or the candidates (await)
    auth: bool = False  # as the root user, or anonymously (the localhost exception)
    command: Optional[dict[str, Any]] = None
    unless: Optional[Probe] = None  # command: skipped when this holds at `at`
    until: Optional[Probe] = None  # await: what must hold at one of `at`
    nudge: Optional[dict[str, Any]] = None  # await: sent to at[0] between rounds (refusals ignored)
    bind: Optional[str] = None  # await: the name the satisfying address is kept under
    settings: Optional[dict[str, Any]] = None  # reconfig
    priorities: Optional[dict[str, float]] = None  # reconfig: member _id (str) -> priority
    done: dict[int, str] = field(default_factory=dict)  # server code -> why it means the work is already done
    again: tuple[int, ...] = ()  # server codes meaning "not now": find `at` again and retry
    stop: dict[int, str] = field(default_factory=dict)  # server code -> what to tell the user (the step fails)
    says: Optional[str] = None  # past tense, printed when the step did change something
    reports: Optional[tuple[str, str]] = None  # (report list, entry) recorded when the step acted

    def as_json(self) -> dict[str, Any]:
        """JSON-ready (codes become string keys, as JSON requires)."""
        data = asdict(self)
        data["done"] = {str(int(code)): why for code, why in self.done.items()}
        data["stop"] = {str(int(code)): why for code, why in self.stop.items()}
        return data


def binding(name: str, set_name: str) -> str:
    return f"${name}:{set_name}"
