"""User errors through the real commands: exit 2, the message with file:LINE path, no traceback,
nothing started and nothing written.

Every spec of the malformed corpus (tests/unit/specs) goes through `shardsmith up` in-process
(fast); a sample goes through the installed `shardsmith` and `inv` executables.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

import shardsmith
from shardsmith.cli import main
from tests.conftest import free_port_block, with_test_version
from tests.unit.specs.corpus import CASES, case_names, reported_lines, table

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
EXPECTED = table()
TASKS = {"up", "down", "status", "destroy", "start", "stop", "kill", "logs"}


def started_under(folder: Path) -> list[str]:
    """Command lines of live processes pointing into `folder`: only processes this test started could."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if str(folder) in cmdline and proc.pid != os.getpid():
            found.append(cmdline)
    return found


def cli_env(**changes) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "SHARDSMITH_ROOT_PASSWORD"}
    env.update(changes)
    return env


def run_cli(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """One installed command (`shardsmith ...` or `inv ...`) run from `cwd`."""
    command = [str(VENV_BIN / args[0]), *args[1:]]
    return subprocess.run(command, cwd=cwd, env=env or cli_env(), capture_output=True, text=True, timeout=300)


def flat(text: str) -> str:
    """Terminal wrapping undone, so a message can be checked whatever the console width."""
    return re.sub(r"\s+", " ", text)


def assert_nothing_started_or_written(folder: Path, spec_name: str) -> None:
    assert sorted(os.listdir(folder)) == [spec_name], "something was written next to the spec"
    assert started_under(folder) == []


def assert_reports(text: str, name: str) -> None:
    errors, warnings = EXPECTED[name]
    for expected in errors + warnings:
        assert expected.found_in(text, name), f"missing {expected} in:\n{text}"
    if errors and errors[0].path is not None:
        assert len(reported_lines(text, name)) == len(errors) + len(warnings), text
    assert "Traceback" not in text


@pytest.fixture
def spec_dir(tmp_path, monkeypatch):
    """A fresh folder holding one corpus spec; it is the working directory."""

    def place(name: str) -> Path:
        shutil.copy(CASES / name, tmp_path / name)
        monkeypatch.chdir(tmp_path)
        return tmp_path

    return place


@pytest.mark.parametrize("name", case_names())
def test_every_corpus_spec_exits_2_through_the_cli(name, spec_dir, capsys, monkeypatch):
    folder = spec_dir(name)
    monkeypatch.delenv("SHARDSMITH_ROOT_PASSWORD", raising=False)
    errors, _ = EXPECTED[name]
    # A spec that loads (warnings only) goes to `destroy`, which refuses without --yes: still nothing happens.
    task = ["up", name] if errors else ["destroy", name]
    with pytest.raises(SystemExit) as exited:
        main(task)
    assert exited.value.code == 2
    out = capsys.readouterr()
    if errors:
        assert_reports(out.err, name)
    else:
        for warning in EXPECTED[name][1]:
            assert flat(warning.head(name) + warning.fragment) in flat(out.err)
        assert "add --yes" in out.err
    assert_nothing_started_or_written(folder, name)


@pytest.mark.parametrize("command, name", [
    ("shardsmith", "priority-negative.yaml"),
    ("shardsmith", "syntax-unclosed-flow.yaml"),
    ("shardsmith", "many-problems.yaml"),
    ("shardsmith", "empty.yaml"),
    ("inv", "unknown-keys-deep.yaml"),
])
def test_installed_commands_exit_2_with_the_problems(command, name, spec_dir):
    folder = spec_dir(name)
    # the topology is positional for `shardsmith` and a flag for `inv` (Invoke positionals are required)
    argv = [command, "-r", str(REPO), "up", "--topology", name] if command == "inv" else [command, "up", name]
    result = run_cli(*argv, cwd=folder)
    assert result.returncode == 2, result.stderr
    assert_reports(result.stderr, name)
    assert result.stdout == ""
    assert_nothing_started_or_written(folder, name)


def test_missing_spec_file_exits_2(tmp_path):
    result = run_cli("shardsmith", "up", "nope.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert "topology file nope.yaml does not exist" in result.stderr
    assert "Traceback" not in result.stderr
    assert os.listdir(tmp_path) == []


def test_routers_without_a_mongos_binary_is_a_clear_error_and_starts_nothing(tmp_path):
    path = f"{VENV_BIN}:/usr/bin:/bin"
    if shutil.which("mongos", path=path):
        pytest.skip(f"a mongos is on PATH ({shutil.which('mongos', path=path)}): the missing-mongos error cannot happen")
    work = tmp_path / "work"
    work.mkdir()
    spec = work / "sharded.yaml"
    spec.write_text(with_test_version(f"name: nomongos\ndeploy: {{base_port: {free_port_block(4)}}}\n"
                                      "config_servers: {members: 1}\nshards: [{name: shard01, members: 1}]\n"
                                      "mongos: {count: 1}\n"))
    env = cli_env(PATH=path, SHARDSMITH_OFFLINE="1", XDG_CACHE_HOME=str(tmp_path / "empty-cache"))
    env.pop("MONGOS_BIN", None)
    result = run_cli("shardsmith", "up", spec.name, cwd=work, env=env)
    assert result.returncode == 2
    message = flat(result.stderr)
    assert "the topology has mongos routers but no mongos binary was found" in message
    assert "MONGOS_BIN" in message and "--no-routers" in message
    assert "Traceback" not in result.stderr
    assert_nothing_started_or_written(work, spec.name)


def test_a_mongodb_version_nothing_here_has_is_one_clear_line_offline(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    spec = work / "v5.yaml"
    spec.write_text(f"name: wrongversion\nmongodb: {{version: \"5.0.1\"}}\ndeploy: {{base_port: {free_port_block(2)}}}\n"
                    "replica_set: {members: 1}\n")
    env = cli_env(SHARDSMITH_OFFLINE="1", XDG_CACHE_HOME=str(tmp_path / "empty-cache"))
    env.pop("MONGOD_BIN", None)
    result = run_cli("shardsmith", "up", spec.name, "--no-routers", cwd=work, env=env)
    assert result.returncode == 2
    message = flat(result.stderr)
    assert "no mongod found for mongodb.version 5.0.1" in message and "offline" in message
    assert "shardsmith binaries fetch 5.0.1" in message
    assert "Traceback" not in result.stderr
    assert_nothing_started_or_written(work, spec.name)


def test_version_and_task_lists(tmp_path):
    version = run_cli("shardsmith", "--version", cwd=tmp_path)
    assert version.returncode == 0
    assert version.stdout.split() == ["Shardsmith", shardsmith.__version__]
    for command in (["shardsmith", "--list"], ["inv", "-r", str(REPO), "--list"]):
        listed = run_cli(*command, cwd=tmp_path)
        assert listed.returncode == 0, listed.stderr
        names = {line.split()[0] for line in listed.stdout.splitlines()[1:] if line.strip()}
        assert TASKS <= names, listed.stdout
