"""`up` on a machine with nothing installed: mongod is downloaded, verified, cached, and runs a real replica set."""

from __future__ import annotations

from shardsmith.binaries import resolve as resolve_module
from shardsmith.cluster import Cluster
from tests.binaries.conftest import VERSION, listed

SPEC = """
name: fetched
mongodb: {version: "6.0"}
deploy: {base_port: BASE_PORT}
storage: {wiredtiger_cache: 256MB}
replica_set: {name: rs0, members: 1}
"""


def test_up_downloads_into_the_cache_and_a_second_up_downloads_nothing(archives, site, cache_home, make_cluster,
                                                                     monkeypatch):
    monkeypatch.setattr(resolve_module, "bundled_bin_dir", lambda: None)  # the cache path must really be used
    monkeypatch.setenv("SHARDSMITH_MONGODB_MANIFEST", site.publish_manifest(listed(archives, site)))
    archive = f"/linux/{archives.full.name}"

    first = make_cluster(SPEC)
    first.up()
    mongod = first.backend.binaries.mongod
    assert mongod.found_via.startswith("download") and mongod.version == VERSION
    assert mongod.path.is_relative_to(cache_home)
    with first.client() as client:
        assert client.admin.command("buildInfo")["version"] == VERSION
        assert client.admin.command("replSetGetStatus")["members"][0]["stateStr"] == "PRIMARY"
    assert site.count(archive) == 1
    first.down()

    requests = site.count()
    again = Cluster(first.topology, state_root=first.state.path.parent)  # a fresh handle, as a second `up` makes
    again.up()  # make_cluster destroys `first`, which shares this state folder: the processes go with it
    assert again.backend.binaries.mongod.found_via.startswith("cache")
    assert site.count() == requests, "the second up touched the network"
    with again.client() as client:
        assert client.admin.command("ping")["ok"] == 1
