"""`shardsmith lab.layout` through the door: JSON a script can read, the chart, and a refusal in one line."""

from __future__ import annotations

import json

from tests.cli_run import run


def test_layout_prints_json_and_writes_the_chart(replset, messages, client, tmp_path, capsys):
    chart = tmp_path / "layouts.png"
    code, out, err = run(capsys, "lab.layout", "--uri", replset.uri(), "--collection", messages.full_name,
                         "--meta-field", "sessionId", "--runs", "2", "--chart", chart, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["chart"] == str(chart) and chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert client["shardsmith_layoutlab"].list_collection_names(filter={"name": {"$regex": "^shardsmith_layoutlab_"}}) == []


def test_an_unknown_index_set_is_one_line_naming_the_known_ones(replset, messages, tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: l\nreplica_set: {}\nindex_sets:\n  mine: [{keys: {sessionId: 1}}]\n")
    code, _, err = run(capsys, "lab.layout", spec, "--uri", replset.uri(), "--collection", messages.full_name,
                       "--indexes", "theirs")
    assert code == 2 and "mine" in err and "Traceback" not in err
