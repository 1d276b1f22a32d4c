"""Where chunks should be: split points over the hashed range and an owner for each range. Pure."""

from __future__ import annotations

from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey

INT64_MAX = 2**63 - 1


def hashed_split_points(chunks: int) -> list[int]:
    """chunks-1 NumberLong boundaries spreading the hashed range evenly.

    Same spacing as the server's own numInitialChunks split (symmetric around
    0), so on versions that still honour it both paths give the same chunks.
    """
    interval = (INT64_MAX // chunks) * 2
    points, current = [], 0
    if chunks % 2 == 0:
        points.append(0)
        current += interval
    else:
        current += interval // 2
    for _ in range((chunks - 1) // 2):
        points += [current, -current]
        current += interval
    return sorted(points)


def key_document(shard_key: tuple, leading: dict) -> dict:
    """A full shard-key document: given fields as they are, the rest MinKey (or MaxKey after a MaxKey)."""
    doc, fill = {}, MinKey()
    for field, _ in shard_key:
        if field in leading:
            doc[field] = leading[field]
            if isinstance(leading[field], MaxKey):
                fill = MaxKey()
        else:
            doc[field] = fill
    return doc


def hashed_boundaries(shard_key: tuple, chunks: int) -> list[dict]:
    """Split documents for `chunks` chunks of a key whose first field is hashed."""
    first = shard_key[0][0]
    return [key_document(shard_key, {first: Int64(p)}) for p in hashed_split_points(chunks)]


def owners(boundaries: list, shards: list[str]) -> list[str]:
    """The shard each of the len(boundaries)+1 ranges goes to: contiguous, even blocks in shard order."""
    count = len(boundaries) + 1
    return [shards[i * len(shards) // count] for i in range(count)]
