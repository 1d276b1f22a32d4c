"""What the key lab may ask of a router, by the version it reports; the one place these differences live.

    features = router_features(client)      # refuses a mongod and versions before 6.0
    features.distribution                   # "$shardedDataDistribution" (6.0.3+) or "$collStats"

Sources: the MongoDB manual pages of $shardedDataDistribution (new in 6.0.3)
and analyzeShardKey (new in 7.0).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import ShardsmithError


@dataclass(frozen=True)
class RouterFeatures:
    since: tuple
    distribution: str  # how documents and bytes per shard are read
    analyze_shard_key: bool  # the server's own key analysis can be shown beside ours
    version: str = ""


FEATURES = (
    RouterFeatures(since=(6, 0, 0), distribution="$collStats", analyze_shard_key=False),
    RouterFeatures(since=(6, 0, 3), distribution="$shardedDataDistribution", analyze_shard_key=False),
    RouterFeatures(since=(7, 0, 0), distribution="$shardedDataDistribution", analyze_shard_key=True),
)


def features_for(version: str) -> RouterFeatures:
    match = re.match(r"^(\d+)\.(\d+)\.?(\d+)?", version or "")
    if not match:
        raise ShardsmithError(f"cannot read the router's version {version!r}", hint="check the URI points at a mongos")
    numbers = tuple(int(part or 0) for part in match.groups())
    if numbers < FEATURES[0].since:
        raise ShardsmithError(f"the router runs MongoDB {version}; lab.experiment needs 6.0 or newer",
                              hint="run lab.analyze (any version), or experiment on a newer staging cluster")
    chosen = [f for f in FEATURES if f.since <= numbers][-1]
    return RouterFeatures(chosen.since, chosen.distribution, chosen.analyze_shard_key, version)


def router_features(client) -> RouterFeatures:
    """The features of the router `client` talks to; a ShardsmithError when it is not a router."""
    hello = client.admin.command("hello")
    if hello.get("msg") != "isdbgrid":
        raise ShardsmithError("lab.experiment needs a sharded cluster reached through a mongos; this is a mongod",
                              hint="point --uri at a mongos, or use lab.analyze, which needs no routers")
    return features_for(client.admin.command("buildInfo").get("version", ""))
