"""Cleanup: drop month collections that hold no documents (and only those of the rolling naming).

A write may land in a month at any moment, so emptiness is decided where no
writer can reach: the collection is first renamed aside (atomic), checked
there, and dropped only if still empty; otherwise it is put back (and if a
writer recreated the name meanwhile, its documents are merged back in).
"""

from __future__ import annotations

from pymongo.database import Database
from pymongo.errors import OperationFailure
from pymongo.write_concern import WriteConcern

from ..servercodes import ServerCode
from .idempotent import batched, insert_ignoring_present
from .rotate import BATCH, month_collections

MAJORITY = WriteConcern("majority")


def drop_if_empty(db: Database, name: str) -> bool:
    """Drop `name` if it holds no document; True if dropped."""
    db = db.with_options(write_concern=MAJORITY)
    if db[name].find_one({}, projection={"_id": 1}) is not None:
        return False
    parked = f"{name}.shardsmith_empty"
    db[name].rename(parked)
    if db[parked].find_one({}, projection={"_id": 1}) is None:
        db[parked].drop()
        return True
    try:
        db[parked].rename(name)
    except OperationFailure as exc:
        if exc.code != ServerCode.NamespaceExists:
            raise
        for batch in batched(db[parked].find({}, batch_size=BATCH), BATCH):
            insert_ignoring_present(db[name], batch)
        db[parked].drop()
    return False


def cleanup(db: Database, prefix: str) -> list[str]:
    """Drop `prefix`'s empty month collections; the names dropped."""
    return [name for name in month_collections(db, prefix) if drop_if_empty(db, name)]
