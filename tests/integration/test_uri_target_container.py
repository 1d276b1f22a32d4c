"""Any target cluster by URI: the real `shardsmith` program against a mongod in a container it did not start.

testcontainers runs the local image (tests/containers.py) as a 1-member
replica set; every task reaches it only through `--uri`. The plan/apply
tests and the data tests use their own databases, so they do not depend on
each other's order. The container is removed at the end of the module, pass
or fail.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pymongo import MongoClient

from shardsmith.rolling.naming import to_utc
from shardsmith.workload import generate_messages
from tests.cli_run import run
from tests.conftest import free_port_block
from tests.containers import foreign_replset
from tests.plugin import tools

pytestmark = pytest.mark.docker

SPEC = """\
name: foreign
replica_set: {{members: 1}}
databases:
  {database}:
    collections:
      sessions:
        indexes: sessions
    rolling:
      messages: {{period: monthly, indexes: messages}}
index_sets:
  sessions:
    - {{keys: {{sessionId: 1}}, unique: true}}
  messages:
    - {{keys: {{uuid: 1}}, unique: true}}
    - {{keys: {{sessionId: 1, timestamp: 1}}}}
"""
LOAD = {"messages": 2000, "months": 3, "seed": 1}
MONTHS = ("messages_2024_01", "messages_2024_02", "messages_2024_03")  # data.load starts in 2024-01 by default


def shardsmith(*argv: str) -> subprocess.CompletedProcess:
    """The installed `shardsmith` console script, as a user runs it."""
    script = Path(sys.executable).with_name("shardsmith")
    return subprocess.run([str(script), *argv], capture_output=True, text=True, timeout=120)


def write_spec(folder: Path, database: str) -> Path:
    path = folder / f"{database}.yaml"
    path.write_text(SPEC.format(database=database))
    return path


@pytest.fixture(scope="module")
def uri():
    with foreign_replset(tools.local_image()) as address:
        yield address


@pytest.fixture(scope="module")
def loaded(uri, tmp_path_factory):
    """`data.load` once through the console script; (spec path, completed process)."""
    spec = write_spec(tmp_path_factory.mktemp("load"), "uri_load")
    done = shardsmith("data.load", str(spec), "--uri", uri, "--messages", str(LOAD["messages"]),
                      "--months", str(LOAD["months"]), "--seed", str(LOAD["seed"]), "--json")
    return spec, done


def stored_counts(uri: str, database: str) -> dict:
    """Documents per collection, counted by pymongo on its own connection."""
    with MongoClient(uri) as client:
        db = client[database]
        return {name: db[name].count_documents({}) for name in sorted(db.list_collection_names())}


def test_plan_apply_and_an_empty_second_plan(uri, tmp_path, capsys):
    spec = write_spec(tmp_path, "uri_plan")
    code, out, err = run(capsys, "plan", str(spec), "--uri", uri, "--json")
    assert code == 0, err
    plan = json.loads(out)
    assert plan["target"]["kind"] == "replset" and plan["refusals"] == []
    # rolling months are created on demand, so only the plain collection and its index set are planned
    assert [(s["kind"], s["target"]) for s in plan["steps"]] == [("create", "uri_plan.sessions"),
                                                                ("createIndexes", "uri_plan.sessions")]
    assert plan["steps"][1]["command"]["indexes"] == [{"key": {"sessionId": 1}, "name": "sessionId_1", "unique": True}]
    assert stored_counts(uri, "uri_plan") == {}  # planning changed nothing

    code, out, err = run(capsys, "apply", str(spec), "--uri", uri)
    assert code == 0 and "applied: 2 step(s) done" in out, err
    with MongoClient(uri) as client:
        assert client.uri_plan.sessions.index_information()["sessionId_1"]["unique"] is True

    code, out, err = run(capsys, "plan", str(spec), "--uri", uri, "--json")
    assert code == 0 and json.loads(out)["steps"] == [], err
    code, out, err = run(capsys, "apply", str(spec), "--uri", uri, "--json")
    assert code == 0 and json.loads(out)["outcomes"] == [], err


def test_load_writes_every_message_into_its_month(uri, loaded):
    _, done = loaded
    assert done.returncode == 0, done.stderr
    counts = stored_counts(uri, "uri_load")
    expected = {name: 0 for name in MONTHS}
    for message in generate_messages(LOAD["messages"], LOAD["months"], LOAD["seed"]):
        expected[f"messages_{to_utc(message['timestamp']):%Y_%m}"] += 1
    assert counts == expected and sum(counts.values()) == LOAD["messages"]
    assert json.loads(done.stdout)["collections"] == counts
    with MongoClient(uri) as client:
        assert {"uuid_1", "sessionId_1_timestamp_1"} <= set(client.uri_load[MONTHS[1]].index_information())


def test_stats_totals_match_independent_counts(uri, loaded, capsys):
    spec, done = loaded
    assert done.returncode == 0, done.stderr
    code, out, err = run(capsys, "data.stats", str(spec), "--uri", uri, "--json")
    assert code == 0, err
    stats = json.loads(out)
    counts = stored_counts(uri, "uri_load")
    assert {row["collection"]: row["documents"] for row in stats["collections"]} == counts
    assert stats["total"]["documents"] == sum(counts.values()) == LOAD["messages"]
    assert stats["total"]["collections"] == len(counts)


def analyze(capsys, uri: str, collection: str, *extra: str) -> dict:
    code, out, err = run(capsys, "lab.analyze", "--uri", uri, "--collection", collection, "--key",
                         "{sessionId: hashed}", "--key", "{timestamp: 1}", "--shards", "2", "--json", *extra)
    assert code == 0, err
    return {key["key"]: key for key in json.loads(out)["keys"]}


def test_analyze_needs_nothing_but_the_uri(uri, loaded, tmp_path, monkeypatch, capsys):
    assert loaded[1].returncode == 0, loaded[1].stderr
    monkeypatch.chdir(tmp_path)  # no topology/local.yaml to fall back on
    documents = stored_counts(uri, "uri_load")[MONTHS[0]]
    keys = analyze(capsys, uri, f"uri_load.{MONTHS[0]}")
    assert list(keys) == ["{sessionId: hashed}", "{timestamp: 1}"]
    for key in keys.values():
        assert len(key["distribution"]) == 2 and sum(s["docs"] for s in key["distribution"]) == documents
    assert keys["{timestamp: 1}"]["cardinality"] > keys["{sessionId: hashed}"]["cardinality"]
    assert keys["{sessionId: hashed}"]["monotonicity"]["monotonic"] is False


def test_analyze_flags_timestamp_as_monotonic(uri, loaded, capsys):
    assert loaded[1].returncode == 0, loaded[1].stderr
    timestamp = analyze(capsys, uri, f"uri_load.{MONTHS[0]}")["{timestamp: 1}"]
    print("timestamp verdict:", timestamp["monotonicity"], timestamp["verdict"]["line"])
    assert timestamp["monotonicity"]["monotonic"] is True and timestamp["verdict"]["rating"] == "poor"


def test_unreachable_uri_exits_2_with_a_clear_message(tmp_path):
    spec = write_spec(tmp_path, "uri_nowhere")
    nowhere = f"mongodb://127.0.0.1:{free_port_block(1)}/?directConnection=true"
    done = shardsmith("plan", str(spec), "--uri", nowhere)
    assert done.returncode == 2, done.stderr
    assert f"cannot reach {nowhere}" in " ".join(done.stderr.split())
    assert "Traceback" not in done.stderr and done.stdout == ""
