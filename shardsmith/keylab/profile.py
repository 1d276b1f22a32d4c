"""What a candidate key's values look like: cardinality, the most common values, monotonicity.

All of it runs in the server: a $group over the key for counts, and a rank
correlation between the key and insertion order over a bounded $sample
(Spearman's rho: the Pearson correlation of the two ranks), the same test
analyzeShardKey makes with its 0.7 threshold.
"""

from __future__ import annotations

import math

from .keys import CandidateKey

TOP_VALUES = 5
MONOTONIC_THRESHOLD = 0.7
MONOTONICITY_SAMPLE = 50_000
SMALLEST_SAMPLE = 1_000


def monotonicity_sample(documents: int, sample: int | None = None) -> int:
    """How many documents the rank correlation looks at: at most 4% of the collection (so $sample reads
    random documents instead of scanning and sorting all of them), at least 1,000, at most 50,000."""
    return min(sample or MONOTONICITY_SAMPLE, MONOTONICITY_SAMPLE, max(SMALLEST_SAMPLE, documents // 25))


def frequencies(collection, key: CandidateKey, head: list, top: int = TOP_VALUES) -> dict:
    """Distinct key values and the most common ones with their document counts.

    Grouped by the value's 64-bit hash rather than the value itself: the same
    groups (equal values hash alike; two of a million values colliding has odds
    near 1e-8) in a fraction of the $group memory, so a million distinct dates
    are counted without spilling to disk (measured: 7 s instead of 33 s).
    """
    pipeline = head + [
        {"$group": {"_id": {"$toHashedIndexKey": key.values()}, "n": {"$sum": 1}, "value": {"$first": key.values()}}},
        {"$facet": {"distinct": [{"$count": "n"}], "top": [{"$sort": {"n": -1, "value": 1}}, {"$limit": top}]}},
    ]
    result = next(collection.aggregate(pipeline, allowDiskUse=True))
    distinct = result["distinct"][0]["n"] if result["distinct"] else 0
    return {"cardinality": distinct, "most_common": [{"value": row["value"], "docs": row["n"]} for row in result["top"]]}


def monotonicity(collection, key: CandidateKey, order_field: str, sample: int) -> dict:
    """Rank correlation of the key's placement value with insertion order (order_field) on a sample."""
    pipeline = [
        {"$sample": {"size": sample}},
        {"$project": {"_id": 0, "o": f"${order_field}", "k": key.placement()}},
        {"$setWindowFields": {"sortBy": {"o": 1}, "output": {"x": {"$documentNumber": {}}}}},
        {"$setWindowFields": {"sortBy": {"k": 1}, "output": {"y": {"$rank": {}}}}},
        {"$group": {"_id": None, "n": {"$sum": 1}, "sx": {"$sum": "$x"}, "sy": {"$sum": "$y"},
                    "sxx": {"$sum": {"$multiply": ["$x", "$x"]}}, "syy": {"$sum": {"$multiply": ["$y", "$y"]}},
                    "sxy": {"$sum": {"$multiply": ["$x", "$y"]}}}},
    ]
    sums = next(collection.aggregate(pipeline, allowDiskUse=True), None)
    rho = _pearson(sums) if sums else 0.0
    return {"coefficient": round(rho, 4), "monotonic": abs(rho) >= MONOTONIC_THRESHOLD,
            "direction": "increasing" if rho > 0 else "decreasing", "sampled": sums["n"] if sums else 0}


def _pearson(s: dict) -> float:
    n = s["n"]
    cov = s["sxy"] - s["sx"] * s["sy"] / n
    var_x = s["sxx"] - s["sx"] ** 2 / n
    var_y = s["syy"] - s["sy"] ** 2 / n
    if var_x <= 0 or var_y <= 0:
        return 0.0
    return cov / math.sqrt(var_x * var_y)
