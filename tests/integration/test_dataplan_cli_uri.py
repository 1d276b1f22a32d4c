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
