"""Every task that takes --uri, against a target it cannot use: one clear error line, exit 2, no traceback.

The target is a real two-member replica set with auth (one for the module). Each task meets each
failure that applies to it: a wrong password, no login at all, a port where nothing listens, a
user holding only the `read` role, and a direct connection to the secondary (for tasks that write).
The installed `shardsmith` program runs as a user would run it (tests/integration/test_cli_user_errors.py).
"""

from __future__ import annotations

import time
from datetime import datetime
from urllib.parse import quote_plus

import pytest
from pymongo import MongoClient

from shardsmith.archive import rotate
from shardsmith.cluster import Cluster
from shardsmith.errors import ShardsmithError
from shardsmith.rolling import RollingCollections
from shardsmith.target import target_errors
from shardsmith.topology import parse_topology
from shardsmith.topology.model import IndexSpec
from tests.conftest import free_port_block
from tests.integration.test_cli_user_errors import flat, run_cli

DATABASE = "bt_app"
SPEC = f"""\
name: badtargets
replica_set: {{members: 1}}
databases:
  {DATABASE}:
    collections:
      events: {{indexes: events}}
    rolling:
      messages: {{indexes: messages, retention: 1}}
    tiers:
      messages:
        hot: {{collection: messages_current, keep: 7d}}
        cold: {{rolling: messages}}
index_sets:
  events: [{{keys: {{at: -1}}}}]
  messages: [{{keys: {{timestamp: -1}}}}]
"""
ARCHIVED_MONTH = "2020-01"

# task -> its arguments besides --uri (SPEC and ARCHIVE are filled in per run)
TASKS = {
    "plan": ["SPEC"],
    "apply": ["SPEC"],
    "data.load": ["SPEC", "--messages", "10"],
    "data.stats": ["SPEC"],
    "data.rotate": ["SPEC", "--keep", "1", "--archive-dir", "ARCHIVE"],
    "data.restore": [ARCHIVED_MONTH, "SPEC", "--archive-dir", "ARCHIVE"],
    "data.cleanup": ["SPEC"],
    "data.tier": ["SPEC"],
    "data.indexes": ["SPEC"],
    "data.compact": ["events", "SPEC"],
    "lab.analyze": ["--collection", f"{DATABASE}.events", "--key", "{at: 1}"],
    "lab.experiment": ["--collection", f"{DATABASE}.events", "--key", "{at: 1}"],
}
READING = {"plan", "data.stats", "data.indexes", "lab.analyze"}
WRITING = sorted(set(TASKS) - READING)

# failure kind -> what the one error line must say
EVERY_TASK = {
    "bad password": "authentication failed on mongodb://admin:***@",
    "no login": "requires a login, and the URI gives no user",
    "unreachable": "cannot reach mongodb://admin:***@127.0.0.1:",
}
WRITING_TASKS = {
    "read-only user": "reader@admin may only read on mongodb://reader:***@",
    "secondary": "is a secondary of replica set rs0",
}


class Target:
    """The module's replica set and the URIs of each failure kind."""

    def __init__(self, cluster: Cluster, tmp_path):
        self.cluster = cluster
        self.spec = tmp_path / "badtargets.yaml"
        self.spec.write_text(SPEC)
        self.archive = tmp_path / "archive"
        credentials = cluster.credentials()
        self.user, self.password = quote_plus(credentials.username), quote_plus(credentials.password)
        addresses = [endpoint.address for endpoint in cluster.endpoints().values()]
        self.hosts = ",".join(addresses)
        self.secondary_address = cluster.endpoints()["rs0.2"].address

    def uri(self, user: str, password: str, *, hosts: str | None = None, options: str = "replicaSet=rs0") -> str:
        login = f"{user}:{password}@" if user else ""
        return f"mongodb://{login}{hosts or self.hosts}/?{options}&authSource=admin"

    def for_kind(self, kind: str) -> str:
        return {
            "root": self.uri(self.user, self.password),
            "bad password": self.uri(self.user, "not-the-password"),
            "no login": self.uri("", ""),
            "unreachable": self.uri(self.user, self.password, hosts=f"127.0.0.1:{free_port_block(1)}",
                                    options="directConnection=true&serverSelectionTimeoutMS=1000"),
            "read-only user": self.uri("reader", "reader-password"),
            "writes elsewhere": self.uri("elsewhere", "elsewhere-password"),
            "secondary": self.uri(self.user, self.password, hosts=self.secondary_address, options="directConnection=true"),
        }[kind]

    def run(self, task: str, kind: str):
        args = [str(self.spec) if a == "SPEC" else str(self.archive) if a == "ARCHIVE" else a for a in TASKS[task]]
        return run_cli("shardsmith", task, *args, "--uri", self.for_kind(kind), cwd=self.spec.parent)


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    root = tmp_path_factory.mktemp("badtargets")
    text = (f"name: badtargets\ndeploy: {{base_port: {free_port_block(4)}}}\nstorage: {{wiredtiger_cache: 256MB}}\n"
            "replica_set: {name: rs0, members: [{}, {priority: 0, votes: 0}]}\n")
    cluster = Cluster(parse_topology(text, str(root / "cluster.yaml")), state_root=root / "state")
    try:
        cluster.up()
        made = Target(cluster, root)
        with MongoClient(made.for_kind("root")) as client:
            _prepare(client, made)
        _wait_until_secondary(made.secondary_address)
        yield made
    finally:
        cluster.destroy()


