"""Let a task's trailing positional argument be left out: `inv up [TOPOLOGY]`.

Invoke counts every positional argument as required. Arguments listed in
OPTIONAL_POSITIONALS (given a default of None in the task) still take the
next bare word on the command line, but leaving them out is not an error:
the task fills in its default.
"""

from __future__ import annotations

import sys

from invoke import Collection
from invoke.parser import ParserContext

OPTIONAL_POSITIONALS = {"topology"}


class _OptionalPositionalContext(ParserContext):
    @property
    def missing_positional_args(self):
        missing = super().missing_positional_args
        if sys._getframe(1).f_code.co_name == "complete_context":  # the end-of-task check only
            return [arg for arg in missing if arg.name not in OPTIONAL_POSITIONALS]
        return missing


class TaskCollection(Collection):
    def to_contexts(self, ignore_unknown_help=None):
        contexts = super().to_contexts(ignore_unknown_help=ignore_unknown_help)
        for context in contexts:
            context.__class__ = _OptionalPositionalContext
        return contexts
