"""The one exception type for errors a user can cause and fix."""

from __future__ import annotations


class ShardsmithError(Exception):
    """What went wrong, where, and what to do about it.

    Tasks print it in a line or two and exit 2, with no traceback.
    """

    exit_code = 2

    def __init__(self, what: str, *, where: str | None = None, hint: str | None = None):
        self.what = what
        self.where = where
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        head = f"{self.where}: {self.what}" if self.where else self.what
        return f"{head}\n  -> {self.hint}" if self.hint else head
