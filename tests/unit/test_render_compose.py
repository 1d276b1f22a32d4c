"""Rendered compose files: kept in git without drift, valid for `docker compose config`, safe by construction."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from shardsmith.render import write_compose_files
from shardsmith.render.compose import render_compose
from shardsmith.topology import load_topology, parse_topology
from tests.plugin import tools

REPO = Path(__file__).resolve().parents[2]
SPECS = sorted((REPO / "topology").glob("*.yaml"))
# Specs rendered into one file (a spec with hosts: gets one bundle per host, checked in test_staging_render.py).
ONE_FILE_SPECS = [spec for spec in SPECS if not load_topology(spec).hosts]
COMMITTED = REPO / "compose"
PASSWORD = "not-in-any-file-9f3c"

SHARDED_WITH_OPTIONS = """
name: options
mongodb: {image: IMAGE}
deploy: {base_port: 31000, network: NETWORK, expose_members: true}
config_servers: {members: 1}
shards:
  - {name: shard01, members: [{priority: 2}, {}, {arbiter: true}]}
mongos: {count: 2}
"""


@pytest.fixture(scope="module")
def compose_config():
    """`docker compose config` as JSON: validates the file, needs no engine."""
    tools.compose_plugin()

    def config(path: Path) -> dict:
        done = subprocess.run(["docker", "compose", "-f", str(path), "config", "--format", "json"],
                              capture_output=True, text=True, cwd=path.parent, timeout=60,
                              env={"PATH": _path(), "SHARDSMITH_ROOT_PASSWORD": PASSWORD, "HOME": str(Path.home())})
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    return config


def _path() -> str:
    import os

    return os.environ["PATH"]


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.name)
def test_committed_files_match_a_fresh_render(spec, tmp_path):
    written = write_compose_files(load_topology(spec), tmp_path)
    assert written, "nothing rendered"
    for fresh in written:
        committed = COMMITTED / fresh.relative_to(tmp_path)
        assert committed.exists(), f"{committed} missing: run `inv render topology/{spec.name}` and commit it"
        assert committed.read_text() == fresh.read_text(), \
            f"{committed} drifted from its spec/templates: re-run `inv render topology/{spec.name}` and commit"


def test_every_committed_file_has_a_spec():
    names = {p.stem for p in SPECS}
    orphans = [p.name for p in COMMITTED.glob("*.yaml") if p.stem not in names]
    assert not orphans, f"compose files without a topology spec: {orphans}"


@pytest.mark.parametrize("spec", ONE_FILE_SPECS, ids=lambda p: p.name)
def test_committed_file_is_valid_compose_with_safe_keyfile_and_health(spec, compose_config):
    topology = load_topology(spec)
    config = compose_config(COMMITTED / f"{topology.name}.yaml")
    services = config["services"]
    mongo_services = {p.service for p in topology.processes}
    assert mongo_services <= set(services)

    keyfile = services["keyfile"]
    script = " ".join(keyfile["command"])
    assert keyfile["user"] == "0:0"
    assert "chown 999:999" in script and "chmod 400" in script
    for name in mongo_services:
        service = services[name]
        assert service["user"] == "999:999"  # the image's mongodb user owns and reads the keyfile
        assert any(v["target"] == "/keyfile" and v.get("read_only") for v in service["volumes"])
        assert "--keyFile" in service["command"]
        assert service["healthcheck"]["test"][:2] == ["CMD", "mongosh"]
        assert service["depends_on"]["keyfile"]["condition"] == "service_completed_successfully"

    inits = {name: s for name, s in services.items() if name.startswith("init")}
    assert {f"init-{rs.name}" for rs in topology.replica_sets} <= set(inits)
    for init in inits.values():
        # the password comes from the environment at `up` time; config shows the value we passed
        assert init["environment"]["SHARDSMITH_ROOT_PASSWORD"] == PASSWORD
    # ...and no rendered file carries it
    for path in COMMITTED.glob(f"{topology.name}.*"):
        assert PASSWORD not in path.read_text()
    # `up --wait` waits for every one-shot: each is awaited by a long-running service
    awaited = {dep for s in services.values() for dep, cond in s.get("depends_on", {}).items()
               if cond["condition"] == "service_completed_successfully"}
    assert set(inits) | {"keyfile"} <= awaited


def test_routers_publish_on_bind_ip_and_members_only_when_exposed(compose_config, tmp_path):
    spec = load_topology(REPO / "topology" / "local.yaml")
    services = compose_config(COMMITTED / "local.yaml")["services"]
    for router in spec.routers:
        published = services[router.service]["ports"]
        assert [(p["host_ip"], p["published"], p["target"]) for p in published] == \
               [(spec.deploy.bind_ip, str(router.port), router.port)]
    assert all("ports" not in services[m.service] for m in spec.members)

    exposed = parse_topology(SHARDED_WITH_OPTIONS.replace("IMAGE", "mongo:6.0").replace("NETWORK", "bridge"), "o.yaml")
    written = write_compose_files(exposed, tmp_path)
    services = compose_config(written[0])["services"]
    for member in exposed.members:
        assert [p["published"] for p in services[member.service]["ports"]] == [str(member.port)]
        assert services[member.service]["hostname"] == member.service


def test_host_network_binds_every_process_to_bind_ip(compose_config, tmp_path):
    topology = parse_topology(SHARDED_WITH_OPTIONS.replace("IMAGE", "mongo:6.0").replace("NETWORK", "host"), "h.yaml")
    services = compose_config(write_compose_files(topology, tmp_path)[0])["services"]
    for proc in topology.processes:
        service = services[proc.service]
        assert service["network_mode"] == "host" and "ports" not in service
        command = service["command"]
        assert command[command.index("--bind_ip") + 1] == "127.0.0.1"
    router = services["mongos-1"]["command"]
    assert router[router.index("--configdb") + 1] == f"cfg/127.0.0.1:{topology.config_servers.members[0].port}"
    assert all(services[name]["network_mode"] == "host" for name in services if name.startswith("init"))


def test_local_image_file_differs_only_by_health_checks_and_init(compose_config, tmp_path):
    text = SHARDED_WITH_OPTIONS.replace("NETWORK", "bridge")
    official = parse_topology(text.replace("IMAGE", "mongo:6.0"), "o.yaml")
    local = parse_topology(text.replace("IMAGE", '"shardsmith/mongod:6.0.5"'), "l.yaml")
    official_services = compose_config(write_compose_files(official, tmp_path / "o", routers=False)[0])["services"]
    local_files = write_compose_files(local, tmp_path / "l", routers=False)
    assert [p.name for p in local_files] == ["options.yaml"]  # no init script: nothing in the image could run it
    local_services = compose_config(local_files[0])["services"]
    assert set(official_services) - set(local_services) == {"init-cfg", "init-shard01", "ready"}
    for name, service in local_services.items():
        mine = {k: v for k, v in service.items() if k != "image"}
        theirs = {k: v for k, v in official_services[name].items() if k not in ("image", "healthcheck")}
        assert mine == theirs, name
        assert "healthcheck" not in service


def test_unix_sockets_are_mounted_only_when_asked(tmp_path):
    topology = load_topology(REPO / "topology" / "replset.yaml")
    assert "--unixSocketPrefix" not in render_compose(topology)
    with_sockets = render_compose(topology, sockets_dir=Path("/tmp/s"))
    assert with_sockets.count('"/tmp/s:/shardsmith-sockets"') == len(topology.members)


@pytest.mark.parametrize("image, command", [
    ("mongo:7.0", "SHARDSMITH_ROOT_PASSWORD=... docker compose -f"),
    ("shardsmith/mongod:6.0.5", "shardsmith up"),
])
def test_render_prints_the_command_that_brings_that_image_up(tmp_path, capsys, image, command):
    """The official image initialises itself (init services); the local one has no mongosh: Shardsmith does it."""
    from tests.cli_run import run

    spec = tmp_path / "r.yaml"
    spec.write_text(f"name: r\nmongodb: {{image: '{image}'}}\nreplica_set: {{members: 1}}\n")
    code, _, err = run(capsys, "render", spec, "--out", tmp_path / "out")
    assert code == 0
    said = " ".join(err.split())
    assert f"run it: {command}" in said
    if command == "shardsmith up":
        assert "--backend compose" in said and "docker compose -f" not in said
