"""The rolling core's decisions, driven by scripted server answers (no server: the plans are sans-I/O).

Each test plays the server's side of one plan: it answers each request the plan yields, in order, and
checks which requests came and what the plan concluded from the answers.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from bson import ObjectId

from shardsmith.errors import ShardsmithError
from shardsmith.rolling.core import (
    Aggregate,
    Command,
    Ensure,
    ListCollections,
    ListNames,
    RollingCore,
    Together,
)
from shardsmith.servercodes import ServerCode
from shardsmith.topology.model import IndexSpec

UUID_A, UUID_B = "uuid-a", "uuid-b"
JANUARY = "messages_2025_01"


class FakeDatabase:
    name = "app"


SESSION_INDEX = (IndexSpec(keys=(("sessionId", 1),)),)


def core(indexes=SESSION_INDEX) -> RollingCore:
    return RollingCore(FakeDatabase(), "messages", indexes=indexes)


def drive(plan, *answers):
    """Run `plan`, answering its requests with `answers` in order; (requests seen, the plan's result)."""
    seen, pending = [], list(answers)
    try:
        request = next(plan)
        while True:
            seen.append(request)
            assert pending, f"the plan asked more than the script answers: {request!r}"
            request = plan.send(pending.pop(0))
    except StopIteration as done:
        assert not pending, f"{len(pending)} scripted answer(s) were never asked for"
        return seen, done.value


def listed(name: str, uuid: str) -> dict:
    return {"name": name, "info": {"uuid": uuid}}


def january(n: int = 3) -> list[dict]:
    return [{"_id": ObjectId(), "timestamp": datetime(2025, 1, 10 + i, tzinfo=timezone.utc)} for i in range(n)]


def test_a_new_month_is_set_up_once_then_written():
    rolling = core()
    requests, summary = drive(rolling.insert_plan(january()), [], True, [(3, None)])
    listing, ensure, together = requests
    assert listing == ListCollections({"name": {"$in": [JANUARY]}})
    assert isinstance(ensure, Ensure) and ensure.name == JANUARY and not ensure.exists
    assert [(i.collection, len(i.documents)) for i in together.requests] == [(JANUARY, 3)]
    assert summary.created == [JANUARY] and summary.inserted == {JANUARY: 3}


def test_creating_a_month_tolerates_a_concurrent_create_and_records_the_uuid_it_indexed():
    rolling = core()
    ensure = Ensure(JANUARY, exists=False, uuid=None, listed_at=0.0)
    requests, created = drive(rolling.ensure_plan(ensure), False, [listed(JANUARY, UUID_A)], {"ok": 1})
    create, uuid_read, build = requests
    assert isinstance(create, Command) and create.document["create"] == JANUARY
    assert create.tolerate == frozenset({ServerCode.NamespaceExists})
    assert uuid_read == ListCollections({"name": JANUARY})  # read between create and createIndexes
    assert build.document["createIndexes"] == JANUARY and build.document["indexes"][0]["key"] == {"sessionId": 1}
    assert created is False  # another writer created it first
    # the next batch finds it set up under that UUID: no set-up, straight to the insert
    requests, _ = drive(rolling.insert_plan(january(1)), [listed(JANUARY, UUID_A)], [(1, None)])
    assert [type(r) for r in requests] == [ListCollections, Together]


def test_a_month_dropped_and_recreated_under_another_uuid_gets_its_indexes_again():
    rolling = core()
    drive(rolling.ensure_plan(Ensure(JANUARY, False, None, 0.0)), True, [listed(JANUARY, UUID_A)], {"ok": 1})
    requests, summary = drive(rolling.insert_plan(january(2)), [listed(JANUARY, UUID_B)], False, [(2, None)])
    ensure = requests[1]
    assert isinstance(ensure, Ensure) and ensure.exists and ensure.uuid == UUID_B
    assert summary.created == []  # it existed: set up again, not created


def test_without_an_index_set_an_existing_month_needs_nothing():
    requests, _ = drive(core(indexes=()).insert_plan(january(1)), [listed(JANUARY, UUID_A)], [(1, None)])
    assert [type(r) for r in requests] == [ListCollections, Together]


def test_a_set_up_newer_than_the_listing_is_not_repeated():
    rolling = core()
    drive(rolling.ensure_plan(Ensure(JANUARY, False, None, 0.0)), True, [listed(JANUARY, UUID_A)], {"ok": 1})
    assert rolling.should_ensure(Ensure(JANUARY, False, None, listed_at=0.0)) is False  # a concurrent batch did it
    assert rolling.should_ensure(Ensure(JANUARY, True, UUID_B, listed_at=float("inf"))) is True


def test_documents_the_server_refused_are_reported_and_nothing_is_hidden():
    with pytest.raises(ShardsmithError, match=r"wrote 2 documents but not all: messages_2025_01: 1 not written"):
        drive(core(indexes=()).insert_plan(january(3)), [listed(JANUARY, UUID_A)], [(2, "E11000 duplicate key")])


def test_a_bad_document_stops_the_batch_before_any_request():
    plan = core().insert_plan([{"timestamp": "2025-01-01T00:00:00Z"}, {"no": "time"}])
    with pytest.raises(ShardsmithError, match="document #1 of the batch has no 'timestamp'"):
        next(plan)


def test_a_deep_page_skips_whole_months_by_capped_counts_and_reads_only_where_it_lies():
    months = ["messages_2025_01", "messages_2025_02", "messages_2025_03"]
    page = [{"_id": i} for i in range(10)]
    requests, result = drive(core().page_plan(skip=150, limit=10), months,
                             [{"n": 100}], [{"n": 100}], page)
    assert isinstance(requests[0], ListNames)
    assert [(r.collection, r.pipeline[-1]) for r in requests[1:3]] == [
        ("messages_2025_01", {"$count": "n"}), ("messages_2025_02", {"$count": "n"})]
    last = requests[3]
    assert last.collection == "messages_2025_02" and {"$skip": 50} in last.pipeline and {"$limit": 10} in last.pipeline
    assert result == page  # March was never read


def test_a_descending_page_walks_the_months_newest_first():
    months = ["messages_2025_01", "messages_2025_02"]
    requests, _ = drive(core().page_plan(sort=-1, limit=5), months, [{"_id": 1}] * 5)
    assert requests[1].collection == "messages_2025_02" and len(requests) == 2


def test_counting_a_range_without_months_asks_nothing_more():
    requests, count = drive(core().count_plan({}, "2030-01-01T00:00:00Z", "2031-01-01T00:00:00Z"), [])
    assert [type(r) for r in requests] == [ListNames] and count == 0


def test_a_count_is_one_union_of_the_months_in_range():
    requests, count = drive(core().count_plan({"type": "user"}), ["messages_2025_01", "messages_2025_02"], [{"n": 7}])
    union = requests[1]
    assert isinstance(union, Aggregate) and union.collection is None
    assert [s["$unionWith"]["coll"] for s in union.pipeline if "$unionWith" in s] == ["messages_2025_01",
                                                                                     "messages_2025_02"]
    assert count == 7
