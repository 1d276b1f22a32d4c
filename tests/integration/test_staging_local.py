"""Staging on local processes, for real (issue 15): TLS with a generated CA, x509 member authentication,
application users, certificate rotation, and no password anywhere it should not be.

One 3-member replica set (requireTLS, member_auth: x509, users app and monitor) is brought up once by the
installed `shardsmith` program and shared by the tests of this module; the config + shard test has its own.
Passwords are canaries: the last test greps every file, log, `ps` line and --json output for them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import psutil
import pytest
from pymongo import MongoClient, WriteConcern
from pymongo.errors import OperationFailure, ServerSelectionTimeoutError

from shardsmith.cluster import Cluster
from shardsmith.tls.authority import Names, issue, load_authority
from shardsmith.tls.rotate import presented_certificate, serial
from tests.cli_run import run
from tests.conftest import free_port_block, with_test_version
from tests.writers import MajorityWriter

SHARDSMITH = Path(sys.executable).parent / "shardsmith"
CANARIES = {"STG_APP_PW": "canary-app-7f1e0c", "STG_MON_PW": "canary-mon-2b9d44",
            "SHARDSMITH_ROOT_PASSWORD": "canary-root-55aa31"}
SPEC = """\
name: stg
deploy: {base_port: BASE_PORT}
storage: {wiredtiger_cache: 256MB}
tls: {mode: requireTLS, member_auth: x509}
users:
  - {name: app, password_env: STG_APP_PW, roles: [{role: readWrite, db: app}]}
  - {name: monitor, password_env: STG_MON_PW, roles: [clusterMonitor]}
