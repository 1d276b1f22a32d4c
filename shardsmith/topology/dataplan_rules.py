"""Cross-field rules for the data plan: collections, index sets, presplit, zones, tiers.

What mongos would refuse at apply time (a unique index not prefixed by the
shard key, two hashed fields, a time-series key on other fields ...) is
reported here, with the YAML path, before anything runs.
"""

from __future__ import annotations

from collections import Counter

from .model import Topology
from .problems import Problems
from .yamlpos import format_path

INDEX_SETS = ("index_sets",)


def check_data_plan(topology: Topology, problems: Problems, where: dict) -> None:
    index_sets = dict(topology.index_sets)
    for name, indexes in topology.index_sets:
        for i, index in enumerate(indexes):
            _check_index(index, INDEX_SETS + (name, i), problems)
    for database in topology.databases:
        collections = {c.name: c for c in database.collections}
        rolling = {r.prefix: r for r in database.rolling}
        for spec in database.collections:
            path, _ = where[id(spec)]
            _check_index_set_ref(spec.index_set, path, index_sets, problems)
            _check_collection(spec, path, index_sets.get(spec.index_set, ()), problems)
        for spec in database.rolling:
            path, _ = where[id(spec)]
            _check_index_set_ref(spec.index_set, path, index_sets, problems)
        for tier in database.tiers:
            _check_tier(tier, collections, rolling, problems, where)


def _check_index(index, path, problems: Problems) -> None:
    """What createIndexes refuses whatever the collection: two hashed fields, a unique hashed index."""
    hashed = [f for f, d in index.keys if d == "hashed"]
    if len(hashed) > 1:
        problems.add(path + ("keys",), f"an index may hold one hashed field; this one has {len(hashed)}: {', '.join(hashed)}")
    if hashed and index.unique:
        problems.add(path + ("unique",), "a hashed index cannot be unique")


def _check_index_set_ref(name, path, index_sets, problems) -> None:
    if name and name not in index_sets:
        known = ", ".join(sorted(index_sets)) or "none defined"
        problems.add(path + ("indexes",), f"index set {name!r} does not exist in index_sets (known: {known})")


def _where_index(problems: Problems, set_name, i) -> str:
    """`index_sets.X[i]` and its line, so a message can point at the index itself."""
    path = INDEX_SETS + (set_name, i)
    line = problems.located.line_of(path)
    return f"{format_path(path)} (line {line})" if line else format_path(path)


def _check_collection(spec, path, indexes, problems: Problems) -> None:
    key = spec.shard_key or ()
    key_path = path + ("shard_key",)
    hashed = [f for f, d in key if d == "hashed"]
    if len(hashed) > 1:
        problems.add(key_path, f"a shard key may hold one hashed field; this one has {len(hashed)}: {', '.join(hashed)}")
    if spec.timeseries:
        _check_timeseries(spec, path, indexes, problems)
    elif spec.presplit:
        _check_presplit(spec, path, problems)
    if spec.zones:
        _check_zones(spec, path, problems)
    if key:
        fields = [f for f, _ in key]
        for i, index in enumerate(indexes):
            index_fields = [f for f, _ in index.keys]
            if index.unique and index_fields[: len(fields)] != fields and index_fields != ["_id"]:
                problems.add(path + ("indexes",),
                             f"unique index {dict(index.keys)} at {_where_index(problems, spec.index_set, i)} does not start "
                             f"with the shard key {dict(key)}; MongoDB refuses it on a sharded collection "
                             "(make it non-unique or prefix it with the key)")


def _check_timeseries(spec, path, indexes, problems: Problems) -> None:
    ts, key, key_path = spec.timeseries, spec.shard_key or (), path + ("shard_key",)
    allowed = {ts.time_field} | ({ts.meta_field} if ts.meta_field else set())
    for position, (field, direction) in enumerate(key):
        if field not in allowed and not (ts.meta_field and field.startswith(ts.meta_field + ".")):
            problems.add(key_path + (field,), f"a time-series shard key may use only the metaField ({ts.meta_field or 'none set'}) "
                                              f"or its subfields, or the timeField ({ts.time_field})")
        elif field == ts.time_field and (position != len(key) - 1 or direction != 1):
            problems.add(key_path + (field,), f"the timeField {field!r} may only be the last field of the shard key, ascending (1)")
    if ts.meta_field == ts.time_field:
        problems.add(path + ("timeseries", "meta_field"), "meta_field must differ from time_field")
    if spec.presplit:
        problems.add(path + ("presplit",), "time-series collections cannot be pre-split (their chunks cannot be split or moved by hand)")
    for i, index in enumerate(indexes):
        for reason in timeseries_index_refusals(index, ts):
            problems.add(path + ("indexes",), f"index {_shown(index.keys)} at {_where_index(problems, spec.index_set, i)}: {reason}")


