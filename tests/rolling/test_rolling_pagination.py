"""Pages across month boundaries equal an in-memory oracle: both orders, ties, skips over months, empty months."""

import itertools
from datetime import datetime, timedelta

from bson import ObjectId
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shardsmith.rolling import RollingCollections
from shardsmith.topology.model import IndexSpec

MONTH_STARTS = [datetime(2024, 11, 1), datetime(2024, 12, 1), datetime(2025, 1, 1), datetime(2025, 2, 1),
                datetime(2025, 3, 1), datetime(2025, 4, 1)]
MS = timedelta(milliseconds=1)
# Instants crowded around month boundaries, few enough that equal timestamps are common.
INSTANTS = sorted({b + d for b in MONTH_STARTS[:-1] for d in (-MS, timedelta(0), MS, timedelta(days=9, hours=3))}
                  - {MONTH_STARTS[0] - MS})
_prefixes = itertools.count()

documents = st.lists(st.tuples(st.sampled_from(INSTANTS), st.integers(0, 3)), max_size=45)
bounds = st.one_of(st.none(), st.sampled_from(INSTANTS + MONTH_STARTS))


@given(docs=documents, empty_months=st.sets(st.sampled_from(MONTH_STARTS[:-1]), max_size=2),
       start=bounds, end=bounds, kind=st.one_of(st.none(), st.integers(0, 3)),
       pages=st.lists(st.tuples(st.sampled_from([1, -1]), st.integers(0, 50), st.integers(1, 12)),
                      min_size=1, max_size=4))
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_pages_and_counts_equal_the_oracle(database, docs, empty_months, start, end, kind, pages):
    prefix = f"p{next(_prefixes)}"
    rolling = RollingCollections(database, prefix, indexes=(IndexSpec(keys=(("timestamp", -1),)),))
    stored = [{"_id": ObjectId(), "timestamp": ts, "kind": k} for ts, k in docs]
    if stored:
        rolling.insert_many(stored)
    existing = set(database.list_collection_names())
    for month in empty_months:  # a month collection that exists but holds nothing
        name = f"{prefix}_{month.year:04d}_{month.month:02d}"
        if name not in existing:
            database.create_collection(name)
    query = None if kind is None else {"kind": kind}
    matching = [d for d in stored if (kind is None or d["kind"] == kind)
                and (start is None or d["timestamp"] >= start) and (end is None or d["timestamp"] < end)]

    assert rolling.count(query, start, end) == len(matching)
    for direction, skip, limit in pages:
        oracle = sorted(matching, key=lambda d: (d["timestamp"], d["_id"]), reverse=direction == -1)
        expected = [d["_id"] for d in oracle[skip:skip + limit]]
        for strategy in ("auto", "union"):
            page = rolling.find(query, start, end, sort=direction, skip=skip, limit=limit, strategy=strategy)
            assert [d["_id"] for d in page] == expected, (strategy, direction, skip, limit)


@given(docs=documents, skip=st.integers(0, 40), limit=st.integers(1, 10), direction=st.sampled_from([1, -1]))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_sort_field_pages_equal_the_oracle(database, docs, skip, limit, direction):
    prefix = f"q{next(_prefixes)}"
    rolling = RollingCollections(database, prefix)
    stored = [{"_id": ObjectId(), "timestamp": ts, "kind": k} for ts, k in docs]
    if stored:
        rolling.insert_many(stored)
    oracle = sorted(stored, key=lambda d: (d["kind"], d["_id"]), reverse=direction == -1)
    page = rolling.find(None, sort=[("kind", direction)], skip=skip, limit=limit)
    assert [d["_id"] for d in page] == [d["_id"] for d in oracle[skip:skip + limit]]


def test_scan_streams_everything_in_order(database):
    rolling = RollingCollections(database, "messages")
    stored = [{"_id": ObjectId(), "timestamp": ts} for ts in INSTANTS for _ in range(2)]
    rolling.insert_many(stored)
    for direction in (1, -1):
        oracle = sorted(stored, key=lambda d: (d["timestamp"], d["_id"]), reverse=direction == -1)
        assert [d["_id"] for d in rolling.scan(sort=direction)] == [d["_id"] for d in oracle]
