"""Spec + observed state -> an ordered Plan. Pure: no server is touched here.

    plan = diff(topology, observed, prune=False)

Order: balancer settings first (so manual moves are not fought over), then per
collection in spec order: create / collMod, zones, enableSharding,
shardCollection, splits and moves, index drops (--prune), createIndexes.
"""

from __future__ import annotations

from typing import Any

from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey

from ..bsonorder import tuple_key
from ..topology.model import Topology
from .indexes import MAJORITY, index_steps
from .layout import hashed_boundaries, key_document, owners, presplit_by_shares, shares_held
from .observe import Observed
from .steps import Difference, Plan, Refusal, Step
from .versions import Behaviour, behaviour_for

GRANULARITY_ORDER = ("seconds", "minutes", "hours")


def diff(topology: Topology, observed: Observed, *, prune: bool = False) -> Plan:
    behaviour = behaviour_for(observed.server)
    target = dict(kind=observed.kind, shards=observed.shard_ids, **observed.server.as_dict())
    plan = Plan(target=target, behaviour=behaviour.as_dict())
    index_sets = dict(topology.index_sets)
    if topology.balancer is not None:
        _balancer(plan, topology.balancer, observed)
    enabled = set(observed.sharded_databases)
    for database in topology.databases:
        for spec in database.collections:
            _collection(plan, database.name, spec, observed, behaviour, enabled, prune,
                        index_sets.get(spec.index_set, ()))
    return plan


# -- balancer ------------------------------------------------------------------
def _balancer(plan: Plan, wanted, observed: Observed) -> None:
    if observed.kind != "sharded":
        plan.notes.append(f"the target is a {observed.kind}: balancer settings apply only through a mongos")
        return
    have = observed.balancer or {"mode": "full", "window": None}
    running = have["mode"] != "off"
    if wanted.enabled != running:
        command: dict[str, Any] = {"balancerStart": 1} if wanted.enabled else {"balancerStop": 1}
        plan.steps.append(Step("balancer", "cluster", "admin", command,
                               f"{'start' if wanted.enabled else 'stop'} the balancer (now {have['mode']})"))
    window = {"start": wanted.window[0], "stop": wanted.window[1]} if wanted.window else None
    if window != have["window"]:
        update = {"$set": {"activeWindow": window}} if window else {"$unset": {"activeWindow": True}}
        command = {"update": "settings", "updates": [{"q": {"_id": "balancer"}, "u": update, "upsert": True}],
                   "writeConcern": MAJORITY}
        what = f"balancing window {window['start']}-{window['stop']}" if window else "no balancing window (any time)"
        plan.steps.append(Step("balancerWindow", "cluster", "config", command, f"set {what}"))


# -- one collection -------------------------------------------------------------
def _collection(plan, db, spec, observed, behaviour, enabled, prune, indexes) -> None:
    ns = f"{db}.{spec.name}"
    have = observed.collection(db, spec.name)
    sharded_target = observed.kind == "sharded"
    refused = len(plan.refusals)
    if spec.timeseries:
        _timeseries(plan, db, spec, have, behaviour)
    elif have is not None and have.type != "collection":
        plan.refusals.append(Refusal(ns, f"{ns} is a {have.type}; the spec declares a regular collection",
                                     "declare it with timeseries: {...} as it is, or rename it out of the way first"))
    elif have is None and not (sharded_target and spec.shard_key):
        plan.steps.append(Step("create", ns, db, {"create": spec.name, "writeConcern": MAJORITY}, f"create collection {ns}"))
    if len(plan.refusals) > refused:
        return
    if spec.shard_key:
        if sharded_target:
            _sharding(plan, db, spec, have, observed, behaviour, enabled, prune)
        else:
            plan.notes.append(f"{ns}: the target is a {observed.kind}; shard key {_shown(spec.shard_key)} is applied "
                              "only through a mongos")
    protected = set()
    if spec.shard_key:
        protected.add(tuple(spec.shard_key))
    if have is not None and have.shard_key:
        protected.add(tuple(have.shard_key.items()))
    if spec.timeseries and spec.timeseries.meta_field:
        protected.add(((spec.timeseries.meta_field, 1), (spec.timeseries.time_field, 1)))  # 6.3+ default index
    if spec.index_set:  # no index set: the spec says nothing about indexes, so they are left alone
        steps, differences = index_steps(db, spec.name, indexes, have.indexes if have else [],
                                         protected=protected, prune=prune)
        plan.steps += steps
        plan.differences += differences


def _shown(key) -> str:
    return "{" + ", ".join(f"{f}: {d}" for f, d in key) + "}"


# -- time-series -----------------------------------------------------------------
def _bucketing(options: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in options.items() if k.startswith("bucket")) or "no granularity"


