"""What 6.0, 7.0 and 8.0 routers and config servers do, as the tables the played router follows.

Each entry names its source: a file of the MongoDB server repository
(github.com/mongodb/mongo; paths from src/) or a page of the MongoDB manual
(mongodb.com/docs/manual/...). Tests take expected values from here or from the
manual, never from Shardsmith. Pure: no I/O (catalog.py applies these rules).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey

INT64_MAX = 2**63 - 1

# What buildInfo answers for each played router.
RELEASES = {"6.0": "6.0.14", "7.0": "7.0.12", "8.0": "8.0.4"}


@dataclass(frozen=True)
class VersionRules:
    hashed_chunks_per_shard: int  # chunks per shard for an empty hashed-prefix collection, when not told
    honours_num_initial_chunks: bool
    shard_order: str  # how initial chunks are dealt to the shards: "sorted" or "shuffled"
    on_current_shard_since: bool  # config.chunks documents carry onCurrentShardSince
    auto_merger: bool


# - db/s/config/initial_split_policy.h (6.0, 7.0): SplitPointsBasedSplitPolicy takes numInitialChunks, default
#   numShards * 2, and deals max(numInitialChunks / numShards, 1) contiguous chunks to each of getAllShardIdsSorted().
# - db/s/config/initial_split_policy.cpp (8.0): one chunk per shard (gOneChunkPerShardEmptyCollectionWithHashedShardKey)
#   over getAllNonDrainingShardIdsShuffled(). The played router deals "shuffled" in reverse id order, one possible
#   shuffle, so that tests see the moves a real 8.0 may need.
# - manual, Release Notes for MongoDB 7.2, "Default Chunks Per Shard"; Compatibility Changes in MongoDB 7.2:
#   "numInitialChunks option removed" (still parsed and ignored, SERVER-83005).
# - s/catalog/type_chunk.cpp: onCurrentShardSince, which the 7.0 AutoMerger selects on
#   (db/s/balancer/auto_merger_policy.cpp); manual, "The AutoMerger": new in 7.0.
VERSION_RULES = {
    "6.0": VersionRules(2, True, "sorted", False, False),
    "7.0": VersionRules(2, True, "sorted", True, True),
    "8.0": VersionRules(1, False, "shuffled", True, True),
}


def family(version: str) -> str:
    """"6.0.14" -> "6.0": the row of VERSION_RULES a release follows."""
    return ".".join(version.split(".")[:2])


def hashed_split_points(chunks: int) -> list[int]:
    """The NumberLong split points of `chunks` initial chunks of a hashed key.

    InitialSplitPolicy::calculateHashedSplitPoints (db/s/config/initial_split_policy.cpp) walks out from 0
    in steps of (INT64_MAX / chunks) * 2, symmetrically, starting at 0 (even) or half a step (odd): the
    points are m * (INT64_MAX // chunks) for m = -(chunks - 2), -(chunks - 4), ..., chunks - 2.
    """
    step = INT64_MAX // chunks
    return [m * step for m in range(2 - chunks, chunks - 1, 2)]


def key_bound(key: dict, leading: dict, fill) -> dict:
    """A full shard-key document: the `leading` fields as given, every later field `fill` (MinKey or MaxKey)."""
    return {field: leading.get(field, fill) for field in key}


def global_min(key: dict) -> dict:
    return {field: MinKey() for field in key}


def global_max(key: dict) -> dict:
    return {field: MaxKey() for field in key}


def deal(shards: list[str], order: str) -> list[str]:
    return sorted(shards) if order == "sorted" else sorted(shards, reverse=True)


def hashed_layout(version: str, key: dict, shards: list[str], num_initial_chunks: int = 0) -> list[tuple]:
    """(min, max, shard) of an empty collection whose first key field is hashed, without zones. (6.0/7.0 put
    chunk 0 on the primary shard when there are fewer chunks than shards: never asked here, not played.)"""
    rules = VERSION_RULES[version]
    count = (num_initial_chunks if num_initial_chunks and rules.honours_num_initial_chunks
             else len(shards) * rules.hashed_chunks_per_shard)
    hashed = next(iter(key))
    edges = ([global_min(key)] + [key_bound(key, {hashed: Int64(p)}, MinKey()) for p in hashed_split_points(count)]
             + [global_max(key)])
    contiguous = max(count // len(shards), 1)
    dealt = deal(shards, rules.shard_order)
    return [(lo, hi, dealt[(i // contiguous) % len(dealt)]) for i, (lo, hi) in enumerate(zip(edges, edges[1:]))]


def zoned_layout(version: str, key: dict, shards: list[str], zones: list[dict], zone_shards: dict,
                 presplit_hashed: bool) -> list[tuple]:
    """(min, max, shard) of an empty collection with zones, `zones` sorted by min.

    AbstractTagsBasedSplitPolicy::createFirstChunks (db/s/config/initial_split_policy.cpp): a chunk per hole
    between zones, dealt round-robin over all shards; per zone, SingleChunkPerTagSplitPolicy makes one chunk,
    PresplitHashedZonesSplitPolicy splits the zone over the hashed field: each shard of the zone gets
    ceil(perShard / zones on that shard) chunks, perShard = 2 before 8.0 (numInitialChunks defaults to
    2 x shards with zones) and 1 from 8.0. Split points carry the zone's prefix, then the hashed value.
    """
    rules = VERSION_RULES[version]
    per_shard = rules.hashed_chunks_per_shard
    dealt = deal(shards, rules.shard_order)
    zones_on = {s: sum(s in zone_shards[z["tag"]] for z in zones) for s in shards}
    hashed = next(f for f, d in key.items() if d == "hashed")
    chunks, last, hole = [], global_min(key), 0
    for zone in zones:
        if zone["min"] != last:
            chunks.append((last, zone["min"], dealt[hole % len(dealt)]))
            hole += 1
        owners = zone_shards[zone["tag"]]
        if presplit_hashed:  # ceil(per_shard / zones on the shard) chunks on each shard of the zone
            spread = [(s, -(-per_shard // zones_on[s])) for s in owners]
        else:
            spread = [(owners[0], 1)]
        total = sum(n for _, n in spread)
        prefix = {f: v for f, v in zone["min"].items() if list(key).index(f) < list(key).index(hashed)}
        points = [key_bound(key, dict(prefix, **{hashed: Int64(p)}), MinKey()) for p in hashed_split_points(total)]
        edges = [zone["min"]] + points + [zone["max"]]
        pieces = iter(zip(edges, edges[1:]))
        for shard, n in spread:
            chunks += [(lo, hi, shard) for lo, hi in (next(pieces) for _ in range(n))]
        last = zone["max"]
    if last != global_max(key):
        chunks.append((last, global_max(key), dealt[hole % len(dealt)]))
    return chunks


# The database's primary shard: "the shard with the least amount of data" when the database is created
# (manual, "Primary Shard"); all are empty here, and the played router takes the last one, so that a
# ranged key's single chunk starts away from the first shard and the product's moves are exercised.
def primary_shard(shards: list[str]) -> str:
    return sorted(shards)[-1]


@dataclass(frozen=True)
class Answer:
    """A refusal as the server words it; code None: the server answers ok: 0 with an errmsg only."""

    code: Optional[int]
    code_name: str
    errmsg: str  # str.format template
    source: str

    def reply(self, **values) -> dict:
        doc = {"ok": 0.0, "errmsg": self.errmsg.format(**values)}
        if self.code is not None:
            doc.update(code=self.code, codeName=self.code_name)
        return doc


# Codes and names: base/error_codes.yml; a numeric uassert location is answered as "Location<code>".
ALREADY_SHARDED = Answer(
    23, "AlreadyInitialized", "sharding already enabled for collection {ns}",
    "db/s/create_collection_coordinator.cpp, _checkIfCollectionAlreadyShardedWithSameOptions: same key, unique "
    "and collation answer ok (jstests/sharding/shard_collection_basic.js, 'Test shardCollection's idempotency')")
DDL_CONFLICT = Answer(
    117, "ConflictingOperationInProgress",
    "Another create collection with different arguments is already running for the same namespace",
    "db/s/create_collection_coordinator.cpp, checkIfOptionsConflict: an identical request joins the running one")
HASHED_UNIQUE = Answer(
    72, "InvalidOptions", "Hashed shard keys cannot be declared unique. It's possible to ensure uniqueness on the "
    "hashed field by declaring an additional (non-hashed) unique index on the field.",
    "db/s/create_collection_coordinator.cpp, _checkCommandArguments")
PRESPLIT_NEEDS_ZONES = Answer(
    31387, "Location31387", "'presplitHashedZones' is only supported when the collection is empty, zones are set up "
    "and shard key pattern has a hashed field", "db/s/config/initial_split_policy.cpp, PresplitHashedZonesSplitPolicy")
PRESPLIT_HASHED_PREFIX = Answer(
    31412, "Location31412", "For hashed prefix shard keys, 'presplitHashedZones' is only supported when there is a "
    "single zone defined which covers entire shard key range",
    "db/s/config/initial_split_policy.cpp, PresplitHashedZonesSplitPolicy::_validate")
SPLIT_AT_BOUNDARY = Answer(
    None, "", "new split key {middle} is a boundary key of existing chunk [{min},{max})",
    "s/commands/cluster_split_cmd.cpp (an errmsg command: no code)")
MOVE_TO_OWNER = Answer(
    72, "InvalidOptions", "Destination shard cannot be the same as source",
    "db/s/migration_source_manager.cpp; jstests concurrency workloads ignore it when moves race")
SHARD_NOT_FOUND = Answer(70, "ShardNotFound", "shard {shard} does not exist",
                         "db/s/config/sharding_catalog_manager_zone_operations.cpp, addShardToZone")
ZONE_NOT_FOUND = Answer(177, "ZoneNotFound", "zone {zone} does not exist",
                        "db/s/config/sharding_catalog_manager_zone_operations.cpp, assignKeyRangeToZone")
RANGE_OVERLAP = Answer(178, "RangeOverlapConflict", "Zone range: {range} is overlapping with existing: {existing}",
                       "db/s/balancer/balancer_policy.cpp, ZoneInfo::addRangeToZone (identical range and zone: ok)")
NOT_SHARDED = Answer(118, "NamespaceNotSharded", "{ns} is not sharded",
                     "s/catalog_cache.cpp, getShardedCollectionRoutingInfoWithRefresh")
NOT_PLAYED = Answer(1, "InternalError", "the played router does not model this: {what}",
                    "tests/routerplay: a situation no table here covers fails loudly instead of answering ok")


# The AutoMerger (manual, "The AutoMerger"; db/s/balancer/auto_merger_policy.cpp, db/s/config/
# sharding_catalog_manager_chunk_operations.cpp, commitMergeAllChunksOnShard): from 7.0, every
# autoMergerIntervalSecs while the balancer runs, per collection whose config.collections entry has not
# enableAutoMerge: false, noBalance or defragmentCollection, and per shard, each run of two or more
# contiguous non-jumbo chunks of that shard whose last migration is older than the snapshot history
# window becomes one chunk: lastmod one minor version up, onCurrentShardSince the newest of the run,
# history [{validAfter: that, shard}]. A played merge pass acts as if the interval and the window have passed.
def auto_merger_runs(version: str, balancer: dict, automerge: dict, collection: dict) -> bool:
    return (VERSION_RULES[version].auto_merger and balancer.get("mode", "full") != "off"
            and automerge.get("enabled", True) is not False and collection.get("enableAutoMerge") is not False
            and not collection.get("noBalance") and not collection.get("defragmentCollection"))


def mergeable_runs(chunks: list[dict]) -> list[list[dict]]:
    """The runs of two or more contiguous non-jumbo chunks among one shard's chunks, sorted by min."""
    runs, run = [], []
    for chunk in chunks:
        if chunk.get("jumbo") or (run and run[-1]["max"] != chunk["min"]):
            runs.append(run)
            run = []
        if not chunk.get("jumbo"):
            run.append(chunk)
    runs.append(run)
    return [r for r in runs if len(r) > 1]
