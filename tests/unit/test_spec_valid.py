"""The specs users are meant to write load cleanly: the shipped topologies, and the legal side of every rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from shardsmith.topology import SpecError, load_topology, parse_topology

ROOT = Path(__file__).resolve().parents[2]
# The design's example spec, copied verbatim into the repo: the spec language must keep loading it.
DESIGN_EXAMPLE = ROOT / "tests" / "fixtures" / "topology-example.yaml"


@pytest.mark.parametrize("name, kind, processes", [
    ("local.yaml", "sharded", 3 + 3 + 3 + 1), ("replset.yaml", "replset", 3), ("minimal.yaml", "sharded", 3),
    ("staging.yaml", "sharded", 3 + 3 + 3 + 3),
])
def test_shipped_topologies_load_without_warnings(name, kind, processes):
    topology = load_topology(ROOT / "topology" / name)
    assert topology.kind == kind
    assert len(topology.processes) == processes
    assert topology.warnings == ()
    assert topology.auth.enabled


def test_local_yaml_matches_the_design_example_shape():
    topology = load_topology(ROOT / "topology" / "local.yaml")
    assert [rs.name for rs in topology.replica_sets] == ["cfg", "shard01", "shard02"]
    assert len(topology.routers) == 1
    messages = topology.databases[0].collections[0]
    assert messages.shard_key == (("sessionId", "hashed"),)
    assert topology.databases[0].tiers[0].cold.rolling == "messages"


def test_the_design_example_loads_as_is():
    topology = load_topology(DESIGN_EXAMPLE)
    shard02 = topology.shards[1]
    assert [m.arbiter for m in shard02.members] == [False, False, True]
    assert shard02.members[0].priority == 2
    assert shard02.members[1].tags == (("dc", "east"),)


LEGAL = {
    "arbiter in a shard, passive members at priority 0": """
name: legal
config_servers: {members: 1}
shards:
  - name: shard01
    members:
      - {priority: 2}
      - {}
      - {hidden: true}
      - {secondary_delay: 1h, hidden: true, priority: 0}
      - {votes: 0, priority: 0}
      - {arbiter: true}
""",
    "seven voters among many members": """
name: legal
replica_set:
  name: rs0
  members: [{}, {}, {}, {}, {}, {}, {}, {votes: 0}, {votes: 0}]
""",
    "data plan on the right side of every rule": """
name: legal
replica_set: {members: 1}
databases:
  app:
    collections:
      messages:
        shard_key: {sessionId: hashed}
        presplit: {chunks_per_shard: 4}
        indexes: sharded
      orders:
        shard_key: {region: 1, orderId: 1}
        presplit: {points: [{region: m, orderId: 0}]}
        zones:
          - {zone: east, shards: [shard01], min: {region: a}, max: {region: m}}
      readings:
        timeseries: {time_field: ts, meta_field: meta, expire_after: 365d}
        shard_key: {meta.sensor: 1, ts: 1}
    rolling:
      messages: {period: monthly, indexes: standard, retention: 12}
    tiers:
      messages:
        hot: {collection: messages_current, keep: 7d}
        warm: {collection: readings, keep: 90d}
        cold: {rolling: messages}
index_sets:
  sharded:
    - {keys: {sessionId: 1, uuid: 1}, unique: true}
    - {keys: {token: hashed}}
  standard:
    - {keys: {uuid: 1}, unique: true}
""",
}


@pytest.mark.parametrize("case", sorted(LEGAL))
def test_legal_specs_load(case):
    try:
        topology = parse_topology(LEGAL[case], "legal.yaml")
    except SpecError as exc:
        pytest.fail(f"{case}: rejected a legal spec:\n{exc}")
    assert topology.warnings == ()


def test_members_default_to_priority_0_when_they_cannot_lead():
    topology = parse_topology(LEGAL["arbiter in a shard, passive members at priority 0"])
    assert [m.priority for m in topology.shards[0].members] == [2, 1, 0, 0, 0, 0]


def test_even_voter_warning_names_the_set_and_still_loads():
    topology = parse_topology("name: pair\nreplica_set: {name: rs0, members: 4}\n", "pair.yaml")
    assert topology.warnings == (
        "pair.yaml:2 replica_set.members: warning: 4 voting members: an even count gains no fault tolerance; "
        "add a member or an arbiter",
    )


def test_unquoted_float_version_is_read_as_major_minor():
    assert parse_topology("name: v\nmongodb: {version: 7.0}\nreplica_set: {members: 1}\n").mongodb.version == "7.0"


def test_missing_file_is_a_user_error(tmp_path):
    with pytest.raises(Exception) as raised:
        load_topology(tmp_path / "nope.yaml")
    assert getattr(raised.value, "exit_code", None) == 2
    assert "does not exist" in str(raised.value)
