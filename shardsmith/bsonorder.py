"""BSON's comparison order for the values shard keys hold, so Python can place key ranges between chunk bounds.

    sort_key(MinKey()) < sort_key(None) < sort_key(5) < sort_key("a") < sort_key(ObjectId()) < sort_key(datetime)

The order is the server's (MongoDB manual, "Comparison/Sort Order"): MinKey,
null, numbers, strings, objects, arrays, binary, ObjectId, booleans, dates,
timestamps, regular expressions, MaxKey.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from bson.decimal128 import Decimal128
from bson.max_key import MaxKey
from bson.min_key import MinKey
from bson.objectid import ObjectId
from bson.regex import Regex
from bson.timestamp import Timestamp


def sort_key(value) -> tuple:
    if isinstance(value, MinKey):
        return (0,)
    if value is None:
        return (1,)
    if isinstance(value, bool):
        return (8, value)
    if isinstance(value, (int, float)):
        return (2, value)
    if isinstance(value, Decimal128):
        return (2, value.to_decimal())
    if isinstance(value, Decimal):
        return (2, value)
    if isinstance(value, str):
        return (3, value.encode())
    if isinstance(value, dict):
        return (4, tuple((name.encode(), sort_key(v)) for name, v in value.items()))
    if isinstance(value, (list, tuple)):
        return (5, tuple(sort_key(v) for v in value))
    if isinstance(value, bytes):
        return (6, len(value), value)
    if isinstance(value, ObjectId):
        return (7, value.binary)
    if isinstance(value, datetime.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
        return (9, aware)
    if isinstance(value, Timestamp):
        return (10, value.time, value.inc)
    if isinstance(value, Regex):
        return (11, value.pattern, value.flags)
    if isinstance(value, MaxKey):
        return (99,)
    raise TypeError(f"no BSON order known for {type(value).__name__}")


def tuple_key(values) -> tuple:
    """Order of a compound placement value: field by field."""
    return tuple(sort_key(v) for v in values)
