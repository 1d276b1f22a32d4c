"""Our Python BSON order agrees with the server's sort for the values shard keys hold (real mongod)."""

from __future__ import annotations

import datetime

from bson.int64 import Int64
from bson.max_key import MaxKey
from bson.min_key import MinKey
from bson.objectid import ObjectId

from shardsmith.bsonorder import sort_key

VALUES = [MaxKey(), "b", 3.5, None, datetime.datetime(2025, 1, 2), True, ObjectId("65a000000000000000000001"), "ab",
          Int64(-7), MinKey(), {"a": 1}, False, 2, b"\x01", "B", datetime.datetime(2024, 12, 31), "é", {"a": "x"}]


def test_python_order_matches_the_server_sort(replset):
    coll = replset.client()["keylab_order"]["values"]
    try:
        coll.drop()
        coll.insert_many([{"i": i, "v": v} for i, v in enumerate(VALUES)])
        by_server = [row["i"] for row in coll.aggregate([{"$sort": {"v": 1, "i": 1}}])]
        by_python = sorted(range(len(VALUES)), key=lambda i: (sort_key(VALUES[i]), i))
        assert by_python == by_server
    finally:
        replset.client().drop_database("keylab_order")
