"""The migration's pure parts: which events the copy reflects, the _id merge of verify, plans, query results."""

from __future__ import annotations

import pytest
from bson.max_key import MaxKey
from bson.objectid import ObjectId
from bson.timestamp import Timestamp

from shardsmith.errors import ShardsmithError
from shardsmith.migrate.coverage import Coverage
from shardsmith.migrate.fingerprint import differences
from shardsmith.migrate.plan import plan_from_topology
from shardsmith.migrate.querymix import load_queries, same_results
from shardsmith.migrate.snapshot import token_time
from shardsmith.topology import parse_topology

T = Timestamp

# Three batches: (MinKey, 10] read at t=5, (10, 20] at t=7, (20, MaxKey] at t=9.
COPY = Coverage([(10, T(5, 0)), (20, T(7, 0)), (MaxKey(), T(9, 0))])


@pytest.mark.parametrize("doc_id, at, reflected", [
    (3, T(5, 0), True),  # in the first batch, at its snapshot time: already copied
    (3, T(5, 1), False),  # just after: not in the copy
    (10, T(5, 0), True),  # a batch's last _id belongs to it
    (11, T(6, 0), True),  # second batch read at 7: it saw the change at 6
    (11, T(8, 0), False),
    (500, T(9, 0), True),  # the last batch runs to MaxKey
    (500, T(9, 1), False),
    ("text", T(9, 0), True),  # strings sort after numbers: the last batch
    (ObjectId(), T(8, 0), True),
])
def test_an_event_is_reflected_exactly_when_its_batch_was_read_at_or_after_it(doc_id, at, reflected):
    assert COPY.reflects(doc_id, at) is reflected


def test_nothing_is_reflected_before_a_copy():
    assert Coverage([]).reflects(1, T(1, 0)) is False and Coverage([]).last_time is None


def test_the_merge_names_missing_extra_doubled_and_changed_ids():
    source = [{"_id": i, "v": i} for i in (1, 2, 3, 5, 7)]
    target = [{"_id": 1, "v": 1}, {"_id": 2, "v": 0}, {"_id": 2, "v": 0}, {"_id": 4}, {"_id": 5, "v": 5},
              {"_id": 7, "v": 7}, {"_id": 7, "v": 7}, {"_id": 8}]
    found = differences(source, target)
    assert (found.missing, found.extra, found.doubled, found.changed) == ([3], [4, 8], [2, 7], [2])
    assert differences(source, list(source)).as_dict() == {"missing": [], "extra": [], "doubled": [], "changed": []}


def test_the_merge_keeps_at_most_the_asked_examples():
    found = differences([{"_id": i} for i in range(100)], [], limit=3)
    assert found.missing == [0, 1, 2]


def test_a_resume_token_names_its_cluster_time():
    # Observed from MongoDB 6.0.5 (a change event at Timestamp(1796136370, 2)): KeyString type byte 130, then
    # seconds and increment big-endian (src/mongo/db/pipeline/resume_token.cpp, storage/key_string.cpp).
    assert token_time({"_data": "826B0EDDB2000000022B0229296E04"}) == T(1796136370, 2)
    with pytest.raises(ValueError):
        token_time({"_data": "3C00"})


SPEC = """
name: plan-test
replica_set: {name: rs0, members: 1}
databases:
  app:
    collections:
      a_ts: {timeseries: {time_field: at, meta_field: session}}
      b_ts: {timeseries: {time_field: at}}
    rolling:
      monthly: {period: monthly}
"""


def test_the_plan_takes_the_target_shape_from_the_topology():
    topology = parse_topology(SPEC, "plan.yaml")
    plan = plan_from_topology(topology, "app.events", "timeseries", target="a_ts")
    assert (plan.time_field, plan.meta_field, plan.key) == ("at", "session", "events->a_ts")
    assert plan.timeseries_options() == {"timeField": "at", "metaField": "session"}
    rolling = plan_from_topology(topology, "app.events", "rolling", time_field="createdAt")
    assert (rolling.target, rolling.time_field, rolling.target_label) == (
        "monthly", "createdAt", "app.monthly_YYYY_MM (monthly)")


@pytest.mark.parametrize("source, to, target, message", [
    ("events", "timeseries", None, "not DB.COLLECTION"),
    ("app.events", "columns", None, "is not one of timeseries, rolling"),
    ("other.events", "rolling", None, "database 'other' is not in plan.yaml"),
    ("app.events", "timeseries", None, r"several time-series collections .* \(a_ts, b_ts\)"),
    ("app.events", "timeseries", "c_ts", "none of the time-series collections in databases.app.collections of plan.yaml is named 'c_ts'"),
    ("app.a_ts", "timeseries", "a_ts", "is the source itself"),
])
def test_a_plan_that_cannot_be_is_refused(source, to, target, message):
    with pytest.raises(ShardsmithError, match=message):
        plan_from_topology(parse_topology(SPEC, "plan.yaml"), source, to, target=target)


def test_results_are_the_same_whatever_the_order_and_the_rounding_of_sums():
    mine = [{"_id": {"day": 1}, "cost": 0.1 + 0.2, "n": 2}, {"_id": {"day": 2}, "cost": 1.0, "n": 1}]
    theirs = [{"n": 1, "cost": 1.0, "_id": {"day": 2}}, {"_id": {"day": 1}, "n": 2, "cost": 0.3}]
    assert same_results(mine, theirs)
    assert not same_results(mine, theirs[:1])
    assert not same_results(mine, [theirs[0], {"_id": {"day": 1}, "n": 3, "cost": 0.3}])


def test_queries_come_from_a_file_with_extended_json_values(tmp_path):
    path = tmp_path / "queries.yaml"
    path.write_text('- {name: recent, filter: {at: {$gte: {$date: "2024-01-01T00:00:00Z"}}}, limit: 5}\n'
                    '- {name: per user, pipeline: [{$group: {_id: $user, n: {$sum: 1}}}]}\n')
    recent, per_user = load_queries(path)
    assert recent.pipeline[0]["$match"]["at"]["$gte"].year == 2024 and recent.pipeline[-1] == {"$limit": 5}
    assert per_user.pipeline == [{"$group": {"_id": "$user", "n": {"$sum": 1}}}]
    path.write_text("- {name: neither}\n")
    with pytest.raises(ShardsmithError, match="needs a name and either a filter or a pipeline"):
        load_queries(path)
