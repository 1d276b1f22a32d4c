"""The message generator: deterministic, realistic in shape, lazy."""

import itertools
from collections import Counter
from datetime import timezone

import pytest

from shardsmith.errors import ShardsmithError
from shardsmith.rolling.naming import month_bounds
from shardsmith.workload import generate_messages

UTC = timezone.utc


@pytest.fixture(scope="module")
def sample():
    return list(generate_messages(20_000, months=3, seed=11, start="2024-11-20T08:00:00Z"))


def test_same_seed_same_messages_other_seed_other_messages():
    assert list(generate_messages(500, 2, seed=5)) == list(generate_messages(500, 2, seed=5))
    assert [m["uuid"] for m in generate_messages(50, 2, seed=5)] != [m["uuid"] for m in generate_messages(50, 2, seed=6)]


@pytest.mark.parametrize("count", [0, 1, 2, 997])
def test_exactly_count_messages(count):
    assert sum(1 for _ in generate_messages(count, 1, seed=3)) == count


def test_lazy_so_memory_stays_bounded():
    first = list(itertools.islice(generate_messages(10**12, 12, seed=1), 3))
    assert len(first) == 3


def test_timestamps_cover_the_months_from_the_start_month(sample):
    low, high = month_bounds(2024, 11)[0], month_bounds(2025, 1)[1]
    stamps = [m["timestamp"] for m in sample]
    assert all(low <= t < high and t.tzinfo == UTC and t.microsecond % 1000 == 0 for t in stamps)
    assert {(t.year, t.month) for t in stamps} == {(2024, 11), (2024, 12), (2025, 1)}


def test_sessions_are_parent_chains_alternating_user_and_assistant(sample):
    by_uuid = {m["uuid"]: m for m in sample}
    assert len(by_uuid) == len(sample)
    previous = None
    for message in sample:
        if message["parentUuid"] is None:
            assert message["type"] == "user"
        else:
            parent = by_uuid[message["parentUuid"]]
            assert parent is previous
            assert parent["sessionId"] == message["sessionId"] and parent["user_id"] == message["user_id"]
            assert parent["timestamp"] < message["timestamp"]
            assert {parent["type"], message["type"]} == {"user", "assistant"}
        previous = message


def test_assistant_messages_carry_model_and_cost(sample):
    for message in sample:
        assert isinstance(message["content"], str) and message["content"]
        assert isinstance(message["gitBranch"], str)
        if message["type"] == "assistant":
            assert message["model"].startswith("claude") and message["costUsd"] > 0
        else:
            assert "model" not in message and "costUsd" not in message


def test_session_sizes_and_users_are_skewed(sample):
    sizes = sorted(Counter(m["sessionId"] for m in sample).values())
    median = sizes[len(sizes) // 2]
    assert sizes[-1] >= 20 * median
    per_user = sorted(Counter(m["user_id"] for m in sample).values())
    assert per_user[-1] >= 10 * per_user[len(per_user) // 2]


def test_daily_rhythm_busier_by_day_than_by_night(sample):
    hours = Counter(m["timestamp"].hour for m in sample)
    working = sum(hours[h] for h in range(9, 17)) / 8
    night = sum(hours[h] for h in range(0, 5)) / 5
    assert working > 3 * night


@pytest.mark.parametrize("kwargs", [dict(count=-1), dict(count=1.5), dict(count=10, months=0),
                                    dict(count=10, start="not a time")])
def test_bad_arguments_are_clear_errors(kwargs):
    with pytest.raises(ShardsmithError):
        list(generate_messages(**kwargs))
