"""As a user gets it: the built wheel, installed in a fresh venv outside the repository, run from another folder.

No environment variable of ours is set; the replica set is real (the bundled mongod the wheel depends on).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.conftest import free_port_block

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the bundled mongod is a Linux x86_64 wheel")


def clean_env(venv_bin: Path) -> dict:
    """The user's environment: none of Shardsmith's variables, the fresh venv first on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHARDSMITH_", "MONGOD_BIN", "MONGOS_BIN"))}
    env["PATH"] = f"{venv_bin}:/usr/bin:/bin"
    env.pop("PYTHONPATH", None)
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The `bin` folder of a fresh venv holding the wheel built from this checkout."""
    built = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(built), str(REPO)], check=True,
                   capture_output=True, text=True, timeout=600)
    (wheel,) = built.glob("shardsmith-*.whl")
    home = tmp_path_factory.mktemp("venv") / "user"
    venv.create(home, with_pip=True)
    done = subprocess.run([str(home / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return home / "bin"


def test_the_wheel_carries_templates_examples_and_py_typed(installed):
    probe = ("import shardsmith, pathlib; root = pathlib.Path(shardsmith.__file__).parent; "
             "print(sorted(p.name for p in (root / '_bundled' / 'templates').iterdir())); "
             "print(sorted(p.name for p in (root / '_bundled' / 'topology').iterdir())); "
             "print((root / 'py.typed').exists())")
    done = subprocess.run([str(installed / "python"), "-c", probe], capture_output=True, text=True,
                          cwd="/", env=clean_env(installed))
    templates, examples, typed = done.stdout.splitlines()
    assert "init.js" in templates and "mongod.conf.j2" in templates and "starter.yaml.j2" in templates
    assert "local.yaml" in examples and "replset.yaml" in examples
    assert typed == "True"


def test_init_up_status_destroy_from_another_folder(installed, tmp_path):
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    env = clean_env(installed)

    def shardsmith(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
        return subprocess.run([str(installed / "shardsmith"), *argv], cwd=cwd, env=env, capture_output=True,
                              text=True, timeout=300)

    made = shardsmith("init", "--base-port", str(free_port_block(3)), cwd=project)
    assert made.returncode == 0, made.stderr
    spec = project / "shardsmith.yaml"
    try:
        up = shardsmith("up", cwd=project)
        assert up.returncode == 0, up.stderr
        status = shardsmith("status", str(spec), "--json", cwd=elsewhere)  # state is found beside the spec
        assert status.returncode == 0, status.stderr
        states = sorted(m["state"] for m in json.loads(status.stdout)["members"])
        assert states == ["PRIMARY", "SECONDARY", "SECONDARY"]
        assert (project / ".shardsmith" / "shardsmith" / "state.json").exists()
        module = subprocess.run([str(installed / "python"), "-m", "shardsmith", "status", str(spec)], cwd=elsewhere,
                                env=env, capture_output=True, text=True, timeout=120)
        assert module.returncode == 0 and "PRIMARY" in module.stdout
    finally:
        gone = shardsmith("destroy", str(spec), "--yes", cwd=elsewhere)
    assert gone.returncode == 0, gone.stderr
    assert not (project / ".shardsmith" / "shardsmith").exists()
    assert sorted(p.name for p in elsewhere.iterdir()) == []
