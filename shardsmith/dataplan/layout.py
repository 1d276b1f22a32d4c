"""Where chunks should be: split points over the hashed range, an owner for each range, and whether
the chunks a cluster holds give every shard its share. Pure."""

from __future__ import annotations

from collections import Counter
from typing import Any, Optional

from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey

from ..bsonorder import tuple_key

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
    doc: dict[str, Any] = {}
    fill: MinKey | MaxKey = MinKey()
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


def presplit_by_shares(spec) -> int:
    """chunks_per_shard of a collection spec whose pre-split is checked by shares (hashed first field, no zones), else 0."""
    per_shard = spec.presplit.chunks_per_shard if spec.presplit else None
    if not per_shard or spec.zones or not spec.shard_key or spec.shard_key[0][1] != "hashed":
        return 0
    return per_shard


def piece_holders(chunks: list[dict], edges: list[dict]) -> list[Optional[str]]:
    """For each piece [edges[i], edges[i+1]), the one shard whose chunks cover it; None when it lies across shards."""
    placed = [(tuple_key(c["min"].values()), tuple_key(c["max"].values()), c["shard"]) for c in chunks]
    holders = []
    for low, high in zip(edges, edges[1:]):
        low_key, high_key = tuple_key(low.values()), tuple_key(high.values())
        on = {shard for chunk_min, chunk_max, shard in placed if chunk_min < high_key and low_key < chunk_max}
        holders.append(on.pop() if len(on) == 1 else None)
    return holders


def shares_held(chunks: list[dict], shard_key: tuple, per_shard: int, shards: list[str]) -> bool:
    """Whether `chunks` ({min, max, shard}) give every shard its share of a hashed-prefix key's range: each of the
    per_shard x shards planned pieces lies on one shard, and each shard holds per_shard of them (merged or not)."""
    first = shard_key[0][0]
    edges = ([key_document(shard_key, {})] + hashed_boundaries(shard_key, per_shard * len(shards))
             + [key_document(shard_key, {first: MaxKey()})])
    holders = piece_holders(chunks, edges)
    return None not in holders and Counter(holders) == {shard: per_shard for shard in shards}
