"""A topology with a time-series and a rolling target, generated messages in a source collection, and a
product-independent way to read every document a target holds."""

from __future__ import annotations

from datetime import datetime

from pymongo import IndexModel, MongoClient
from pymongo.write_concern import WriteConcern

from shardsmith.archive.idempotent import batched
from shardsmith.topology import parse_topology
from shardsmith.workload.generator import generate_messages

START = datetime(2024, 1, 1)
MONTHS = 3
SPEC = """
name: migrate-test
replica_set: {{name: rs0, members: 1}}
databases:
  {db}:
    collections:
      messages_ts:
        timeseries: {{time_field: timestamp, meta_field: sessionId, granularity: minutes}}
        indexes: series
      messages_meta:
        timeseries: {{time_field: timestamp, meta_field: metadata}}
    rolling:
      monthly: {{period: monthly, indexes: standard}}
index_sets:
  series:
    - {{keys: {{timestamp: -1}}}}
    - {{keys: {{uuid: 1}}}}
    - {{keys: {{sessionId: 1, timestamp: 1}}, name: by_session}}   # the series index, named by the spec
  standard:
    - {{keys: {{uuid: 1}}, unique: true}}
    - {{keys: {{sessionId: 1, timestamp: 1}}}}
    - {{keys: {{timestamp: -1}}}}
"""
TARGETS = {"timeseries": "messages_ts", "rolling": "monthly"}


def write_spec(path, database: str):
    path.write_text(SPEC.format(db=database))
    return parse_topology(path.read_text(), str(path))


def fill_source(collection, count: int, seed: int = 7) -> None:
    """`count` generated messages in `collection`, indexed as the application would (by session and time)."""
    collection.create_indexes([IndexModel([("sessionId", 1), ("timestamp", 1)])])
    majority = collection.with_options(write_concern=WriteConcern("majority"))
    for batch in batched(generate_messages(count, MONTHS, seed, start=START), 2000):
        majority.insert_many(batch)


def target_documents(db, to: str) -> list[dict]:
    """Every document the target holds, read with plain finds (not through the product)."""
    if to == "timeseries":
        return list(db[TARGETS[to]].find())
    found = []
    for name in sorted(db.list_collection_names(filter={"name": {"$regex": rf"^{TARGETS[to]}_\d{{4}}_\d{{2}}$"}})):
        found += db[name].find()
    return found


def client_of(uri: str) -> MongoClient:
    return MongoClient(uri)
