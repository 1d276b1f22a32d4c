"""Test data for the data-operations tests: generated messages written into month collections."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone

from pymongo import IndexModel
from pymongo.write_concern import WriteConcern

from shardsmith.archive.idempotent import batched
from shardsmith.rolling.naming import collection_for
from shardsmith.workload.generator import generate_messages

START = datetime(2024, 1, 1, tzinfo=timezone.utc)
INDEXES = [IndexModel([("uuid", 1)], unique=True), IndexModel([("sessionId", 1), ("timestamp", 1)]),
           IndexModel([("timestamp", -1)]), IndexModel([("$**", "text")])]


def fill_months(db, prefix: str, count: int, months: int, seed: int = 7, start=START) -> dict[str, set]:
    """Write generated messages into `prefix`'s month collections (with a small index set); uuids per collection."""
    written: dict[str, set] = defaultdict(set)
    for batch in batched(generate_messages(count, months, seed, start=start), 500):
        grouped = defaultdict(list)
        for message in batch:
            grouped[collection_for(prefix, message["timestamp"])].append(message)
        for name, documents in grouped.items():
            if name not in written:
                db[name].create_indexes(INDEXES)
            db.get_collection(name, write_concern=WriteConcern("majority")).insert_many(documents)
            written[name].update(d["uuid"] for d in documents)
    return dict(written)


def uuids(collection) -> set:
    return {d["uuid"] for d in collection.find({}, {"uuid": 1, "_id": 0})}


def fresh_database(replset, request, prefix: str, **client_options):
    """A test's own empty database on the shared replica set, dropped afterwards (use with `yield from`)."""
    client = replset.client(**client_options)
    name = f"{prefix}_{request.node.name[:40]}"
    for character in "[]-.":
        name = name.replace(character, "_")
    client.drop_database(name)
    try:
        yield client[name]
    finally:
        client.drop_database(name)
        client.close()
