"""The tier migration's checkpoint: one small document per move, in the database itself.

It records the unit in flight (a batch of _ids, or a warm day) and its phase
("copy" or "delete"), written with majority concern before the phase starts,
so a run that dies anywhere resumes that unit exactly where it must.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timezone

import psutil
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError
from pymongo.write_concern import WriteConcern

from ..errors import ShardsmithError

STATE_COLLECTION = "shardsmith_tier_state"


class Checkpoint:
    def __init__(self, db: Database, key: str):
        self.key = key
        self._state = db.get_collection(STATE_COLLECTION, write_concern=WriteConcern("majority"))

    def load(self) -> dict | None:
        return self._state.find_one({"_id": self.key})

    def save(self, phase: str, **unit) -> None:
        self._state.replace_one({"_id": self.key},
                                {"phase": phase, **unit, "updated": datetime.now(timezone.utc)}, upsert=True)

    def advance(self, phase: str) -> None:
        self._state.update_one({"_id": self.key}, {"$set": {"phase": phase, "updated": datetime.now(timezone.utc)}})

    def clear(self) -> None:
        self._state.delete_one({"_id": self.key})


class Lease:
    """One tier run at a time: a lock document naming its holder (host, pid).

    A holder that is gone (same host, pid no longer running) is taken over, so a
    killed run never blocks its resume; a live holder elsewhere is a clear error.
    """

    def __init__(self, db: Database, tier: str):
        self.key = f"lease:{tier}"
        self.me = {"host": socket.gethostname(), "pid": os.getpid()}
        self._state = db.get_collection(STATE_COLLECTION, write_concern=WriteConcern("majority"))

    def __enter__(self):
        held = self._state.find_one({"_id": self.key})
        if held and not self._abandoned(held):
            raise ShardsmithError(f"tier {self.key[6:]!r} is being moved by pid {held['pid']} on {held['host']} "
                                  f"since {held['since']:%Y-%m-%d %H:%M:%S}",
                                  hint="wait for it to finish; if it is gone for good, delete the document "
                                       f"{{_id: {self.key!r}}} from {STATE_COLLECTION}")
        claim = {**self.me, "since": datetime.now(timezone.utc)}
        try:
            if held:
                taken = self._state.replace_one({"_id": self.key, "pid": held["pid"], "host": held["host"]}, claim)
                if not taken.matched_count:
                    raise DuplicateKeyError("lease taken meanwhile")
            else:
                self._state.insert_one({"_id": self.key, **claim})
        except DuplicateKeyError:
            raise ShardsmithError(f"another run took the tier {self.key[6:]!r} lease just now",
                                  hint="wait for it to finish") from None
        return self

    def _abandoned(self, held: dict) -> bool:
        if held == {**held, **self.me}:
            return True
        return held["host"] == self.me["host"] and not psutil.pid_exists(held["pid"])

    def __exit__(self, *exc_info):
        self._state.delete_one({"_id": self.key, **self.me})
