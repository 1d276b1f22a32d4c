"""Read the data-plan half of a spec: databases, collections, index sets."""

from __future__ import annotations

import re

from .fields import Fields, type_name
from .model import (
    BalancerSpec,
    CollectionSpec,
    DatabaseSpec,
    IndexSpec,
    Presplit,
    RollingSpec,
    TierSpec,
    TierStage,
    TimeseriesSpec,
    ZoneRange,
)
from .problems import Problems

INDEX_VALUES = (1, -1, "hashed", "text", "2d", "2dsphere")
SHARD_KEY_VALUES = (1, "hashed")
GRANULARITIES = ("seconds", "minutes", "hours")
NAME = re.compile(r"^[A-Za-z0-9_-]+$")
CLOCK = re.compile(r"^([01]?\d|2[0-3]):[0-5]\d$")
COLLECTION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def read_keys(problems: Problems, path, value, allowed_values) -> tuple:
    """An ordered key document: {field: direction, ...} -> ((field, direction), ...)."""
    if not isinstance(value, dict) or not value:
        problems.add(path, f"must be a non-empty mapping of field: direction, not {type_name(value)}")
        return ()
    keys = []
    for field, direction in value.items():
        if direction not in allowed_values or isinstance(direction, bool):
            shown = ", ".join(repr(v) for v in allowed_values)
            problems.add(path + (field,), f"must be one of {shown}; got {direction!r}")
            continue
        keys.append((field, direction))
    return tuple(keys)


def freeze(value):
    """A YAML mapping or list as nested tuples, so frozen dataclasses can hold it ((key, value) pairs for maps)."""
    if isinstance(value, dict):
        return tuple((k, freeze(v)) for k, v in value.items())
    if isinstance(value, list):
        return tuple(freeze(v) for v in value)
    return value


def read_index_sets(problems: Problems, path, value) -> tuple:
    if value is None:
        return ()
    if not isinstance(value, dict):
        problems.add(path, f"must be a mapping of set name: list of indexes, not {type_name(value)}")
        return ()
    sets = []
    for name, entries in value.items():
        set_path = path + (name,)
        if not isinstance(entries, list) or not entries:
            problems.add(set_path, "must be a non-empty list of indexes such as {keys: {uuid: 1}}")
            continue
        indexes = []
        for i, entry in enumerate(entries):
            fields = Fields(problems, set_path + (i,), entry,
                            {"keys", "unique", "sparse", "name", "expire_after", "partial_filter"})
            partial = fields.mapping("partial_filter")
            indexes.append(IndexSpec(
                keys=read_keys(problems, fields.at("keys"), fields.data.get("keys"), INDEX_VALUES),
                unique=fields.bool("unique"),
                sparse=fields.bool("sparse"),
                name=fields.str("name"),
                expire_after=fields.duration("expire_after"),
                partial_filter=freeze(partial) if partial else None,
            ))
        sets.append((name, tuple(indexes)))
    return tuple(sets)


def read_timeseries(fields: Fields) -> TimeseriesSpec:
    return TimeseriesSpec(
        time_field=fields.str("time_field", "timestamp", required=True),
        meta_field=fields.str("meta_field"),
        granularity=fields.str("granularity", choices=GRANULARITIES),
        expire_after=fields.duration("expire_after"),
    )


def read_presplit(fields: Fields) -> Presplit:
    points = fields.list("points")
    for i, point in enumerate(points):
        if not isinstance(point, dict):
            fields.problems.add(fields.at("points") + (i,), f"must be a shard-key document, not {type_name(point)}")
    return Presplit(
        chunks_per_shard=fields.number("chunks_per_shard", None, minimum=1, maximum=8192),
        points=freeze(points),
    )


def read_zones(fields: Fields) -> tuple:
    """zones: [{zone: east, shards: [shard01], min: {region: "e"}, max: {region: "f"}}, ...]"""
    zones = []
    for i, entry in enumerate(fields.list("zones")):
        zone = Fields(fields.problems, fields.at("zones") + (i,), entry, {"zone", "shards", "min", "max"})
        shards = zone.list("shards")
        for j, shard in enumerate(shards):
            if not isinstance(shard, str):
                fields.problems.add(zone.at("shards") + (j,), f"must be a shard name, not {type_name(shard)}")
        bounds = {}
        for bound in ("min", "max"):
            bounds[bound] = zone.mapping(bound)
            if not bounds[bound]:
                fields.problems.add(zone.path, f"a zone range needs {bound}: a shard-key document")
        zones.append(ZoneRange(zone=zone.str("zone", required=True), min=freeze(bounds["min"]),
                               max=freeze(bounds["max"]), shards=tuple(str(s) for s in shards)))
    return tuple(zones)


