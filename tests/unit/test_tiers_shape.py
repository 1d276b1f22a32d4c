"""The warm (time-series) shape is a lossless, pure mapping of a message."""

from __future__ import annotations

import pytest

from shardsmith.errors import ShardsmithError
from shardsmith.tiers.shape import WarmShape
from shardsmith.workload.generator import generate_messages

SHAPE = WarmShape(time_field="ts", meta_field="metadata")


def test_every_generated_message_round_trips_exactly():
    for message in generate_messages(2000, 3, 9):
        warm = SHAPE.to_warm(message)
        assert warm["metadata"]["sessionId"] == message["sessionId"] and "sessionId" not in warm
        assert warm["metadata"]["_tierDay"] == message["timestamp"].strftime("%Y-%m-%d")
        assert warm["ts"] == message["timestamp"] and "timestamp" not in warm
        assert SHAPE.to_flat(warm) == message


def test_absent_series_fields_stay_absent_and_the_input_is_not_changed():
    message = {"_id": 1, "timestamp": next(generate_messages(1))["timestamp"], "uuid": "u"}
    before = dict(message)
    assert SHAPE.to_flat(SHAPE.to_warm(message)) == message == before


def test_a_document_already_using_the_meta_field_is_refused():
    message = next(generate_messages(1))
    with pytest.raises(ShardsmithError, match="already has a field 'metadata'"):
        SHAPE.to_warm({**message, "metadata": {}})
