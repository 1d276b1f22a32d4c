"""The query mix: shapes written like the key lab's, plus sort, limit and a per-group aggregation.

    {name: by session, eq: [sessionId]}
    {name: session day, eq: [sessionId], range: {timestamp: 1d}}
    {name: last hour, range: {timestamp: 1h}}
    {name: last 20 of a session, eq: [sessionId], sort: {timestamp: -1}, limit: 20}
    {name: cost per model per day, range: {timestamp: 7d}, group: {by: [model], per: day, sum: [costUsd]}}

Each run makes a shape concrete from a sampled document: an `eq` field takes
its value, a range on the time field the half-open window [t - width, t + 1 ms)
ending at its time (the rolling API's ranges are half-open; BSON dates have
millisecond precision, so this is "up to t inclusive"), a range on another
field [v - width, v]. Sorts always end in _id, as the rolling API's do, so
every layout returns the same documents on ties.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from ..errors import ShardsmithError
from ..keylab.queries import QUERY_HINT, check_unique_names, lookup, parse_query, read_query_file

UNITS = ("hour", "day", "week", "month")
MILLISECOND = timedelta(milliseconds=1)
LAST_N = 20
EXTRA = {"sort", "limit", "group"}


@dataclass(frozen=True)
class LabQuery:
    name: str
    eq: tuple = ()
    range: tuple = ()  # ((field, width), ...)
    sort: tuple = ()  # ((field, 1 | -1), ...)
    limit: int = 0
    group: tuple = ()  # (by fields, per unit or None, sum fields)

    def fields(self) -> list[str]:
        by, _, sums = self.group or ((), None, ())
        return list(dict.fromkeys([*self.eq, *(f for f, _ in self.range), *(f for f, _ in self.sort), *by, *sums]))


@dataclass(frozen=True)
class Concrete:
    """One run of a query: the filter without the time window, the window, and what follows the match."""

    query: LabQuery
    filter: dict
    window: tuple | None  # (start, end) on the time field, half-open
    sort: dict
    limit: int
    tail: list  # aggregation stages after the $match ([] for a find)

    def match(self, time_field: str) -> dict:
        if self.window is None:
            return dict(self.filter)
        return {**self.filter, time_field: {"$gte": self.window[0], "$lt": self.window[1]}}


def concrete(query: LabQuery, doc: dict, time_field: str) -> Concrete:
    flt = {name: lookup(doc, name) for name in query.eq}
    window = None
    for name, width in query.range:
        value = lookup(doc, name)
        if name == time_field:
            window = (value - width, value + MILLISECOND)
        else:
            flt[name] = {"$gte": value - width, "$lte": value}
    sort = dict(query.sort)
    if sort:
        sort.setdefault("_id", list(sort.values())[-1])
    return Concrete(query, flt, window, sort, query.limit, group_stages(query.group, time_field))


def group_stages(group: tuple, time_field: str) -> list:
    if not group:
        return []
    by, per, sums = group
    key: dict[str, Any] = {name: f"${name}" for name in by}
    if per:
        key[per] = {"$dateTrunc": {"date": f"${time_field}", "unit": per}}
    return [{"$group": {"_id": key, "documents": {"$sum": 1}, **{name: {"$sum": f"${name}"} for name in sums}}},
            {"$sort": {"_id": 1}}]


def parse_lab_query(doc, where: str = "queries") -> LabQuery:
    if not isinstance(doc, dict):
        raise ShardsmithError(f"{where}: a query is a mapping, got {doc!r}", hint=QUERY_HINT)
    base = parse_query({k: v for k, v in doc.items() if k not in EXTRA}, where)
    sort = doc.get("sort") or {}
    if not isinstance(sort, dict) or any(d not in (1, -1) for d in sort.values()):
        raise ShardsmithError(f"{where}: sort must map fields to 1 or -1, got {sort!r}", hint="e.g. sort: {timestamp: -1}")
    limit = doc.get("limit", 0)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ShardsmithError(f"{where}: limit must be a whole number >= 0, got {limit!r}")
    group = _group(doc.get("group"), where)
    if group and (sort or limit):
        raise ShardsmithError(f"{where}: a group query sorts by its groups; leave out sort and limit")
    return LabQuery(base.name, base.eq, base.range, tuple(sort.items()), limit, group)


def _group(value, where: str) -> tuple:
    if value is None:
        return ()
    hint = "e.g. group: {by: [model], per: day, sum: [costUsd]}"
    if not isinstance(value, dict) or set(value) - {"by", "per", "sum"}:
        raise ShardsmithError(f"{where}: group takes by, per and sum, got {value!r}", hint=hint)
    by, per, sums = value.get("by") or [], value.get("per"), value.get("sum") or []
    if per is not None and per not in UNITS:
        raise ShardsmithError(f"{where}: group.per is {per!r}", hint=f"one of {', '.join(UNITS)}")
    if not all(isinstance(f, str) for f in [*by, *sums]) or not (by or per):
        raise ShardsmithError(f"{where}: group needs field names in by (or a per unit)", hint=hint)
    return tuple(by), per, tuple(sums)


def load_queries(path: str | Path) -> list[LabQuery]:
    """The mix from a YAML or JSON file holding a list of queries (or {queries: [...]})."""
    queries = [parse_lab_query(doc, f"{path}[{i}]") for i, doc in enumerate(read_query_file(path))]
    if not queries:
        raise ShardsmithError(f"{path}: the list of queries is empty", hint=QUERY_HINT)
    check_unique_names([q.name for q in queries])
    return queries


def default_queries(time_field: str, series_field: str | None, sampled: list[dict]) -> list[LabQuery]:
    """The design notes' access patterns, on the series field (the metaField) and the time field:
    by session, session + a day, an hour of everything, the last 20 of a session, and cost per model per day
    (when the documents carry `model`; `costUsd` summed when they carry it)."""
    day, hour, week = timedelta(days=1), timedelta(hours=1), timedelta(days=7)
    queries = []
    if series_field:
        queries += [LabQuery(f"by {series_field}", eq=(series_field,)),
                    LabQuery(f"{series_field} + 1 day", eq=(series_field,), range=((time_field, day),))]
    queries.append(LabQuery("time range 1 hour", range=((time_field, hour),)))
    if series_field:
        queries.append(LabQuery(f"last {LAST_N} of a {series_field}", eq=(series_field,), sort=((time_field, -1),),
                                limit=LAST_N))
    if any("model" in doc for doc in sampled):
        sums = ("costUsd",) if any("costUsd" in doc for doc in sampled) else ()
        queries.append(LabQuery("per model per day (7 days)", range=((time_field, week),),
                                group=(("model",), "day", sums)))
    return queries


def check_time_ranges(queries: list[LabQuery], time_field: str) -> None:
    """A range on the time field is a duration (1h, 7d), not a number."""
    for query in queries:
        for name, width in query.range:
            if name == time_field and not isinstance(width, timedelta):
                raise ShardsmithError(f"query {query.name!r}: the range on {time_field} is {width!r}",
                                      hint="write the width of a time range as a duration, e.g. 1h or 7d")
