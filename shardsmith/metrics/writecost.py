"""What one index costs every insert, measured on the target: the same batch with and without it.

A wildcard text index ({"$**": "text"}) indexes every string of every
document (ids, branch and model names as well as the text), so it can
dominate the write time of a whole index set. Sizes show what it costs on
disk; this measures what it costs writes, on the server that would carry it:
the same small batch of generated messages is inserted into a scratch
collection holding the index set without the index, then with it, a few times
in alternating order, and the ratio of the two median times is reported. The
scratch collection is dropped afterwards, whatever happens.
"""

from __future__ import annotations

import secrets
import statistics
import time
from dataclasses import asdict, dataclass
from typing import Sequence

from pymongo.database import Database
from pymongo.errors import PyMongoError

from ..errors import ShardsmithError

SAMPLE_MESSAGES = 500
RUNS = 3
SCRATCH_PREFIX = "shardsmith_scratch_"


@dataclass(frozen=True)
class WriteCost:
    documents: int  # messages in the batch
    runs: int
    seconds_without: float  # median insert time of the batch with the rest of the set
    seconds_with: float  # median insert time of the batch with the index added

    @property
    def ratio(self) -> float:
        """How many times as long the same inserts take with the index."""
        return self.seconds_with / self.seconds_without if self.seconds_without else 0.0

    def as_dict(self) -> dict:
        return {**asdict(self), "ratio": round(self.ratio, 2)}

    def describe(self) -> str:
        return (f"inserts take {self.ratio:.1f}x as long with it ({self.documents} generated messages on this "
                f"server, median of {self.runs} runs: {self.seconds_with * 1000:.0f} ms vs "
                f"{self.seconds_without * 1000:.0f} ms)")


def sample_messages(count: int = SAMPLE_MESSAGES) -> list[dict]:
    from ..workload import generate_messages

    return list(generate_messages(count, months=1, seed=0))


def measure_write_cost(db: Database, index: dict, others: Sequence[dict] = (), *,
                       documents: list[dict] | None = None, runs: int = RUNS) -> WriteCost:
    """Insert the same batch into a scratch collection of `db` with `others` only, then with `index` too.

    `index` and `others` are createIndexes entries. Runs alternate which
    variant goes first; the median of each is kept.
    """
    batch = documents if documents is not None else sample_messages()
    scratch = db[SCRATCH_PREFIX + secrets.token_hex(4)]
    variants = {"without": list(others), "with": [*others, index]}
    times: dict[str, list[float]] = {"without": [], "with": []}
    try:
        for run in range(runs):
            for name in (("without", "with") if run % 2 == 0 else ("with", "without")):
                times[name].append(_timed_insert(scratch, variants[name], batch))
    except PyMongoError as exc:
        raise ShardsmithError(f"could not measure the write cost of index {index.get('name')} on {db.name}: {exc}",
                              hint="the user needs to create and drop a scratch collection there; "
                                   "or leave the measurement out") from None
    finally:
        try:
            scratch.drop()
        except PyMongoError:
            pass  # the measurement's error (if any) is the one to report; a leftover scratch is named for what it is
    return WriteCost(len(batch), runs, statistics.median(times["without"]), statistics.median(times["with"]))


def _timed_insert(scratch, indexes: list[dict], batch: list[dict]) -> float:
    scratch.drop()
    if indexes:
        scratch.database.command({"createIndexes": scratch.name, "indexes": indexes})
    else:
        scratch.database.create_collection(scratch.name)
    began = time.perf_counter()
    scratch.insert_many([dict(document) for document in batch], ordered=False)
    return time.perf_counter() - began
