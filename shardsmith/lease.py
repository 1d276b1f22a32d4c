"""One holder at a time for long, resumable work: a lock document naming its holder (host, pid).

A holder that is gone (same host, pid no longer running) is taken over, so a
killed run never blocks its resume; a live holder elsewhere is a clear error.
Used by the tier moves and the live migrations, each in its own state collection.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timezone

import psutil
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from .errors import ShardsmithError


class Lease:
    def __init__(self, state: Collection, key: str, busy: str):
        """`state` is written with majority concern by the caller's choice; `busy` says what is held,
        e.g. "tier 'messages' is being moved"."""
        self.key, self.busy = key, busy
        self.me = {"host": socket.gethostname(), "pid": os.getpid()}
        self._state = state

    def __enter__(self):
        held = self._state.find_one({"_id": self.key})
        if held and not self._abandoned(held):
            raise ShardsmithError(f"{self.busy} by pid {held['pid']} on {held['host']} "
                                  f"since {held['since']:%Y-%m-%d %H:%M:%S}",
                                  hint="wait for it to finish; if it is gone for good, delete the document "
                                       f"{{_id: {self.key!r}}} from {self._state.name}")
        claim = {**self.me, "since": datetime.now(timezone.utc)}
        try:
            if held:
                taken = self._state.replace_one({"_id": self.key, "pid": held["pid"], "host": held["host"]}, claim)
                if not taken.matched_count:
                    raise DuplicateKeyError("lease taken meanwhile")
            else:
                self._state.insert_one({"_id": self.key, **claim})
        except DuplicateKeyError:
            raise ShardsmithError(f"{self.busy}: another run took the lease just now",
                                  hint="wait for it to finish") from None
        return self

    def _abandoned(self, held: dict) -> bool:
        if held == {**held, **self.me}:
            return True
        return held["host"] == self.me["host"] and not psutil.pid_exists(held["pid"])

    def __exit__(self, *exc_info):
        self._state.delete_one({"_id": self.key, **self.me})
