"""Rolling-collection tests share the session replica set; each module gets its own database."""

import itertools

import pytest

_numbers = itertools.count()


@pytest.fixture(scope="module")
def client(replset):
    client = replset.client()
    yield client
    client.close()


@pytest.fixture
def database(client, request):
    """A fresh database for one test, dropped afterwards."""
    name = f"rolling_{request.node.name[:30].strip('_')}_{next(_numbers)}".replace("[", "_").replace("]", "_")
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    client.drop_database(name)
    yield client[name]
    client.drop_database(name)
