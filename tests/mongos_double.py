"""A wire-level stand-in for mongos (no Linux mongos can be installed here).

mockupdb speaks the MongoDB wire protocol; this plays a router of a given
server version so tests can assert the exact commands Shardsmith sends.
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager

import pytest
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


class requires_real_mongos:
    """Mark a test (as a decorator) or a module (`pytestmark = requires_real_mongos(...).marks`)
    as needing a real mongos: marked `mongos`, and skipped with a reason that says what covers it instead."""

    def __init__(self, covered_by: str):
        self.marks = [pytest.mark.mongos, pytest.mark.skipif(
            real_mongos_binary() is None,
            reason=f"no real mongos here (set MONGOS_BIN or put mongos on PATH); {covered_by}")]

    def __call__(self, test):
        for mark in self.marks:
            test = mark(test)
        return test
