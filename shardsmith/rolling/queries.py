"""Server-side pipelines over a set of month collections. Pure: names in, stages out.

Every multi-month read is one aggregation that starts from an empty
`$documents` stage and `$unionWith`s each month, so the server does the merge
and the result equals the same pipeline over one collection holding it all.
"""

from __future__ import annotations

from ..errors import ShardsmithError
from .naming import month_bounds, parse_collection_name, to_utc

MAX_PAGE = 10_000


def range_filter(time_field: str, start, end) -> dict:
    """{time: {$gte: start, $lt: end}} for the half-open range; {} when unbounded."""
    bounds = {}
    if start is not None:
        bounds["$gte"] = to_utc(start)
    if end is not None:
        bounds["$lt"] = to_utc(end)
    return {time_field: bounds} if bounds else {}


def match_filter(query, time_field: str, start, end) -> dict:
    """The caller's filter, restricted to the range."""
    if query is not None and not isinstance(query, dict):
        raise ShardsmithError(f"filter must be a document, got a {type(query).__name__}")
    parts = [part for part in (query or {}, range_filter(time_field, start, end)) if part]
    return parts[0] if len(parts) == 1 else ({"$and": parts} if parts else {})


def months_in_range(names, prefix: str, start, end) -> list[str]:
    """The month collections among `names` that share an instant with [start, end), oldest first."""
    low = to_utc(start) if start is not None else None
    high = to_utc(end) if end is not None else None
    months = []
    for name in names:
        parsed = parse_collection_name(prefix, name)
        if parsed is None:
            continue
        first, after = month_bounds(*parsed)
        if (high is None or first < high) and (low is None or after is None or low < after):
            months.append((parsed, name))
    return [name for _, name in sorted(months)]


def sort_keys(sort, time_field: str) -> dict:
    """A $sort document ending in _id, so equal values still come in one repeatable order.

    `sort` is 1 or -1 (by time) or a list of (field, 1 | -1) pairs.
    """
    pairs = [(time_field, sort)] if isinstance(sort, int) and not isinstance(sort, bool) else sort
    try:
        keys = {field: direction for field, direction in pairs}
    except (TypeError, ValueError):
        keys = None
    if not keys or any(not isinstance(f, str) or direction not in (1, -1) for f, direction in keys.items()):
        raise ShardsmithError(f"bad sort {sort!r}", hint="give 1 or -1 (by time), or a list of (field, 1 | -1) pairs")
    keys.setdefault("_id", list(keys.values())[-1])
    return keys


def check_page(skip, limit) -> None:
    if not isinstance(skip, int) or isinstance(skip, bool) or skip < 0:
        raise ShardsmithError(f"skip {skip!r} must be a whole number >= 0")
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE:
        raise ShardsmithError(f"limit {limit!r} must be between 1 and {MAX_PAGE}",
                              hint="page through larger results, or use scan() to stream them all")


def union(names, sub_pipeline: list) -> list:
    """Stages that feed every month's documents (through `sub_pipeline`) into one stream."""
    return [{"$documents": []}] + [
        {"$unionWith": {"coll": name, "pipeline": sub_pipeline} if sub_pipeline else name} for name in names]


def count_pipeline(names, match: dict) -> list:
    per_month = [{"$match": match}] if match else []
    return union(names, per_month + [{"$count": "n"}]) + [{"$group": {"_id": None, "n": {"$sum": "$n"}}}]


def aggregate_pipeline(names, range_match: dict, pipeline: list) -> list:
    """The caller's pipeline over the union; its leading $match stages run inside each month (on its indexes)."""
    if not isinstance(pipeline, list) or not all(isinstance(stage, dict) and len(stage) == 1 for stage in pipeline):
        raise ShardsmithError("pipeline must be a list of stages, each a document with one operator",
                              hint='e.g. [{"$match": {...}}, {"$group": {...}}]')
    leading = 0
    while leading < len(pipeline) and "$match" in pipeline[leading]:
        leading += 1
    per_month = pipeline[:leading] + ([{"$match": range_match}] if range_match else [])  # a $text match stays first
    return union(names, per_month) + pipeline[leading:]


def sorted_union_page(names, match: dict, sort: dict, skip: int, limit: int) -> list:
    """Any sort: each month's best skip+limit (on its indexes), merged and cut by the server."""
    per_month = ([{"$match": match}] if match else []) + [{"$sort": sort}, {"$limit": skip + limit}]
    return union(names, per_month) + [{"$sort": sort}] + ([{"$skip": skip}] if skip else []) + [{"$limit": limit}]


def month_page(match: dict, sort: dict, skip: int, limit: int) -> list:
    return ([{"$match": match}] if match else []) + [{"$sort": sort}] + ([{"$skip": skip}] if skip else []) + [
        {"$limit": limit}]


def capped_count(match: dict, cap: int) -> list:
    """How many documents match, counting no further than `cap` (enough to know a month can be skipped)."""
    return ([{"$match": match}] if match else []) + [{"$limit": cap}, {"$count": "n"}]
