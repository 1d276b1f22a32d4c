"""Cleanup: drop month collections that hold no documents (and only those of the rolling naming)."""

from __future__ import annotations

from pymongo.database import Database
from pymongo.write_concern import WriteConcern

from .rotate import month_collections


def cleanup(db: Database, prefix: str) -> list[str]:
    """Drop `prefix`'s empty month collections; the names dropped.

    Emptiness is checked with a real query (not the collection's estimated
    count); the drop is skipped if a document arrived meanwhile.
    """
    dropped = []
    for name in month_collections(db, prefix):
        collection = db.get_collection(name, write_concern=WriteConcern("majority"))
        if collection.find_one({}, projection={"_id": 1}) is None:
            collection.drop()
            dropped.append(name)
    return dropped
