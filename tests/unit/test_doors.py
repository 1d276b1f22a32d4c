"""Both doors, `shardsmith` (argparse) and `inv` (Invoke), serve the same commands from one declaration.

Run as `python -m shardsmith` and `python -m invoke`: no installed console script is needed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shardsmith.commands import REGISTRY
from shardsmith.invoke_tasks import namespace

REPO = Path(__file__).resolve().parents[2]
DOORS = {"shardsmith": [sys.executable, "-m", "shardsmith"], "inv": [sys.executable, "-m", "invoke", "-r", str(REPO)]}
SPEC = "name: doors\nreplica_set: {members: 1}\ndeploy: {base_port: 31950}\n"


def run(door: str, *argv: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*DOORS[door], *argv], cwd=cwd, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("door", DOORS)
def test_a_left_out_topology_names_the_defaults_it_looked_for(door, tmp_path):
    done = run(door, "status", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "neither shardsmith.yaml nor topology/local.yaml is in this folder" in done.stderr
    assert "shardsmith init" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("door", DOORS)
def test_the_default_spec_is_found_and_a_stopped_cluster_says_how_to_start_it(door, tmp_path):
    (tmp_path / "shardsmith.yaml").write_text(SPEC)
    done = run(door, "status", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "doors is not running; start it with `shardsmith up shardsmith.yaml`" in done.stdout


def test_the_topology_is_positional_for_shardsmith_and_a_flag_for_inv(tmp_path):
    spec = tmp_path / "elsewhere" / "spec.yaml"
    spec.parent.mkdir()
    spec.write_text(SPEC)
    by_argparse = run("shardsmith", "status", str(spec), "--json", cwd=tmp_path)
    by_invoke = run("inv", "status", "--topology", str(spec), "--json", cwd=tmp_path)
    assert by_argparse.returncode == by_invoke.returncode == 0, by_argparse.stderr + by_invoke.stderr
    assert by_argparse.stdout == by_invoke.stdout and '"state": "DOWN"' in by_argparse.stdout


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("command", ["up", "lab.analyze", "data.load"])
def test_help_after_a_command_is_help(door, command, tmp_path):
    done = run(door, command, "--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "--json" in done.stdout and "Traceback" not in done.stderr


@pytest.mark.parametrize("door", DOORS)
def test_a_bad_number_is_one_line_exit_2(door, tmp_path):
    (tmp_path / "shardsmith.yaml").write_text(SPEC)
    done = run(door, "logs", "rs0.1", "--lines", "many", cwd=tmp_path)
    assert done.returncode == 2
    assert "--lines 'many' is not a whole number" in done.stderr and "Traceback" not in done.stderr


def test_every_declared_command_is_an_invoke_task_with_the_same_flags():
    for declared in REGISTRY:
        collection = namespace.collections[declared.group] if declared.group else namespace
        task = collection.tasks[declared.leaf]
        flags = {arg.name for arg in task.get_arguments()}
        assert {option.name for option in declared.options} | {"verbose"} == flags, declared.name
