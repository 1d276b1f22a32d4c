"""The real mongod behind a played router: its config.* and user databases, under a prefix of their own.

    store = Store(client)                 # client: the shared mongod (fixture `played_mongod`)
    store.run("config", {"aggregate": "chunks", "pipeline": [...], "cursor": {}})   # the reply a mongos sends
    store.db("app").messages              # the collection "app.messages" of this router

One mongod serves every played router of a test session; each router's
databases are `<prefix>config`, `<prefix>app`, ... and are dropped with `close()`.
Commands run as they came (minus the wire's own fields); cursors are drained
into one batch, and replies and messages name the databases as the client does.
"""

from __future__ import annotations

import itertools

from bson.int64 import Int64
from pymongo.errors import OperationFailure

WIRE_FIELDS = {"$db", "lsid", "$clusterTime", "$readPreference", "txnNumber", "autocommit", "startTransaction"}
_prefixes = itertools.count(1)


class Store:
    def __init__(self, client):
        self.client = client
        self.prefix = f"played{next(_prefixes)}_"

    def db(self, name: str):
        return self.client[self.prefix + name]

    @property
    def config(self):
        return self.db("config")

    def run(self, db: str, command: dict) -> dict:
        """Run `command` on this router's database `db` and answer as the router would."""
        body = {k: v for k, v in command.items() if k not in WIRE_FIELDS}
        try:
            reply = self.db(db).command(body)
        except OperationFailure as exc:
            details = dict(exc.details or {"ok": 0.0, "errmsg": str(exc), "code": exc.code})
            details["errmsg"] = self._unprefixed(details.get("errmsg", ""))
            return details
        cursor = reply.get("cursor")
        if cursor:
            batch = list(cursor.get("firstBatch", []))
            collection = cursor["ns"].split(".", 1)[1]
            while cursor["id"]:
                cursor = self.db(db).command({"getMore": cursor["id"], "collection": collection})["cursor"]
                batch += cursor["nextBatch"]
            reply["cursor"] = {"id": Int64(0), "ns": self._unprefixed(cursor["ns"]), "firstBatch": batch}
        return reply

    def _unprefixed(self, text: str) -> str:
        return text.replace(self.prefix, "")

    def close(self) -> None:
        for name in self.client.list_database_names():
            if name.startswith(self.prefix):
                self.client.drop_database(name)