replica_set: {name: rs0, members: 3}
"""


@contextmanager
def sampling_ps(lines: set[str]) -> Iterator[set[str]]:
    """Every command line on this machine, sampled into `lines` while the block runs (a password must be in none)."""
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            lines.update(" ".join(proc.info["cmdline"] or []) for proc in psutil.process_iter(["cmdline"]))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield lines
    finally:
        stop.set()
        sampler.join()


class Staging:
    """The shared cluster: its spec, folder, Cluster handle, and everything our commands printed."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.spec = folder / "stg.yaml"
        self.spec.write_text(with_test_version(SPEC.replace("BASE_PORT", str(free_port_block(8)))))
        self.printed: list[str] = []
        self.ps_lines: set[str] = set()

    def shardsmith(self, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        """The installed program, as a user runs it; its output is kept for the canary check."""
        done = subprocess.run([str(SHARDSMITH), *args], capture_output=True, text=True, timeout=300,
                              env=env or os.environ.copy(), cwd=self.folder, check=False)
        self.printed += [done.stdout, done.stderr]
        return done

    @property
    def cluster(self) -> Cluster:
        return Cluster.from_spec(self.spec)

    def root_uri(self) -> str:
        return self.cluster.uri()

    @property
    def ca_file(self) -> str:
        return str(self.cluster.state.path / "tls" / "ca.pem")

    def member_client(self, name: str, **options) -> MongoClient:
        """A direct client on one member, with only the options given (no TLS unless asked)."""
        address = self.cluster.endpoints()[name].address
        return MongoClient(f"mongodb://{address}/?directConnection=true", serverSelectionTimeoutMS=3000, **options)

    def as_root(self, name: str) -> MongoClient:
        return self.member_client(name, tls=True, tlsCAFile=self.ca_file, username="admin",
                                  password=CANARIES["SHARDSMITH_ROOT_PASSWORD"])

    def login(self, user: str, password: str) -> MongoClient:
        """The replica set as an application logs in to it."""
        hosts = ",".join(e.address for e in self.cluster.endpoints().values())
        return MongoClient(f"mongodb://{user}:{password}@{hosts}/?replicaSet=rs0&authSource=admin&tls=true",
                           tlsCAFile=self.ca_file)


@pytest.fixture(scope="module")
def staging(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        for name, value in CANARIES.items():
            patch.setenv(name, value)
        handle = Staging(tmp_path_factory.mktemp("staging-local"))
        with sampling_ps(handle.ps_lines):
            try:
                done = handle.shardsmith("up", str(handle.spec), "--json")
                assert done.returncode == 0, done.stderr
                yield handle
            finally:
                handle.cluster.destroy()


def test_members_require_tls_and_authenticate_each_other_by_x509_without_a_keyfile(staging):
    cluster = staging.cluster
    assert not (cluster.state.path / "keyfile").exists()
    with MongoClient(staging.root_uri()) as client:
        status = client.admin.command("replSetGetStatus")
        assert sorted(m["stateStr"] for m in status["members"]) == ["PRIMARY", "SECONDARY", "SECONDARY"]
        assert all(m["health"] == 1 for m in status["members"])  # they reach and authenticate each other
    for member in cluster.topology.members:
        with staging.as_root(member.name) as client:
            parsed = client.admin.command("getCmdLineOpts")["parsed"]
        assert parsed["net"]["tls"]["mode"] == "requireTLS"
        assert parsed["security"]["clusterAuthMode"] == "x509" and "keyFile" not in parsed["security"]
    up_json = json.loads(staging.printed[0])
    assert {m["name"] for m in up_json["members"] if m["state"] in ("PRIMARY", "SECONDARY")} == {"rs0.1", "rs0.2", "rs0.3"}


def test_printed_connection_string_carries_tls_and_the_ca(staging):
    done = staging.shardsmith("up", str(staging.spec))
    assert done.returncode == 0 and "nothing changed" in done.stderr
    printed = next(line for line in done.stdout.splitlines() if line.startswith("connect: "))
    assert f"tls=true&tlsCAFile={staging.ca_file}" in printed and "<password>" in printed
    uri = printed.removeprefix("connect: ").replace("<password>", CANARIES["SHARDSMITH_ROOT_PASSWORD"])
    with MongoClient(uri) as client:
        client.app.probe.with_options(write_concern=WriteConcern("majority")).insert_one({"by": "printed uri"})


def test_plain_text_and_untrusting_clients_are_refused(staging):
    with staging.member_client("rs0.1") as plain, pytest.raises(ServerSelectionTimeoutError):
        plain.admin.command("ping")
    with staging.member_client("rs0.1", tls=True) as without_ca, \
            pytest.raises(ServerSelectionTimeoutError, match="CERTIFICATE_VERIFY_FAILED"):
        without_ca.admin.command("ping")
    with staging.member_client("rs0.1", tls=True, tlsCAFile=staging.ca_file) as trusting:
        assert trusting.admin.command("ping")["ok"] == 1


def test_app_may_read_and_write_its_database_and_nothing_else(staging):
    with staging.login("app", CANARIES["STG_APP_PW"]) as app:
        things = app.app.things.with_options(write_concern=WriteConcern("majority"))
        things.insert_one({"_id": 1})
        assert things.find_one({"_id": 1}) == {"_id": 1}
        for refused in (lambda: app.other.things.insert_one({"_id": 1}), lambda: app.other.things.find_one(),
                        lambda: app.admin.command("serverStatus")):
            with pytest.raises(OperationFailure) as error:
                refused()
            assert error.value.code == 13  # Unauthorized


def test_monitor_may_watch_but_not_write(staging):
    with staging.login("monitor", CANARIES["STG_MON_PW"]) as monitor:
        assert monitor.admin.command("serverStatus")["ok"] == 1
        assert monitor.admin.command("replSetGetStatus")["set"] == "rs0"
        with pytest.raises(OperationFailure) as error:
            monitor.app.things.insert_one({"_id": 2})
        assert error.value.code == 13


def test_apply_by_uri_changes_nothing_then_corrects_roles_and_prunes_only_when_asked(staging, tmp_path, capsys):
    """In-process (tests/cli_run.py): the root password in --uri is the test's, and must not reach `ps`."""
    uri = staging.root_uri()
    code, out, _ = run(capsys, "apply", str(staging.spec), "--uri", uri, "--json")
    staging.printed.append(out)
    assert code == 0 and json.loads(out)["outcomes"] == [] and json.loads(out)["remaining"]["steps"] == []

    changed = tmp_path / "changed.yaml"  # monitor gets another role, app is gone from the spec
    changed.write_text(staging.spec.read_text().replace("  - {name: app, password_env: STG_APP_PW, roles: "
                                                        "[{role: readWrite, db: app}]}\n", "")
                       .replace("roles: [clusterMonitor]", "roles: [clusterMonitor, {role: read, db: app}]"))
    code, out, _ = run(capsys, "plan", str(changed), "--uri", uri, "--json")
    plan = json.loads(out)
    assert code == 0 and [(s["kind"], s["target"]) for s in plan["steps"]] == [("updateUser", "user monitor")]
    assert plan["differences"] == [{"target": "user app", "what": "is not in the spec's users; kept",
                                    "hint": "apply --prune drops it"}]
    code, out, _ = run(capsys, "apply", str(changed), "--uri", uri, "--prune", "--json")
    staging.printed.append(out)
    applied = json.loads(out)
    assert code == 0 and [(o["step"]["kind"], o["status"]) for o in applied["outcomes"]] == [
        ("updateUser", "done"), ("dropUser", "done")]
    with MongoClient(uri) as root:
        users = {u["user"]: sorted((r["role"], r["db"]) for r in u["roles"])
                 for u in root.admin.command("usersInfo")["users"]}
    assert users == {"admin": [("root", "admin")], "monitor": [("clusterMonitor", "admin"), ("read", "app")]}

    code, out, _ = run(capsys, "apply", str(staging.spec), "--uri", uri, "--json")  # back as the spec says
    staging.printed.append(out)
    outcomes = json.loads(out)["outcomes"]
    assert code == 0 and [(o["step"]["kind"], o["step"]["target"]) for o in outcomes] == [
        ("createUser", "user app"), ("updateUser", "user monitor")]
    assert outcomes[0]["step"]["command"]["pwd"] == {"$secret": "env:STG_APP_PW"}
    with staging.login("app", CANARIES["STG_APP_PW"]) as app:
        assert app.app.things.find_one({"_id": 1}) == {"_id": 1}


def test_an_unset_password_variable_is_a_spec_error_and_nothing_is_applied(staging, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("STG_MON_PW")
    code, _, err = run(capsys, "apply", str(staging.spec), "--uri", staging.root_uri())
    assert code == 2 and f"{staging.spec}:7 users[1].password_env: STG_MON_PW is not set" in err, err
    fresh = tmp_path / "fresh.yaml"  # and `up` starts nothing, writes nothing
    fresh.write_text(staging.spec.read_text().replace("name: stg", "name: stg-fresh"))
    code, _, err = run(capsys, "up", str(fresh))
    assert code == 2 and f"{fresh}:7 users[1].password_env: STG_MON_PW is not set" in err, err
    assert "nothing was started or written" in err and not (tmp_path / ".shardsmith").exists()


def wrong_certificate(staging: Staging, member: str) -> None:
    """Give `member` a certificate from the cluster's CA that names neither its address nor localhost."""
    tls_folder = staging.cluster.state.path / "tls"
    authority = load_authority((tls_folder / "ca.pem").read_bytes(), (tls_folder / "ca.key").read_bytes())
    certificate, key = issue(authority, cluster="stg", common_name="elsewhere", names=Names(("elsewhere.invalid",), ()),
                             days=1)
    (tls_folder / f"{member.replace('.', '-')}.pem").write_bytes(certificate + key)
    with staging.as_root(member) as client:
        client.admin.command("rotateCertificates", 1)


def test_a_certificate_that_does_not_name_the_member_is_refused_and_rotate_replaces_it(staging):
    wrong_certificate(staging, "rs0.3")
    with staging.member_client("rs0.3", tls=True, tlsCAFile=staging.ca_file) as client, \
            pytest.raises(ServerSelectionTimeoutError, match="mismatch, certificate is not valid for"):
        client.admin.command("ping")

    assert staging.shardsmith("kill", "rs0.3", str(staging.spec)).returncode == 0
    done = staging.shardsmith("up", str(staging.spec))  # what starts is checked first: nothing does
    assert done.returncode == 2, done.stdout + done.stderr
    assert (f"{staging.spec}:2 deploy.bind_ip: the certificate of rs0.3" in done.stderr
            and "does not cover localhost, rs0-3, 127.0.0.1 (names it is reached by)" in done.stderr), done.stderr
    assert staging.cluster.backend.running()["rs0.3"] is None

    done = staging.shardsmith("tls", "rotate", str(staging.spec), "--json")
    assert done.returncode == 0, done.stderr
    assert {r["process"]: r["how"] for r in json.loads(done.stdout)["rotated"]} == {
        "rs0.1": "rotateCertificates", "rs0.2": "rotateCertificates", "rs0.3": "not running: files replaced"}
    assert staging.shardsmith("up", str(staging.spec)).returncode == 0
    with staging.member_client("rs0.3", tls=True, tlsCAFile=staging.ca_file) as client:
        assert client.admin.command("ping")["ok"] == 1


@pytest.mark.parametrize("how", ["rotateCertificates", "restarted"])
def test_tls_rotate_keeps_a_writable_primary_and_every_member_presents_its_new_certificate(staging, how, monkeypatch):
    """rotateCertificates (MongoDB 5.0+) reloads in place; the restart path (before 5.0) is forced here."""
    if how == "restarted":
        monkeypatch.setattr("shardsmith.tls.rotate.RELOAD_SINCE", (99, 0))
    cluster = staging.cluster
    with MongoClient(staging.root_uri()) as client:
        term = client.admin.command("replSetGetStatus")["term"]
    from shardsmith.tls.rotate import rotate_certificates

    with MajorityWriter(staging.root_uri()) as writer:
        result = rotate_certificates(cluster)
    assert writer.failures == [], writer.failures
    assert writer.written > 10
    assert [r.how for r in result.rotated] == [how] * 3
    tls = cluster.tls
    for member in cluster.topology.members:
        on_disk = serial(cluster_certificate(cluster, member))
        assert serial(presented_certificate(cluster.endpoints()[member.name].address, tls)) == on_disk
        assert on_disk == next(r.new_serial for r in result.rotated if r.process == member.name)
    if how == "rotateCertificates":  # nothing restarted, nobody stepped down: the same primary, the same term
        with MongoClient(staging.root_uri()) as client:
            assert client.admin.command("replSetGetStatus")["term"] == term


def cluster_certificate(cluster: Cluster, member):
    from shardsmith.tls import CertificateStore

    return CertificateStore(cluster.topology, cluster.state).certificate(member)


def test_private_keys_are_readable_by_their_owner_only(staging):
    folder = staging.cluster.state.path / "tls"
    keys = sorted(p.name for p in folder.iterdir() if (p.stat().st_mode & 0o077) == 0)
    assert keys == ["ca.key", "rs0-1.pem", "rs0-2.pem", "rs0-3.pem"]
    assert (folder / "ca.pem").stat().st_mode & 0o777 == 0o644


def test_no_password_is_in_any_file_log_ps_line_or_json_output(staging):
    done = staging.shardsmith("status", str(staging.spec), "--json")
    assert done.returncode == 0
    files = [p for p in staging.folder.rglob("*") if p.is_file() and not p.is_socket()]
    assert any(p.name == "mongod.log" for p in files)
    for canary in CANARIES.values():
        assert not [p for p in files if canary.encode() in p.read_bytes()]
        assert not [text for text in staging.printed if canary in text]
        assert not [line for line in staging.ps_lines if canary in line]
    assert any("shardsmith up" in line for line in staging.ps_lines)  # the sampler saw our commands run


def test_config_and_shard_sets_come_up_with_require_tls_on_keyfile_auth(make_cluster):
    cluster = make_cluster("""
name: stg-sharded
deploy: {base_port: BASE_PORT}
storage: {wiredtiger_cache: 256MB}
tls: {mode: requireTLS}
config_servers: {name: cfg, members: 1}
shards:
  - {name: shard01, members: 1}
mongos: {count: 1}
""", routers=False)
    cluster.up()
    assert (cluster.state.path / "keyfile").exists()
    ca = str(cluster.state.path / "tls" / "ca.pem")
    for rs in cluster.topology.replica_sets:
        uri = cluster.set_uri(rs)
        assert f"tls=true&tlsCAFile={ca}" in uri
        with MongoClient(uri) as client:
            parsed = client.admin.command("getCmdLineOpts")["parsed"]
            assert parsed["net"]["tls"]["mode"] == "requireTLS" and "keyFile" in parsed["security"]
            assert client.admin.command("hello")["isWritablePrimary"]
        address = cluster.endpoints()[rs.members[0].name].address
        with MongoClient(f"mongodb://{address}/?directConnection=true", serverSelectionTimeoutMS=2000) as plain, \
                pytest.raises(ServerSelectionTimeoutError):
            plain.admin.command("ping")
