"""Docker, compose v2 and mongosh for the compose tests: found, or installed by .ci/install-tools.sh.

CI runs that script before the tests; locally the first test that needs a
tool runs it too, so no compose test is skipped for lack of an install step.
Under CI=true a tool still missing afterwards is a failure, never a skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
INSTALL_SCRIPT = REPO / ".ci" / "install-tools.sh"
TOOLS = Path(os.environ.get("SHARDSMITH_TOOLS", Path.home() / ".cache" / "shardsmith" / "tools"))
MONGOSH_VERSION = "2.12.0"


def _ok(*command: str) -> bool:
    try:
        return subprocess.run(list(command), capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _mongosh() -> str | None:
    for candidate in (os.environ.get("MONGOSH"), TOOLS / "node_modules" / ".bin" / "mongosh", shutil.which("mongosh")):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    return None


@lru_cache(maxsize=None)
def _install() -> str:
    """Run the install script once per session; its output tells what it did."""
    import sys

    done = subprocess.run(["bash", str(INSTALL_SCRIPT)], capture_output=True, text=True, timeout=900,
                          env={**os.environ, "PYTHON": sys.executable})
    return done.stdout + done.stderr


def _need(what: str, present) -> None:
    if present():
        return
    log = _install()
    if not present():
        pytest.fail(f"{what} is missing and {INSTALL_SCRIPT.relative_to(REPO)} could not provide it:\n{log[-3000:]}")


def compose_plugin() -> None:
    """`docker compose` v2 works (no engine needed: enough for `docker compose config`)."""
    _need("the docker compose v2 plugin", lambda: _ok("docker", "compose", "version"))


def docker_engine() -> None:
    """A Docker engine answers and the compose plugin is there."""
    _need("a Docker engine", lambda: _ok("docker", "info"))
    compose_plugin()


def mongosh() -> str:
    """Path of mongosh 2.12.0 from npm."""
    _need(f"mongosh {MONGOSH_VERSION}", lambda: _mongosh() is not None)
    return _mongosh()


def local_image(version: str | None = None) -> str:
    """The local mongod image (`inv image`) of the MongoDB version under test, built if this engine lacks it."""
    import docker
    from docker.errors import ImageNotFound

    from shardsmith.binaries import find_binary
    from shardsmith.image import build_local_image, local_tag
    from tests.conftest import TEST_MONGODB_VERSION

    version = version or TEST_MONGODB_VERSION
    docker_engine()
    tag = local_tag(find_binary("mongod", None, version).version)
    try:
        docker.from_env().images.get(tag)
    except ImageNotFound:
        build_local_image(version, tag)
    return tag
