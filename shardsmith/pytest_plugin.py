"""A throwaway MongoDB cluster for your tests, from a Shardsmith topology spec.

Registered as a pytest plugin (entry point `shardsmith`), it offers one
session-scoped fixture, `shardsmith_cluster`:

    # tests/test_orders.py
    def test_orders_are_stored(shardsmith_cluster):
        orders = shardsmith_cluster.client().shop.orders
        orders.insert_one({"_id": 1, "total": 42})
        assert orders.count_documents({}) == 1

    $ pytest --shardsmith-spec topology/replset.yaml                # local processes
    $ pytest --shardsmith-spec topology/replset.yaml --shardsmith-backend compose

The cluster comes up once per session (local processes or docker compose,
whatever the spec or --shardsmith-backend says) and is destroyed at the end,
data and all, even when tests fail. Settings can live in pytest.ini instead:
`shardsmith_spec`, `shardsmith_backend`, `shardsmith_routers`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SPEC_HELP = "topology spec the shardsmith_cluster fixture brings up"
BACKEND_HELP = "local or compose (default: the spec's deploy.backend)"
ROUTERS_HELP = "start mongos routers too (true/false; default true)"


class ClusterHandle:
    """What a test needs from a running cluster; `.cluster` is the full shardsmith Cluster."""

    def __init__(self, cluster):
        self.cluster = cluster

    @property
    def uri(self) -> str:
        """Connection string with credentials: routers, the replica set, or the standalone."""
        return self.cluster.uri()

    def client(self, **options):
        """A pymongo MongoClient on `.uri` (close it, or use it in a `with`)."""
        return self.cluster.client(**options)

    @property
    def members(self) -> list[str]:
        """Names of every process: cfg.1, shard01.2, rs0.1, mongos.1 ..."""
        return [p.name for p in self.cluster.wanted]

    def kill(self, member: str) -> list[str]:
        """SIGKILL the selected processes (`rs0.2`, `shard01.primary`, `mongos` ...), as a crash would."""
        return self.cluster.kill(member)

    def stop(self, member: str) -> list[str]:
        return self.cluster.stop(member)

    def start(self, member: str) -> list[str]:
        """Start the selected processes that are down again, on their data."""
        return self.cluster.start(member)

    def primary(self, set_name: str) -> str:
        return self.cluster.primary(set_name)


def pytest_addoption(parser):
    group = parser.getgroup("shardsmith")
    group.addoption("--shardsmith-spec", dest="shardsmith_spec", help=SPEC_HELP)
    group.addoption("--shardsmith-backend", dest="shardsmith_backend", choices=("local", "compose"), help=BACKEND_HELP)
    parser.addini("shardsmith_spec", SPEC_HELP)
    parser.addini("shardsmith_backend", BACKEND_HELP)
    parser.addini("shardsmith_routers", ROUTERS_HELP, default="true")


def _setting(config, name: str):
    return config.getoption(name) or config.getini(name) or None


@pytest.fixture(scope="session")
def shardsmith_cluster(request, tmp_path_factory):
    """One cluster for the whole session, destroyed at the end (pass or fail)."""
    from .cluster import Cluster
    from .spec import load_topology

    config = request.config
    spec = _setting(config, "shardsmith_spec")
    if not spec:
        raise pytest.UsageError("shardsmith_cluster needs a spec: --shardsmith-spec PATH or `shardsmith_spec` in pytest.ini")
    path = Path(spec)
    if not path.is_absolute():
        path = Path(config.rootpath) / path
    # containers made by testcontainers-style helpers must not wait for the ryuk reaper image (no registry)
    os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
    routers = str(config.getini("shardsmith_routers")).lower() not in ("false", "0", "no")
    cluster = Cluster(load_topology(path), state_root=tmp_path_factory.mktemp("shardsmith"), routers=routers,
                      backend=_setting(config, "shardsmith_backend"))
    try:
        cluster.up()
        yield ClusterHandle(cluster)
    finally:
        cluster.destroy()
