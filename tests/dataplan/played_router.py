"""A played mongos 6.0 / 7.0 / 8.0 with shards behind it, for the data plan's router conversations.

    with played_router("8.0", played_mongod) as router:      # played_mongod: the session fixture
        client = MongoClient(router.uri)                     # Shardsmith talks to it like to a mongos
        router.writes                                        # [(command name, document), ...] in order
        router.catalog.merge_pass()                          # the AutoMerger's round, as if its interval passed
        router.catalog.shard_collection("app.x", {"k": 1})   # someone else shards a collection
        router.database("app").x.insert_one({})              # someone else writes

The router's config.* and the user databases live in the real mongod; see
tests/routerplay for what is played and where each behaviour comes from.
"""

from __future__ import annotations

from tests.routerplay.wire import PlayedRouter, playing

SHARDS = ("shard01", "shard02")


def played_router(version: str, mongod, shards=SHARDS):
    return playing(PlayedRouter, version, mongod, shards)
