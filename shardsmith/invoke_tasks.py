"""`inv`: the same commands as Invoke tasks (tasks.py loads this namespace).

Built from the declarations in shardsmith.commands, so `inv X` and
`shardsmith X` call the same function with the same conversions. Invoke
counts every positional argument as required, so an optional positional
(the topology) is a flag here: `inv up --topology topology/replset.yaml`.
"""

from __future__ import annotations

import inspect
from typing import Any

from invoke.collection import Collection
from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import Task

from .commands import REGISTRY, Command
from .commands.common import err_console
from .commands.declare import commands_in
from .errors import ShardsmithError
from .log import configure

INTERRUPTED = 130


def as_task(declared: Command) -> Task[Any]:
    """An Invoke task whose signature lists the command's options (Invoke reads flags from it)."""
    def body(c: Context, **values: Any) -> None:
        configure(verbose=bool(values.pop("verbose", False)))
        try:
            code = declared.call(values)
        except ShardsmithError as exc:
            raise Exit(f"error: {exc}", code=exc.exit_code) from None
        except KeyboardInterrupt:
            err_console.print("interrupted")
            raise Exit(code=INTERRUPTED) from None
        if code:
            raise Exit(code=code)

    parameters = [inspect.Parameter("c", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    for option in declared.options:
        default = inspect.Parameter.empty if option.positional and not option.optional else (
            False if option.switch else None)
        parameters.append(inspect.Parameter(option.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default))
    parameters.append(inspect.Parameter("verbose", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=False))
    body.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    body.__doc__ = declared.run.__doc__
    body.__name__ = declared.leaf
    helps = {option.name: option.help for option in declared.options}
    helps["verbose"] = "log every step and server command"
    return Task(body, name=declared.leaf, help=helps,
                positional=[o.name for o in declared.options if o.positional and not o.optional],
                iterable=[o.name for o in declared.options if o.repeat])


def build_namespace() -> Collection:
    namespace = Collection()
    for declared in commands_in(None):
        namespace.add_task(as_task(declared))
    for group in dict.fromkeys(c.group for c in REGISTRY if c.group):
        namespace.add_collection(Collection(group, *(as_task(c) for c in commands_in(group))))
    return namespace


namespace = build_namespace()
