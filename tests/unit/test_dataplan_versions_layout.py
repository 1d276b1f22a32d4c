"""Server-version behaviour as data, and the split-point arithmetic of pre-splitting."""

from __future__ import annotations

import pytest
from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey

from shardsmith.dataplan.layout import (
    INT64_MAX,
    hashed_boundaries,
    hashed_split_points,
    key_document,
    owners,
    shares_held,
)
from shardsmith.dataplan.versions import behaviour_for, parse_version
from shardsmith.errors import ShardsmithError
from tests.routerplay import rules


@pytest.mark.parametrize("version, wire, presplit, move, enable, merger", [
    ("5.0.26", 13, "numInitialChunks", "moveChunk", "required", "absent"),
    ("6.0.5", 17, "numInitialChunks", "moveRange", "optional", "absent"),
    ("7.0.12", 21, "numInitialChunks", "moveRange", "optional", "left-on"),
    ("7.2.0", 23, "split-and-move", "moveRange", "optional", "left-on"),
    ("8.0.4", 25, "split-and-move", "moveRange", "optional", "left-on"),
])
def test_behaviour_follows_the_reported_version(version, wire, presplit, move, enable, merger):
    behaviour = behaviour_for(parse_version(version, wire))
    assert (behaviour.presplit, behaviour.move_command, behaviour.enable_sharding) == (presplit, move, enable)
    assert behaviour.auto_merger == merger
    assert behaviour.as_dict()["since"] in ("5.0", "6.0", "7.0", "7.2")


@pytest.mark.parametrize("version", ["6.0.14", "7.0.12", "8.0.4"])
def test_default_chunks_per_shard_are_the_servers(version):
    behaviour = behaviour_for(parse_version(version, None))
    assert behaviour.default_hashed_chunks_per_shard == rules.VERSION_RULES[rules.family(version)].hashed_chunks_per_shard


@pytest.mark.parametrize("wire, major_minor", [(17, (6, 0)), (21, (7, 0)), (25, (8, 0)), (30, (8, 0))])
def test_wire_version_is_the_fallback_when_buildinfo_is_unreadable(wire, major_minor):
    assert parse_version(None, wire).major_minor == major_minor


def test_too_old_or_unknown_servers_are_user_errors():
    with pytest.raises(ShardsmithError, match="supports 5.0 and newer"):
        behaviour_for(parse_version("4.4.29", 9))
    with pytest.raises(ShardsmithError, match="cannot tell the server version"):
        parse_version(None, None)


@pytest.mark.parametrize("chunks", [1, 2, 3, 4, 6, 8, 9, 16, 17])
def test_hashed_split_points_are_the_servers(chunks):
    """On versions that honour numInitialChunks, presplitting either way must give the same chunks."""
    assert hashed_split_points(chunks) == rules.hashed_split_points(chunks)


@pytest.mark.parametrize("chunks", [2, 3, 4, 6, 8, 9, 16])
def test_hashed_split_points_cover_the_range_evenly(chunks):
    points = hashed_split_points(chunks)
    assert len(points) == chunks - 1 == len(set(points))
    assert points == sorted(points)
    assert all(-INT64_MAX <= p <= INT64_MAX for p in points)
    assert points == sorted(-p for p in points)  # symmetric around 0, as the server splits
    widths = [b - a for a, b in zip(points, points[1:])]
    assert not widths or max(widths) - min(widths) <= 2


def test_split_points_for_one_chunk_per_shard_are_among_those_for_more_chunks():
    # 8.0 makes one chunk per shard itself; ours then only add boundaries (3 shards x 2)
    assert set(hashed_split_points(3)) <= set(hashed_split_points(6))
    assert set(hashed_split_points(2)) <= set(hashed_split_points(8))


def test_boundaries_are_numberlong_and_fill_the_rest_of_a_compound_key():
    key = (("sessionId", "hashed"), ("timestamp", 1))
    bounds = hashed_boundaries(key, 4)
    assert [list(b) for b in bounds] == [["sessionId", "timestamp"]] * 3
    assert all(isinstance(b["sessionId"], Int64) and isinstance(b["timestamp"], MinKey) for b in bounds)
    top = key_document(key, {"sessionId": MaxKey()})
    assert isinstance(top["timestamp"], MaxKey)


def test_owners_give_each_shard_a_contiguous_even_block():
    assert owners([1, 2, 3, 4, 5, 6, 7], ["a", "b"]) == ["a"] * 4 + ["b"] * 4
    assert owners([1, 2, 3, 4, 5], ["a", "b", "c"]) == ["a", "a", "b", "b", "c", "c"]


KEY = (("sessionId", "hashed"),)


def chunks_of(layout):
    return [{"min": lo, "max": hi, "shard": shard} for lo, hi, shard in layout]


def test_a_merged_presplit_still_holds_every_shards_share():
    declared = rules.hashed_layout("7.0", {"sessionId": "hashed"}, ["a", "b"], num_initial_chunks=8)
    assert shares_held(chunks_of(declared), KEY, 4, ["a", "b"])
    halves = chunks_of(rules.hashed_layout("7.0", {"sessionId": "hashed"}, ["a", "b"], num_initial_chunks=2))
    assert shares_held(halves, KEY, 4, ["a", "b"])  # what the AutoMerger leaves of the eight: one chunk per shard


def test_a_range_across_shards_or_a_shard_with_more_than_its_share_does_not():
    eight = chunks_of(rules.hashed_layout("7.0", {"sessionId": "hashed"}, ["a", "b"], num_initial_chunks=8))
    eight[3]["shard"] = "b"  # one of a's pieces moved to b: b holds five
    assert not shares_held(eight, KEY, 4, ["a", "b"])
    thirds = chunks_of(rules.hashed_layout("7.0", {"sessionId": "hashed"}, ["a", "b", "c"], num_initial_chunks=3))
    assert shares_held(thirds, KEY, 2, ["a", "b", "c"])  # the sixths' points include the thirds'
    assert not shares_held(thirds, KEY, 4, ["a", "b", "c"])  # the twelfths' do not: two pieces lie across shards
    assert not shares_held([], KEY, 4, ["a", "b"])
