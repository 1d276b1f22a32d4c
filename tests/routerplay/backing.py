"""The session's one real mongod behind every played router (fixture `played_mongod`, in tests/conftest.py)."""

from __future__ import annotations

import pytest
from pymongo import MongoClient


@pytest.fixture(scope="session")
def played_mongod(tmp_path_factory):
    """A client on a 1-member replica set of the bundled mongod; each played router uses databases of its own
    (tests/routerplay/store.py) and drops them when it stops. Stopped after the session, pass or fail."""
    from tests.dataplan.outside_mongod import outside_replset  # imports tests.conftest, which imports this

    with outside_replset(tmp_path_factory.mktemp("played-mongod")) as uri:
        client = MongoClient(uri)
        try:
            yield client
        finally:
            client.close()
