"""Members exposed on a bridge network, found from the host by their replica-set names (real containers, the
real /etc/hosts): a driver seeded on 127.0.0.1 discovers the set, writes with majority and follows a failover.

/etc/hosts is restored byte for byte after the test, pass or fail; the set's name
carries the test's port block so its host names belong to this run only.
"""

from __future__ import annotations

import os

import pytest
from pymongo import MongoClient, WriteConcern
from pymongo.errors import ServerSelectionTimeoutError

from shardsmith.commands.hosts import print_member_access
from shardsmith.hosts_file import HOSTS_FILE, cluster_block, read_block
from shardsmith.wait import Deadline, poll
from tests.cli_run import run
from tests.plugin import tools

pytestmark = pytest.mark.docker

EXPOSED = """
name: xm-BASE_PORT
mongodb: {image: "IMAGE"}
deploy: {backend: compose, base_port: BASE_PORT, network: bridge, expose_members: true}
storage: {wiredtiger_cache: 256MB}
replica_set:
  name: xmBASE_PORT
  members: [{priority: 2}, {}, {}]
"""


@pytest.fixture
def real_hosts_file():
    """The machine's /etc/hosts, put back exactly as it was (content and mode) whatever the test did."""
    if not os.access(HOSTS_FILE, os.W_OK):
        message = f"{HOSTS_FILE} is not writable by this user: run the compose tests as root"
        pytest.fail(message) if os.environ.get("CI") == "true" else pytest.skip(message)
    before, mode = HOSTS_FILE.read_bytes(), HOSTS_FILE.stat().st_mode & 0o7777
    try:
        yield before
    finally:
        if HOSTS_FILE.read_bytes() != before:
            HOSTS_FILE.write_bytes(before)
        HOSTS_FILE.chmod(mode)


def discovering_client(cluster, timeout_ms: int) -> MongoClient:
    """What Compass or an app on the host does: one 127.0.0.1 seed, the set discovered from it."""
    credentials = cluster.credentials()
    seed = cluster.topology.replica_set.members[1].port
    return MongoClient(f"mongodb://127.0.0.1:{seed}/?replicaSet={cluster.topology.replica_set.name}",
                       serverSelectionTimeoutMS=timeout_ms, **credentials.client_options())


def test_host_apps_discover_exposed_members_by_name_and_follow_a_failover(real_hosts_file, make_cluster, capsys):
    cluster = make_cluster(EXPOSED.replace("IMAGE", tools.local_image()))
    topology = cluster.topology
    services = {(m.service, m.port) for m in topology.members}
    cluster.up()

    # Up works without the names; it says how to make them resolve, and discovery from the host fails until then.
    print_member_access(cluster)
    shown = capsys.readouterr()
    assert f"fix: `shardsmith hosts {topology.source} --write` (as root)" in shown.err
    assert f"add `127.0.0.1 {' '.join(sorted(s for s, _ in services))}` to /etc/hosts" in shown.err
    seeds = ",".join(f"127.0.0.1:{m.port}" for m in topology.members)
    assert f"mongodb://admin:<password>@{seeds}/?replicaSet={topology.replica_set.name}&authSource=admin" in shown.out
    with discovering_client(cluster, 2000) as client, pytest.raises(ServerSelectionTimeoutError) as unresolved:
        client.admin.command("ping")
    assert f"{topology.members[0].service}:{topology.members[0].port}" in str(unresolved.value)

    _, out, _ = run(capsys, "hosts", topology.source, "--write")
    assert f"{HOSTS_FILE}: block written" in out
    assert read_block(topology.name).names == frozenset(cluster_block(topology).names)
    assert real_hosts_file.decode() in HOSTS_FILE.read_text()  # every line that was there is still there

    with discovering_client(cluster, 30000) as client:
        things = client.app.things.with_options(write_concern=WriteConcern("majority"))
        things.insert_one({"_id": "before"})
        assert poll(lambda: client.nodes if len(client.nodes) == 3 else None, until=Deadline.after(30),
                    what="the client to know every member") == services
        old_primary = client.primary
        assert old_primary in services

        killed = cluster.kill(f"{topology.replica_set.name}.primary")
        assert [m.service for m in topology.members if m.name in killed] == [old_primary[0]]
        things.insert_one({"_id": "after"})  # waits for the election, then the new primary takes it
        assert client.primary in services - {old_primary}
        assert sorted(d["_id"] for d in things.find()) == ["after", "before"]

    cluster.destroy()
    assert read_block(topology.name) is None
    assert HOSTS_FILE.read_bytes() == real_hosts_file


def test_names_held_by_another_clusters_block_are_refused_and_warned_about(real_hosts_file, make_cluster, capsys):
    from shardsmith.hosts_file import HostsBlock, install

    cluster = make_cluster(EXPOSED.replace("IMAGE", "shardsmith/mongod:6.0.5"))  # never started: names are enough
    topology = cluster.topology
    names = tuple(m.service for m in topology.members)
    install(HostsBlock("someone-else", "127.0.0.1", (names,)))
    print_member_access(cluster)
    assert (f"{', '.join(names)} resolve(s) only through cluster 'someone-else''s block in /etc/hosts, which goes "
            f"when 'someone-else' is destroyed") in capsys.readouterr().err
    _, _, refused = run(capsys, "hosts", topology.source, "--write")
    assert f"{', '.join(names)} already belong(s) to cluster 'someone-else''s block" in refused
    assert read_block(topology.name) is None
