"""What the user writes: query shapes (sort, limit, group), their concrete windows, and --indexes SET."""

from __future__ import annotations

import datetime

import pytest

from shardsmith.errors import ShardsmithError
from shardsmith.layoutlab import parse_lab_query, topology_index_set
from shardsmith.layoutlab.queries import concrete, default_queries
from shardsmith.topology import parse_topology

MOMENT = datetime.datetime(2024, 3, 10, 12, 0, 0)
DOC = {"sessionId": "s1", "timestamp": MOMENT, "costUsd": 0.5}


def test_a_time_window_is_half_open_and_ends_just_after_the_sampled_time():
    query = parse_lab_query({"name": "day", "eq": ["sessionId"], "range": {"timestamp": "1d"}})
    run = concrete(query, DOC, "timestamp")
    assert run.window == (MOMENT - datetime.timedelta(days=1), MOMENT + datetime.timedelta(milliseconds=1))
    assert run.match("timestamp") == {"sessionId": "s1", "timestamp": {"$gte": run.window[0], "$lt": run.window[1]}}


def test_sorts_end_in_id_and_groups_become_a_group_and_a_sort():
    last = concrete(parse_lab_query({"name": "last", "eq": ["sessionId"], "sort": {"timestamp": -1}, "limit": 20}),
                    DOC, "timestamp")
    assert list(last.sort.items()) == [("timestamp", -1), ("_id", -1)] and last.limit == 20 and not last.tail
    daily = concrete(parse_lab_query({"name": "daily", "range": {"timestamp": "7d"},
                                      "group": {"by": ["model"], "per": "day", "sum": ["costUsd"]}}), DOC, "timestamp")
    assert daily.tail == [{"$group": {"_id": {"model": "$model",
                                              "day": {"$dateTrunc": {"date": "$timestamp", "unit": "day"}}},
                                      "documents": {"$sum": 1}, "costUsd": {"$sum": "$costUsd"}}},
                          {"$sort": {"_id": 1}}]


@pytest.mark.parametrize("query, words", [
    ({"name": "q", "eq": ["a"], "sort": {"t": 2}}, "sort must map fields to 1 or -1"),
    ({"name": "q", "eq": ["a"], "limit": -1}, "limit must be a whole number"),
    ({"name": "q", "range": {"t": "1d"}, "group": {"by": ["m"], "per": "fortnight"}}, "group.per is 'fortnight'"),
    ({"name": "q", "range": {"t": "1d"}, "group": {"by": ["m"]}, "limit": 3}, "leave out sort and limit"),
    ({"name": "q", "range": {"t": "1d"}, "group": {"by": ["m"], "count": 1}}, "group takes by, per and sum"),
    ({"name": "q"}, "at least one of eq / range"),
])
def test_bad_query_shapes_say_what_is_wrong(query, words):
    with pytest.raises(ShardsmithError, match=words):
        parse_lab_query(query)


def test_the_default_mix_follows_the_series_field_and_what_the_documents_carry():
    names = [q.name for q in default_queries("timestamp", "sessionId", [{"model": "m", "costUsd": 1.0}])]
    assert names == ["by sessionId", "sessionId + 1 day", "time range 1 hour", "last 20 of a sessionId",
                     "per model per day (7 days)"]
    assert [q.name for q in default_queries("timestamp", None, [{"type": "user"}])] == ["time range 1 hour"]


def test_an_index_set_comes_from_the_topology_or_the_error_lists_the_sets():
    topology = parse_topology("name: t\nreplica_set: {members: 1}\nindex_sets:\n"
                              "  messages:\n    - {keys: {sessionId: 1, timestamp: 1}}\n", "t.yaml")
    assert [spec.keys for spec in topology_index_set(topology, "messages")] == [(("sessionId", 1), ("timestamp", 1))]
    with pytest.raises(ShardsmithError, match="no index set 'other' in t.yaml") as refused:
        topology_index_set(topology, "other")
    assert "index sets there: messages" in str(refused.value)
