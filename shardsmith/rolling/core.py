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
from ..servercodes import ServerCode
from ..topology.model import Topology
from . import queries
from .naming import name_pattern
from .routing import WriteSummary, route_batch

MAJORITY = WriteConcern("majority")


@dataclass(frozen=True)
class ListNames:
    filter: dict


@dataclass(frozen=True)
class ListCollections:
    """listCollections with each collection's info; answered as the list of collection documents."""

    filter: dict


@dataclass(frozen=True)
class Ensure:
    """Give the month `name` (listed at `listed_at` as `uuid`, or missing) the index set, unless this
    process already set the month up after that listing."""

    name: str
    exists: bool
    uuid: object
    listed_at: float


@dataclass(frozen=True)
class SetUp:
    """This process gave the month collection `uuid` its index set (None: gone before its UUID was read)."""

    uuid: object
    at: float  # time.monotonic() when the set-up finished


def uuids_by_name(collections) -> dict:
    """{name: UUID} from listCollections documents (views have no UUID: None)."""
    return {each["name"]: each.get("info", {}).get("uuid") for each in collections}


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
        self._set_up: dict[str, SetUp] = {}  # month -> the collection this process last gave the index set

    @classmethod
    def from_topology(cls, database, topology: Topology, prefix: str, **options):
        """The rolling family `prefix` of `database` as the spec declares it, with its index set."""
        rolling = topology.rolling_family(database.name, prefix)
        indexes = topology.index_set(rolling.index_set) if rolling.index_set else ()
        return cls(database, rolling, indexes=indexes, **options)

    # -- plans ----------------------------------------------------------------------------------

    def months_plan(self, start=None, end=None):
        """The existing month collections overlapping [start, end), oldest first: one listCollections."""
        names = yield ListNames({"name": {"$regex": name_pattern(self.prefix)}})
        return queries.months_in_range(names, self.prefix, start, end)

    def insert_plan(self, documents):
        """Write a batch: one listCollections, the set-up of the months that need it, one insert per month.

        A month needs set-up when the listing shows it missing, or (with an index
        set) shows a UUID other than the one this process set up: a drop (rotate,
        cleanup, a user) followed by an implicit re-creation gives a new UUID.
        The race: a month listed as set up (UUID U) may still be dropped after
        the listing and before the insert, which then re-creates it WITHOUT
        indexes under a new UUID V. That cannot be seen in this batch without a
        second listing per batch, so it is repaired by the next batch touching
        the month: its listing shows V != U, so it runs createIndexes (no create)
        before inserting, and records V. The same holds when the drop comes right
        after a new month's set-up: the UUID recorded is read between its create
        and its createIndexes, so a later re-creation never looks set up. A UUID
        is recorded only if listed before a successful createIndexes on its
        name: if that collection still exists at createIndexes time it got the
        indexes, and if it was dropped no listing shows its UUID again.
        """
        groups = route_batch(documents, self.prefix, self.time_field)  # every document checked before any write
        summary = WriteSummary()
        if not groups:
            return summary
        summary.created += yield from self.prepare_plan(list(groups))
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

    def prepare_plan(self, names):
        """Make each month in `names` exist with the index set: one listCollections, then the set-up of
        the months that need it (see insert_plan); returns the months it created."""
        listed_at = time.monotonic()
        listed = uuids_by_name((yield ListCollections({"name": {"$in": list(names)}})))
        created = []
        for name in names:
            if self._needs_set_up(name, listed):
                if (yield Ensure(name, name in listed, listed.get(name), listed_at)):
                    created.append(name)
        return created

    def _needs_set_up(self, name: str, listed: dict) -> bool:
        if name not in listed:
            return True
        if not self.index_documents:
            return False  # existing is all there is to set up
        mark = self._set_up.get(name)
        return mark is None or mark.uuid != listed[name]

    def ensure_plan(self, request: Ensure):
        """Create the month if it was missing (NamespaceExists is fine: a concurrent writer won), read its
        UUID, then build the index set, and remember that UUID as set up. Answers whether it created it."""
        created, uuid = False, request.uuid
        if not request.exists:
            created = yield Command({"create": request.name, "writeConcern": self.write_concern.document},
                                    frozenset({ServerCode.NamespaceExists}))
            if self.index_documents:  # read before createIndexes: see insert_plan
                uuid = uuids_by_name((yield ListCollections({"name": request.name}))).get(request.name)
        if self.index_documents:
            yield Command({"createIndexes": request.name, "indexes": self.index_documents,
                           "writeConcern": self.write_concern.document})
        self._set_up[request.name] = SetUp(uuid, time.monotonic())
        return created

    def should_ensure(self, request: Ensure) -> bool:
        """False when this process set the month up after the listing that asked (a concurrent batch did)."""
        mark = self._set_up.get(request.name)
        return mark is None or mark.at < request.listed_at

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
