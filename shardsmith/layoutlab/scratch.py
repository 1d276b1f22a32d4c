"""The scratch collections of one lab run: names no user collection has, and a cleanup that always finishes.

Every collection of a run is named `shardsmith_layoutlab_<8 hex>_...` in the lab
database (its own, `shardsmith_layoutlab`, unless told otherwise), so a run can
only ever drop what it made. Every command it sends carries the comment
`shardsmith-layoutlab <8 hex>`: after Ctrl-C or an error the cleanup first
kills the run's own operations still running on the server (an `$out` or an
index build would otherwise finish after the drop and leave its collection
behind), then drops the collections and checks they are gone.
"""

from __future__ import annotations

import re
import secrets
import signal
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pymongo.database import Database
from pymongo.errors import OperationFailure

from ..servercodes import ServerCode
from ..wait import Deadline, is_transient, poll

NAME_PREFIX = "shardsmith_layoutlab"
LAB_DATABASE = "shardsmith_layoutlab"
INSERT_PART = "ins"  # the insert-throughput collections: dropped after their runs even when the layouts are kept
CLEANUP_TIMEOUT = 120.0


@dataclass(frozen=True)
class Scratch:
    database: Database
    token: str

    @classmethod
    def new(cls, database: Database) -> "Scratch":
        return cls(database, secrets.token_hex(4))

    @property
    def prefix(self) -> str:
        return f"{NAME_PREFIX}_{self.token}"

    @property
    def comment(self) -> str:
        return f"shardsmith-layoutlab {self.token}"

    def name(self, part: str) -> str:
        return f"{self.prefix}_{part}"

    def collections(self, part: str = "") -> list[str]:
        """This run's collections (those of `part` only, if given), time-series views included."""
        pattern = "^" + re.escape(self.name(part) if part else self.prefix + "_")
        return sorted(self.database.list_collection_names(filter={"name": {"$regex": pattern}}))


def earlier_runs(database: Database) -> list[str]:
    """Collections other lab runs left in `database` (a kill -9, or --keep)."""
    pattern = rf"^{NAME_PREFIX}_[0-9a-f]{{8}}_"
    return sorted(database.list_collection_names(filter={"name": {"$regex": pattern}}))


def own_operations(database: Database, comment: str) -> list:
    """Operations on the server that carry this run's comment (commands and their getMores).

    Empty when the user may not list operations: the drop-until-gone loop still holds.
    """
    match = {"$or": [{"command.comment": comment}, {"cursor.originatingCommand.comment": comment},
                     {"originatingCommand.comment": comment}]}
    stages: list[dict[str, Any]] = [{"$currentOp": {"allUsers": False, "idleConnections": False}}, {"$match": match}]
    try:
        return [op["opid"] for op in database.client.admin.aggregate(stages)]
    except OperationFailure:
        return []


def kill_own_operations(database: Database, comment: str) -> None:
    for opid in own_operations(database, comment):
        try:
            database.client.admin.command("killOp", op=opid)
        except OperationFailure:
            pass  # it ended meanwhile; the drop below is what must succeed


def remove(scratch: Scratch, part: str = "", *, timeout: float = CLEANUP_TIMEOUT) -> None:
    """Kill the run's operations and drop its collections (those of `part`), until none is left."""

    def round_done() -> bool:
        kill_own_operations(scratch.database, scratch.comment)
        left = scratch.collections(part)
        for name in left:
            scratch.database.drop_collection(name, comment=scratch.comment)
        return not left and not own_operations(scratch.database, scratch.comment)

    with sigint_deferred():
        poll(round_done, until=Deadline.after(timeout), transient=_worth_retrying,
             what=f"the lab's scratch collections {scratch.name(part)}* to be dropped",
             hint=f"drop them by hand: collections starting with {scratch.prefix} in {scratch.database.name}")


def _worth_retrying(error: BaseException) -> bool:
    """Cleanup retries the network and any refusal but a missing privilege (a drop that meets an index build
    or a step-down succeeds on a later round); an error it keeps meeting is reported when time runs out."""
    if isinstance(error, OperationFailure):
        return error.code != ServerCode.Unauthorized
    return is_transient(error)


@contextmanager
def sigint_deferred():
    """A second Ctrl-C must not cut the cleanup short: it is held until the drops are done, then raised."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list = []
    previous = signal.signal(signal.SIGINT, lambda *_: caught.append(True))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt
