"""mlaunch-style process selectors."""

from __future__ import annotations

import pytest

from shardsmith.errors import ShardsmithError
from shardsmith.selectors import select
from shardsmith.topology import parse_topology

SPEC = """
name: sel
config_servers: {members: 3}
shards:
  - {name: shard01, members: 3}
  - {name: shard02, members: 1}
mongos: {count: 2}
"""


@pytest.fixture(scope="module")
def topology():
    return parse_topology(SPEC, "sel.yaml")


def names(procs):
    return [p.name for p in procs]


@pytest.mark.parametrize("selector, expected", [
    ("cfg", ["cfg.1", "cfg.2", "cfg.3"]),
    ("shard01", ["shard01.1", "shard01.2", "shard01.3"]),
    ("shard01.2", ["shard01.2"]),
    ("mongos", ["mongos.1", "mongos.2"]),
    ("mongos.2", ["mongos.2"]),
])
def test_names_and_groups(topology, selector, expected):
    assert names(select(topology, selector)) == expected


def test_all_is_everything(topology):
    assert len(select(topology, "all")) == 3 + 3 + 1 + 2


def test_state_words_use_live_states(topology):
    states = {"shard01.1": "SECONDARY", "shard01.2": "PRIMARY", "shard01.3": "SECONDARY"}
    assert names(select(topology, "shard01.primary", states)) == ["shard01.2"]
    assert names(select(topology, "shard01.secondary", states)) == ["shard01.1", "shard01.3"]


def test_no_primary_is_a_clear_error(topology):
    with pytest.raises(ShardsmithError, match="shard01 has no primary"):
        select(topology, "shard01.primary", {"shard01.1": "DOWN"})


def test_unknown_selector_lists_choices(topology):
    with pytest.raises(ShardsmithError) as err:
        select(topology, "shard03")
    assert "shard01" in str(err.value) and "mongos" in str(err.value)