def _timeseries(plan, db, spec, have, behaviour: Behaviour) -> None:
    ns, ts = f"{db}.{spec.name}", spec.timeseries
    options = {"timeField": ts.time_field}
    if ts.meta_field:
        options["metaField"] = ts.meta_field
    if ts.granularity:
        options["granularity"] = ts.granularity
    if have is None:
        command = {"create": spec.name, "timeseries": options}
        if ts.expire_after is not None:
            command["expireAfterSeconds"] = ts.expire_after
        command["writeConcern"] = MAJORITY
        plan.steps.append(Step("create", ns, db, command, f"create time-series collection {ns} "
                               f"(time {ts.time_field}, meta {ts.meta_field}, {ts.granularity or 'seconds'})"))
        return
    if have.type != "timeseries":
        copy = {"aggregate": spec.name, "pipeline": [{"$out": {"db": db, "coll": f"{spec.name}_ts", "timeseries": options}}],
                "cursor": {}}
        plan.refusals.append(Refusal(
            ns, f"{ns} exists as a {have.type}; MongoDB cannot turn it into a time-series collection in place",
            f"migrate: create {spec.name}_ts as time-series, copy the documents (the command shown, 7.0.3+; "
            f"or insert in batches), verify the counts, then rename {spec.name}_ts over {spec.name}",
            copy))
        return
    theirs = have.timeseries
    for label, mine, current in (("timeField", ts.time_field, theirs.get("timeField")),
                                 ("metaField", ts.meta_field, theirs.get("metaField"))):
        if mine != current:
            plan.refusals.append(Refusal(ns, f"{ns} has {label} {current!r}; the spec says {mine!r}, which cannot change",
                                         f"keep {label}: {current} in the spec, or migrate to a new collection"))
    if ts.granularity and not theirs.get("granularity"):
        plan.differences.append(Difference(ns, f"granularity {ts.granularity} wanted; the collection uses custom "
                                               f"bucketing ({_bucketing(theirs)})", "left as it is"))
    elif ts.granularity and ts.granularity != theirs["granularity"]:
        now, wanted = GRANULARITY_ORDER.index(theirs["granularity"]), GRANULARITY_ORDER.index(ts.granularity)
        if wanted > now or not behaviour.coarser_granularity_only:
            plan.steps.append(Step("collMod", ns, db, {"collMod": spec.name, "timeseries": {"granularity": ts.granularity},
                                                       "writeConcern": MAJORITY},
                                   f"coarsen granularity of {ns}: {theirs['granularity']} -> {ts.granularity}"))
        else:
            plan.refusals.append(Refusal(ns, f"{ns} has granularity {theirs['granularity']}; the server allows changing it "
                                         f"only to a coarser one, not to {ts.granularity}",
                                         f"keep granularity: {theirs['granularity']}, or migrate into a new collection"))
    current = have.options.get("expireAfterSeconds")
    if ts.expire_after != current:
        value = ts.expire_after if ts.expire_after is not None else "off"
        plan.steps.append(Step("collMod", ns, db, {"collMod": spec.name, "expireAfterSeconds": value, "writeConcern": MAJORITY},
                               f"set expireAfterSeconds of {ns}: {current} -> {value}"))


