"""`plan` and `apply` with --uri against a mongod that Shardsmith did not start (the staging case).

The tasks run as a command line in-process (tests/cli_run.py).
"""

from __future__ import annotations

import json

import pytest
from pymongo import MongoClient

from tests.cli_run import run
from tests.dataplan.outside_mongod import outside_replset

SPEC = """\
name: staging
replica_set: {members: 1}
databases:
  staging_app:
    collections:
      events:
        timeseries: {time_field: at, meta_field: source, granularity: minutes, expire_after: 7d}
      orders:
        indexes: orders
index_sets:
  orders:
    - {keys: {customer: 1, at: -1}}
"""


@pytest.fixture(scope="module")
def outside(tmp_path_factory):
    with outside_replset(tmp_path_factory.mktemp("outside")) as uri:
        yield uri


def test_plan_and_apply_by_uri_on_a_cluster_we_did_not_create(outside, tmp_path, capsys):
    spec = tmp_path / "staging.yaml"
    spec.write_text(SPEC)
    code, out, _ = run(capsys, "plan", str(spec), "--uri", outside, "--json")
    plan = json.loads(out)
    assert code == 0 and plan["format"] == 1 and plan["target"]["kind"] == "replset"
    assert [(s["n"], s["kind"], s["target"]) for s in plan["steps"]] == [
        (1, "create", "staging_app.events"), (2, "create", "staging_app.orders"), (3, "createIndexes", "staging_app.orders")]
    assert plan["steps"][0]["command"]["expireAfterSeconds"] == 7 * 86400

    code, out, _ = run(capsys, "apply", str(spec), "--uri", outside)
    assert code == 0 and "applied: 3 step(s) done" in out and "staging_app.events" in out
    with MongoClient(outside) as client:
        kinds = {c["name"]: c["type"] for c in client.staging_app.list_collections()}
        assert kinds["events"] == "timeseries" and kinds["orders"] == "collection"
        assert "customer_1_at_-1" in {i["name"] for i in client.staging_app.orders.list_indexes()}

    code, out, _ = run(capsys, "plan", str(spec), "--uri", outside)
    assert code == 0 and "nothing to do: the target matches the spec" in out
    code, out, _ = run(capsys, "apply", str(spec), "--uri", outside)
    assert code == 0 and "nothing to do: the target matches the spec" in out and "0 step(s) done" not in out
    code, out, _ = run(capsys, "apply", str(spec), "--uri", outside, "--json")
    assert code == 0 and json.loads(out)["outcomes"] == []


def test_refusals_exit_2_with_the_explanation_and_change_nothing(outside, tmp_path, capsys):
    with MongoClient(outside) as client:
        client.staging_refused.events.insert_one({"at": 1})
    spec = tmp_path / "refused.yaml"
    spec.write_text(SPEC.replace("staging_app", "staging_refused"))
    code, out, _ = run(capsys, "plan", str(spec), "--uri", outside)
    assert code == 2 and "refused" in out and "cannot turn it into a time-series collection in place" in out
    code, _, err = run(capsys, "apply", str(spec), "--uri", outside)
    assert code == 2 and "nothing was changed" in err and "Traceback" not in err
    with MongoClient(outside) as client:
        assert client.staging_refused.list_collection_names() == ["events"]


def test_a_plan_that_only_refuses_does_not_say_nothing_to_do(outside, tmp_path, capsys):
    with MongoClient(outside) as client:
        client.staging_only_refused.events.insert_one({"at": 1})
    spec = tmp_path / "refused.yaml"
    spec.write_text(SPEC.replace("staging_app", "staging_only_refused").split("      orders:")[0])
    code, out, _ = run(capsys, "plan", str(spec), "--uri", outside)
    assert code == 2 and "cannot turn it into a time-series collection in place" in out
    assert "nothing to do" not in out


def test_apply_on_a_replica_set_says_why_the_shard_key_was_not_applied(outside, tmp_path, capsys):
    spec = tmp_path / "sharded.yaml"
    spec.write_text(SPEC.replace("staging_app", "staging_notes").replace(
        "      orders:\n", "      orders:\n        shard_key: {customer: hashed}\n"))
    code, out, err = run(capsys, "apply", str(spec), "--uri", outside)
    assert code == 0, err
    assert "note: staging_notes.orders: the target is a replset; shard key {customer: hashed} is applied only " \
           "through a mongos" in " ".join(out.split())
    code, out, _ = run(capsys, "apply", str(spec), "--uri", outside)
    assert "nothing to do" in out and "shard key {customer: hashed} is applied only" in " ".join(out.split())


def test_a_time_series_index_set_the_server_refuses_stops_plan_and_apply_at_the_spec(outside, tmp_path, capsys):
    spec = tmp_path / "tstext.yaml"
    spec.write_text(SPEC.replace("staging_app", "staging_tstext").replace(
        "granularity: minutes, expire_after: 7d}\n", "granularity: minutes, expire_after: 7d}\n        indexes: events\n")
        + "  events:\n    - {keys: {source: 1, at: -1}}\n    - {keys: {message: text}}\n")
    for command in ("plan", "apply"):
        code, _, err = run(capsys, command, str(spec), "--uri", outside)
        assert code == 2 and "Traceback" not in err
        assert f"{spec}:8 databases.staging_tstext.collections.events.indexes: index {{message: text}} at " \
               "index_sets.events[1] (line 16): text indexes are not supported on time-series collections" in err
    with MongoClient(outside) as client:
        assert "staging_tstext" not in client.list_database_names()
