"""Each migration test gets its own database on the shared replica set, and a topology naming its targets."""

import pytest

from tests.crash.months import fresh_database

from .data import write_spec


@pytest.fixture
def db(replset, request):
    yield from fresh_database(replset, request, "mig")


@pytest.fixture
def topology(db, tmp_path):
    return write_spec(tmp_path / "migrate.yaml", db.name)
