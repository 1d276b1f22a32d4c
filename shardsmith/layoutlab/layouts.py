"""The three layouts behind one interface: run a concrete query as an application would, and explain it.

- regular and time-series: one find (filter, sort, limit) or one aggregation
  ($match, then the group) on the collection (a time-series collection is
  queried through its view, as applications do);
- monthly: through shardsmith.rolling.RollingCollections, the API an
  application on monthly collections uses: a time window reads only the months
  it overlaps; a find with a limit walks the months in time order; the rest is
  one server-side union of the months.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pymongo.collection import Collection
from pymongo.database import Database

from ..rolling import RollingCollections
from ..rolling.queries import range_filter
from .plans import summarize
from .queries import Concrete

REGULAR, TIMESERIES, MONTHLY = "regular", "time-series", "monthly"


class CollectionLayout:
    """A regular or time-series collection."""

    def __init__(self, label: str, collection: Collection, time_field: str, comment: str):
        self.label, self.collection, self.time_field, self.comment = label, collection, time_field, comment

    def collections(self) -> list[str]:
        return [self.collection.name]

    def run(self, query: Concrete) -> list:
        if query.tail:
            pipeline = [{"$match": query.match(self.time_field)}] + query.tail
            return list(self.collection.aggregate(pipeline, allowDiskUse=True, comment=self.comment))
        return list(self.collection.find(query.match(self.time_field), sort=list(query.sort.items()) or None,
                                         limit=query.limit, comment=self.comment))

    def explain(self, query: Concrete) -> dict:
        return summarize([explain(self.collection.database, self.collection.name, query.match(self.time_field),
                                  query, self.comment)])


class MonthlyLayout:
    """Month collections prefix_YYYY_MM, read through the rolling API."""

    def __init__(self, label: str, database: Database, prefix: str, time_field: str, comment: str):
        self.label, self.database, self.time_field, self.comment = label, database, time_field, comment
        self.rolling = RollingCollections(database, prefix, time_field=time_field)

    def collections(self) -> list[str]:
        return self.rolling.months()

    def run(self, query: Concrete) -> list:
        start, end = query.window or (None, None)
        if query.limit and not query.tail:
            return self.rolling.find(query.filter, start, end, sort=list(query.sort.items()), limit=query.limit)
        stages = [{"$match": query.filter}] + query.tail + ([{"$sort": query.sort}] if query.sort else [])
        return list(self.rolling.aggregate(stages, start, end))

    def explain(self, query: Concrete) -> dict:
        """Each month's part: its $match (the window included), and its sort and limit when the query has a
        limit (the month walk); a group or a sort without limit runs on the union, after the months."""
        start, end = query.window or (None, None)
        match = {**query.filter, **range_filter(self.time_field, start, end)}
        in_month = replace(query, tail=[], sort=query.sort if query.limit else {})
        return summarize([explain(self.database, name, match, in_month, self.comment)
                          for name in self.rolling.months(start, end)])


def explain(database: Database, name: str, match: dict, query: Concrete, comment: str) -> dict:
    """The queryPlanner explain of the query's find (or aggregation) on one collection."""
    if query.tail:
        command: dict[str, Any] = {"aggregate": name, "pipeline": [{"$match": match}] + query.tail, "cursor": {}}
    else:
        command = {"find": name, "filter": match, **({"sort": query.sort} if query.sort else {}),
                   **({"limit": query.limit} if query.limit else {})}
    return database.command("explain", command, verbosity="queryPlanner", comment=comment)
