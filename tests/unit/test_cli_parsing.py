"""The topology positional may be left out, and never swallows a flag: through `inv` and `shardsmith` alike."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
COMMANDS = {"shardsmith": [str(BIN / "shardsmith")], "inv": [str(BIN / "inv"), "-r", str(REPO)]}


def run(command: str, *argv: str, cwd: Path):
    return subprocess.run([*COMMANDS[command], *argv], cwd=cwd, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("command", COMMANDS)
def test_topology_left_out_falls_back_to_the_default(command, tmp_path):
    done = run(command, "status", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "topology file topology/local.yaml does not exist" in done.stderr
    assert "did not receive required positional" not in done.stderr + done.stdout


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("task", ["up", "lab.analyze", "data.load"])
def test_help_after_a_task_is_help_not_a_topology(command, task, tmp_path):
    done = run(command, task, "--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Usage:") and f" {task} [--options]" in done.stdout
