"""The spec's time-series index rules against the real server: what the validator refuses, mongod 6.0 refuses.

Each case is an index of a time-series collection (timeField ts, metaField
meta); the validator (shardsmith.topology.dataplan_rules) and a real
createIndexes must agree on it, both ways: refused by one means refused by
the other, accepted by one means accepted by the other.
"""

from __future__ import annotations

import pytest
from pymongo.errors import OperationFailure

from shardsmith.dataplan.indexes import wanted_document
from shardsmith.topology.dataplan_rules import timeseries_index_refusals
from shardsmith.topology.model import IndexSpec, TimeseriesSpec
from tests.crash.months import fresh_database

SERIES = TimeseriesSpec(time_field="ts", meta_field="meta")
CASES = {
    "ascending measurement": IndexSpec(keys=(("value", 1),)),
    "compound meta, time": IndexSpec(keys=(("meta.host", 1), ("ts", -1))),
    "compound measurement, time": IndexSpec(keys=(("value", -1), ("ts", 1))),
    "2dsphere measurement": IndexSpec(keys=(("position", "2dsphere"),)),
    "2d on a meta subfield": IndexSpec(keys=(("meta.position", "2d"),)),
    "hashed meta subfield": IndexSpec(keys=(("meta.region", "hashed"),)),
    "sparse meta": IndexSpec(keys=(("meta.host", 1),), sparse=True),
    "sparse time": IndexSpec(keys=(("ts", 1),), sparse=True),
    "text measurement": IndexSpec(keys=(("note", "text"),)),
    "text meta": IndexSpec(keys=(("meta.host", "text"),)),
    "wildcard text": IndexSpec(keys=(("$**", "text"),)),
    "sparse measurement": IndexSpec(keys=(("value", 1),), sparse=True),
    "TTL on the time field": IndexSpec(keys=(("ts", 1),), expire_after=3600),
    "2d measurement": IndexSpec(keys=(("position", "2d"),)),
    "hashed measurement": IndexSpec(keys=(("value", "hashed"),)),
    "hashed time": IndexSpec(keys=(("ts", "hashed"),)),
    "unique": IndexSpec(keys=(("uuid", 1),), unique=True),
    "wildcard": IndexSpec(keys=(("$**", 1),)),
}


@pytest.fixture
def db(replset, request):
    yield from fresh_database(replset, request, "tsrules")


@pytest.mark.parametrize("case", list(CASES))
def test_the_validator_refuses_exactly_what_mongod_refuses(db, case):
    index = CASES[case]
    db.create_collection("series", timeseries={"timeField": SERIES.time_field, "metaField": SERIES.meta_field})
    try:
        db.command({"createIndexes": "series", "indexes": [wanted_document(index)]})
        server_refused = None
    except OperationFailure as exc:
        server_refused = exc.details.get("errmsg", str(exc))
    reasons = timeseries_index_refusals(index, SERIES)
    assert bool(reasons) == bool(server_refused), f"validator: {reasons}; mongod: {server_refused or 'accepted'}"
