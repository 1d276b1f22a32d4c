"""Writes that can be repeated after a kill: insert what is missing, verify by _id, in bounded batches."""

from __future__ import annotations

from itertools import islice
from typing import Iterable, Iterator

from pymongo import InsertOne
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError

from ..errors import ShardsmithError
from ..servercodes import ServerCode


def batched(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def insert_ignoring_present(target: Collection, documents: list) -> int:
    """Insert documents (each with an _id) into a regular collection; ones whose _id is already there are skipped.

    A duplicate on any other unique index is a real conflict (another document
    with, say, the same uuid) and raises. Returns how many were inserted.
    """
    if not documents:
        return 0
    try:
        return target.bulk_write([InsertOne(d) for d in documents], ordered=False).inserted_count
    except BulkWriteError as exc:
        others = [e for e in exc.details["writeErrors"]
                  if e["code"] != ServerCode.DuplicateKey or set(e.get("keyPattern", {})) != {"_id"}]
        if others:
            first = others[0]
            raise ShardsmithError(f"{target.full_name}: {len(others)} document(s) refused, first: {first.get('errmsg')}",
                                  hint="another document already holds that unique value; nothing was deleted from the source") from None
        return exc.details["nInserted"]


def require_present(target: Collection, ids: list, what: str, narrow: dict | None = None) -> None:
    """Verify every _id in `ids` is in `target` (one counted query, `narrow` helping the server), else raise."""
    found, wanted = target.count_documents({"_id": {"$in": ids}, **(narrow or {})}), len(set(ids))
    if found < wanted:
        raise ShardsmithError(f"{target.full_name}: only {found} of {wanted} {what} arrived",
                              hint="nothing was deleted from the source; run the command again")
    if found > wanted:
        raise ShardsmithError(f"{target.full_name} holds {found} documents for {wanted} {what} (duplicates)",
                              hint="nothing was deleted from the source; remove the duplicates by _id, then run again")
