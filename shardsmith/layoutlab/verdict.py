"""A line per claim of the design notes, judged by the figures measured, and a short recommendation with reasons.

The claims (the design notes' "Cost-Benefit Analysis" and time-series benefits):
time-series collections give a 50-80% storage reduction, 10-100x fewer
documents to index and better performance for time-range queries; rolling
monthly collections pay off beyond ~1B documents. A claim "holds" when the
measurement reaches its lower bound. The storage claim is about compression
("optimized storage compression"), so it is judged on storage size, the
compressed data on disk; the total with indexes is given beside it. The ~1B
threshold cannot be measured on a sample and is said so, with what the sample
does show.
"""

from __future__ import annotations

from ..metrics.report import human_bytes
from .layouts import MONTHLY, REGULAR, TIMESERIES

STORAGE_CLAIM = (0.50, 0.80)
DOCUMENTS_CLAIM = (10, 100)
ROLLING_THRESHOLD = 1_000_000_000
WORTH_SAVING = 0.20  # time-series pays off when it saves this share of storage + indexes ...
TOLERATED_SLOWDOWN = 1.5  # ... or runs a time-range query this much faster, and slows no query by as much
NOTICEABLE_MS = 1.0  # (a difference in median latency smaller than this counts as none)
SMALL_SAMPLE = 100_000
SCHEMA_CHANGE_SHARE = 0.10


def _status(value: float, low: float, high: float) -> str:
    if value < low:
        return "does not hold"
    return "holds" if value <= high else "holds (beyond the claimed range)"


def median_ratio(query, layout: str) -> float | None:
    """The layout's median latency over the regular layout's, for one query."""
    mine, theirs = query.layouts.get(layout, {}), query.layouts.get(REGULAR, {})
    if not mine.get("median_ms") or not theirs.get("median_ms"):
        return None
    return mine["median_ms"] / theirs["median_ms"]


def noticeably(query, layout: str) -> str:
    """Is the layout "slower" or "faster" than the regular one, by TOLERATED_SLOWDOWN and NOTICEABLE_MS both,
    or the "same"? A tenth of a millisecond is a ratio of 1.5 on a fast query, and noise."""
    ratio = median_ratio(query, layout)
    if ratio is None:
        return "same"
    gap = query.layouts[layout]["median_ms"] - query.layouts[REGULAR]["median_ms"]
    if abs(gap) < NOTICEABLE_MS:
        return "same"
    return "slower" if ratio >= TOLERATED_SLOWDOWN else "faster" if ratio <= 1 / TOLERATED_SLOWDOWN else "same"


def time_range_queries(queries, time_field: str) -> list:
    """Queries over a time window and nothing else to pin (no equality): the design notes' time-range queries."""
    return [q for q in queries if not q.query.eq and any(name == time_field for name, _ in q.query.range)]


def claim_lines(sizes: dict, queries: list, time_field: str, documents: int) -> list[dict]:
    regular, series = sizes[REGULAR], sizes[TIMESERIES]
    lines = []
    reduction = 1 - series.storage_size / regular.storage_size if regular.storage_size else 0.0
    with_indexes = 1 - series.total / regular.total if regular.total else 0.0
    lines.append(_line("storage reduction 50-80% (time-series)", f"{reduction:.0%}",
                       _status(reduction, *STORAGE_CLAIM),
                       f"storage {human_bytes(series.storage_size)} vs {human_bytes(regular.storage_size)} "
                       f"(reusable free space in them {human_bytes(series.free_storage)} vs "
                       f"{human_bytes(regular.free_storage)}); with indexes {with_indexes:.0%}"))
    fewer = regular.stored / series.stored if series.stored else 0.0
    lines.append(_line("10-100x fewer documents to index (time-series)", f"{fewer:.1f}x",
                       _status(fewer, *DOCUMENTS_CLAIM),
                       f"{regular.stored:,} documents in {series.stored:,} buckets"))
    measured = [(q, ratio) for q in time_range_queries(queries, time_field)
                if (ratio := median_ratio(q, TIMESERIES)) is not None]
    ranged = [(q.query.name, ratio) for q, ratio in measured]
    if ranged:
        faster = sum(noticeably(q, TIMESERIES) == "faster" for q, _ in measured)
        status = "holds" if faster == len(ranged) else "does not hold" if not faster else "partly holds"
        detail = ", ".join(f"'{name}' {ratio:.2f}x" for name, ratio in ranged)
        lines.append(_line("better performance for time-range queries (time-series)",
                           f"{min(r for _, r in ranged):.2f}-{max(r for _, r in ranged):.2f}x the regular median",
                           status, detail))
    monthly = [(q.query.name, median_ratio(q, MONTHLY)) for q in queries if median_ratio(q, MONTHLY) is not None]
    shown = ", ".join(f"'{name}' {ratio:.2f}x" for name, ratio in monthly) or "no query measured"
    lines.append(_line("rolling monthly collections beyond ~1B documents", f"{documents:,} documents copied",
                       "not measurable at sample scale" if documents < ROLLING_THRESHOLD else "not judged",
                       f"a threshold of scale, not of layout; measured here: monthly vs regular median {shown}"))
    return lines


