"""Server-version behaviour of the data plan, as data, keyed by what the target reports.

    behaviour = behaviour_for(version="8.0.4", wire_version=25)
    behaviour.presplit        # "split-and-move": numInitialChunks is ignored from 7.2

Every version difference the data plan cares about lives in BEHAVIOURS; the
plan records the entry it chose (`Plan.behaviour`), so a user can see why a
step is there. Sources: the shardCollection, moveRange, "The AutoMerger" and
7.2 compatibility pages of the MongoDB manual.

The AutoMerger (7.0+) is left on, and a pre-split collection is checked by
shares, not by chunk count. Pre-splitting gives every shard its share of an
empty collection's hashed key range before the first insert. The AutoMerger
merges contiguous chunks of one shard, which leaves every range on the shard
it was on; and since 6.0.3 the balancer balances data size, not chunk counts
(manual: "Sharded Cluster Balancer"), so the chunk count per shard carries
nothing once the ranges are placed. Turning the AutoMerger off per collection
(configureCollectionBalancing enableAutoMerger: false) would keep the declared
count only by giving up what it is for: squashing the fragments that moves
leave over the life of the busiest collections, the ones that get pre-split.
So the plan cuts the hashed range into the declared chunks_per_shard x shards
pieces and is satisfied when every piece lies on one shard and every shard
holds chunks_per_shard pieces: a merged layout passes (a second apply after a
merge is empty); a piece across shards, or a shard with more than its share,
is split and moved again (empty collection) or reported (holding data). The
same check serves 5.0/6.0, where mergeChunks can merge by hand.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from ..errors import ShardsmithError

# maxWireVersion -> (major, minor), for targets whose buildInfo we may not read.
WIRE_VERSIONS = {13: (5, 0), 17: (6, 0), 18: (6, 1), 19: (6, 2), 20: (6, 3), 21: (7, 0),
                 22: (7, 1), 23: (7, 2), 24: (7, 3), 25: (8, 0)}
OLDEST = (5, 0)


@dataclass(frozen=True)
class Behaviour:
    """How this server version is driven; each field names the choice the plan makes."""

    since: tuple
    # presplit of an empty collection with a hashed-prefix key:
    #   "numInitialChunks": shardCollection honours it (total chunks, spread evenly by the server)
    #   "split-and-move": it is ignored (7.2+); split at NumberLong points, then move ranges
    presplit: str
    # moving a chunk by hand: "moveRange" (6.0+) or "moveChunk" (bounds form)
    move_command: str
    # enableSharding before shardCollection: "required" (< 6.0) or "optional" (6.0+: not sent)
    enable_sharding: str
    # chunks shardCollection makes per shard for an empty hashed collection when not told
    default_hashed_chunks_per_shard: int
    # granularity may only grow coarser through collMod (seconds -> minutes -> hours)
    coarser_granularity_only: bool = True
    # chunk merging by the server: "absent" (before 7.0) or "left-on" (7.0+ AutoMerger: pre-splits are
    # checked by each shard's share of the hashed range, which merging keeps; see the module docstring)
    auto_merger: str = "absent"
    note: str = ""

    def as_dict(self) -> dict:
        data = asdict(self)
        data["since"] = "%d.%d" % self.since
        return data


BEHAVIOURS = (
    Behaviour(since=(5, 0), presplit="numInitialChunks", move_command="moveChunk", enable_sharding="required",
              default_hashed_chunks_per_shard=2, note="5.0: enableSharding first; moveChunk with bounds"),
    Behaviour(since=(6, 0), presplit="numInitialChunks", move_command="moveRange", enable_sharding="optional",
              default_hashed_chunks_per_shard=2, note="6.0: enableSharding optional; moveRange available"),
    Behaviour(since=(7, 0), presplit="numInitialChunks", move_command="moveRange", enable_sharding="optional",
              default_hashed_chunks_per_shard=2, auto_merger="left-on",
              note="7.0: the AutoMerger merges contiguous chunks of a shard; pre-splits are checked by shares"),
    Behaviour(since=(7, 2), presplit="split-and-move", move_command="moveRange", enable_sharding="optional",
              default_hashed_chunks_per_shard=1, auto_merger="left-on",
              note="7.2+: numInitialChunks ignored (one chunk per shard); explicit split points and moveRange"),
)


@dataclass(frozen=True)
class ServerVersion:
    version: str  # as reported, e.g. "6.0.5"; "" when only the wire version was known
    wire_version: int
    major_minor: tuple

    def as_dict(self) -> dict:
        return {"version": self.version, "wire_version": self.wire_version,
                "major_minor": "%d.%d" % self.major_minor}


def parse_version(version: str | None, wire_version: int | None) -> ServerVersion:
    """The target's version from buildInfo's `version`, else from hello's maxWireVersion."""
    match = re.match(r"^(\d+)\.(\d+)", version or "")
    if match:
        major_minor = (int(match.group(1)), int(match.group(2)))
    elif wire_version in WIRE_VERSIONS:
        major_minor = WIRE_VERSIONS[wire_version]
    elif wire_version and wire_version > max(WIRE_VERSIONS):
        major_minor = WIRE_VERSIONS[max(WIRE_VERSIONS)]
    else:
        raise ShardsmithError(f"cannot tell the server version (buildInfo said {version!r}, wire version {wire_version})",
                              hint="check that the URI points at a mongod or mongos and the user may run buildInfo")
    return ServerVersion(version=version or "", wire_version=wire_version or 0, major_minor=major_minor)


def behaviour_for(server: ServerVersion) -> Behaviour:
    if server.major_minor < OLDEST:
        raise ShardsmithError(f"the target runs MongoDB {server.version or '%d.%d' % server.major_minor}; "
                              f"the data plan supports {OLDEST[0]}.{OLDEST[1]} and newer",
                              hint="upgrade the cluster, or apply the plan to a newer staging cluster with --uri")
    return [b for b in BEHAVIOURS if b.since <= server.major_minor][-1]