def _prepare(client: MongoClient, made: Target) -> None:
    """Users for the failure kinds, a source collection for the lab, and an archived month for restore."""
    client.admin.command("createUser", "reader", pwd="reader-password", roles=[{"role": "read", "db": DATABASE}])
    client.admin.command("createUser", "elsewhere", pwd="elsewhere-password",
                         roles=[{"role": "read", "db": DATABASE}, {"role": "readWrite", "db": "bt_other"}])
    db = client[DATABASE]
    db.events.insert_many([{"at": n, "kind": n % 3} for n in range(50)])
    messages = RollingCollections(db, "messages", indexes=(IndexSpec(keys=(("timestamp", -1),)),))
    messages.insert_many([{"timestamp": datetime(2020, 1, day)} for day in range(1, 11)])
    rotate(db, "messages", 1, made.archive, now=datetime(2020, 3, 1))


def _wait_until_secondary(address: str, timeout: float = 60.0) -> None:
    """A new member syncs before it is SECONDARY; the tests want it there (polled, bounded)."""
    deadline = time.monotonic() + timeout
    with MongoClient(f"mongodb://{address}/?directConnection=true") as client:
        while not client.admin.command("hello").get("secondary"):
            if time.monotonic() > deadline:
                raise AssertionError(f"{address} did not become SECONDARY within {timeout:.0f}s")
            time.sleep(0.1)


def assert_one_error_line(result, expected: str, password: str) -> None:
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert len(errors) == 1, result.stderr
    assert expected in flat(result.stderr.split("\n  -> ")[0]), result.stderr
    assert password not in result.stderr + result.stdout


@pytest.mark.parametrize("kind", EVERY_TASK)
@pytest.mark.parametrize("task", TASKS)
def test_every_task_explains_a_target_it_cannot_log_in_to_or_reach(target, task, kind):
    result = target.run(task, kind)
    assert_one_error_line(result, EVERY_TASK[kind], target.password)


@pytest.mark.parametrize("kind", WRITING_TASKS)
@pytest.mark.parametrize("task", WRITING)
def test_every_writing_task_refuses_a_read_only_user_and_a_secondary_before_any_work(target, task, kind):
    with MongoClient(target.for_kind("root")) as client:
        before = {name: client[DATABASE][name].count_documents({}) for name in client[DATABASE].list_collection_names()}
        result = target.run(task, kind)
        after = {name: client[DATABASE][name].count_documents({}) for name in client[DATABASE].list_collection_names()}
    assert_one_error_line(result, WRITING_TASKS[kind], target.password)
    assert "and this task writes" in flat(result.stderr)
    assert after == before  # refused before it changed anything


@pytest.mark.parametrize("task, expected", [
    ("data.load", f"the user of mongodb://elsewhere:***@{{hosts}}/?replicaSet=rs0&authSource=admin may not run "
                  f"create on database {DATABASE}"),
    ("data.restore", f"may not run createIndexes on database {DATABASE}"),  # the archive's indexes come first
])
def test_a_write_refused_during_the_task_is_one_clear_line(target, task, expected):
    """A user who may write elsewhere passes the check at connection; the server's refusal later is explained too."""
    result = target.run(task, "writes elsewhere")
    assert_one_error_line(result, expected.format(hosts=target.hosts), target.password)
    assert "readWrite" in result.stderr


def test_a_write_on_a_secondary_during_a_task_is_explained(target):
    """The server's own NotPrimaryError (a step-down mid-task looks the same) becomes one line naming the target."""
    uri = target.for_kind("secondary")
    with MongoClient(uri) as client:
        with pytest.raises(ShardsmithError) as raised:
            with target_errors(uri):
                client[DATABASE].events.insert_one({"at": -1})
    message = str(raised.value)
    assert message.startswith(f"mongodb://admin:***@{target.secondary_address}/?directConnection=true&authSource=admin "
                              "is not a primary (any more): not primary"), message
    assert "replicaSet=NAME" in message and target.password not in message


@pytest.mark.parametrize("task", ["plan", "data.stats", "lab.analyze"])
@pytest.mark.parametrize("kind", ["read-only user", "secondary"])
def test_reading_tasks_work_as_a_read_only_user_and_on_a_secondary(target, task, kind):
    result = target.run(task, kind)
    assert result.returncode == 0, result.stderr
    assert "error:" not in result.stderr
