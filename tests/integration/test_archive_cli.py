"""rotate, restore and cleanup through the Invoke tasks: JSON reports, exit 2 with a clear message on bad input."""

from __future__ import annotations

import json

import pytest

from tests.cli_run import run_data as run
from tests.crash.months import fill_months, fresh_database, uuids

SPEC = """
name: archive-cli
replica_set: {{name: rs0, members: 1}}
databases:
  {db}:
    rolling:
      messages: {{period: monthly, retention: 2}}
"""


@pytest.fixture
def db(replset, request):
    yield from fresh_database(replset, request, "archcli")


def test_rotate_restore_cleanup_tasks(db, replset, tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.format(db=db.name))
    written = fill_months(db, "messages", 600, months=3)
    common = (spec, "--uri", replset.uri(), "--archive-dir", tmp_path / "archive")

    code, _, err = run(capsys, "rotate", *common, "--keep", "0")
    assert code == 2 and "retention 0 must be a whole number of months >= 1" in err and "Traceback" not in err
    assert sorted(db.list_collection_names()) == sorted(written)

    code, out, err = run(capsys, "rotate", *common, "--as-of", "2024-03-10", "--json")  # retention 2: Feb, Mar stay
    assert code == 0, err
    rotated = json.loads(out)["rotated"]
    assert [(r["collection"], r["documents"]) for r in rotated] == [("messages_2024_01", len(written["messages_2024_01"]))]
    assert "messages_2024_01" not in db.list_collection_names()

    code, _, err = run(capsys, "restore", "2023-12", *common)
    assert code == 2 and "no archive" in err and "archived months: 2024-01" in err
    code, _, err = run(capsys, "restore", "2024-1", *common)
    assert code == 2 and "YYYY-MM" in err
    code, out, err = run(capsys, "restore", "2024-01", *common, "--json")
    assert code == 0, err
    assert json.loads(out)["inserted"] == len(written["messages_2024_01"])
    assert uuids(db["messages_2024_01"]) == written["messages_2024_01"]

    db["messages_2024_02"].delete_many({})
    code, out, err = run(capsys, "cleanup", spec, "--uri", replset.uri(), "--json")
    assert code == 0, err
    assert json.loads(out)["dropped"] == [f"{db.name}.messages_2024_02"]
