"""Generated messages in a database of our own on the shared real replica set."""

from __future__ import annotations

import pytest

from tests.keylab.messages import insert, messages

COUNT = 20_000
SESSIONS = 5_000


@pytest.fixture(scope="module")
def message_docs():
    """The same documents the collection holds, for figures computed independently of the lab."""
    return list(messages(COUNT, sessions=SESSIONS))


@pytest.fixture(scope="module")
def messages_collection(replset):
    client = replset.client()
    db = client["keylab_tests"]
    db.drop_collection("messages")
    insert(db["messages"], COUNT, sessions=SESSIONS)
    yield db["messages"]
    client.drop_database("keylab_tests")
