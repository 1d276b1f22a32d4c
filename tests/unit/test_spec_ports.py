"""Ports are assigned deterministically: routers from base_port first, then members in order; explicit ports are kept and skipped."""

from __future__ import annotations

from shardsmith.topology import parse_topology

SHARDED = """
name: ports
deploy: {base_port: 40000}
config_servers: {name: cfg, members: 3}
shards:
  - name: shard01
    members: 2
  - name: shard02
    members:
      - {port: 40003}
      - {}
mongos: {count: 2}
"""


def ports(topology) -> dict:
    return {p.name: p.port for p in topology.processes}


def test_routers_first_then_members_in_order_skipping_explicit_ports():
    assert ports(parse_topology(SHARDED)) == {
        "mongos.1": 40000, "mongos.2": 40001,
        "cfg.1": 40002, "cfg.2": 40004, "cfg.3": 40005,  # 40003 is shard02.1's, written in the spec
        "shard01.1": 40006, "shard01.2": 40007,
        "shard02.1": 40003, "shard02.2": 40008,
    }


def test_assignment_is_the_same_every_time():
    assert ports(parse_topology(SHARDED)) == ports(parse_topology(SHARDED))


def test_explicit_port_equal_to_base_port_pushes_routers_along():
    text = SHARDED.replace("{port: 40003}", "{port: 40000}")
    assigned = ports(parse_topology(text))
    assert assigned["shard02.1"] == 40000
    assert assigned["mongos.1"] == 40001
    assert len(set(assigned.values())) == len(assigned)


def test_replica_set_without_base_port_starts_at_27017():
    topology = parse_topology("name: rs\nreplica_set: {name: rs0, members: 3}\n")
    assert ports(topology) == {"rs0.1": 27017, "rs0.2": 27018, "rs0.3": 27019}


def test_standalone_gets_base_port():
    topology = parse_topology("name: one\ndeploy: {base_port: 31000}\nstandalone: {}\n")
    assert topology.kind == "standalone"
    assert ports(topology) == {"standalone": 31000}


def test_no_routers_when_count_is_zero():
    topology = parse_topology(SHARDED.replace("count: 2", "count: 0"))
    assert topology.routers == ()
    assert ports(topology)["cfg.1"] == 40000
