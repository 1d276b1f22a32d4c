"""lab.analyze on the project's workload generator (skewed, realistic sessions), inserted in time order as a
live application writes them. Its heavy sessions make an uneven hashed spread a property of the data, so
here the spread is checked against the server's hash bucketed apart; tests/keylab/messages.py (even
sessions) carries the "within a few percent" check."""

from __future__ import annotations

from collections import Counter

import pytest

from shardsmith.keylab import analyze, parse_key
from shardsmith.workload.generator import generate_messages

COUNT = 10_000


@pytest.fixture(scope="module")
def workload(replset):
    docs = sorted(generate_messages(COUNT, months=1, seed=11), key=lambda doc: doc["timestamp"])
    client = replset.client()
    coll = client["keylab_workload"]["messages"]
    coll.drop()
    for start in range(0, COUNT, 2500):
        coll.insert_many(docs[start:start + 2500])
    yield coll, docs
    client.drop_database("keylab_workload")


def test_generated_messages_give_the_known_truths(workload):
    coll, docs = workload
    report = analyze(coll, [parse_key("{sessionId: hashed}"), parse_key("{timestamp: 1}"),
                            parse_key("{user_id: 1, timestamp: 1}")], 4)
    hashed, ts, compound = report.keys
    assert ts.monotonicity["monotonic"] and ts.hotspot["share"] >= 0.99 and ts.verdict["rating"] == "poor"
    assert not hashed.monotonicity["monotonic"] and hashed.hotspot["share"] < 0.6
    assert hashed.cardinality == len({d["sessionId"] for d in docs})
    assert compound.cardinality == len({(d["user_id"], d["timestamp"]) for d in docs})
    top_sessions = Counter(d["sessionId"] for d in docs).most_common(5)
    assert [t["docs"] for t in hashed.most_common] == [n for _, n in top_sessions]
    hashes = coll.aggregate([{"$project": {"_id": 0, "h": {"$toHashedIndexKey": "$sessionId"}}}])
    expected = Counter((row["h"] + 2**63) * 4 // 2**64 for row in hashes)
    assert [row["docs"] for row in hashed.distribution] == [expected[i] for i in range(4)]
