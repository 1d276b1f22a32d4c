"""BSON values in JSON that scripts can read back: Extended JSON v2 where plain JSON would lose the type.

NumberLong stays {"$numberLong": "..."} (split points over the hashed range are
NumberLong), MinKey/MaxKey are {"$minKey": 1}/{"$maxKey": 1}; plain ints,
strings and booleans stay plain.
"""

from __future__ import annotations

import json

from bson import json_util
from bson.int64 import Int64
from bson.json_util import RELAXED_JSON_OPTIONS, JSONMode, JSONOptions


def to_plain(value):
    """A JSON-ready copy of a BSON value (dicts keep their key order)."""
    if isinstance(value, Int64):
        return {"$numberLong": str(int(value))}
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return json.loads(json_util.dumps(value, json_options=RELAXED_JSON_OPTIONS))


_READ = JSONOptions(json_mode=JSONMode.RELAXED, tz_aware=True)


def from_plain(value):
    """The inverse of to_plain (Extended JSON back to BSON values)."""
    return json_util.loads(json.dumps(value), json_options=_READ)
