"""A tiers spec and hot data for the tier tests (and the tier child process)."""

from __future__ import annotations

from datetime import datetime, timezone

from pymongo.write_concern import WriteConcern

from shardsmith.archive.idempotent import batched
from shardsmith.topology import parse_topology
from shardsmith.workload.generator import generate_messages

NOW = datetime(2024, 6, 30, 12, tzinfo=timezone.utc)  # hot keeps 7d, warm 90d -> cold gets January to March

SPEC = """
name: tiers-test
replica_set: {{name: rs0, members: 1}}
databases:
  {db}:
    collections:
      messages_timeseries:
        timeseries: {{time_field: timestamp, meta_field: metadata, granularity: minutes}}
    rolling:
      messages: {{period: monthly, indexes: standard}}
    tiers:
      messages:
        hot: {{collection: messages_current, keep: 7d}}
        warm: {{collection: messages_timeseries, keep: 90d}}
        cold: {{rolling: messages}}
index_sets:
  standard:
    - {{keys: {{uuid: 1}}, unique: true}}
    - {{keys: {{sessionId: 1, timestamp: 1}}}}
    - {{keys: {{timestamp: -1}}}}
"""


def tiers_spec(path, database: str):
    path.write_text(SPEC.format(db=database))
    return parse_topology(path.read_text(), str(path))


def fill_hot(db, count: int, seed: int = 3) -> list[dict]:
    """Generated messages (Jan to Jun 2024) in the hot collection, with the warm collection created; the originals."""
    db.create_collection("messages_timeseries",
                         timeseries={"timeField": "timestamp", "metaField": "metadata", "granularity": "minutes"})
    hot = db.get_collection("messages_current", write_concern=WriteConcern("majority"))
    hot.create_index([("timestamp", -1)])
    originals = []
    for batch in batched(generate_messages(count, 6, seed, start=datetime(2024, 1, 1)), 500):
        hot.insert_many(batch)
        originals += batch
    return originals


def stage_documents(db) -> list[dict]:
    """Every message in every stage (hot, warm flattened back, cold months)."""
    from shardsmith.tiers.shape import WarmShape

    shape = WarmShape(time_field="timestamp", meta_field="metadata")
    found = list(db.messages_current.find())
    found += [shape.to_flat(d) for d in db.messages_timeseries.find()]
    for name in db.list_collection_names(filter={"name": {"$regex": r"^messages_\d{4}_\d{2}$"}}):
        found += list(db[name].find())
    return found
