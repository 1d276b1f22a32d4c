"""lab.analyze on generated messages in a real mongod: known truths, checked against figures computed apart."""

from __future__ import annotations

from collections import Counter

import pytest

from shardsmith.errors import ShardsmithError
from shardsmith.keylab import analyze, parse_key, parse_queries

KEYS = ["{sessionId: hashed}", "{timestamp: 1}", "{sessionId: 1, timestamp: 1}", "{model: 1}"]
QUERIES = ["{name: by session, eq: [sessionId]}", "{name: session day, eq: [sessionId], range: {timestamp: 1d}}",
           "{name: last hour, range: {timestamp: 1h}}"]


@pytest.fixture(scope="module")
def report(messages_collection):
    return analyze(messages_collection, [parse_key(k) for k in KEYS], 4, queries=parse_queries(QUERIES))


def result(report, label):
    return next(r for r in report.keys if r.key.label == label)


def test_timestamp_is_flagged_monotonic_with_recent_inserts_on_one_shard(report):
    ts = result(report, "{timestamp: 1}")
    assert ts.monotonicity["monotonic"] and ts.monotonicity["coefficient"] > 0.95
    assert ts.hotspot["share"] >= 0.99 and ts.hotspot["hottest_shard"] == 3
    assert ts.verdict["rating"] == "poor"
    assert "100% of the latest 2000 inserts hit one shard" in ts.verdict["line"]


def test_hashed_session_spreads_within_a_few_percent_and_is_not_monotonic(report):
    hashed = result(report, "{sessionId: hashed}")
    docs = [row["docs"] for row in hashed.distribution]
    assert sum(docs) == 20_000
    assert max(docs) / 5000 < 1.05 and min(docs) / 5000 > 0.95, docs
    assert not hashed.monotonicity["monotonic"] and abs(hashed.monotonicity["coefficient"]) < 0.2  # 1,000 sampled: 6 sigma
    assert hashed.hotspot["share"] < 0.35


def test_cardinality_and_top_frequencies_equal_distinct_counts_computed_apart(report, message_docs):
    fields = {"{sessionId: hashed}": ("sessionId",), "{timestamp: 1}": ("timestamp",),
              "{sessionId: 1, timestamp: 1}": ("sessionId", "timestamp"), "{model: 1}": ("model",)}
    for label, names in fields.items():
        counts = Counter(tuple(doc[name] for name in names) for doc in message_docs)
        found = result(report, label)
        assert found.cardinality == len(counts), label
        assert [top["docs"] for top in found.most_common] == [n for _, n in counts.most_common(5)], label


def test_hashed_placement_agrees_with_the_servers_hash_bucketed_apart(report, messages_collection):
    hashes = messages_collection.aggregate([{"$project": {"_id": 0, "h": {"$toHashedIndexKey": "$sessionId"}}}])
    expected = Counter((row["h"] + 2**63) * 4 // 2**64 for row in hashes)
    placed = result(report, "{sessionId: hashed}").distribution
    assert [row["docs"] for row in placed] == [expected[i] for i in range(4)]


def test_ranged_placement_cuts_at_quantiles(report, message_docs):
    ts = result(report, "{timestamp: 1}")
    assert [row["docs"] for row in ts.distribution] == [5000] * 4  # timestamps are distinct: exact quartiles
    ordered = sorted(doc["timestamp"] for doc in message_docs)
    assert [s["k0"] for s in ts.split_points] == [ordered[5000], ordered[10000], ordered[15000]]


def test_low_cardinality_key_cannot_fill_the_shards(report):
    model = result(report, "{model: 1}")
    assert model.cardinality == 3 and len(model.split_points) + 1 < 4
    assert sum(row["docs"] == 0 for row in model.distribution) >= 1
    assert model.verdict["rating"] == "poor" and "cannot split" in model.verdict["line"]


def test_query_targeting_follows_the_key(report):
    def mix(label):
        return {q["query"]: q for q in result(report, label).targeting}

    hashed, ts, compound = mix("{sessionId: hashed}"), mix("{timestamp: 1}"), mix("{sessionId: 1, timestamp: 1}")
    assert hashed["by session"]["max_shards"] == 1 and hashed["session day"]["max_shards"] == 1
    assert hashed["last hour"]["mean_shards"] == 4  # a time range scatters over hashed sessions
    assert ts["by session"]["mean_shards"] == 4 and ts["last hour"]["max_shards"] <= 2
    assert compound["session day"]["max_shards"] <= 2 and compound["session day"]["single_shard_share"] > 0.9
    assert compound["last hour"]["mean_shards"] == 4


def test_sample_bounds_the_documents_looked_at(messages_collection):
    sampled = analyze(messages_collection, [parse_key("{sessionId: hashed}")], 2, sample=1000, recent_share=0.05)
    only = sampled.keys[0]
    assert sum(row["docs"] for row in only.distribution) == 1000
    assert only.cardinality <= 1000 and only.hotspot["recent_docs"] == 50
    assert sampled.as_dict()["sample"] == 1000


def test_bad_arguments_change_nothing_and_say_what_to_do(messages_collection):
    with pytest.raises(ShardsmithError, match="no candidate key"):
        analyze(messages_collection, [], 4)
    with pytest.raises(ShardsmithError, match="--shards"):
        analyze(messages_collection, [parse_key("{a: 1}")], 0)
    with pytest.raises(ShardsmithError, match="is empty"):
        analyze(messages_collection.database["nothing_here"], [parse_key("{a: 1}")], 4)


def test_a_key_naming_a_field_no_document_has_is_an_error_with_a_suggestion(messages_collection):
    with pytest.raises(ShardsmithError) as raised:
        analyze(messages_collection, [parse_key("{sessionId: hashed}"), parse_key("{sesionId: 1, timestamp: 1}")], 4)
    assert raised.value.what == (f"candidate key {{sesionId: 1, timestamp: 1}}: none of 1,000 sampled documents of "
                                 f"{messages_collection.full_name} has a field 'sesionId'")
    assert raised.value.hint.startswith("did you mean 'sessionId'? fields in the sample: _id, costUsd, model")
    with pytest.raises(ShardsmithError, match="has a field 'region'") as unlike:
        analyze(messages_collection, [parse_key("{region: 1}")], 4)
    assert "did you mean" not in unlike.value.hint


def test_the_chart_carries_the_figures_each_verdict_rests_on(report, tmp_path):
    from shardsmith.keylab.chart import chart_keys, report_chart

    keys = {key.label: key for key in chart_keys(report)}
    ts = keys["{timestamp: 1}"]
    assert ts.rating == "poor" and ts.hotspot_share == result(report, "{timestamp: 1}").hotspot["share"] >= 0.99
    assert ts.shard_docs == (5000, 5000, 5000, 5000)  # even history: only the hotspot panel shows the problem
    assert dict(keys["{sessionId: hashed}"].targeting) == {
        q["query"]: q["mean_shards"] for q in result(report, "{sessionId: hashed}").targeting}
    path = report_chart(report, tmp_path / "keys.png")
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")
    assert height > 1000 and width > 700  # three panels stacked (one panel was 495 px tall), a bar group per key