def _clock(fields: Fields, key: str):
    """"23:00" (or 23:00 unquoted, which YAML 1.1 reads as 1380 minutes) -> "23:00"."""
    value = fields.data.get(key)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        value = "%02d:%02d" % divmod(value, 60)
    if not isinstance(value, str) or not CLOCK.match(value):
        fields.problems.add(fields.at(key) if key in fields.data else fields.path, f"{key} must be a time of day such as \"23:00\"")
        return None
    return value


def read_balancer(fields: Fields):
    """balancer: {enabled: true, window: {start: "23:00", stop: "06:00"}}; absent -> None (left alone)."""
    if not fields.data:
        return None
    window = None
    if fields.has("window"):
        sub = fields.sub("window", {"start", "stop"})
        window = (_clock(sub, "start"), _clock(sub, "stop"))
    return BalancerSpec(enabled=fields.bool("enabled", True), window=window)


def read_collection(problems: Problems, path, name, value, where) -> CollectionSpec:
    fields = Fields(problems, path, value, {"shard_key", "presplit", "indexes", "timeseries", "zones"})
    if not COLLECTION_NAME.match(name) or name.startswith("system."):
        problems.add(path, f"{name!r} is not a usable collection name")
    shard_key = None
    if fields.has("shard_key"):
        shard_key = read_keys(problems, fields.at("shard_key"), fields.data["shard_key"], SHARD_KEY_VALUES)
    spec = CollectionSpec(
        name=name,
        shard_key=shard_key,
        presplit=read_presplit(fields.sub("presplit", {"chunks_per_shard", "points"})) if fields.has("presplit") else None,
        index_set=fields.str("indexes"),
        timeseries=read_timeseries(fields.sub("timeseries", {"time_field", "meta_field", "granularity", "expire_after"}))
        if fields.has("timeseries") else None,
        zones=read_zones(fields),
    )
    where[id(spec)] = (tuple(path), fields.data)
    return spec


def read_rolling(problems: Problems, path, prefix, value, where) -> RollingSpec:
    fields = Fields(problems, path, value, {"period", "indexes", "retention"})
    spec = RollingSpec(
        prefix=prefix,
        period=fields.str("period", "monthly", choices=("monthly",)),
        index_set=fields.str("indexes"),
        retention=fields.number("retention", None, minimum=1),
    )
    where[id(spec)] = (tuple(path), fields.data)
    return spec


def read_tier(problems: Problems, path, name, value, where) -> TierSpec:
    fields = Fields(problems, path, value, {"hot", "warm", "cold"})
    stages = {}
    for stage in ("hot", "warm", "cold"):
        if not fields.has(stage):
            if stage == "hot":
                problems.add(path, "a tier needs a hot stage: hot: {collection: NAME, keep: 7d}")
            continue
        sub = fields.sub(stage, {"collection", "keep", "rolling"})
        stages[stage] = TierStage(collection=sub.str("collection"), keep=sub.duration("keep"), rolling=sub.str("rolling"))
        where[id(stages[stage])] = (sub.path, sub.data)
    spec = TierSpec(name=name, hot=stages.get("hot", TierStage()), warm=stages.get("warm"), cold=stages.get("cold"))
    where[id(spec)] = (tuple(path), fields.data)
    return spec


def read_databases(problems: Problems, path, value, where) -> tuple:
    if value is None:
        return ()
    if not isinstance(value, dict):
        problems.add(path, f"must be a mapping of database name: plan, not {type_name(value)}")
        return ()
    databases = []
    for db_name, body in value.items():
        db_path = path + (db_name,)
        if not NAME.match(db_name) or db_name in ("admin", "local", "config"):
            problems.add(db_path, f"{db_name!r} is not a database the data plan may manage")
        fields = Fields(problems, db_path, body, {"collections", "rolling", "tiers"})
        sections = {}
        for section, read in (("collections", read_collection), ("rolling", read_rolling), ("tiers", read_tier)):
            entries = fields.mapping(section)
            sections[section] = tuple(
                read(problems, fields.at(section) + (name,), name, entry, where) for name, entry in entries.items()
            )
        databases.append(DatabaseSpec(name=db_name, **sections))
    return tuple(databases)
