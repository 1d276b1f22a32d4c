"""The pytest plugin as a user meets it: a spec, a test file using the fixture, a pytest run that passes."""

from __future__ import annotations

import pytest

from pathlib import Path

from tests.conftest import free_port_block
from tests.plugin import tools

pytest_plugins = ["pytester"]

# pytester points HOME at a temporary folder; docker must still find its compose plugin
DOCKER_CONFIG = Path.home() / ".docker"

SPEC = """
name: plugin-{port}
mongodb: {{image: "{image}"}}
deploy: {{backend: {backend}, base_port: {port}, network: host}}
storage: {{wiredtiger_cache: 256MB}}
replica_set: {{name: rs0, members: {members}}}
"""

USER_TESTS = '''
from pymongo import WriteConcern


def test_members_and_uri(shardsmith_cluster):
    assert shardsmith_cluster.members == EXPECTED_MEMBERS
    assert shardsmith_cluster.uri.startswith("mongodb://admin:")


def test_writes_and_reads(shardsmith_cluster):
    with shardsmith_cluster.client() as client:
        orders = client.shop.orders.with_options(write_concern=WriteConcern("majority"))
        orders.insert_one({"_id": 1, "total": 42})
        assert orders.find_one({"_id": 1})["total"] == 42


def test_kill_and_start_a_member(shardsmith_cluster):
    last = shardsmith_cluster.members[-1]
    assert shardsmith_cluster.kill(last) == [last]
    assert shardsmith_cluster.start(last) == [last]
    with shardsmith_cluster.client() as client:
        assert client.shop.orders.count_documents({}) == 1
'''


def run_user_suite(pytester, monkeypatch, backend: str, image: str, members: int):
    port = free_port_block(8)
    spec = pytester.makefile(".yaml", spec=SPEC.format(port=port, image=image, backend=backend, members=members))
    expected = [f"rs0.{n}" for n in range(1, members + 1)]
    pytester.makepyfile(test_user=USER_TESTS.replace("EXPECTED_MEMBERS", repr(expected)))
    monkeypatch.delenv("SHARDSMITH_ROOT_PASSWORD", raising=False)
    # the plugin is named explicitly, whether or not its entry point is installed
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("DOCKER_CONFIG", str(DOCKER_CONFIG))
    return pytester.runpytest_subprocess("-p", "shardsmith.pytest_plugin", "--shardsmith-spec", str(spec), "-q")


def test_fixture_brings_up_a_local_cluster_for_a_user_suite(pytester, monkeypatch):
    result = run_user_suite(pytester, monkeypatch, "local", "mongo:6.0", members=2)
    result.assert_outcomes(passed=3)


@pytest.fixture(scope="module")
def local_image():
    """Checked before pytester moves HOME (module scope sets up first)."""
    return tools.local_image()


@pytest.mark.docker
def test_fixture_brings_up_a_compose_cluster_for_a_user_suite(local_image, pytester, monkeypatch):
    image = local_image
    result = run_user_suite(pytester, monkeypatch, "compose", image, members=1)
    result.assert_outcomes(passed=3)
    import docker

    leftovers = docker.from_env().containers.list(all=True, filters={"label": "com.docker.compose.project"})
    assert not [c.name for c in leftovers if c.name.startswith("plugin-")], "the session's containers were not removed"


def test_missing_spec_is_a_usage_error(pytester, monkeypatch):
    pytester.makepyfile(test_user="def test_x(shardsmith_cluster):\n    pass\n")
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    result = pytester.runpytest_subprocess("-p", "shardsmith.pytest_plugin", "-q")
    result.stdout.fnmatch_lines(["*--shardsmith-spec PATH*"])
    assert result.ret != 0
