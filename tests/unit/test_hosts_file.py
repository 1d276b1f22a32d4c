"""The hosts-file block on temp files: idempotent writes, other lines untouched, removal, conflicts, the CLI."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from shardsmith import hosts_file
from shardsmith.cli import main
from shardsmith.errors import ShardsmithError
from shardsmith.hosts_file import HostsBlock, cluster_block
from shardsmith.topology import SpecError, parse_topology

ORIGINAL = "127.0.0.1 localhost\n# a comment someone wrote\n::1 localhost ip6-localhost\n10.0.0.5  build-box\n"
EXPOSED = """
name: NAME
deploy: {backend: compose, base_port: 31000, network: NETWORK, expose_members: EXPOSE}
config_servers: {name: CFG, members: 1}
shards:
  - {name: SHARD, members: 2}
mongos: {count: 1}
"""


def spec(name="alpha", shard="shard01", network="bridge", expose="true", cfg="cfg"):
    return parse_topology(EXPOSED.replace("CFG", cfg).replace("NAME", name).replace("SHARD", shard).replace("NETWORK", network)
                          .replace("EXPOSE", expose), f"topology/{name}.yaml")


@pytest.fixture
def hosts(tmp_path):
    path = tmp_path / "hosts"
    path.write_text(ORIGINAL)
    path.chmod(0o644)
    return path


def test_block_of_an_exposed_bridge_cluster_names_every_member_by_service_one_line_per_set():
    block = cluster_block(spec())
    assert block.lines() == ["# shardsmith:alpha begin", "127.0.0.1 cfg-1", "127.0.0.1 shard01-1 shard01-2",
                             "# shardsmith:alpha end"]


def test_no_block_without_exposed_members_or_on_the_host_network():
    assert cluster_block(spec(expose="false")) is None
    assert cluster_block(spec(network="host")) is None


def test_block_uses_loopback_when_bound_to_every_interface():
    topology = parse_topology(EXPOSED.replace("CFG", "cfg").replace("NAME", "any").replace("SHARD", "s1").replace("NETWORK", "bridge")
                              .replace("EXPOSE", "true").replace("network:", "bind_ip: 0.0.0.0, network:"))
    assert cluster_block(topology).ip == "127.0.0.1"


def test_install_appends_the_block_keeps_every_other_line_and_is_idempotent(hosts):
    block = cluster_block(spec())
    assert hosts_file.install(block, hosts) is True
    assert hosts.read_text() == ORIGINAL + block.text()
    written = hosts.stat()
    assert hosts_file.install(block, hosts) is False  # nothing to change: the file is not rewritten
    assert hosts.read_text() == ORIGINAL + block.text()
    assert hosts.stat().st_ino == written.st_ino and stat.S_IMODE(written.st_mode) == 0o644


def test_a_changed_topology_replaces_its_block_in_place(hosts):
    hosts_file.install(cluster_block(spec()), hosts)
    hosts.write_text(hosts.read_text() + "192.168.1.9 printer\n")  # a line added after our block
    grown = HostsBlock("alpha", "127.0.0.1", (("cfg-1",), ("shard01-1", "shard01-2", "shard01-3")))
    assert hosts_file.install(grown, hosts) is True
    assert hosts.read_text() == ORIGINAL + grown.text() + "192.168.1.9 printer\n"


def test_remove_restores_the_file_exactly_and_leaves_other_clusters_blocks(hosts):
    alpha, beta = cluster_block(spec()), cluster_block(spec("beta", "shard09", cfg="beta-cfg"))
    hosts_file.install(alpha, hosts)
    hosts_file.install(beta, hosts)
    assert hosts_file.remove("alpha", hosts) is True
    assert hosts.read_text() == ORIGINAL + beta.text()
    assert hosts_file.remove("alpha", hosts) is False
    assert hosts_file.remove("beta", hosts) is True
    assert hosts.read_text() == ORIGINAL


def test_names_claimed_by_another_clusters_block_are_refused_and_nothing_is_written(hosts):
    hosts_file.install(cluster_block(spec()), hosts)
    before = hosts.read_text()
    with pytest.raises(ShardsmithError, match=r"shard01-1, shard01-2 already belong\(s\) to cluster 'alpha'") as err:
        hosts_file.install(cluster_block(spec("other")), hosts)  # the same set names: cfg-1, shard01-1, ...
    assert "cfg-1" in str(err.value) and "--remove" in str(err.value)
    assert hosts.read_text() == before


def test_a_block_without_its_end_line_is_a_clear_error(hosts):
    hosts.write_text(ORIGINAL + "# shardsmith:alpha begin\n127.0.0.1 cfg-1\n")
    with pytest.raises(ShardsmithError, match="line 5: `# shardsmith:alpha begin` has no end line"):
        hosts_file.install(cluster_block(spec()), hosts)
    with pytest.raises(ShardsmithError, match="has no end line"):
        hosts_file.remove("alpha", hosts)


def test_a_missing_file_is_created(tmp_path):
    path = tmp_path / "new-hosts"
    block = cluster_block(spec())
    assert hosts_file.install(block, path) is True
    assert path.read_text() == block.text()


def test_resolution_comes_from_this_hosts_resolver():
    found = hosts_file.resolve(["localhost", "shardsmith-surely-unknown-name.invalid"])
    assert "127.0.0.1" in found["localhost"]
    assert found["shardsmith-surely-unknown-name.invalid"] == []


def test_explicit_member_port_taken_twice_is_refused_with_exposed_members():
    text = EXPOSED.replace("CFG", "cfg").replace("NAME", "dup").replace("SHARD", "s1").replace("NETWORK", "bridge") \
        .replace("EXPOSE", "true").replace("{name: s1, members: 2}", "{name: s1, members: [{port: 32000}, {port: 32000}]}")
    with pytest.raises(SpecError, match="port 32000 of s1.2 is also used by s1.1"):
        parse_topology(text)


def test_member_names_equal_but_for_case_are_refused_with_exposed_members():
    text = EXPOSED.replace("CFG", "cfg").replace("NAME", "case").replace("SHARD", "Shard1").replace("NETWORK", "bridge") \
        .replace("EXPOSE", "true").replace("  - {name: Shard1, members: 2}", "  - {name: Shard1, members: 2}\n  - {name: shard1}")
    with pytest.raises(SpecError, match="resolves shard1.1 as 'shard1-1', a name Shard1.1 already has"):
        parse_topology(text)
    assert parse_topology(text.replace("expose_members: true", "expose_members: false")).shards[1].name == "shard1"


def run_cli(*argv: str) -> int:
    try:
        main(argv)
    except SystemExit as exc:
        return exc.code or 0
    return 0


def test_cli_prints_writes_and_removes_the_block(tmp_path, hosts, capsys):
    path = tmp_path / "alpha.yaml"
    path.write_text(EXPOSED.replace("CFG", "cfg").replace("NAME", "alpha").replace("SHARD", "zz9-plural").replace("NETWORK", "bridge")
                    .replace("EXPOSE", "true"))
    run_cli("hosts", str(path), "--file", str(hosts))
    shown = capsys.readouterr().out
    assert "# shardsmith:alpha begin\n127.0.0.1 cfg-1\n127.0.0.1 zz9-plural-1 zz9-plural-2\n" in shown
    assert "zz9-plural-1" in shown and "does not resolve" in shown
    assert "zz9-plural from the host: mongodb://admin:<password>@127.0.0.1:31002,127.0.0.1:31003/" \
           "?replicaSet=zz9-plural&authSource=admin" in shown
    assert hosts.read_text() == ORIGINAL  # only looking
    run_cli("hosts", str(path), "--file", str(hosts), "--write")
    assert "block written" in capsys.readouterr().out
    assert hosts.read_text().startswith(ORIGINAL) and "# shardsmith:alpha end\n" in hosts.read_text()
    run_cli("hosts", str(path), "--file", str(hosts), "--write")
    assert "block unchanged" in capsys.readouterr().out
    run_cli("hosts", str(path), "--file", str(hosts), "--remove")
    assert "block removed" in capsys.readouterr().out
    assert hosts.read_text() == ORIGINAL


def test_cli_write_for_a_cluster_without_exposed_members_says_what_to_set(tmp_path, hosts, capsys):
    path = tmp_path / "closed.yaml"
    path.write_text(EXPOSED.replace("CFG", "cfg").replace("NAME", "closed").replace("SHARD", "s1").replace("NETWORK", "bridge")
                    .replace("EXPOSE", "false"))
    assert run_cli("hosts", str(path), "--file", str(hosts), "--write") == 2
    assert "expose_members: true" in capsys.readouterr().err
    assert hosts.read_text() == ORIGINAL


NOBODY_RUN = """
import sys
from shardsmith.cli import main
main(sys.argv[1:])
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run the command as user nobody")
def test_cli_write_and_remove_without_permission_say_to_use_sudo_or_edit_by_hand():
    import shutil
    import subprocess
    import sys
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="shardsmith-hosts-"))  # pytest's tmp_path is closed to other users
    try:
        folder.chmod(0o755)
        path, hosts = folder / "alpha.yaml", folder / "hosts"
        path.write_text(EXPOSED.replace("CFG", "cfg").replace("NAME", "alpha").replace("SHARD", "s1").replace("NETWORK", "bridge")
                        .replace("EXPOSE", "true"))
        hosts.write_text(ORIGINAL)
        as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", NOBODY_RUN]
        done = subprocess.run([*as_nobody, "hosts", str(path), "--file", str(hosts), "--write"],
                              capture_output=True, text=True, timeout=60, env={**os.environ, "HOME": str(folder)})
        assert done.returncode == 2, done.stderr
        assert f"cannot write {hosts}" in done.stderr and "sudo" in done.stderr
        assert "add these lines by hand: # shardsmith:alpha begin / 127.0.0.1 cfg-1" in done.stderr
        assert hosts.read_text() == ORIGINAL
        hosts_file.install(cluster_block(spec()), hosts)  # as root
        written = hosts.read_text()
        done = subprocess.run([*as_nobody, "hosts", str(path), "--file", str(hosts), "--remove"],
                              capture_output=True, text=True, timeout=60, env={**os.environ, "HOME": str(folder)})
        assert done.returncode == 2, done.stderr
        assert "delete the lines from `# shardsmith:alpha begin` to `# shardsmith:alpha end` by hand" in done.stderr
        assert hosts.read_text() == written
    finally:
        shutil.rmtree(folder)


def test_up_and_status_lines_only_for_compose_clusters_and_the_warning_names_the_fix(tmp_path, capsys):
    from shardsmith.cluster import Cluster
    from shardsmith.commands.hosts import print_member_access

    topology = spec("gamma", "zz9-plural")
    print_member_access(Cluster(topology, state_root=tmp_path, backend="local"))  # local processes: 127.0.0.1 hosts
    assert capsys.readouterr() == ("", "")
    print_member_access(Cluster(topology, state_root=tmp_path, backend="compose"))
    shown = capsys.readouterr()
    assert "zz9-plural from the host: mongodb://admin:<password>@127.0.0.1:31002,127.0.0.1:31003/" \
           "?replicaSet=zz9-plural&authSource=admin" in shown.out
    assert shown.err.count("\n") == 1 and shown.err.startswith("warning: cfg-1, zz9-plural-1, zz9-plural-2 do(es) not")
    assert "fix: `shardsmith hosts topology/gamma.yaml --write` (as root), or add " \
           "`127.0.0.1 cfg-1 zz9-plural-1 zz9-plural-2` to /etc/hosts" in shown.err
