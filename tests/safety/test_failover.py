"""Writes survive what Shardsmith does to a set: SIGKILLed primaries (chaos) and clean stops of a primary.

A writer thread inserts numbered documents the whole time and remembers which inserts the server
acknowledged; afterwards every acknowledged one must be there. The killing and stopping go through the
real `shardsmith` program (`kill rs0.primary`, `stop rs0.primary`).
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from pymongo import MongoClient, WriteConcern
from pymongo.errors import PyMongoError
from pymongo.read_concern import ReadConcern

from shardsmith.cluster import Cluster
from shardsmith.topology import load_topology
from tests.conftest import free_port_block
from tests.safety.test_processes_and_folders import THREE, shardsmith

CHAOS_SECONDS = 30  # a bound on the whole chaos run, not a measurement


class Writer(threading.Thread):
    """Inserts numbered documents in batches until stopped; `acknowledged` holds each _id the server confirmed.

    `payload` bytes per document make the secondaries' apply work heavy enough that they trail the primary.
    """

    def __init__(self, uri: str, write_concern: WriteConcern, retry: bool, batch: int = 1, payload: int = 0):
        super().__init__(daemon=True)
        self.client = MongoClient(uri, retryWrites=retry, serverSelectionTimeoutMS=20000)
        self.collection = self.client.chaos.writes.with_options(write_concern=write_concern)
        self.batch, self.filler = batch, "x" * payload
        self.acknowledged: list[int] = []
        self.failures = 0
        self.halt = threading.Event()

    def run(self) -> None:
        n = 0
        while not self.halt.is_set():
            ids = list(range(n + 1, n + self.batch + 1))
            n += self.batch
            try:
                self.collection.insert_many([{"_id": i, "filler": self.filler} for i in ids])
                self.acknowledged += ids
            except PyMongoError:  # not acknowledged: the server promised nothing about them
                self.failures += 1

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=60)
        self.client.close()


@pytest.fixture
def three(tmp_path):
    path = tmp_path / "chaos.yaml"
    path.write_text(THREE.format(name="chaos", port=free_port_block(4)))
    assert shardsmith("up", path, cwd=tmp_path).returncode == 0
    cluster = Cluster(load_topology(path))
    yield path, cluster
    shardsmith("destroy", path, "--yes", cwd=tmp_path)


def present(cluster: Cluster, wanted: list[int]) -> set[int]:
    """The wanted _ids the current primary holds (a rolled-back write is gone from every member)."""
    with cluster.client() as client:
        local = client.chaos.get_collection("writes", read_concern=ReadConcern("local"))
        return {doc["_id"] for doc in local.find({"_id": {"$in": wanted}}, {"_id": 1})}


def assert_none_lost(cluster: Cluster, writer: Writer) -> None:
    lost = set(writer.acknowledged) - present(cluster, writer.acknowledged)
    assert not lost, f"{len(lost)} of {len(writer.acknowledged)} acknowledged writes lost ({min(lost)}..{max(lost)})"


def wait_writes(writer: Writer, more: int) -> None:
    target, deadline = len(writer.acknowledged) + more, time.monotonic() + CHAOS_SECONDS
    while len(writer.acknowledged) < target and time.monotonic() < deadline:
        time.sleep(0.05)


def test_majority_writes_survive_two_sigkilled_primaries(three, tmp_path):
    path, cluster = three
    started = time.monotonic()
    writer = Writer(cluster.uri(), WriteConcern("majority"), retry=True)
    writer.start()
    try:
        for _ in range(2):
            wait_writes(writer, 200)
            killed = shardsmith("kill", "rs0.primary", path, cwd=tmp_path)
            assert killed.returncode == 0 and "kill: rs0." in killed.stderr, killed.stderr
            wait_writes(writer, 200)  # the set elected a new primary and takes writes again
            assert shardsmith("up", path, cwd=tmp_path).returncode == 0  # the killed member restarts
    finally:
        writer.stop()
    assert time.monotonic() - started < 4 * CHAOS_SECONDS
    assert len(writer.acknowledged) > 400
    assert_none_lost(cluster, writer)


def test_a_clean_stop_of_a_primary_loses_no_acknowledged_w1_write(three, tmp_path):
    """The secondaries are paused (SIGSTOP) while w:1 writes go on, and resumed just before the primary is
    stopped: they trail it by about a second of writes. Stopped at once, the primary would leave those
    writes behind, to be rolled back when it rejoins; Shardsmith first waits for a secondary to catch up."""
    path, cluster = three
    writer = Writer(cluster.uri(), WriteConcern(w=1), retry=False, batch=100, payload=1000)
    writer.start()
    try:
        wait_writes(writer, 2000)
        primary = cluster.primary("rs0")
        secondaries = [s.pid for s in cluster.status() if s.state == "SECONDARY"]
        for pid in secondaries:
            os.kill(pid, signal.SIGSTOP)
        try:
            wait_writes(writer, 20000)
        finally:
            for pid in secondaries:
                os.kill(pid, signal.SIGCONT)
        stopped = shardsmith("stop", "rs0.primary", path, cwd=tmp_path)
        assert stopped.returncode == 0 and f"stop: {primary}" in stopped.stderr, stopped.stderr
        wait_writes(writer, 2000)
    finally:
        writer.stop()
    restarted = shardsmith("start", primary, path, cwd=tmp_path)  # back in its set: any rollback is done
    assert restarted.returncode == 0, restarted.stderr
    states = {s.name: s.state for s in cluster.status()}
    assert states[primary] in ("PRIMARY", "SECONDARY")
    lost = set(writer.acknowledged) - present(cluster, writer.acknowledged)
    assert not lost, (f"{len(lost)} acknowledged writes lost, {min(lost)}..{max(lost)} of {len(writer.acknowledged)};"
                      f" stop said: {stopped.stderr}")
