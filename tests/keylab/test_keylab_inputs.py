"""Candidate keys and query mixes as users write them, and query bounds in key space (no server)."""

from __future__ import annotations

import datetime

import pytest
from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey

from shardsmith.errors import ShardsmithError
from shardsmith.keylab import parse_key, parse_queries
from shardsmith.keylab.placement import hashed_split_points
from shardsmith.keylab.queries import hash_field, key_bounds, shards_touched


def test_keys_keep_their_order_and_kinds():
    key = parse_key("{sessionId: hashed, timestamp: 1}")
    assert key.fields == (("sessionId", "hashed"), ("timestamp", 1))
    assert key.hashed_prefix and key.label == "{sessionId: hashed, timestamp: 1}"
    assert not parse_key("{region: 1, sessionId: hashed}").hashed_prefix


@pytest.mark.parametrize("text, message", [
    ("{a: -1}", "value -1"), ("{a: hashed, b: hashed}", "more than one hashed"), ("[a]", "not a mapping"),
    ("{a: 1", "cannot read"), ("{$a: 1}", "bad field name"), ("{}", "not a mapping")])
def test_bad_keys_are_refused_with_the_reason(text, message):
    with pytest.raises(ShardsmithError, match=message):
        parse_key(text)


def test_queries_from_flags_and_a_file(tmp_path):
    path = tmp_path / "mix.yaml"
    path.write_text("- {name: by user, eq: [user_id]}\n- {name: cheap, range: {costUsd: 0.01}}\n")
    shapes = parse_queries(["{name: session day, eq: [sessionId], range: {timestamp: 1d}}"], str(path))
    assert [s.name for s in shapes] == ["session day", "by user", "cheap"]
    assert shapes[0].range == (("timestamp", datetime.timedelta(days=1)),) and shapes[2].range == (("costUsd", 0.01),)
    json_path = tmp_path / "mix.json"
    json_path.write_text('{"queries": [{"name": "by session", "eq": ["sessionId"]}]}')
    assert parse_queries((), str(json_path))[0].eq == ("sessionId",)


@pytest.mark.parametrize("text, message", [
    ("{eq: [a]}", "needs a name"), ("{name: x}", "at least one of"), ("{name: x, eq: [a], range: {a: 1d}}", "both"),
    ("{name: x, range: {t: soon}}", "range width"), ("{name: x, eq: a}", "list of field names"),
    ("{name: x, eq: [a], sort: 1}", "unknown query fields")])
def test_bad_queries_are_refused_with_the_reason(text, message):
    with pytest.raises(ShardsmithError, match=message):
        parse_queries([text])


def test_repeated_query_names_and_missing_files_are_refused(tmp_path):
    with pytest.raises(ShardsmithError, match="repeat"):
        parse_queries(["{name: a, eq: [x]}", "{name: a, eq: [y]}"])
    with pytest.raises(ShardsmithError, match="cannot read the query file"):
        parse_queries((), str(tmp_path / "missing.yaml"))


def test_hashed_split_points_cut_equal_ranges():
    points = hashed_split_points(4)
    assert points == [-(2**62), 0, 2**62] and all(isinstance(p, Int64) for p in points)
    assert hashed_split_points(1) == []


def test_query_bounds_pin_what_equality_pins():
    day = datetime.timedelta(days=1)
    when = datetime.datetime(2025, 3, 1)
    doc = {"sessionId": "s1", "timestamp": when, hash_field("sessionId"): 123}
    session_day = parse_queries(["{name: q, eq: [sessionId], range: {timestamp: 1d}}"])[0]
    time_only = parse_queries(["{name: q, range: {timestamp: 1d}}"])[0]
    compound = parse_key("{sessionId: 1, timestamp: 1}")
    assert key_bounds(compound, session_day, doc) == (("s1", when - day), ("s1", when))
    low, high = key_bounds(compound, time_only, doc)
    assert isinstance(low[0], MinKey) and isinstance(high[1], MaxKey)
    hashed = parse_key("{sessionId: hashed, timestamp: 1}")
    assert key_bounds(hashed, session_day, doc) == ((123,), (123,))
    splits = hashed_split_points(4)
    assert shards_touched(hashed, splits, session_day, doc) == 1
    assert shards_touched(hashed, splits, time_only, doc) == 4
