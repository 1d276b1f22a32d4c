"""Polling instead of sleeping: retry a check until it passes or time runs out."""

from __future__ import annotations

import time
from typing import Callable, TypeVar

from .errors import ShardsmithError

T = TypeVar("T")


def poll(check: Callable[[], T], *, timeout: float, what: str, interval: float = 0.05, hint: str | None = None,
         retry_on: tuple = (Exception,)) -> T:
    """Call `check` until it returns a truthy value; raise a clear error on timeout.

    Exceptions of the `retry_on` types count as "not yet" (the last one is
    reported on timeout); any other exception ends the wait at once.
    """
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            result = check()
            if result:
                return result
        except retry_on as exc:  # not ready yet; remembered for the message
            last_error = exc
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_error})" if last_error else ""
            raise ShardsmithError(f"timed out after {timeout:.0f}s waiting for {what}{detail}", hint=hint)
        time.sleep(interval)
