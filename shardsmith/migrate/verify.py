"""Is the target the source? Compared at one cluster time V: the source read as of V, the target after
every change up to V was applied (and none after). Per month: counts and fingerprints (fingerprint.py),
with the differing _ids listed where they differ; then the query mix (querymix.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bson.timestamp import Timestamp

from ..rolling.naming import month_bounds
from .fingerprint import NO_DATE, Differences, Fingerprint, by_month, differences, fingerprint_pipeline
from .follow import Follower, FollowResult
from .querymix import QueryOutcome, default_queries, run_queries
from .snapshot import describe, snapshot_aggregate, snapshot_find


@dataclass
class MonthRow:
    month: str
    source: Fingerprint | None
    target: Fingerprint | None
    differences: Differences | None = None

    @property
    def same(self) -> bool:
        return self.source == self.target

    def as_dict(self) -> dict:
        def shown(fp):
            return None if fp is None else {"documents": fp.documents, "ids": Fingerprint.short(fp.ids),
                                            "content": Fingerprint.short(fp.content)}
        return {"month": self.month, "same": self.same, "source": shown(self.source), "target": shown(self.target),
                "differences": self.differences.as_dict() if self.differences else None}


@dataclass
class VerifyReport:
    at: Timestamp  # the cluster time compared
    months: list = field(default_factory=list)
    queries: list = field(default_factory=list)  # of QueryOutcome
    misplaced: list = field(default_factory=list)  # rolling months holding other months' documents
    follow: FollowResult | None = None

    @property
    def ok(self) -> bool:
        return all(m.same for m in self.months) and all(q.same for q in self.queries) and not self.misplaced

    def summary(self) -> str:
        months = [m.month for m in self.months if not m.same]
        queries = [q.name for q in self.queries if not q.same]
        parts = ([f"{len(months)} month(s) differ ({', '.join(months[:6])})"] if months else []) + \
                ([f"{len(queries)} quer(ies) differ ({', '.join(queries)})"] if queries else []) + \
                ([f"misplaced documents in {', '.join(self.misplaced)}"] if self.misplaced else [])
        return "; ".join(parts) or "identical"

    def as_dict(self) -> dict:
        return {"ok": self.ok, "at": describe(self.at), "summary": self.summary(),
                "documents": sum(m.source.documents for m in self.months if m.source),
                "months": [m.as_dict() for m in self.months], "queries": [q.as_dict() for q in self.queries],
                "misplaced": self.misplaced, "follow": self.follow.as_dict() if self.follow else None}


def current_time(source):
    """A majority-committed cluster time: what a snapshot read would see now."""
    cursor = snapshot_find(source, {}, limit=1, projection={"_id": 1})
    cursor.close()
    return cursor.at


def verify_target(source, target, follower: Follower, *, queries=None, examples: int = 10) -> VerifyReport:
    """Catch the target up to now (V), then compare; `queries` replaces the default mix."""
    time_field = follower.state.plan.time_field
    follower.run(until_caught_up=True)  # so that series re-copies on the way to V can read as of their batch
    at = current_time(source)
    report = VerifyReport(at, follow=follower.run(until=at))
    pipeline = fingerprint_pipeline(time_field)
    mine = by_month(snapshot_aggregate(source, pipeline, at=at))
    theirs = by_month(target.aggregate(pipeline))
    for month in sorted(set(mine) | set(theirs)):
        row = MonthRow(month, mine.get(month), theirs.get(month))
        if not row.same:
            match = [{"$match": _month_filter(month, time_field)}, {"$sort": {"_id": 1}}]
            row.differences = differences(snapshot_aggregate(source, match, at=at), target.aggregate(match), examples)
        report.months.append(row)
    mix = default_queries(source, time_field, at) if queries is None else queries
    report.queries = run_queries(mix, source, target, at)
    report.misplaced = target.misplaced()
    return report


def _month_filter(month: str, time_field: str) -> dict:
    if month == NO_DATE:
        return {time_field: {"$not": {"$type": "date"}}}
    start, end = month_bounds(int(month[:4]), int(month[5:7]))
    return {time_field: {"$gte": start, "$lt": end}}


__all__ = ["VerifyReport", "verify_target", "QueryOutcome"]
