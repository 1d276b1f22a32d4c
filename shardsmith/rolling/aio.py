"""Rolling month collections on pymongo's AsyncMongoClient: the same plans as `sync`, awaited."""

from __future__ import annotations

import asyncio
from collections import defaultdict

from .core import Aggregate, Answer, Command, Ensure, Insert, ListCollections, ListNames, RollingCore, Together


class AsyncRollingCollections(RollingCore):
    """The async twin of RollingCollections (same arguments, same results), for asyncio services.

        rolling = AsyncRollingCollections(AsyncMongoClient(uri).app, "messages", indexes=...)
        await rolling.insert_many(messages)
        page = await rolling.find(None, start, end, sort=-1, skip=100, limit=50)
        async for row in await rolling.aggregate(pipeline, start, end): ...
    """

    def __init__(self, database, prefix, **options):
        super().__init__(database, prefix, **options)
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def insert_many(self, documents):
        return await self._run(self.insert_plan(documents))

    async def insert_one(self, document):
        return await self._run(self.insert_plan([document]))

    async def prepare(self, names) -> list[str]:
        return await self._run(self.prepare_plan(names))

    async def find(self, filter=None, start=None, end=None, *, sort=1, skip=0, limit=100, strategy="auto"):
        return await self._run(self.page_plan(filter, start, end, sort=sort, skip=skip, limit=limit,
                                              strategy=strategy))

    async def count(self, filter=None, start=None, end=None) -> int:
        return await self._run(self.count_plan(filter, start, end))

    async def aggregate(self, pipeline, start=None, end=None):
        """An async cursor on `pipeline` over every month in [start, end), merged by the server."""
        request = await self._run(self.aggregate_plan(pipeline, start, end))
        return await self.database.aggregate(request.pipeline)

    async def scan(self, filter=None, start=None, end=None, *, sort=1):
        for name, pipeline in await self._run(self.scan_plan(filter, start, end, sort=sort)):
            async for document in await self.database[name].aggregate(pipeline):
                yield document

    async def months(self, start=None, end=None) -> list[str]:
        return await self._run(self.months_plan(start, end))

    # -- the executor ---------------------------------------------------------------------------

    async def _run(self, plan):
        try:
            request = next(plan)
            while True:
                request = plan.send(await self._answer(request))
        except StopIteration as done:
            return done.value

    async def _answer(self, request):
        if isinstance(request, Together):
            return list(await asyncio.gather(*(self._answer(each) for each in request.requests)))
        if isinstance(request, ListNames):
            return await self.database.list_collection_names(filter=request.filter)
        if isinstance(request, ListCollections):
            return await (await self.database.list_collections(filter=request.filter)).to_list()
        if isinstance(request, Aggregate):
            target = self.database if request.collection is None else self.database[request.collection]
            return await (await target.aggregate(request.pipeline)).to_list()
        if isinstance(request, Insert):
            collection = self.database.get_collection(request.collection, write_concern=self.write_concern)
            with Answer(request) as answer:
                answer.value = len((await collection.insert_many(request.documents, ordered=False)).inserted_ids), None
            return answer.value
        if isinstance(request, Ensure):
            async with self._locks[request.name]:
                if not self.should_ensure(request):
                    return False
                return await self._run(self.ensure_plan(request))
        if isinstance(request, Command):
            with Answer(request) as answer:
                answer.value = bool(await self.database.command(request.document))
            return answer.value
        raise TypeError(f"no executor for {request!r}")