# -- sharding --------------------------------------------------------------------------
def _sharding(plan, db, spec, have, observed, behaviour: Behaviour, enabled: set, prune: bool) -> None:
    ns, key = f"{db}.{spec.name}", dict(spec.shard_key)
    shards = observed.shard_ids
    if have is not None and have.shard_key:
        if list(have.shard_key.items()) != list(key.items()):
            plan.refusals.append(Refusal(
                ns, f"{ns} is already sharded on {have.shard_key}; the spec says {key}",
                "changing a shard key rewrites the collection: run reshardCollection yourself (5.0+) when ready, "
                "or put the current key back in the spec", {"reshardCollection": ns, "key": key}))
            return
        _zones(plan, ns, spec, observed, prune)
        _under_split(plan, ns, spec, have, shards, behaviour)
        return
    if spec.presplit and have is not None and have.empty is False:
        plan.refusals.append(Refusal(ns, f"{ns} already holds documents; pre-splitting works only on an empty collection",
                                     "remove presplit from the spec (the balancer spreads chunks as data grows), "
                                     "or load the data after sharding"))
        return
    zoned_hashed_first = bool(spec.zones) and spec.shard_key[0][1] == "hashed"
    if spec.presplit and spec.presplit.chunks_per_shard and zoned_hashed_first and not _one_zone_over_everything(spec):
        plan.refusals.append(Refusal(
            ns, f"{ns}: chunks_per_shard with zones on a key whose first field is hashed needs a single zone over the "
                "whole key range (the server refuses presplitHashedZones otherwise)",
            "remove presplit (the zones place the chunks), or declare one zone from $minKey to $maxKey"))
        return
    _zones(plan, ns, spec, observed, prune)
    if behaviour.enable_sharding == "required" and db not in enabled:
        plan.steps.append(Step("enableSharding", db, "admin", {"enableSharding": db}, f"enable sharding on {db}",
                               behaviour="enableSharding is required before 6.0"))
        enabled.add(db)
    command: dict[str, Any] = {"shardCollection": ns, "key": key}
    hashed = [f for f, d in spec.shard_key if d == "hashed"]
    hashed_prefix = bool(hashed) and spec.shard_key[0][1] == "hashed"
    chosen, after = None, []
    per_shard = spec.presplit.chunks_per_shard if spec.presplit else None
    if per_shard and (spec.zones or not hashed_prefix):
        if not spec.zones:
            plan.refusals.append(Refusal(ns, f"{ns}: chunks_per_shard with a key whose hashed field is not first "
                                             f"({_shown(spec.shard_key)}) needs zones",
                                         "declare zones: [{zone, shards, min, max}] for the collection; "
                                         "they are created first and shardCollection uses presplitHashedZones"))
            return
        command["presplitHashedZones"] = True
        chosen = "presplitHashedZones: initial chunks follow the zones defined first"
    elif per_shard and behaviour.presplit == "numInitialChunks":
        command["numInitialChunks"] = per_shard * len(shards)
        chosen = (f"numInitialChunks {per_shard} x {len(shards)} shard(s): honoured by "
                  f"{observed.server.version or 'this version'}{_merging(behaviour)}")
    elif per_shard:
        boundaries = hashed_boundaries(spec.shard_key, per_shard * len(shards))
        after = _split_and_move(ns, spec.shard_key, boundaries, shards, behaviour)
        chosen = (f"split-and-move: numInitialChunks is ignored from 7.2 (the server makes "
                  f"{behaviour.default_hashed_chunks_per_shard} chunk(s) per shard); {len(boundaries)} NumberLong "
                  f"split points, then {behaviour.move_command}{_merging(behaviour)}")
    elif spec.presplit and spec.presplit.points:
        boundaries = [key_document(spec.shard_key, _key_values(dict(p), spec.shard_key)) for p in spec.presplit.points]
        after = _split_and_move(ns, spec.shard_key, boundaries, shards, behaviour)
        chosen = f"explicit split points, ranges spread over the shards with {behaviour.move_command}"
    plan.steps.append(Step("shardCollection", ns, "admin", command, f"shard {ns} on {_shown(spec.shard_key)}", behaviour=chosen))
    plan.steps += after


def _merging(behaviour: Behaviour) -> str:
    if behaviour.auto_merger != "left-on":
        return ""
    return ("; the AutoMerger (7.0+) is left on: it may later merge a shard's contiguous chunks, and the plan "
            "then checks each shard's share of the hashed range, not its chunk count")


def _one_zone_over_everything(spec) -> bool:
    """PresplitHashedZonesSplitPolicy::_validate (MongoDB server, db/s/config/initial_split_policy.cpp)."""
    if len(spec.zones) != 1:
        return False
    zone, key = spec.zones[0], spec.shard_key
    low = key_document(key, _key_values(dict(zone.min), key))
    high = key_document(key, _key_values(dict(zone.max), key))
    return (low == key_document(key, {}) and
            high == key_document(key, {key[0][0]: MaxKey()}))


def _under_split(plan, ns, spec, have, shards, behaviour) -> None:
    """A hashed pre-split holds while every shard holds its share of the range (versions.py: merged chunks pass)."""
    per_shard = presplit_by_shares(spec)
    if not per_shard:
        return
    counts = ", ".join(f"{s}: {have.chunks.get(s, 0)}" for s in shards)
    if shares_held(have.ranges, spec.shard_key, per_shard, shards):
        if any(have.chunks.get(s, 0) < per_shard for s in shards):
            merger = "the AutoMerger merges them from 7.0" if behaviour.auto_merger == "left-on" else "mergeChunks"
            plan.notes.append(f"{ns}: chunks per shard {counts}, fewer than the {per_shard} declared, but every shard "
                              f"holds its share of the hashed range, which is what pre-splitting is for (contiguous "
                              f"chunks of a shard merge: {merger}); nothing is split again")
        return
    if have.empty:
        boundaries = hashed_boundaries(spec.shard_key, per_shard * len(shards))
        plan.steps += _split_and_move(ns, spec.shard_key, boundaries, shards, behaviour)
        plan.notes.append(f"{ns} is sharded and empty but its chunks ({counts} per shard) do not give every shard "
                          f"its share of the hashed range: splitting and moving (what is already so is skipped)")
    else:
        plan.differences.append(Difference(
            ns, f"its chunks ({counts} per shard) do not give every shard {per_shard} of the "
                f"{per_shard * len(shards)} pre-split pieces of the hashed range",
            "it holds data, so it is not pre-split again; the balancer spreads data"))


