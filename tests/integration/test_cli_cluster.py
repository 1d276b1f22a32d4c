"""The operating commands end to end on a real 3-member replica set, through the installed `shardsmith`.

One cluster serves the whole module (started by `shardsmith up --json`, destroyed at the end
even on failure); every test leaves it fully up for the next, except the last, which destroys it.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from unittest import mock
from urllib.parse import quote_plus

import psutil
import pytest
from pymongo import MongoClient, WriteConcern

from shardsmith.cluster import Cluster
from shardsmith.topology import load_topology
from tests.conftest import free_port_block, with_test_version
from tests.integration.test_cli_user_errors import REPO, run_cli, started_under
from tests.integration.test_local_replset import REPLSET as SPEC  # rs-test: rs0 of 3, the first at priority 2

MEMBERS = ["rs0.1", "rs0.2", "rs0.3"]
READY_DEADLINE = 90.0  # seconds to wait for a state change before failing (a bound, not a measurement)


@dataclass
class CliCluster:
    folder: Path
    base_port: int
    up_json: dict

    spec = "rs.yaml"

    @property
    def state_dir(self) -> Path:
        return self.folder / ".shardsmith" / "rs-test"

    def run(self, *args: str):
        return run_cli("shardsmith", *args, cwd=self.folder)

    def ok(self, *args: str):
        result = self.run(*args)
        assert result.returncode == 0, f"shardsmith {' '.join(args)} failed:\n{result.stderr}"
        return result

    def cli_status(self) -> dict:
        """What `shardsmith status --json` prints, by member name."""
        members = json.loads(self.ok("status", self.spec, "--json").stdout)["members"]
        return {m["name"]: m for m in members}

    def status(self) -> dict:
        """The same data from the library in this process: cheap enough to poll."""
        with mock.patch.dict(os.environ):
            os.environ.pop("SHARDSMITH_ROOT_PASSWORD", None)
            cluster = Cluster(load_topology(self.folder / self.spec), state_root=self.folder / ".shardsmith")
            return {s.name: s.as_dict() for s in cluster.status()}

    def wait_for(self, condition, what: str) -> dict:
        """Poll the status until condition(status) holds."""
        deadline = time.monotonic() + READY_DEADLINE
        while True:
            status = self.status()
            if condition(status):
                return status
            if time.monotonic() > deadline:
                pytest.fail(f"never saw {what}; last status: {json.dumps(status, indent=1)}")
            time.sleep(0.5)

    def wait_healthy(self) -> dict:
        return self.wait_for(all_healthy_with_one_primary, "every member healthy with one primary")

    def client(self) -> MongoClient:
        password = quote_plus((self.state_dir / "root-password").read_text().strip())
        hosts = ",".join(f"127.0.0.1:{self.base_port + i}" for i in range(3))
        return MongoClient(f"mongodb://admin:{password}@{hosts}/?replicaSet=rs0&authSource=admin",
                           serverSelectionTimeoutMS=30000)


def all_healthy_with_one_primary(status: dict) -> bool:
    states = sorted(m["state"] for m in status.values())
    return states == ["PRIMARY", "SECONDARY", "SECONDARY"] and all(m["healthy"] for m in status.values())


def pids(status: dict) -> dict:
    return {name: member["pid"] for name, member in status.items()}


def runs_from(pid: int, folder: Path) -> bool:
    """A live process whose command line points into `folder`."""
    try:
        return str(folder) in " ".join(psutil.Process(pid).cmdline())
    except psutil.Error:
        return False


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli-cluster")
    base_port = free_port_block(3)
    (folder / CliCluster.spec).write_text(with_test_version(SPEC.replace("BASE_PORT", str(base_port))))
    try:
        result = run_cli("shardsmith", "up", CliCluster.spec, "--no-routers", "--json", cwd=folder)
        assert result.returncode == 0, result.stderr
        yield CliCluster(folder, base_port, json.loads(result.stdout))
    finally:
        run_cli("shardsmith", "destroy", CliCluster.spec, "--yes", cwd=folder)
        for proc in psutil.process_iter(["cmdline"]):  # anything left that points into our folder is ours
            if str(folder) in " ".join(proc.info["cmdline"] or []):
                proc.kill()


def test_up_json_lists_every_member_running_from_the_state_dir(cli):
    members = {m["name"]: m for m in cli.up_json["members"]}
    assert cli.up_json["cluster"] == "rs-test"
    assert sorted(members) == MEMBERS
    assert [members[name]["address"] for name in MEMBERS] == [f"127.0.0.1:{cli.base_port + i}" for i in range(3)]
    assert members["rs0.1"]["state"] == "PRIMARY"  # the priority-2 member leads, writable when `up` returns
    assert [m["state"] for m in members.values()].count("PRIMARY") == 1
    assert "DOWN" not in {m["state"] for m in members.values()}  # secondaries may still be syncing
    for name in MEMBERS:
        assert runs_from(members[name]["pid"], cli.state_dir / name.replace(".", "-"))
    recorded = json.loads((cli.state_dir / "state.json").read_text())
    assert {n: p["port"] for n, p in recorded["processes"].items()} == {n: cli.base_port + i for i, n in enumerate(MEMBERS)}


def test_status_reports_states_and_pids_as_json_and_as_a_table(cli):
    cli.wait_healthy()
    status = cli.cli_status()
    assert all_healthy_with_one_primary(status)
    for name, member in status.items():
        assert runs_from(member["pid"], cli.state_dir / name.replace(".", "-"))
        assert member["role"] == "replset" and member["set_name"] == "rs0"
        assert member["lag_seconds"] is None or member["lag_seconds"] >= 0
    table = run_cli("inv", "-r", str(REPO), "status", "--topology", cli.spec, cwd=cli.folder)  # `inv` serves the same tasks
    assert table.returncode == 0, table.stderr
    for name in MEMBERS:
        assert name in table.stdout and str(status[name]["pid"]) in table.stdout
    assert "PRIMARY" in table.stdout


def test_up_on_a_running_cluster_changes_nothing(cli):
    before = pids(cli.wait_healthy())
    result = cli.ok("up", cli.spec, "--no-routers")
    assert "already up; nothing changed" in result.stderr
    assert pids(cli.status()) == before


def test_stop_one_member_by_number_then_start_all_starts_only_it(cli):
    before = pids(cli.wait_healthy())
    assert cli.ok("stop", "rs0.2", cli.spec).stderr.strip() == "stop: rs0.2"
    status = cli.status()
    assert status["rs0.2"]["state"] == "DOWN" and status["rs0.2"]["pid"] is None
    assert not runs_from(before["rs0.2"], cli.folder)
    assert {n: status[n]["pid"] for n in ("rs0.1", "rs0.3")} == {n: before[n] for n in ("rs0.1", "rs0.3")}

    assert cli.ok("start", "all", cli.spec).stderr.strip() == "start: rs0.2"
    status = cli.wait_healthy()
    assert runs_from(status["rs0.2"]["pid"], cli.folder)


def test_stop_the_primary_by_state_selector_hands_over(cli):
    primary = next(n for n, m in cli.wait_healthy().items() if m["state"] == "PRIMARY")
    assert cli.ok("stop", "rs0.primary", cli.spec).stderr.strip() == f"stop: {primary}"
    status = cli.wait_for(lambda s: any(m["state"] == "PRIMARY" for n, m in s.items() if n != primary),
                          f"a new primary after stopping {primary}")
    assert status[primary]["state"] == "DOWN"
    cli.ok("start", primary, cli.spec)
    cli.wait_healthy()


def test_killed_member_is_restarted_alone_by_up(cli):
    before = pids(cli.wait_healthy())
    assert cli.ok("kill", "rs0.3", cli.spec).stderr.strip() == "kill: rs0.3"
    assert not runs_from(before["rs0.3"], cli.folder)
    assert cli.status()["rs0.3"]["state"] == "DOWN"
    result = cli.ok("up", cli.spec, "--no-routers")
    assert "(1 process(es) started" in result.stderr
    after = pids(cli.wait_healthy())
    assert after["rs0.3"] != before["rs0.3"] and runs_from(after["rs0.3"], cli.folder)
    assert {n: after[n] for n in ("rs0.1", "rs0.2")} == {n: before[n] for n in ("rs0.1", "rs0.2")}


def test_logs_print_the_last_lines_of_a_member(cli):
    result = cli.ok("logs", "rs0.1", cli.spec, "--lines", "5")
    log_file = cli.state_dir / "rs0-1" / "mongod.log"
    assert result.stdout.splitlines()[0] == f"==> rs0.1: {log_file} <=="  # the header names member and file
    entries = [line for line in result.stdout.splitlines() if line.startswith('{"t":')]
    assert len(entries) == 5, result.stdout
    text = log_file.read_text()
    assert all(entry in text for entry in entries)


def test_logs_by_state_selector_and_a_spec_where_the_member_belongs(cli):
    status = cli.wait_healthy()
    primary = next(name for name, member in status.items() if member["state"] == "PRIMARY")
    result = cli.ok("logs", "rs0.primary", cli.spec, "--lines", "1")
    assert result.stdout.splitlines()[0].startswith(f"==> {primary}: ")
    misplaced = cli.run("logs", cli.spec)
    assert misplaced.returncode == 2
    assert f"'{cli.spec}' is a spec, but a member is expected first" in misplaced.stderr
    assert "Traceback" not in misplaced.stderr


def test_verbose_logs_every_command_sent_with_no_secret_in_it(cli):
    cli.wait_healthy()
    result = cli.ok("status", cli.spec, "--verbose")
    assert "admin.replSetGetStatus" in result.stderr and " ok (" in result.stderr
    password = (cli.state_dir / "root-password").read_text().strip()
    assert password not in result.stderr and password not in result.stdout


def test_down_then_up_keeps_the_data(cli):
    cli.wait_healthy()
    with cli.client() as client:
        client.app.things.with_options(write_concern=WriteConcern("majority", j=True)).insert_one({"_id": "kept"})
    result = cli.ok("down", cli.spec)
    assert "stopped 3 process(es)" in result.stderr
    assert started_under(cli.folder) == []
    assert {(m["state"], m["pid"]) for m in cli.cli_status().values()} == {("DOWN", None)}

    up = json.loads(cli.ok("up", cli.spec, "--no-routers", "--json").stdout)
    assert len(up["members"]) == 3
    cli.wait_healthy()
    with cli.client() as client:
        assert client.app.things.find_one({"_id": "kept"}) == {"_id": "kept"}


def test_destroy_refuses_without_yes_then_removes_everything(cli):
    refused = cli.run("destroy", cli.spec)
    assert refused.returncode == 2
    assert "add --yes to confirm" in refused.stderr and "Traceback" not in refused.stderr
    assert cli.state_dir.exists() and started_under(cli.folder) != []

    cli.ok("destroy", cli.spec, "--yes")
    assert not cli.state_dir.exists()
    assert started_under(cli.folder) == []
