"""Cross-field rules: what MongoDB itself would refuse, caught before anything starts.

Each rule reads the (possibly partial) model and reports with the YAML path
of the offending entry, found through `where` (id(model object) -> (path, raw)).
"""

from __future__ import annotations

from collections import Counter

from .model import Topology
from .problems import Problems
from .yamlpos import format_path

MAX_VOTING = 7
MAX_MEMBERS = 50


def check_replica_sets(topology: Topology, problems: Problems, where: dict) -> None:
    seen: dict[str, tuple] = {}
    for rs in topology.replica_sets:
        path, _ = where[id(rs)]
        if rs.name in seen:
            problems.add(path + ("name",), f"replica set name {rs.name!r} is used twice (also at {format_path(seen[rs.name])})")
        seen.setdefault(rs.name, path)
        voters = [m for m in rs.members if m.votes]
        if len(rs.members) > MAX_MEMBERS:
            problems.add(path + ("members",), f"{len(rs.members)} members; a replica set holds at most {MAX_MEMBERS}")
        if len(voters) > MAX_VOTING:
            problems.add(path + ("members",), f"{len(voters)} voting members; at most {MAX_VOTING} may vote (set votes: 0 on the rest)")
        if not any(m.priority > 0 and m.votes and not m.arbiter for m in rs.members):
            problems.add(path + ("members",), "no member can become primary (every member is an arbiter, hidden, non-voting or priority 0)")
        elif len(voters) % 2 == 0:
            problems.add(path + ("members",), f"{len(voters)} voting members: an even count gains no fault tolerance; add a member or an arbiter", warning=True)
        for member in rs.members:
            check_member(member, rs.role, problems, where)


def check_member(member, role, problems: Problems, where: dict) -> None:
    path, explicit = where[id(member)]
    priority_path = path + ("priority",) if "priority" in explicit else path
    if member.arbiter and role == "configsvr":
        problems.add(path + ("arbiter",), "config-server replica sets cannot have arbiters")
    if member.secondary_delay and role == "configsvr":
        problems.add(path + ("secondary_delay",), "config-server replica sets cannot have delayed members")
    if member.priority > 0:
        for flag, why in ((member.arbiter, "an arbiter"), (member.hidden, "a hidden member"),
                          (member.secondary_delay, "a delayed member"), (member.votes == 0, "a non-voting member")):
            if flag:
                problems.add(priority_path, f"{why} must have priority 0")
                break
    if member.arbiter and (member.hidden or member.secondary_delay or member.tags):
        problems.add(path, "an arbiter holds no data: hidden, secondary_delay and tags do not apply")


def check_ports(topology: Topology, problems: Problems, where: dict, raw_paths: dict) -> None:
    owners: dict[int, str] = {}
    for proc in topology.processes:
        path = raw_paths.get(proc.name, ())
        if proc.port > 65535:
            problems.add(path, f"{proc.name} would get port {proc.port}, above 65535; lower deploy.base_port")
        if proc.port in owners:
            problems.add(path, f"port {proc.port} of {proc.name} is also used by {owners[proc.port]}")
        owners.setdefault(proc.port, proc.name)


def check_data_plan(topology: Topology, problems: Problems, where: dict, index_sets_path) -> None:
    index_sets = dict(topology.index_sets)
    for database in topology.databases:
        collections = {c.name: c for c in database.collections}
        rolling = {r.prefix: r for r in database.rolling}
        for spec in database.collections:
            path, _ = where[id(spec)]
            _check_index_set_ref(spec.index_set, path, index_sets, problems)
            _check_collection(spec, path, index_sets.get(spec.index_set, ()), problems, index_sets_path)
        for spec in database.rolling:
            path, _ = where[id(spec)]
            _check_index_set_ref(spec.index_set, path, index_sets, problems)
        for tier in database.tiers:
            _check_tier(tier, collections, rolling, problems, where)


def _check_index_set_ref(name, path, index_sets, problems) -> None:
    if name and name not in index_sets:
        known = ", ".join(sorted(index_sets)) or "none defined"
        problems.add(path + ("indexes",), f"index set {name!r} does not exist in index_sets (known: {known})")


def _check_collection(spec, path, indexes, problems: Problems, index_sets_path) -> None:
    key = spec.shard_key or ()
    key_path = path + ("shard_key",)
    hashed = [f for f, d in key if d == "hashed"]
    if len(hashed) > 1:
        problems.add(key_path, f"a shard key may hold one hashed field; this one has {len(hashed)}: {', '.join(hashed)}")
    if spec.timeseries:
        ts = spec.timeseries
        allowed = {ts.time_field} | ({ts.meta_field} if ts.meta_field else set())
        for field, _ in key:
            if field not in allowed and not (ts.meta_field and field.startswith(ts.meta_field + ".")):
                problems.add(key_path + (field,), f"a time-series shard key may use only the metaField ({ts.meta_field or 'none set'}) "
                                                  f"or its subfields, or the timeField ({ts.time_field})")
        if ts.meta_field == ts.time_field:
            problems.add(path + ("timeseries", "meta_field"), "meta_field must differ from time_field")
        if spec.presplit:
            problems.add(path + ("presplit",), "time-series collections cannot be pre-split (their chunks cannot be split or moved by hand)")
        for index in indexes:
            if index.unique:
                problems.add(path + ("indexes",), f"index set {spec.index_set!r} has a unique index {dict(index.keys)}; time-series collections support no unique indexes")
    if spec.presplit:
        _check_presplit(spec, path, problems)
    if key:
        fields = [f for f, _ in key]
        for index in indexes:
            index_fields = [f for f, _ in index.keys]
            if index.unique and index_fields[: len(fields)] != fields and index_fields != ["_id"]:
                problems.add(path + ("indexes",),
                             f"unique index {dict(index.keys)} in set {spec.index_set!r} does not start with the shard key "
                             f"{dict(key)}; MongoDB refuses it on a sharded collection (make it non-unique or prefix it with the key)")


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

