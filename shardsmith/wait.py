"""Waiting without sleeping blind: one deadline passed down, narrow retries, clear timeouts.

    deadline = Deadline.after(60)
    primary = poll(find_it, until=deadline, what="a primary in rs0")

A wait inside another takes the outer deadline (or a shorter one from
`deadline.within(seconds)`), so nested waits never add up past what the
caller allowed. Only transient failures count as "not yet": a network error,
or a server answer that means "starting, stopping or changing state". Any
other exception (bad credentials, a bug in the check) ends the wait at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Optional, TypeVar

from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError

from .errors import ShardsmithError
from .servercodes import NOT_READY

T = TypeVar("T")


class WaitTimeout(ShardsmithError):
    """A wait ran out: what was awaited, for how long, and the last transient error seen."""

    def __init__(self, what: str, seconds: float, last_error: Optional[BaseException] = None,
                 hint: Optional[str] = None):
        self.awaited = what
        self.last_error = last_error
        detail = f" (last error: {_first_line(last_error)})" if last_error else ""
        super().__init__(f"timed out after {seconds:.0f}s waiting for {what}{detail}", hint=hint)


def _first_line(error: BaseException) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0]


def is_transient(error: BaseException) -> bool:
    """A failure worth another try: the network, or a member that is not ready yet."""
    if isinstance(error, OperationFailure):
        return error.code in NOT_READY
    return isinstance(error, (ConnectionFailure, OSError))


@dataclass(frozen=True)
class Deadline:
    at: float  # time.monotonic() value
    seconds: float  # the length it was made with, for messages

    @classmethod
    def after(cls, seconds: float) -> "Deadline":
        return cls(time.monotonic() + seconds, seconds)

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self.at

    def within(self, seconds: float) -> "Deadline":
        """This deadline, or an earlier one `seconds` from now: a nested wait never outlives its caller."""
        return Deadline(min(self.at, time.monotonic() + seconds), seconds)


def poll(check: Callable[[], Optional[T]], *, until: Deadline, what: str, interval: float = 0.05,
         hint: Optional[str] = None, transient: Callable[[BaseException], bool] = is_transient) -> T:
    """Call `check` until it returns something truthy; raise WaitTimeout when `until` passes.

    Driver and OS errors for which `transient(error)` is true mean "not yet"
    (the last is reported on timeout); any other exception propagates at once.
    """
    last_error: Optional[BaseException] = None
    while True:
        try:
            result = check()
            if result:
                return result
        except (PyMongoError, OSError) as error:
            if not transient(error):
                raise
            last_error = error
        if until.expired:
            raise WaitTimeout(what, until.seconds, last_error, hint)
        time.sleep(min(interval, until.remaining()) or interval)
