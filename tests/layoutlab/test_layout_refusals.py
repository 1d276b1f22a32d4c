"""Refusals before anything is copied: documents without a date, a server older than 5.0, too little disk.

Each ends in a ShardsmithError (exit 2 at the command line) and leaves the
lab database without a collection. The old server is played at the wire level
(mockupdb): no MongoDB before 5.0 can run here. Its answers are what a 4.4
mongod sends: maxWireVersion 9 (src/mongo/db/wire_version.h: WIRE_VERSION_44 = 9)
and buildInfo.version "4.4.x". The small disk is real: a mongod in a container
whose /data/db is a 120 MB tmpfs, so dbStats reports that disk.
"""

from __future__ import annotations

import datetime
import os

import pytest
from bson.binary import Binary
from mockupdb import MockupDB
from pymongo import MongoClient

from shardsmith.errors import ShardsmithError
from shardsmith.layoutlab import run_layout_lab
from tests.containers import foreign_replset
from tests.plugin import tools

QUIET = {"hello", "ismaster", "isMaster", "endSessions", "ping"}


def collections(db) -> list[str]:
    return [name for name in db.list_collection_names() if not name.startswith("system.")]


def test_documents_without_a_date_are_counted_and_shown(client, lab_database):
    source = client["layoutlab_undated"]["messages"]
    source.drop()
    start = datetime.datetime(2024, 3, 1)
    source.insert_many([{"_id": i, "sessionId": "s", "timestamp": start + datetime.timedelta(minutes=i)}
                        for i in range(50)])
    source.insert_many([{"_id": "no-time", "sessionId": "s"}, {"_id": "text-time", "timestamp": "2024-03-01"}])
    try:
        with pytest.raises(ShardsmithError) as refused:
            run_layout_lab(client, source.full_name, lab_database=lab_database)
        message = str(refused.value)
        assert "2 of 52 documents of layoutlab_undated.messages have no date in 'timestamp'" in message
        assert "'no-time': missing" in message and "'text-time': '2024-03-01' (str)" in message
        assert "nothing was copied" in message
        assert collections(client[lab_database]) == []
    finally:
        client.drop_database("layoutlab_undated")


class PlayedOldMongod:
    """A MongoDB 4.4 mongod at the wire level, recording every command it is sent."""

    HELLO = {"ismaster": True, "isWritablePrimary": True, "maxWireVersion": 9, "minWireVersion": 0}

    def __init__(self):
        self.server = MockupDB()
        self.names: list[str] = []
        self.server.autoresponds(self._answer)

    def _answer(self, request):
        name = request.command_name
        if name in QUIET:
            return request.ok(**self.HELLO)
        self.names.append(name)
        if name == "buildInfo":
            return request.ok(version="4.4.29", versionArray=[4, 4, 29, 0])
        return request.ok()


def test_a_server_before_5_0_is_refused_before_any_command_but_buildinfo():
    played = PlayedOldMongod()
    played.server.run()
    try:
        with MongoClient(played.server.uri, serverSelectionTimeoutMS=3000) as client:
            with pytest.raises(ShardsmithError, match=r"MongoDB 4\.4\.29; the layout lab needs 5\.0 or newer"):
                run_layout_lab(client, "app.messages")
        assert played.names == ["buildInfo"]
    finally:
        played.server.stop()


@pytest.mark.docker
def test_too_little_disk_for_three_copies_is_refused(tmp_path):
    """30 MB of incompressible messages on a 120 MB disk: three copies need about 110 MB more."""
    with foreign_replset(tools.local_image(), data_disk="120m") as uri:
        with MongoClient(uri) as client:
            source = client["app"]["messages"]
            start = datetime.datetime(2024, 3, 1)
            for batch in range(6):
                source.insert_many([{"sessionId": f"s{i % 50}", "blob": Binary(os.urandom(1000)),
                                     "timestamp": start + datetime.timedelta(seconds=batch * 5000 + i)}
                                    for i in range(5000)])
            stats = client["app"].command("dbStats")
            free = stats["fsTotalSize"] - stats["fsUsedSize"]
            with pytest.raises(ShardsmithError, match="not enough disk for the copies") as refused:
                run_layout_lab(client, "app.messages")
            assert "--sample" in str(refused.value)
            assert 3 * stats["storageSize"] > free  # the refusal is right: the copies would not fit
            assert collections(client["shardsmith_layoutlab"]) == []
