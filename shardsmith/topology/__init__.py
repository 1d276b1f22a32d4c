"""Load a topology spec: YAML -> every problem found in one pass -> Topology.

    topology = load_topology("topology/local.yaml")   # raises SpecError
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from .cluster_reader import (
    read_auth,
    read_deploy,
    read_member,
    read_mongodb,
    read_replica_set,
    read_routers,
    read_storage,
)
from .dataplan_reader import read_balancer, read_databases, read_index_sets
from .dataplan_rules import check_data_plan
from .fields import Fields, type_name
from .model import Kind, Role, Topology
from .problems import Problem, Problems, SpecError
from .rules import check_host_names, check_network_exposure, check_ports, check_replica_sets
from .staging_reader import read_hosts, read_tls, read_users
from .staging_rules import check_placement, check_tls, check_users, spread
from .yamlpos import Located, format_path, load_located, load_located_file

__all__ = ["load_topology", "parse_topology", "Topology", "SpecError", "Problem"]

TOP_KEYS = {"name", "mongodb", "deploy", "auth", "storage", "config_servers", "shards", "mongos",
            "replica_set", "standalone", "databases", "index_sets", "balancer", "hosts", "tls", "users"}
SHARDED_KEYS = ("config_servers", "shards", "mongos")
CLUSTER_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def load_topology(path: str | Path) -> Topology:
    return build_topology(load_located_file(path))


def parse_topology(text: str, source: str = "<spec>") -> Topology:
    return build_topology(load_located(text, source))


def build_topology(located: Located) -> Topology:
    problems = Problems(located)
    _check_document(located, problems)
    top = Fields(problems, (), located.data, TOP_KEYS)
    where: dict = {}
    name = top.str("name", "shardsmith", required=True)
    if name and not CLUSTER_NAME.match(name):
        problems.add(("name",), f"{name!r} must be lowercase letters, digits, '-' or '_' (it names compose projects and folders)")
    kind, sets = _read_layout(top, problems, where)
    hosts = read_hosts(problems, top.data.get("hosts"))
    users, user_lines = read_users(problems, top.data.get("users"))
    deploy = read_deploy(top.sub("deploy", {"backend", "bind_ip", "base_port", "state_dir", "network",
                                            "expose_members", "allow_unauthenticated_network", "placement"}),
                         hosted=bool(hosts))
    topology = Topology(
        name=name,
        source=located.source,
        kind=kind,
        mongodb=read_mongodb(top.sub("mongodb", {"version", "image", "binaries"})),
        deploy=deploy,
        auth=read_auth(top.sub("auth", {"enabled", "keyfile", "root_user", "root_password_env"})),
        storage=read_storage(top.sub("storage", {"wiredtiger_cache"})),
        databases=read_databases(problems, ("databases",), top.data.get("databases"), where),
        index_sets=read_index_sets(problems, ("index_sets",), top.data.get("index_sets")),
        balancer=read_balancer(top.sub("balancer", {"enabled", "window"})),
        hosts=hosts,
        tls=read_tls(problems, top.data.get("tls"), located.source),
        users=users,
        spec_lines=_lines_kept(located, hosts, user_lines),
        **sets,
    )
    topology, raw_paths = _assign_ports(topology, deploy.base_port, where, spread(topology))
    check_replica_sets(topology, problems, where)
    check_ports(topology, problems, where, raw_paths)
    check_host_names(topology, problems, where)
    check_network_exposure(topology, problems, raw_paths)
    check_placement(topology, problems, where, raw_paths)
    check_tls(topology, problems)
    check_users(topology, problems)
    check_data_plan(topology, problems, where)
    problems.raise_if_any()
    return dataclasses.replace(topology, warnings=tuple(str(w) for w in problems.in_order(problems.warnings)))


def _check_document(located: Located, problems: Problems) -> None:
    """An empty file or a top level that is not a mapping: one clear problem, nothing more to read."""
    if located.data is None:
        problems.add((), "the spec is empty; start from topology/replset.yaml or topology/local.yaml", line=1)
    elif not isinstance(located.data, dict):
        problems.add((), f"the spec must be a mapping of keys (name:, replica_set: ...), not {type_name(located.data)}")
    else:
        return
    raise SpecError(problems.items)


def _check_one_shape(top: Fields, problems: Problems) -> None:
    """Each shape key after the first one written is reported where it stands."""

    def line(key: str) -> int:
        return problems.located.line_of((key,)) or 0

    sharded = [k for k in SHARDED_KEYS if top.has(k)]
    shapes = ([min(sharded, key=line)] if sharded else []) + [k for k in ("replica_set", "standalone") if top.has(k)]
    ordered = sorted(shapes, key=line)
    for extra in ordered[1:]:
        problems.add((extra,), f"{extra} cannot be combined with {ordered[0]}: give one cluster shape "
                               "(config_servers+shards+mongos, replica_set, or standalone)")


def _read_layout(top: Fields, problems: Problems, where: dict) -> tuple[Kind, dict]:
    """Which of the three shapes the spec describes, and its sets and routers."""
    sharded = [k for k in SHARDED_KEYS if top.has(k)]
    _check_one_shape(top, problems)
    if top.has("replica_set"):
        rs = read_replica_set(problems, ("replica_set",), top.data["replica_set"], role=Role.REPLSET, default_name="rs0", where=where)
        return Kind.REPLSET, {"replica_set": rs}
    if top.has("standalone"):
        member, explicit = read_member(problems, ("standalone",), top.data["standalone"], set_name=None, number=1, role=Role.STANDALONE)
        where[id(member)] = (("standalone",), explicit)
        return Kind.STANDALONE, {"standalone": member}
    if not sharded:
        problems.add((), "no cluster described: add config_servers, shards and mongos, or replica_set: {members: 3}, or standalone: {}")
        return Kind.STANDALONE, {}
    for needed in ("config_servers", "shards"):
        if not top.has(needed):
            problems.add((), f"a sharded cluster needs {needed}")
    config = None
    if top.has("config_servers"):
        config = read_replica_set(problems, ("config_servers",), top.data["config_servers"], role=Role.CONFIGSVR, default_name="cfg", where=where)
    raw_shards = top.list("shards")
    if top.has("shards") and not raw_shards:
        problems.add(("shards",), "a sharded cluster needs at least one shard")
    shards = tuple(
        read_replica_set(problems, ("shards", i), entry, role=Role.SHARDSVR, default_name=None, where=where)
        for i, entry in enumerate(raw_shards)
    )
    routers = read_routers(top.sub("mongos", {"count", "args", "host", "hosts"}))
    return Kind.SHARDED, {"config_servers": config, "shards": shards, "routers": routers}


def _lines_kept(located: Located, hosts: tuple, user_lines: dict) -> tuple:
    """Lines of the keys whose problems show only when the cluster is used: addresses, password variables."""
    lines = dict(user_lines)
    for path in [("deploy", "bind_ip"), ("tls",)] + [("hosts", h.name, "address") for h in hosts]:
        line = located.line_of(path)
        if line:
            lines[format_path(path)] = line
    return tuple(sorted(lines.items()))


def _assign_ports(topology: Topology, base_port: int, where: dict, placed: dict):
    """Routers first from base_port, then members in order; explicit ports are kept and skipped.

    `placed` gives processes without a `host:` the one `placement: spread` chose.
    """
    explicit = {m.port for m in topology.members if m.port}
    next_port = base_port
    raw_paths: dict = {}

    def take(proc):
        nonlocal next_port
        raw_paths[proc.name] = where.get(id(proc), (("mongos",), {}))
        if proc.name in placed:
            proc = dataclasses.replace(proc, host=placed[proc.name])
        if proc.port:
            return proc
        while next_port in explicit:
            next_port += 1
        port, next_port = next_port, next_port + 1
        return dataclasses.replace(proc, port=port)

    routers = tuple(take(r) for r in topology.routers)
    renumbered = {}
    for member in topology.members:
        renumbered[id(member)] = take(member)
        where[id(renumbered[id(member)])] = where[id(member)]

    def rebuild(rs):
        if rs is None:
            return None
        new = dataclasses.replace(rs, members=tuple(renumbered[id(m)] for m in rs.members))
        where[id(new)] = where[id(rs)]
        return new

    topology = dataclasses.replace(
        topology,
        routers=routers,
        config_servers=rebuild(topology.config_servers),
        shards=tuple(rebuild(s) for s in topology.shards),
        replica_set=rebuild(topology.replica_set),
        standalone=renumbered.get(id(topology.standalone)) if topology.standalone else None,
    )
    return topology, raw_paths
