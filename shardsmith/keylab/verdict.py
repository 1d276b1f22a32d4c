"""A short verdict per candidate key, every reason a measured figure.

    {"rating": "poor", "line": "{timestamp: 1}: poor: monotonic with insertion order (rho +1.00); 100% of ...",
     "problems": [...], "strengths": [...]}

Ratings: "poor" when writes or data cannot spread (monotonic hotspot, fewer
possible chunks than shards, one value heavier than a shard's share);
"fair" when the spread is uneven or a query of the mix scatters; else "good".
"""

from __future__ import annotations

from .placement import skew

UNEVEN_SKEW = 1.25  # fullest shard over the mean
HOT_FACTOR = 1.5  # hottest shard's share of recent inserts over a fair 1/N


def verdict(result, shards: int, total_docs: int) -> dict:
    problems, notes, strengths = [], [], []
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
    docs_skew = skew(result.distribution)
    if docs_skew > UNEVEN_SKEW:
        notes.append(f"uneven: fullest shard holds {docs_skew:.2f}x the mean")
    else:
        strengths.append(f"even spread (max/mean {docs_skew:.2f})")
    for query in result.targeting:
        if query["mean_shards"] > 1:
            notes.append(f"'{query['query']}' touches {query['mean_shards']:g} of {query['of']} shards")
        else:
            strengths.append(f"'{query['query']}' targets one shard")
    rating = "poor" if problems else "fair" if notes else "good"
    reasons = problems + notes if rating != "good" else strengths
    return {"rating": rating, "problems": problems, "notes": notes, "strengths": strengths,
            "line": f"{result.key.label}: {rating}: " + "; ".join(reasons)}

