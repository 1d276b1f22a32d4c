"""A wire-level stand-in for mongos (no Linux mongos can be installed here).

mockupdb speaks the MongoDB wire protocol; this plays a router of a given
server version so tests can assert the exact commands Shardsmith sends.
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager

from mockupdb import MockupDB

WIRE_VERSIONS = {"6.0": 17, "7.0": 21, "8.0": 25}


@contextmanager
def fake_mongos(version: str):
    server = MockupDB(auto_ismaster={"msg": "isdbgrid", "maxWireVersion": WIRE_VERSIONS[version], "minWireVersion": 0})
    server.run()
    try:
        yield server
    finally:
        server.stop()


def real_mongos_binary() -> str | None:
    """A real mongos if this machine has one (MONGOS_BIN or PATH), else None."""
    path = os.environ.get("MONGOS_BIN") or shutil.which("mongos")
    return path if path and os.path.isfile(path) else None
