"""The pytest plugin as a user meets it: a spec, a test file using the fixture, a pytest run that passes."""

from __future__ import annotations

from pathlib import Path

import pytest

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
import pytest
from pymongo import WriteConcern


def test_members_and_uri(shardsmith_cluster):
    assert shardsmith_cluster.members == EXPECTED_MEMBERS
    assert shardsmith_cluster.uri.startswith("mongodb://admin:")


def test_writes_and_reads(shardsmith_cluster):
    with shardsmith_cluster.client() as client:
        orders = client.shop.orders.with_options(write_concern=WriteConcern("majority"))
        orders.insert_one({"_id": 1, "total": 42})
        assert orders.find_one({"_id": 1})["total"] == 42


def test_a_killed_member_started_again_is_back_in_the_set(shardsmith_cluster):
    last = shardsmith_cluster.members[-1]
    assert shardsmith_cluster.kill(last) == [last]
    assert shardsmith_cluster.start(last) == [last]
    every_member = WriteConcern(w=len(shardsmith_cluster.members), wtimeout=60000)
    with shardsmith_cluster.client() as client:
        client.shop.orders.with_options(write_concern=every_member).insert_one({"_id": 2, "total": 7})
        assert client.shop.orders.count_documents({}) == 2
        states = sorted(m["stateStr"] for m in client.admin.command("replSetGetStatus")["members"])
    assert states == ["PRIMARY"] + ["SECONDARY"] * (len(shardsmith_cluster.members) - 1)


@pytest.mark.xfail(strict=True, reason="a failing test must not keep the cluster alive after the session")
def test_a_failure_does_not_stop_teardown(shardsmith_cluster):
    raise AssertionError("deliberate")
'''

# appended for the compose backend: the containers are testcontainers' DockerCompose's
COMPOSE_USER_TESTS = '''
import os

import docker
from testcontainers.compose import DockerCompose


def container_states(compose):
    return {c.Service: c.State for c in compose.get_containers(include_all=True)}


def test_testcontainers_runs_the_members(shardsmith_cluster):
    assert os.environ["TESTCONTAINERS_RYUK_DISABLED"] == "true"
    compose = shardsmith_cluster.compose
    assert isinstance(compose, DockerCompose)
    services = [p.service for p in shardsmith_cluster.cluster.wanted]
    assert {s: container_states(compose).get(s) for s in services} == {s: "running" for s in services}
    # the containers it reports are the ones made from the rendered file it was given
    rendered = str(shardsmith_cluster.cluster.backend.compose_file)
    engine = docker.from_env()
    for container in compose.get_containers():
        labels = engine.containers.get(container.ID).labels
        assert labels["com.docker.compose.project.config_files"] == rendered
        assert labels["com.docker.compose.project.working_dir"] == str(compose.context)


def test_stop_and_start_act_on_those_containers(shardsmith_cluster):
    member = shardsmith_cluster.members[1]
    service = member.replace(".", "-")
    compose = shardsmith_cluster.compose
    assert shardsmith_cluster.stop(member) == [member]
    assert container_states(compose)[service] == "exited"
    assert shardsmith_cluster.start(member) == [member]
    assert container_states(compose)[service] == "running"
'''


def run_user_suite(pytester, monkeypatch, port: int, backend: str, image: str, members: int, extra_tests: str = ""):
    spec = pytester.makefile(".yaml", spec=SPEC.format(port=port, image=image, backend=backend, members=members))
    expected = [f"rs0.{n}" for n in range(1, members + 1)]
    pytester.makepyfile(test_user=USER_TESTS.replace("EXPECTED_MEMBERS", repr(expected)) + extra_tests)
    # a replica set has no routers anyway: this proves the setting is read without upsetting anything
    pytester.makeini("[pytest]\nshardsmith_routers = false\n")
    monkeypatch.delenv("SHARDSMITH_ROOT_PASSWORD", raising=False)
    monkeypatch.delenv("TESTCONTAINERS_RYUK_DISABLED", raising=False)  # the plugin must set it itself
    # the plugin is named explicitly, whether or not its entry point is installed
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("DOCKER_CONFIG", str(DOCKER_CONFIG))
    return pytester.runpytest_subprocess("-p", "shardsmith.pytest_plugin", "--shardsmith-spec", str(spec), "-q")


def test_fixture_brings_up_a_local_cluster_for_a_user_suite(pytester, monkeypatch):
    result = run_user_suite(pytester, monkeypatch, free_port_block(8), "local", "mongo:6.0", members=2)
    result.assert_outcomes(passed=3, xfailed=1)


@pytest.fixture(scope="module")
def local_image():
    """Checked before pytester moves HOME (module scope sets up first)."""
    return tools.local_image()


def remove_project(project: str) -> dict[str, list[str]]:
    """Remove what is left of a compose project (a safety net) and say what that was."""
    import docker

    engine = docker.from_env()
    ours = {"label": f"com.docker.compose.project={project}"}
    found = {"containers": engine.containers.list(all=True, filters=ours),
             "volumes": engine.volumes.list(filters=ours), "networks": engine.networks.list(filters=ours)}
    for container in found["containers"]:
        container.remove(force=True, v=True)
    for kind in ("volumes", "networks"):
        for item in found[kind]:
            item.remove()
    return {kind: [item.name for item in items] for kind, items in found.items()}


@pytest.mark.docker
def test_fixture_runs_a_compose_cluster_through_testcontainers(local_image, pytester, monkeypatch):
    port = free_port_block(8)
    try:
        result = run_user_suite(pytester, monkeypatch, port, "compose", local_image, members=3,
                                extra_tests=COMPOSE_USER_TESTS)
    finally:
        leftovers = remove_project(f"plugin-{port}")
    result.assert_outcomes(passed=5, xfailed=1)
    assert leftovers == {"containers": [], "volumes": [], "networks": []}, "the session's resources were not removed"


def test_missing_spec_is_a_usage_error(pytester, monkeypatch):
    pytester.makepyfile(test_user="def test_x(shardsmith_cluster):\n    pass\n")
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    result = pytester.runpytest_subprocess("-p", "shardsmith.pytest_plugin", "-q")
    result.stdout.fnmatch_lines(["*--shardsmith-spec PATH*"])
    assert result.ret != 0


XDIST_TESTS = '''
import os


def test_a(shardsmith_cluster):
    check(shardsmith_cluster)


def test_b(shardsmith_cluster):
    check(shardsmith_cluster)


def check(handle):
    with handle.client() as client:
        client.shop.worker.insert_one({"worker": os.environ["PYTEST_XDIST_WORKER"]})
        seen = {doc["worker"] for doc in client.shop.worker.find()}
    assert seen == {os.environ["PYTEST_XDIST_WORKER"]}  # this worker's cluster holds only its own writes
    assert handle.cluster.topology.name.endswith(os.environ["PYTEST_XDIST_WORKER"])
'''


def test_each_xdist_worker_gets_a_cluster_of_its_own(pytester, monkeypatch):
    port = free_port_block(4)  # two workers: the spec's ports and the same span right after them
    spec = pytester.makefile(".yaml", spec=SPEC.format(port=port, image="mongo:6.0", backend="local", members=1))
    pytester.makepyfile(test_user=XDIST_TESTS)
    monkeypatch.delenv("SHARDSMITH_ROOT_PASSWORD", raising=False)
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    result = pytester.runpytest_subprocess("-p", "shardsmith.pytest_plugin", "-p", "xdist", "-n", "2",
                                           "--dist", "each", "--shardsmith-spec", str(spec), "-q")
    result.assert_outcomes(passed=4)
