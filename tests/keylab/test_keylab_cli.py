"""`inv lab.analyze` end to end on the real replica set: JSON, the PNG chart, and user errors (exit 2)."""

from __future__ import annotations

import json

import pytest
from invoke import Program

from shardsmith.invoke_tasks import namespace


def run(argv: list[str]) -> int:
    """Through the `inv` door: Invoke parses, the shared command runs."""
    try:
        Program(namespace=namespace, binary="inv").run(["inv", *argv])
    except SystemExit as exc:
        return exc.code or 0
    return 0


def test_analyze_prints_json_and_writes_the_chart(replset, messages_collection, tmp_path, capsys):
    chart = tmp_path / "keys.png"
    code = run(["lab.analyze", "--uri", replset.uri(), "--collection", messages_collection.full_name,
                "--key", "{sessionId: hashed}", "--key", "{timestamp: 1}", "--shards", "3", "--sample", "3000",
                "--query", "{name: by session, eq: [sessionId]}", "--chart", str(chart), "--json"])
    out = capsys.readouterr().out
    assert code == 0
    report = json.loads(out)
    assert [k["key"] for k in report["keys"]] == ["{sessionId: hashed}", "{timestamp: 1}"]
    assert all(len(k["distribution"]) == 3 for k in report["keys"]) and report["sample"] == 3000
    assert report["keys"][1]["verdict"]["rating"] == "poor"
    assert report["keys"][0]["targeting"][0]["max_shards"] == 1
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_analyze_prints_tables_and_verdicts(replset, messages_collection, capsys):
    code = run(["lab.analyze", "--uri", replset.uri(), "--collection", messages_collection.full_name,
                "--key", "{timestamp: 1}", "--shards", "2"])
    out = capsys.readouterr().out
    assert code == 0 and "(bytes) per shard" in out and "{timestamp: 1}: poor:" in out


@pytest.mark.parametrize("flags, message", [
    (["--collection", "nodot", "--key", "{a: 1}"], "name it as DB.COLL"),
    (["--collection", "keylab_tests.messages", "--key", "{a: -1}"], "1 or hashed"),
    (["--collection", "keylab_tests.messages", "--key", "{a: 1}", "--query", "{name: q}"], "at least one of"),
])
def test_user_errors_exit_2_with_the_reason(replset, messages_collection, capsys, flags, message):
    code = run(["lab.analyze", "--uri", replset.uri(), *flags])
    assert code == 2
    assert message in capsys.readouterr().err


def test_experiment_task_prints_json_through_a_played_router(capsys, played_mongod):
    from tests.keylab.played_lab_router import played_lab_router

    with played_lab_router("7.0.12", played_mongod) as router:
        code = run(["lab.experiment", "--uri", router.uri, "--collection", "app.messages", "--key", "{sessionId: hashed}",
                    "--query", "{name: by session, eq: [sessionId]}", "--json"])
    outcome = json.loads(capsys.readouterr().out)
    assert code == 0 and outcome["router_version"] == "7.0.12"
    assert outcome["keys"][0]["analyze_shard_key"]["cardinality"] == outcome["keys"][0]["ours"]["cardinality"]
    assert router.names.count("shardCollection") == 1 and router.names[-1] == "drop"
