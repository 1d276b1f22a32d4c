"""What the sync and async rolling APIs share: configuration and every decision, as sans-I/O plans.

A plan is a generator that yields requests (list names, ensure a
collection, insert, aggregate) and receives their answers; it returns the
final result. `RollingCollections` runs plans on pymongo, and
`AsyncRollingCollections` awaits the same plans on pymongo's async client,
so the logic exists once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from pymongo.errors import BulkWriteError, OperationFailure
from pymongo.write_concern import WriteConcern

from ..dataplan.indexes import wanted_document
from ..errors import ShardsmithError
from . import queries
from .naming import name_pattern
from .routing import WriteSummary, route_batch

NAMESPACE_EXISTS = 48
MAJORITY = WriteConcern("majority")


@dataclass(frozen=True)
class ListNames:
    filter: dict


@dataclass(frozen=True)
class Ensure:
    """Make `name` exist with the index set, unless this process already did since `listed_at`."""

    name: str
    exists: bool
    listed_at: float


@dataclass(frozen=True)
class Command:
    document: dict
    tolerate: frozenset = frozenset()  # error codes that mean "already so"


@dataclass(frozen=True)
class Insert:
    collection: str
    documents: list = field(repr=False)


@dataclass(frozen=True)
class Together:
    """Independent requests answered concurrently (one batch's months); answered as a list, in order."""

    requests: tuple


@dataclass(frozen=True)
class Aggregate:
    """A pipeline on one collection, or on the database (collection None); answered as a list."""

    collection: str | None
    pipeline: list


class RollingCore:
    """One rolling family (prefix_YYYY_MM) in one database: its index set, time field and plans.

    Pages sort by (time, _id) so equal times still page consistently; an index
    {time: -1, _id: -1} in the set lets each month serve its part of a page
    from the index instead of sorting the month.
    """

    def __init__(self, database, prefix, *, indexes=(), time_field: str = "timestamp", write_concern=MAJORITY):
        self.database = database
        self.prefix = getattr(prefix, "prefix", prefix)  # a RollingSpec or its prefix
        if getattr(prefix, "period", "monthly") != "monthly":
            raise ShardsmithError(f"rolling {self.prefix!r}: period {prefix.period!r} is not supported",
                                  hint="rolling collections are monthly (prefix_YYYY_MM)")
        if not isinstance(self.prefix, str) or not self.prefix:
            raise ShardsmithError(f"rolling prefix {prefix!r} must be a non-empty name")
        self.index_documents = [wanted_document(index) for index in indexes]
        self.time_field = time_field
        self.write_concern = write_concern
        self._ensured: dict[str, float] = {}  # name -> when this process last ensured it

    @classmethod
    def from_topology(cls, database, topology, prefix: str, **options):
        """The rolling family `prefix` of `database` as the spec declares it, with its index set."""
        for db in topology.databases:
            for rolling in db.rolling:
                if db.name == database.name and rolling.prefix == prefix:
                    indexes = topology.index_set(rolling.index_set) if rolling.index_set else ()
                    return cls(database, rolling, indexes=indexes, **options)
        raise ShardsmithError(f"no rolling collections {prefix!r} in database {database.name!r} of {topology.source}",
                              hint="declare them under databases.<db>.rolling in the topology")

    # -- plans ----------------------------------------------------------------------------------

    def months_plan(self, start=None, end=None):
        """The existing month collections overlapping [start, end), oldest first: one listCollections."""
        names = yield ListNames({"name": {"$regex": name_pattern(self.prefix)}})
        return queries.months_in_range(names, self.prefix, start, end)

    def insert_plan(self, documents):
        groups = route_batch(documents, self.prefix, self.time_field)  # every document checked before any write
        summary = WriteSummary()
        if not groups:
            return summary
        listed_at = time.monotonic()
        existing = set((yield ListNames({"name": {"$in": list(groups)}})))
        for name in groups:
            if name not in existing or name not in self._ensured:
                if (yield Ensure(name, name in existing, listed_at)):
                    summary.created.append(name)
        failures = []
        outcomes = yield Together(tuple(Insert(name, batch) for name, batch in groups.items()))
        for (name, batch), (inserted, error) in zip(groups.items(), outcomes):
            summary.inserted[name] = inserted
            if error:
                failures.append(f"{name}: {len(batch) - inserted} not written ({error})")
        if failures:
            raise ShardsmithError(f"wrote {summary.total} documents but not all: " + "; ".join(failures),
                                  hint="the documents listed were refused by the server (e.g. a duplicate unique key)")
        return summary

    def ensure_plan(self, request: Ensure):
        """Create the collection (NamespaceExists is fine: a concurrent writer won) and its index set."""
        created = False
        if not request.exists:
            created = yield Command({"create": request.name, "writeConcern": self.write_concern.document}, frozenset({NAMESPACE_EXISTS}))
        if self.index_documents:
            yield Command({"createIndexes": request.name, "indexes": self.index_documents,
                           "writeConcern": self.write_concern.document})
        return created

    def should_ensure(self, request: Ensure) -> bool:
        """False when this process ensured the collection after the listing that asked for it."""
        return self._ensured.get(request.name, float("-inf")) < request.listed_at

    def ensured(self, name: str) -> None:
        self._ensured[name] = time.monotonic()

    def page_plan(self, query=None, start=None, end=None, *, sort=1, skip=0, limit=100, strategy="auto"):
        """One page of the global order: a list of at most `limit` documents."""
        sort_doc = queries.sort_keys(sort, self.time_field)
        queries.check_page(skip, limit)
        match = queries.match_filter(query, self.time_field, start, end)
        names = yield from self.months_plan(start, end)
        by_time = next(iter(sort_doc)) == self.time_field
        if not names:
            return []
        if strategy == "union" or (strategy == "auto" and not by_time):
            return (yield Aggregate(None, queries.sorted_union_page(names, match, sort_doc, skip, limit)))
        if not by_time:
            raise ShardsmithError(f"the month walk needs a sort led by {self.time_field!r}, got {sort!r}")
        return (yield from self._month_walk(names if sort_doc[self.time_field] == 1 else names[::-1],
                                            match, sort_doc, skip, limit))

    def _month_walk(self, names, match, sort_doc, skip, limit):
        """Months partition time, so the global time order is month after month: skip whole months by
        capped counts, then read the page from the one or two months it lies in."""
        page: list = []
        for name in names:
            if skip:
                counted = yield Aggregate(name, queries.capped_count(match, skip))
                in_month = counted[0]["n"] if counted else 0
                if in_month < skip:
                    skip -= in_month
                    continue
            page += yield Aggregate(name, queries.month_page(match, sort_doc, skip, limit - len(page)))
            skip = 0
            if len(page) == limit:
                break
        return page

    def count_plan(self, query=None, start=None, end=None):
        match = queries.match_filter(query, self.time_field, start, end)
        names = yield from self.months_plan(start, end)
        if not names:
            return 0
        result = yield Aggregate(None, queries.count_pipeline(names, match))
        return result[0]["n"] if result else 0

    def aggregate_plan(self, pipeline, start=None, end=None):
        """The Aggregate request (to be run as a cursor) for `pipeline` over the range."""
        range_match = queries.range_filter(self.time_field, start, end)
        stages = queries.aggregate_pipeline([], range_match, pipeline)  # validates before any I/O
        names = yield from self.months_plan(start, end)
        return Aggregate(None, queries.aggregate_pipeline(names, range_match, pipeline) if names else stages)

    def scan_plan(self, query=None, start=None, end=None, *, sort=1):
        """[(month, pipeline)] in sort order, to stream everything month by month (time sorts only)."""
        sort_doc = queries.sort_keys(sort, self.time_field)
        if next(iter(sort_doc)) != self.time_field:
            raise ShardsmithError(f"scan streams in time order: sort must be led by {self.time_field!r}",
                                  hint="use find() pages for other sorts")
        match = queries.match_filter(query, self.time_field, start, end)
        names = yield from self.months_plan(start, end)
        ordered = names if sort_doc[self.time_field] == 1 else names[::-1]
        return [(name, ([{"$match": match}] if match else []) + [{"$sort": sort_doc}]) for name in ordered]


class Answer:
    """Turns the expected failures of a request into its answer, for both executors.

    An Insert the server partly refused answers (inserted, first error); a
    Command failing with a tolerated code answers False. Anything else raises.
    """

    def __init__(self, request):
        self.request = request
        self.value = None

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, trace):
        if isinstance(exc, BulkWriteError) and isinstance(self.request, Insert):
            errors = exc.details.get("writeErrors", [])
            self.value = exc.details.get("nInserted", 0), (errors[0].get("errmsg") if errors else str(exc))
            return True
        if isinstance(exc, OperationFailure) and exc.code in getattr(self.request, "tolerate", ()):
            self.value = False
            return True
        return False