def _line(claim: str, measured: str, status: str, detail: str) -> dict:
    return {"claim": claim, "measured": measured, "status": status, "detail": detail,
            "line": f"{claim}: measured {measured} - {status} ({detail})"}


def recommend(sizes: dict, queries: list, skipped: list, series, documents: int, time_field: str) -> dict:
    """time-series when it saves enough storage or time-range time and slows no query much; else regular.
    Every reason is a figure."""
    regular, ts, monthly = sizes[REGULAR], sizes[TIMESERIES], sizes[MONTHLY]
    saving = 1 - ts.total / regular.total if regular.total else 0.0
    pays_off = saving >= WORTH_SAVING or any(noticeably(q, TIMESERIES) == "faster"
                                             for q in time_range_queries(queries, time_field))
    slower = [(q.query.name, median_ratio(q, TIMESERIES)) for q in queries if noticeably(q, TIMESERIES) == "slower"]
    faster = [(q.query.name, median_ratio(q, TIMESERIES)) for q in queries if noticeably(q, TIMESERIES) == "faster"]
    reasons = [f"time-series holds the data and its indexes in {human_bytes(ts.total)} vs {human_bytes(regular.total)}"
               f" ({abs(saving):.0%} {'less' if saving >= 0 else 'more'})"]
    if slower:
        reasons.append("time-series is slower on " + ", ".join(f"'{n}' ({r:.1f}x)" for n, r in slower))
    if faster:
        reasons.append("time-series is faster on " + ", ".join(f"'{n}' ({r:.2f}x)" for n, r in faster))
    if skipped:
        reasons.append("the time-series collection refuses " + ", ".join(s["key"] for s in skipped)
                       + ": those need a regular collection beside it, or must go")
    reasons += _bucket_reasons(ts.buckets, series)
    reasons.append(_monthly_reason(queries, monthly, regular))
    if documents < SMALL_SAMPLE:
        reasons.append(f"only {documents:,} documents were copied: fixed per-collection costs weigh on the sizes; "
                       f"measure {SMALL_SAMPLE:,}+ before deciding")
    layout = TIMESERIES if pays_off and not slower else REGULAR
    if layout == REGULAR:
        head = "stay on a regular collection: " + ("time-series slows queries of the mix" if slower else
                                                   "time-series saves too little on this data and query mix")
    else:
        head = "migrate to a time-series collection" + (
            f", if the application can do without {', '.join(s['key'] for s in skipped)}" if skipped else "")
    return {"layout": layout, "summary": head, "reasons": reasons}


def _bucket_reasons(buckets: dict, series) -> list[str]:
    count = buckets.get("bucketCount") or 0
    reasons = []
    closed = buckets.get("numBucketsClosedDueToSchemaChange", 0)
    if count and closed / count >= SCHEMA_CHANGE_SHARE:
        fields = "; ".join(f"{m['field']} ({', '.join(m['types'])}) in {m['series']:,} series"
                           for m in series.mixed_types[:3]) or "fields below the top level"
        reasons.append(f"{closed / count:.0%} of buckets closed early on a type change within a series: {fields}; "
                       "omit such fields (e.g. nulls) rather than store them to get fuller buckets")
    if count and "numCompressedBuckets" in buckets:
        reasons.append(f"{buckets['numCompressedBuckets'] / count:.0%} of buckets are compressed (the server "
                       "compresses a bucket when it closes full or out of its time span; the rest stay as written)")
    return reasons


def _monthly_reason(queries, monthly, regular) -> str:
    ratios = [(q.query.name, median_ratio(q, MONTHLY)) for q in queries]
    shown = ", ".join(f"'{n}' {r:.2f}x" for n, r in ratios if r is not None) or "no query measured"
    return (f"monthly collections ({monthly.collections} months, {human_bytes(monthly.total)} with indexes): "
            f"median latency vs regular {shown}; they pay off in lifecycle (archive or drop a month at once), "
            "which a sample cannot show")