def _split_and_move(ns, shard_key, boundaries, shards, behaviour) -> list:
    """Split at each boundary, then send each range to its shard (apply skips what is already so)."""
    steps = [Step("split", ns, "admin", {"split": ns, "middle": b}, f"split {ns} at {_bound(b)}") for b in boundaries]
    low = key_document(shard_key, {})
    high = key_document(shard_key, {shard_key[0][0]: MaxKey()})
    edges = [low] + list(boundaries) + [high]
    for (lo, hi), shard in zip(zip(edges, edges[1:]), owners(boundaries, shards)):
        if behaviour.move_command == "moveRange":
            command = {"moveRange": ns, "min": lo, "max": hi, "toShard": shard}
        else:
            command = {"moveChunk": ns, "bounds": [lo, hi], "to": shard}
        steps.append(Step("move", ns, "admin", command, f"move [{_bound(lo)}, {_bound(hi)}) of {ns} to {shard}",
                          behaviour=behaviour.move_command))
    return steps


def _bound(doc) -> str:
    """A key bound for people: `east`, or `(east, MinKey)` for a compound key."""
    def one(v):
        return "MinKey" if isinstance(v, MinKey) else "MaxKey" if isinstance(v, MaxKey) else str(v)
    shown = ", ".join(one(v) for v in doc.values())
    return f"({shown})" if len(doc) > 1 else shown


def _key_values(doc: dict, shard_key) -> dict:
    """YAML values for key fields: "$minKey"/"$maxKey" markers, NumberLong for hashed fields."""
    hashed = {f for f, d in shard_key if d == "hashed"}
    out = {}
    for field, value in doc.items():
        if value == "$minKey":
            value = MinKey()
        elif value == "$maxKey":
            value = MaxKey()
        elif field in hashed and isinstance(value, int) and not isinstance(value, bool):
            value = Int64(value)
        out[field] = value
    return out


def _zones(plan, ns, spec, observed, prune: bool) -> None:
    """Ranges the spec no longer declares first: removed with --prune (updateZoneKeyRange with zone
    null), otherwise reported, or refused when a declared range would overlap one (the server rejects
    overlapping ranges). Then per declared zone: its shards, its range."""
    wanted = [{"zone": zone.zone, "min": key_document(spec.shard_key, _key_values(dict(zone.min), spec.shard_key)),
               "max": key_document(spec.shard_key, _key_values(dict(zone.max), spec.shard_key))} for zone in spec.zones]
    have = observed.zones.get(ns, [])
    missing = [w for w in wanted if not any(_same_range(w, z) for z in have)]
    for stale in (z for z in have if not any(_same_range(z, w) for w in wanted)):
        shown = f"zone range {stale['zone']}: [{_bound(stale['min'])}, {_bound(stale['max'])}) of {ns}"
        if prune:
            plan.steps.append(Step("updateZoneKeyRange", ns, "admin",
                                   {"updateZoneKeyRange": ns, "min": stale["min"], "max": stale["max"], "zone": None},
                                   f"remove {shown} (not in the spec)"))
        elif any(_overlap(stale, w) for w in missing):
            plan.refusals.append(Refusal(ns, f"{shown} is not in the spec and overlaps a range the spec declares",
                                         "apply --prune removes ranges the spec no longer declares first"))
        else:
            plan.differences.append(Difference(ns, f"{shown} is not in the spec", "apply --prune removes it"))
    added = set()
    for zone, declared in zip(spec.zones, wanted):
        for shard in zone.shards:
            if zone.zone not in observed.zones_of(shard) and (shard, zone.zone) not in added:
                added.add((shard, zone.zone))
                plan.steps.append(Step("addShardToZone", "cluster", "admin", {"addShardToZone": shard, "zone": zone.zone},
                                       f"add shard {shard} to zone {zone.zone}"))
        if declared in missing:
            plan.steps.append(Step("updateZoneKeyRange", ns, "admin",
                                   {"updateZoneKeyRange": ns, "min": declared["min"], "max": declared["max"],
                                    "zone": zone.zone},
                                   f"zone {zone.zone}: [{_bound(declared['min'])}, {_bound(declared['max'])}) of {ns}"))


def _same_range(a: dict, b: dict) -> bool:
    return a["zone"] == b["zone"] and list(a["min"].items()) == list(b["min"].items()) \
        and list(a["max"].items()) == list(b["max"].items())


def _overlap(a: dict, b: dict) -> bool:
    """Half-open key ranges [min, max) overlap, in the server's BSON order."""
    return (tuple_key(a["min"].values()) < tuple_key(b["max"].values())
            and tuple_key(b["min"].values()) < tuple_key(a["max"].values()))
