"""Write generated messages into a cluster in batches: through the rolling API or into one collection.

Generation (Python) and writing (mostly the server) overlap: one batch is
written on a worker thread while the next is generated, and never more than
two batches are held, so memory stays bounded whatever the count.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice

from ..errors import ShardsmithError
from .generator import DEFAULT_START, generate_messages


@dataclass
class LoadResult:
    messages: int
    seconds: float
    write_seconds: float  # time spent waiting for writes (not hidden behind generation)
    destination: str
    collections: dict = field(default_factory=dict)  # name -> documents written

    @property
    def docs_per_second(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        return {"messages": self.messages, "seconds": round(self.seconds, 3),
                "write_seconds": round(self.write_seconds, 3), "docs_per_second": round(self.docs_per_second, 1),
                "destination": self.destination, "collections": dict(sorted(self.collections.items()))}


class CollectionSink:
    """Everything into one named collection (the peer the rolling layout is compared with)."""

    def __init__(self, collection):
        self.collection = collection
        self.destination = f"{collection.database.name}.{collection.name}"

    def write(self, batch) -> dict:
        result = self.collection.insert_many(batch, ordered=False)
        return {self.collection.name: len(result.inserted_ids)}


class RollingSink:
    """Through RollingCollections: each batch routed to its months."""

    def __init__(self, rolling):
        self.rolling = rolling
        self.destination = f"{rolling.database.name}.{rolling.prefix}_YYYY_MM"

    def write(self, batch) -> dict:
        return self.rolling.insert_many(batch).inserted


def load_messages(sink, count: int, *, months: int = 1, seed: int = 0, start=DEFAULT_START,
                  batch_size: int = 5000, on_batch=None) -> LoadResult:
    """Generate `count` messages and write them through `sink` in batches; `on_batch(n)` after each."""
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ShardsmithError(f"batch size {batch_size!r} must be a whole number >= 1")
    messages = generate_messages(count, months, seed, start)  # validates its arguments now
    written: dict[str, int] = {}
    waited = 0.0
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="load-writer") as writer:
        pending = None
        while batch := list(islice(messages, batch_size)):
            if pending is not None:
                waited += _collect(pending, written, on_batch)
            pending = writer.submit(sink.write, batch)
        if pending is not None:
            waited += _collect(pending, written, on_batch)
    return LoadResult(sum(written.values()), time.perf_counter() - began, waited, sink.destination, written)


def _collect(pending, written: dict, on_batch) -> float:
    """Wait for the batch in flight, count what it wrote; returns how long we waited."""
    began = time.perf_counter()
    counts = pending.result()
    waited = time.perf_counter() - began
    for name, n in counts.items():
        written[name] = written.get(name, 0) + n
    if on_batch:
        on_batch(sum(counts.values()))
    return waited