def timeseries_index_refusals(index, ts) -> list[str]:
    """Why createIndexes on a time-series collection (MongoDB 6.0) refuses `index`; [] when it takes it.

    From MongoDB 6.0's "Time Series Collection Limitations" page
    (https://www.mongodb.com/docs/v6.0/core/timeseries/timeseries-limitations/,
    secondary indexes) and the server's checks that enforce it
    (src/mongo/db/timeseries/timeseries_commands_conversion_helper.cpp,
    makeTimeseriesCreateIndexesCommand; timeseries_index_schema_conversion_functions.cpp,
    createBucketsSpecFromTimeseriesSpec): no text, unique or TTL indexes;
    sparse only on the time and meta fields; the timeField only ascending or
    descending; a measurement field only ascending, descending or 2dsphere
    (the metaField and its subfields take any type). Each case is checked
    against a real mongod 6.0.5 in tests/integration/test_timeseries_index_rules.py.
    """
    def is_meta(field: str) -> bool:
        return bool(ts.meta_field) and (field == ts.meta_field or field.startswith(ts.meta_field + "."))

    reasons = []
    if any(direction == "text" for _, direction in index.keys):
        reasons.append("text indexes are not supported on time-series collections")
    if index.unique:
        reasons.append("unique indexes are not supported on time-series collections")
    if index.expire_after is not None:
        reasons.append("TTL indexes (expire_after on an index) are not supported on time-series collections; "
                       "give the collection timeseries.expire_after instead")
    measurements = [field for field, _ in index.keys if field != ts.time_field and not is_meta(field)]
    if index.sparse and measurements:
        meta = f" or the metaField ({ts.meta_field})" if ts.meta_field else ""
        reasons.append(f"sparse indexes on a time-series collection are supported on the timeField ({ts.time_field})"
                       f"{meta} only, not on measurement fields ({', '.join(measurements)})")
    for field, direction in index.keys:
        if direction == "text" or is_meta(field):
            continue
        if field == "$**" or field.endswith(".$**"):
            reasons.append(f"wildcard indexes ({field}) are not supported on time-series collections")
        elif field == ts.time_field and direction not in (1, -1):
            reasons.append(f"the timeField {field!r} of a time-series collection can only be indexed ascending (1) "
                           f"or descending (-1), not {direction!r}")
        elif field != ts.time_field and direction not in (1, -1, "2dsphere"):
            reasons.append(f"a time-series collection's measurement field ({field!r}) can only be indexed 1, -1 or "
                           f"2dsphere, not {direction!r}")
    return reasons


def _shown(keys) -> str:
    return "{" + ", ".join(f"{field}: {direction}" for field, direction in keys) + "}"


def _check_zones(spec, path, problems: Problems) -> None:
    """A zone range is a range of shard-key values: no key, no zones; only key fields in the bounds."""
    if not spec.shard_key:
        problems.add(path + ("zones",), "zones need a shard_key: a zone is a range of shard-key values")
        return
    fields = [f for f, _ in spec.shard_key]
    for i, zone in enumerate(spec.zones):
        for bound in ("min", "max"):
            named = [name for name, _ in getattr(zone, bound)]
            if named != fields[: len(named)]:
                problems.add(path + ("zones", i, bound), f"a zone bound must name shard key fields in key order "
                                                          f"({', '.join(fields)}); got {', '.join(named) or 'nothing'}")


def _check_presplit(spec, path, problems: Problems) -> None:
    presplit, key = spec.presplit, spec.shard_key or ()
    split_path = path + ("presplit",)
    if not key:
        problems.add(split_path, "presplit needs a shard_key")
        return
    if presplit.chunks_per_shard and presplit.points:
        problems.add(split_path, "give either chunks_per_shard or points, not both")
    if not presplit.chunks_per_shard and not presplit.points:
        problems.add(split_path, "give chunks_per_shard (hashed keys) or points (ranged keys)")
    hashed = any(d == "hashed" for _, d in key)
    if presplit.chunks_per_shard and not hashed:
        problems.add(split_path + ("chunks_per_shard",), "chunks_per_shard needs a hashed shard key; give split points for a ranged key")
    fields = [f for f, _ in key]
    for i, point in enumerate(presplit.points):
        names = [k for k, _ in point] if isinstance(point, tuple) else []
        if names != fields:
            problems.add(split_path + ("points", i), f"a split point must name the shard key fields in order: {', '.join(fields)}")


def _check_tier(tier, collections, rolling, problems: Problems, where) -> None:
    path, _ = where[id(tier)]
    stages = [("hot", tier.hot), ("warm", tier.warm), ("cold", tier.cold)]
    if not tier.hot.collection:
        problems.add(path + ("hot",), "the hot stage needs a collection")
    if tier.warm:
        warm = collections.get(tier.warm.collection)
        if not tier.warm.collection:
            problems.add(path + ("warm",), "the warm stage needs a collection")
        elif warm is None:
            problems.add(path + ("warm", "collection"), f"collection {tier.warm.collection!r} is not declared under collections")
        elif not warm.timeseries:
            problems.add(path + ("warm", "collection"), f"the warm stage {tier.warm.collection!r} must be a time-series collection")
    if tier.cold:
        if not tier.cold.rolling:
            problems.add(path + ("cold",), "the cold stage needs rolling: NAME (an entry under rolling)")
        elif tier.cold.rolling not in rolling:
            problems.add(path + ("cold", "rolling"), f"rolling entry {tier.cold.rolling!r} does not exist in this database's rolling")
    kept = [(name, stage.keep) for name, stage in stages if stage and stage.keep is not None]
    for (a, keep_a), (b, keep_b) in zip(kept, kept[1:]):
        if keep_b <= keep_a:
            problems.add(path + (b, "keep"), f"{b}.keep must be longer than {a}.keep")
    names = [stage.collection for _, stage in stages if stage and stage.collection]
    for name, count in Counter(names).items():
        if count > 1:
            problems.add(path, f"collection {name!r} is used by two stages")

