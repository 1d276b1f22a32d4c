"""The application's questions, asked of source and target: the same answers or a named difference.

The default mix follows the chat-message workload: one session's messages,
that session within two hours, every message within an hour, and per-model
daily counts and cost over a month; the session and times are sampled from
the source at the verification's snapshot. A file (YAML or JSON, values in
MongoDB Extended JSON) replaces it: a list of {name, filter} or {name, pipeline}.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import yaml
from bson import json_util

from ..errors import ShardsmithError
from ..rolling.naming import month_bounds, to_utc
from .snapshot import snapshot_aggregate

LIMIT = 1000  # documents compared per filter query
SESSION, MODEL, COST = "sessionId", "model", "costUsd"


@dataclass(frozen=True)
class Query:
    name: str
    pipeline: list


@dataclass
class QueryOutcome:
    name: str
    source: int  # results on the source
    target: int
    same: bool
    detail: str = ""

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def filter_query(name: str, match: dict, limit: int = LIMIT) -> Query:
    return Query(name, [{"$match": match}, {"$sort": {"_id": 1}}, {"$limit": limit}])


def default_queries(source, time_field: str, at) -> list[Query]:
    """The default mix, around one message sampled from the source as of cluster time `at`."""
    sample = next(iter(snapshot_aggregate(source, [{"$match": {SESSION: {"$exists": True}, time_field: {"$type": "date"}}},
                                                   {"$sample": {"size": 1}}], at=at)), None)
    if sample is None:
        return []
    session, moment = sample[SESSION], to_utc(sample[time_field])
    start, end = month_bounds(moment.year, moment.month)
    window = lambda half: {"$gte": moment - half, "$lt": moment + half}  # noqa: E731
    return [
        filter_query("by session", {SESSION: session}),
        filter_query("session + time range", {SESSION: session, time_field: window(timedelta(hours=1))}),
        filter_query("time range", {time_field: window(timedelta(minutes=30))}),
        Query("per-model daily aggregation", [
            {"$match": {time_field: {"$gte": start, "$lt": end}, MODEL: {"$exists": True}}},
            {"$group": {"_id": {"model": f"${MODEL}", "day": {"$dateToString": {"format": "%Y-%m-%d",
                                                                                  "date": f"${time_field}"}}},
                        "messages": {"$sum": 1}, "cost": {"$sum": f"${COST}"}}},
            {"$sort": {"_id.day": 1, "_id.model": 1}}]),
    ]


def load_queries(path) -> list[Query]:
    """Queries from a YAML or JSON file: [{name, filter} | {name, pipeline}, ...]."""
    try:
        entries = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ShardsmithError(f"cannot read the queries in {path}: {exc}") from None
    if not isinstance(entries, list) or not entries:
        raise ShardsmithError(f"{path} must hold a non-empty list of queries",
                              hint='e.g. - {name: by session, filter: {sessionId: "abc"}}')
    queries = []
    for position, entry in enumerate(entries):
        entry = json_util.loads(json.dumps(entry, default=str)) if isinstance(entry, dict) else entry
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or \
                ("filter" in entry) == ("pipeline" in entry):
            raise ShardsmithError(f"{path}: query #{position + 1} needs a name and either a filter or a pipeline",
                                  hint='write dates as {"$date": "2024-01-01T00:00:00Z"}')
        queries.append(filter_query(entry["name"], entry["filter"], entry.get("limit", LIMIT)) if "filter" in entry
                       else Query(entry["name"], entry["pipeline"]))
    return queries


def run_queries(queries: list[Query], source, target, at) -> list[QueryOutcome]:
    """Each query on the source as of `at` and on the target now (which reflects exactly that)."""
    outcomes = []
    for query in queries:
        mine = list(snapshot_aggregate(source, query.pipeline, at=at))
        theirs = list(target.aggregate(query.pipeline))
        same = same_results(mine, theirs)
        outcomes.append(QueryOutcome(query.name, len(mine), len(theirs), same,
                                     "" if same else _first_difference(mine, theirs)))
    return outcomes


def same_results(mine: list, theirs: list) -> bool:
    """Equal results, in order or not; documents compared without field order, floats within 1e-9
    relative (a sum may be added in another order on the other side)."""
    if len(mine) != len(theirs):
        return False
    if all(map(close, mine, theirs)):
        return True
    return all(map(close, sorted(mine, key=_sorting), sorted(theirs, key=_sorting)))


def close(a, b) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(close, a, b))
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and math.isclose(a, b, rel_tol=1e-9)
    return a == b


def _sorting(value) -> str:
    return repr(_rounded(value))


def _rounded(value):
    if isinstance(value, dict):
        return sorted((k, _rounded(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return float(f"{value:.6g}") if isinstance(value, float) else value


def _first_difference(mine: list, theirs: list) -> str:
    left, right = {_sorting(d) for d in mine}, {_sorting(d) for d in theirs}
    only_source, only_target = sorted(left - right), sorted(right - left)
    if only_source:
        return f"only on the source: {only_source[0][:200]}"
    if only_target:
        return f"only on the target: {only_target[0][:200]}"
    return f"{len(mine)} results on the source, {len(theirs)} on the target, numbers differ"
