"""The tier migration's checkpoint: one small document per move, in the database itself.

It records the unit in flight (a batch of _ids, or a warm day) and its phase
("copy" or "delete"), written with majority concern before the phase starts,
so a run that dies anywhere resumes that unit exactly where it must.
"""

from __future__ import annotations

from datetime import datetime, timezone

from pymongo.database import Database
from pymongo.write_concern import WriteConcern

from ..lease import Lease

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


def tier_lease(db: Database, tier: str) -> Lease:
    """One tier run at a time (see shardsmith.lease)."""
    state = db.get_collection(STATE_COLLECTION, write_concern=WriteConcern("majority"))
    return Lease(state, f"lease:{tier}", f"tier {tier!r} is being moved")
