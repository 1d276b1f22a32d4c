"""Let a task's trailing positional argument be left out: `inv up [TOPOLOGY]`.

Invoke counts every positional argument as required. Arguments listed in
OPTIONAL_POSITIONALS (given a default of None in the task) still take the
next bare word on the command line, but leaving them out is not an error:
the task fills in its default. And a word that looks like a flag is never
eaten as a positional value, so `inv up --help` shows help instead of
looking for a spec named "--help".

`inv` loads tasks.py through Invoke's own loader, which copies our
namespace into a plain Collection; so the parser context class is swapped
where Invoke's collections build their contexts, for this process only.
"""

from __future__ import annotations

import sys

import invoke.collection
from invoke import Collection
from invoke.parser import ParserContext

OPTIONAL_POSITIONALS = {"topology"}


class OptionalPositionalContext(ParserContext):
    @property
    def missing_positional_args(self):
        missing = super().missing_positional_args
        caller = sys._getframe(1)
        if caller.f_code.co_name == "complete_context":  # the end-of-task check only
            return [arg for arg in missing if arg.name not in OPTIONAL_POSITIONALS]
        if caller.f_code.co_name == "handle" and str(caller.f_locals.get("token", "")).startswith("-"):
            return []  # a flag (core --help included), not a positional value
        return missing


invoke.collection.ParserContext = OptionalPositionalContext


class TaskCollection(Collection):
    """A Collection whose tasks may leave out their topology (see the module docstring)."""
