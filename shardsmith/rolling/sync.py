"""Rolling month collections on pymongo: the plans of `core`, run with blocking calls."""

from __future__ import annotations

import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

from .core import Aggregate, Answer, Command, Ensure, Insert, ListCollections, ListNames, RollingCore, Together

MONTHS_IN_FLIGHT = 4  # a batch's months are inserted concurrently, this many at a time


class RollingCollections(RollingCore):
    """Monthly collections `prefix_YYYY_MM` of one database, used as if they were one collection.

        rolling = RollingCollections(client.app, "messages", indexes=spec.index_set("messages-standard"))
        rolling.insert_many(messages)                       # routed by timestamp, one insert per month
        rolling.find({"sessionId": s}, "2025-01-01", "2025-04-01", sort=-1, skip=100, limit=50)
        rolling.aggregate([{"$group": {"_id": "$model", "cost": {"$sum": "$costUsd"}}}], start, end)

    Safe to share between threads; other processes may write the same months.
    """

    def __init__(self, database, prefix, **options):
        super().__init__(database, prefix, **options)
        self._locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._writers = ThreadPoolExecutor(max_workers=MONTHS_IN_FLIGHT, thread_name_prefix="rolling-insert")

    def insert_many(self, documents):
        """Write a batch (validated whole first); returns a WriteSummary."""
        return self._run(self.insert_plan(documents))

    def insert_one(self, document):
        return self._run(self.insert_plan([document]))

    def prepare(self, names) -> list[str]:
        """Create the months `names` (with the index set) that do not exist yet, for writes other than
        insert_many (upserts); returns the ones created."""
        return self._run(self.prepare_plan(names))

    def find(self, filter=None, start=None, end=None, *, sort=1, skip=0, limit=100, strategy="auto"):
        """One page (a list) of the documents in [start, end), in one global order ending in _id."""
        return self._run(self.page_plan(filter, start, end, sort=sort, skip=skip, limit=limit, strategy=strategy))

    def count(self, filter=None, start=None, end=None) -> int:
        return self._run(self.count_plan(filter, start, end))

    def aggregate(self, pipeline, start=None, end=None):
        """A cursor on `pipeline` over every month in [start, end), merged by the server."""
        request = self._run(self.aggregate_plan(pipeline, start, end))
        return self.database.aggregate(request.pipeline)

    def scan(self, filter=None, start=None, end=None, *, sort=1):
        """Every matching document in time order, streamed month by month (bounded memory)."""
        for name, pipeline in self._run(self.scan_plan(filter, start, end, sort=sort)):
            yield from self.database[name].aggregate(pipeline)

    def months(self, start=None, end=None) -> list[str]:
        """The existing month collections overlapping [start, end), oldest first."""
        return self._run(self.months_plan(start, end))

    # -- the executor ---------------------------------------------------------------------------

    def _run(self, plan):
        try:
            request = next(plan)
            while True:
                request = plan.send(self._answer(request))
        except StopIteration as done:
            return done.value

    def _answer(self, request):
        if isinstance(request, Together):
            if len(request.requests) == 1:
                return [self._answer(request.requests[0])]
            return list(self._writers.map(self._answer, request.requests))
        if isinstance(request, ListNames):
            return self.database.list_collection_names(filter=request.filter)
        if isinstance(request, ListCollections):
            return list(self.database.list_collections(filter=request.filter))
        if isinstance(request, Aggregate):
            target = self.database if request.collection is None else self.database[request.collection]
            return list(target.aggregate(request.pipeline))
        if isinstance(request, Insert):
            collection = self.database.get_collection(request.collection, write_concern=self.write_concern)
            with Answer(request) as answer:
                answer.value = len(collection.insert_many(request.documents, ordered=False).inserted_ids), None
            return answer.value
        if isinstance(request, Ensure):
            with self._locks[request.name]:
                if not self.should_ensure(request):
                    return False
                return self._run(self.ensure_plan(request))
        if isinstance(request, Command):
            with Answer(request) as answer:
                answer.value = bool(self.database.command(request.document))
            return answer.value
        raise TypeError(f"no executor for {request!r}")
