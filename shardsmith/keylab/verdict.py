"""A short verdict per candidate key, every reason a measured figure.

    {"rating": "poor", "line": "{timestamp: 1}: poor: monotonic with insertion order (rho +1.00); 100% of ...",
     "problems": [...], "strengths": [...]}

Ratings: "poor" when writes or data cannot spread (monotonic hotspot, fewer
possible chunks than shards, one value heavier than a shard's share);
"fair" when the spread is uneven or a query of the mix scatters; else "good".
"""

from __future__ import annotations

from .placement import skew
from .profile import MONOTONIC_THRESHOLD

UNEVEN_SKEW = 1.25  # fullest shard over the mean
HOT_FACTOR = 1.5  # hottest shard's share of recent inserts over a fair 1/N


def verdict(result, shards: int, total_docs: int) -> dict:
    problems: list[str] = []
    notes: list[str] = []
    strengths: list[str] = []
    mono, hot = result.monotonicity, result.hotspot
    fair = 1 / shards
    if mono["monotonic"]:
        problems.append(f"{mono['direction']} with insertion order (rho {mono['coefficient']:+.2f})")
    if shards > 1 and hot["share"] > HOT_FACTOR * fair:
        problems.append(f"{hot['share']:.0%} of the latest {hot['recent_docs']} inserts hit one shard")
    elif shards > 1:
        strengths.append(f"recent inserts spread (hottest shard {hot['share']:.0%}, fair {fair:.0%})")
    chunks = len(result.split_points) + 1
    if chunks < shards:
        problems.append(f"{result.cardinality} distinct values split into only {chunks} chunks for {shards} shards")
    if result.most_common and total_docs and shards > 1:
        heaviest = result.most_common[0]["docs"] / total_docs
        if heaviest > fair:
            problems.append(f"one value holds {heaviest:.0%} of documents (a chunk that cannot split)")
    spread_and_queries(result.distribution, result.targeting, notes, strengths)
    return _rated(result.key.label, problems, notes, strengths)


def spread_and_queries(distribution: list[dict], targeting: list[dict], notes: list[str], strengths: list[str]) -> None:
    """Reasons both paths share: how even the documents are, and how many shards each query touches."""
    docs_skew = skew(distribution)
    if docs_skew > UNEVEN_SKEW:
        notes.append(f"uneven: fullest shard holds {docs_skew:.2f}x the mean")
    else:
        strengths.append(f"even spread (max/mean {docs_skew:.2f})")
    for query in targeting:
        if query["mean_shards"] > 1:
            notes.append(f"'{query['query']}' touches {query['mean_shards']:g} of {query['of']} shards")
        else:
            strengths.append(f"'{query['query']}' targets one shard")


def experiment_verdict(measured: dict) -> dict:
    """The verdict on a real sharded copy: chunks and data as the cluster holds them, queries as mongos plans them."""
    problems: list[str] = []
    notes: list[str] = []
    strengths: list[str] = []
    empty = [shard for shard, count in measured["chunks"].items() if count == 0]
    if empty:
        problems.append(f"{len(empty)} of {len(measured['chunks'])} shards own no chunk")
    if measured["ours"]["monotonicity"] >= MONOTONIC_THRESHOLD:
        problems.append(f"increasing with insertion order (rho {measured['ours']['monotonicity']:+.2f})")
    spread_and_queries(measured["distribution"], measured["targeting"], notes, strengths)
    return _rated(measured["key"], problems, notes, strengths)


def _rated(label: str, problems: list[str], notes: list[str], strengths: list[str]) -> dict:
    rating = "poor" if problems else "fair" if notes else "good"
    reasons = problems + notes if rating != "good" else strengths
    return {"rating": rating, "problems": problems, "notes": notes, "strengths": strengths,
            "line": f"{label}: {rating}: " + "; ".join(reasons)}
