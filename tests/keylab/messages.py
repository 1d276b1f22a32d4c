"""Deterministic chat messages for the key-lab tests, inserted in time order like a live app writes them.

Stands in until shardsmith.workload.generator lands: sessions of a few dozen
messages interleave, timestamps only grow, the models are few and skewed.
"""

from __future__ import annotations

import datetime
import random
import uuid

MODELS = ["claude-3-5-sonnet"] * 6 + ["claude-3-opus"] * 3 + ["claude-3-haiku"]
START = datetime.datetime(2025, 1, 1)


def messages(count: int, seed: int = 7, sessions: int = 400):
    rng = random.Random(seed)
    session_ids = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(sessions)]
    moment = START
    for _ in range(count):
        moment += datetime.timedelta(seconds=rng.randint(1, 90))
        yield {"sessionId": rng.choice(session_ids), "timestamp": moment,
               "uuid": str(uuid.UUID(int=rng.getrandbits(128))), "user_id": f"user{rng.randrange(40)}",
               "model": rng.choice(MODELS), "costUsd": round(rng.random() / 20, 5)}


def insert(collection, count: int, *, batch: int = 5000, **options) -> None:
    """insert_many in batches; the client makes the ObjectIds, so _id grows with insertion order."""
    chunk = []
    for doc in messages(count, **options):
        chunk.append(doc)
        if len(chunk) == batch:
            collection.insert_many(chunk)
            chunk = []
    if chunk:
        collection.insert_many(chunk)
