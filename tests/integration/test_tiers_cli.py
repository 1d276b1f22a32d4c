"""The tier task end to end: moves reported as JSON, every message in exactly one stage afterwards."""

from __future__ import annotations

import json

from tests.cli_run import run_data as run
from tests.crash.tiers_data import fill_hot, stage_documents, tiers_spec
from tests.integration.test_tiers import db  # noqa: F401 - the fixture


def test_tier_task_moves_and_reports(db, replset, tmp_path, capsys):  # noqa: F811
    spec = tmp_path / "tiers.yaml"
    tiers_spec(spec, db.name)
    originals = fill_hot(db, 800)
    code, out, err = run(capsys, "tier", spec, "--uri", replset.uri(), "--as-of", "2024-06-30", "--batch-size", "150",
                         "--json")
    assert code == 0, err
    moves = json.loads(out)["moves"]
    assert [(m["source"], m["target"]) for m in moves] == [("messages_current", "messages_timeseries"),
                                                            ("messages_timeseries", "messages_YYYY_MM")]
    assert moves[0]["moved"] == len(originals) - db.messages_current.count_documents({})
    assert moves[1]["moved"] == sum(db[n].count_documents({}) for n in ("messages_2024_01", "messages_2024_02",
                                                                         "messages_2024_03"))
    found = [d["uuid"] for d in stage_documents(db)]
    assert sorted(found) == sorted(d["uuid"] for d in originals)

    code, _, err = run(capsys, "tier", spec, "--uri", replset.uri(), "--batch-size", "0")
    assert code == 2 and "batch size 0" in err
    code, _, err = run(capsys, "tier", spec, "--uri", replset.uri(), "--as-of", "June")
    assert code == 2 and "--as-of 'June' is not a date" in err
