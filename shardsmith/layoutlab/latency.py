"""Latency of the query mix on each layout: median and p95 over repeated runs, the plan, and equal results.

Runs interleave the layouts and rotate their order each round, so a cache
warmed by one layout favours none; round r runs every layout on the same
concrete query (the r-th sampled document's values). One untimed round warms
up first. Each round's results are compared across layouts, order-free and
with doubles to 12 significant digits: a sum of doubles depends on the order
the server adds them in, which differs between a collection and its buckets.
"""

from __future__ import annotations

import hashlib
import math
import statistics
import time
from dataclasses import dataclass, field
from datetime import timedelta

from ..keylab.queries import lookup
from .queries import LabQuery, concrete

PARAMETER_SAMPLES = 64
MISMATCHES_SHOWN = 3


@dataclass
class QueryResult:
    query: LabQuery
    layouts: dict = field(default_factory=dict)  # label -> {median_ms, p95_ms, min_ms, max_ms, runs, rows, plan, ...}
    same_results: bool = True
    mismatches: list = field(default_factory=list)

    def as_dict(self) -> dict:
        q = self.query
        widths = {f: w.total_seconds() if isinstance(w, timedelta) else w for f, w in q.range}  # dates: seconds
        shape = {"eq": list(q.eq), "range": widths, "sort": dict(q.sort), "limit": q.limit,
                 "group": {"by": list(q.group[0]), "per": q.group[1], "sum": list(q.group[2])} if q.group else None}
        return {"query": q.name, "shape": shape, "layouts": self.layouts, "same_results": self.same_results,
                "mismatches": self.mismatches}


def parameter_documents(collection, queries: list[LabQuery], time_field: str, comment: str) -> list[dict]:
    """A few sampled documents carrying the fields the queries take their values from."""
    names = {time_field, *(name for q in queries for name in q.eq), *(name for q in queries for name, _ in q.range)}
    stages = [{"$sample": {"size": PARAMETER_SAMPLES}}, {"$project": {"_id": 0, **{name: 1 for name in names}}}]
    return list(collection.aggregate(stages, comment=comment))


def canonical(value):
    if isinstance(value, dict):
        return tuple(sorted((key, canonical(item)) for key, item in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(canonical(item) for item in value)
    if isinstance(value, float):
        return float(f"{value:.12g}")
    return value


def digest(rows: list) -> str:
    """The same for the same documents in any order and field order."""
    return hashlib.sha256("\n".join(sorted(repr(canonical(row)) for row in rows)).encode()).hexdigest()


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the smallest value with at least `share` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def measure_query(layouts: list, query: LabQuery, documents: list[dict], time_field: str, runs: int) -> QueryResult:
    valued = [*query.eq, *(name for name, _ in query.range)]
    usable = [doc for doc in documents if all(lookup(doc, name) is not None for name in valued)]
    result = QueryResult(query)
    if not usable:
        result.mismatches.append("no sampled document carries every field the query takes a value from; not run")
        result.same_results = False
        return result
    instances = [concrete(query, doc, time_field) for doc in usable]
    timings: dict[str, list[float]] = {layout.label: [] for layout in layouts}
    rows: dict[str, list[int]] = {layout.label: [] for layout in layouts}
    for round_ in range(runs + 1):  # round 0 warms up
        instance = instances[round_ % len(instances)]
        order = layouts[round_ % len(layouts):] + layouts[:round_ % len(layouts)]
        digests = {}
        for layout in order:
            started = time.perf_counter()
            answer = layout.run(instance)
            elapsed = time.perf_counter() - started
            digests[layout.label] = digest(answer)
            if round_:
                timings[layout.label].append(elapsed * 1000)
                rows[layout.label].append(len(answer))
        if len(set(digests.values())) > 1:
            result.same_results = False
            if len(result.mismatches) < MISMATCHES_SHOWN:
                differing = ", ".join(f"{label} {value[:8]}" for label, value in digests.items())
                result.mismatches.append(f"round {round_}: results differ (digests {differing})")
    for layout in layouts:
        ms = timings[layout.label]
        result.layouts[layout.label] = {
            "median_ms": round(statistics.median(ms), 3), "p95_ms": round(percentile(ms, 0.95), 3),
            "min_ms": round(min(ms), 3), "max_ms": round(max(ms), 3), "runs": len(ms),
            "rows": statistics.median(rows[layout.label]), **layout.explain(instances[0])}
    return result


def measure_mix(layouts: list, queries: list[LabQuery], documents: list[dict], time_field: str, runs: int,
                progress) -> list[QueryResult]:
    results = []
    for query in queries:
        with progress.phase(f"query '{query.name}': {runs} runs on each layout"):
            results.append(measure_query(layouts, query, documents, time_field, runs))
    return results
