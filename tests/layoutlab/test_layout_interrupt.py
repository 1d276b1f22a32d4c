"""Ctrl-C in the middle of a lab run: the scratch collections are gone afterwards, the source untouched.

The lab runs in a child process (tests/layoutlab/lab_child.py) and gets a real
SIGINT at a moment the test sees from outside: while the server is executing
its `$out` (in $currentOp, with the lab's comment), or once the three layouts
exist and the query mix runs. Then an independent client checks the lab
database and the server's operations.
"""

from __future__ import annotations

import queue
import signal
import subprocess
import threading

import pytest

from shardsmith.wait import Deadline, poll
from tests.crash.kill import child
from tests.layoutlab.conftest import load_messages

COUNT = 15_000  # enough that the first $out runs long enough (some 100 ms) to be seen in $currentOp
LAB_COMMENT = "^shardsmith-layoutlab "


@pytest.fixture(scope="module")
def big_source(client):
    source = client["layoutlab_interrupt"]["messages"]
    load_messages(source, COUNT, seed=3)
    yield source
    client.drop_database("layoutlab_interrupt")


class Lines:
    """The child's stdout, line by line, read on a thread so waits can time out."""

    def __init__(self, process: subprocess.Popen):
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(line) for line in process.stdout], daemon=True).start()

    def rest(self) -> bytes:
        found = []
        while not self.lines.empty():
            found.append(self.lines.get())
        return b"".join(found)

    def wait_for(self, marker: bytes, timeout: float = 120) -> None:
        seen = []
        while True:
            line = self.lines.get(timeout=timeout)
            seen.append(line)
            if marker in line:
                return
            assert b"finished" not in line, f"the lab finished before {marker!r}: {seen}"


def lab_operations(client) -> list[dict]:
    stages = [{"$currentOp": {"allUsers": True, "idleConnections": False}},
              {"$match": {"command.comment": {"$regex": LAB_COMMENT}}}]
    return list(client.admin.aggregate(stages))


def source_hash(source) -> str:
    return source.database.command("dbHash", collections=[source.name])["collections"][source.name]


def interrupt_and_check(client, process: subprocess.Popen, lines: Lines, source, lab_database: str,
                        hash_before: str) -> None:
    process.send_signal(signal.SIGINT)
    process.wait(timeout=180)
    assert process.returncode == 130, process.stderr.read().decode()[-3000:]
    assert b"interrupted" in lines.rest()
    left = [n for n in client[lab_database].list_collection_names() if not n.startswith("system.")]
    assert left == []
    assert poll(lambda: not lab_operations(client), until=Deadline.after(30), what="the lab's operations to end")
    assert source_hash(source) == hash_before


def test_sigint_while_the_server_runs_the_copy(replset, client, big_source, lab_database):
    before = source_hash(big_source)
    process = child("tests.layoutlab.lab_child", replset.uri(), big_source.full_name, lab_database)
    try:
        lines = Lines(process)
        lines.wait_for(b"started")
        copying = poll(lambda: [op for op in lab_operations(client) if "$out" in str(op["command"].get("pipeline"))],
                       until=Deadline.after(120), interval=0.01, what="the lab's $out to run")
        assert copying[0]["command"]["comment"].startswith("shardsmith-layoutlab ")
        interrupt_and_check(client, process, lines, big_source, lab_database, before)
    finally:
        process.kill()
        process.wait()


def test_sigint_while_the_query_mix_runs(replset, client, big_source, lab_database):
    before = source_hash(big_source)
    process = child("tests.layoutlab.lab_child", replset.uri(), big_source.full_name, lab_database, "queries")
    try:
        lines = Lines(process)
        lines.wait_for(b"querying")
        names = client[lab_database].list_collection_names()
        assert any(n.endswith("_regular") for n in names) and any(n.endswith("_timeseries") for n in names)
        assert any(n.endswith("_2024_01") for n in names)  # the monthly layout exists too
        interrupt_and_check(client, process, lines, big_source, lab_database, before)
    finally:
        process.kill()
        process.wait()
