"""Run a TierSpec: hot -> warm -> cold, each move by age, under one lease, resumable."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from pymongo.database import Database
from pymongo.write_concern import WriteConcern

from ..errors import ShardsmithError
from ..progress import QUIET, Progress
from ..rolling import RollingCollections
from ..topology.model import Topology
from .checkpoint import Checkpoint, tier_lease
from .moves import MoveResult, OldestBatchMove, WarmDayMove
from .shape import WarmShape, day_of
from .targets import CollectionTarget, RollingTarget, TimeseriesTarget

MAJORITY = WriteConcern("majority")


def collection_info(db: Database, name: str) -> dict | None:
    found = list(db.list_collections(filter={"name": name}))
    return dict(found[0]) if found else None


def warm_shape(db: Database, name: str, info: dict) -> WarmShape:
    """The time-series collection's own timeField and metaField (the server's options, not the spec's)."""
    options = info.get("options", {}).get("timeseries", {})
    if not options.get("metaField"):
        raise ShardsmithError(f"{db.name}.{name} is a time-series collection without a metaField",
                              hint="the warm tier needs one (e.g. meta_field: metadata) to hold each session's fields")
    return WarmShape(time_field=options["timeField"], meta_field=options["metaField"])


def _target(db: Database, topology: Topology, stage, tier: str):
    if stage.rolling:
        return RollingTarget(RollingCollections.from_topology(db, topology, stage.rolling))
    info = collection_info(db, stage.collection)
    if info is None:
        raise ShardsmithError(f"tier {tier!r}: {db.name}.{stage.collection} does not exist",
                              hint="create it first (`inv data.apply` creates the spec's collections)")
    if info["type"] == "timeseries":
        return TimeseriesTarget(db, stage.collection, warm_shape(db, stage.collection, info))
    return CollectionTarget(db, stage.collection)


def _move(db: Database, topology: Topology, tier, source, target_stage, now: datetime, batch_size: int):
    if source.rolling:
        raise ShardsmithError(f"tier {tier.name!r}: rolling collections can only be the last (cold) stage")
    if source.keep is None:
        raise ShardsmithError(f"tier {tier.name!r}: stage {source.collection!r} has no `keep`",
                              hint="say how long documents stay there, e.g. keep: 7d")
    info = collection_info(db, source.collection)
    if info is None:
        return None  # nothing there, nothing to move
    target = _target(db, topology, target_stage, tier.name)
    checkpoint = Checkpoint(db, f"{tier.name}:{source.collection}->{target.name}")
    cutoff = now - timedelta(seconds=source.keep)
    collection = db.get_collection(source.collection, write_concern=MAJORITY)
    if info["type"] == "timeseries":
        if isinstance(target, TimeseriesTarget):
            raise ShardsmithError(f"tier {tier.name!r}: a time-series stage cannot feed another time-series stage")
        return WarmDayMove(collection, warm_shape(db, source.collection, info), target, checkpoint, day_of(cutoff),
                           batch_size=batch_size)
    return OldestBatchMove(collection, target, checkpoint, cutoff, batch_size=batch_size)


def run_tier(db: Database, topology: Topology, tier, *, now: datetime | None = None, batch_size: int = 1000,
             progress: Progress = QUIET) -> list[MoveResult]:
    """Move every document past its stage's `keep` one stage down; results per move."""
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ShardsmithError(f"batch size {batch_size!r} must be a whole number >= 1")
    now = now or datetime.now(timezone.utc)
    stages = [stage for stage in (tier.hot, tier.warm, tier.cold) if stage is not None]
    results = []
    with tier_lease(db, tier.name):
        for source, target in zip(stages, stages[1:]):
            move = _move(db, topology, tier, source, target, now, batch_size)
            if move is None:
                continue
            with progress.phase(f"tier {tier.name}: {move.source.name} -> {move.target.name}"):
                results.append(move.run(progress))
    return results
