"""The played router on the wire: a router's own commands are played, every other command runs on the real mongod.

    with playing(PlayedRouter, "8.0", mongod, ["shard01", "shard02"]) as router:   # mongod: the real one
        MongoClient(router.uri) ...
        router.log, router.writes                               # [(command name, document)] in arrival order
        router.answers                                          # [(command name, reply)] in answer order
        router.fail_next("moveRange", 117, "...")              # a scripted server refusal, answered once
        router.before("split", lambda doc: ...)                 # someone else acts just before the next split

Played (catalog.py, rules.py): buildInfo, listShards, the balancer, shardCollection,
split, moveRange, moveChunk and the zone commands. Run as they are on the router's
databases of the real mongod (store.py): everything on config.* and on user
databases (find, aggregate, count, listCollections, create, collMod, indexes...).
Any other admin command is answered "not modelled", never a silent ok.
"""

from __future__ import annotations

import socket
import threading
from contextlib import contextmanager

from tests.mongos_double import WIRE_VERSIONS, fake_mongos
from tests.routerplay import rules
from tests.routerplay.catalog import Catalog
from tests.routerplay.store import WIRE_FIELDS, Store

HANDSHAKE = {"hello", "ismaster", "isMaster"}
HOUSEKEEPING = {"endSessions", "ping"}  # connection upkeep: answered ok, not logged
READS = {"buildInfo", "listShards", "listCollections", "listIndexes", "find", "aggregate", "count", "balancerStatus",
         "getMore", "killCursors", "listDatabases", "connectionStatus"}
# What any client asks a server about itself (shardsmith.target.connect checks login and rights with them):
# answered by the real mongod behind the played router, as a router without auth would answer.
ABOUT_THE_CONNECTION = {"listDatabases", "connectionStatus"}


class PlayedRouter:
    def __init__(self, server, version: str, store, catalog):
        """version: a family ("8.0", answered as rules.RELEASES has it) or a release ("6.0.2")."""
        self.family = rules.family(version)
        self.release = version if version.count(".") == 2 else rules.RELEASES[self.family]
        self.uri = f"mongodb://{server.address_string}/?directConnection=true"
        self.store, self.catalog = store, catalog
        self.lock = threading.Lock()
        self.log: list = []
        self.answers: list = []
        self.failures: dict = {}  # command name -> (code, errmsg)
        self.hooks: dict = {}  # command name -> callable(document) run before answering the next one
        server.autoresponds(self._handle)

    # -- what a test sees and arranges ----------------------------------------------------
    @property
    def writes(self) -> list:
        return [(name, doc) for name, doc in self.log if name not in READS]

    def fail_next(self, command: str, code: int, errmsg: str) -> None:
        self.failures[command] = (code, errmsg)

    def before(self, command: str, action) -> None:
        """Run action(command document) before answering the next such command. mockupdb answers one request
        at a time, whatever the connection: an action must not wait for another request."""
        self.hooks[command] = action

    def database(self, name: str):
        """The real database behind `name`, to act on it as someone else would."""
        return self.store.db(name)

    # -- the wire -----------------------------------------------------------------------------
    def _handle(self, request):
        name = request.command_name
        if name in HANDSHAKE:
            return request.ok(ismaster=True, isWritablePrimary=True, msg="isdbgrid", minWireVersion=0,
                              maxWireVersion=WIRE_VERSIONS[self.family])
        if name in HOUSEKEEPING:
            return request.ok()
        doc = dict(request.doc)
        db = doc.pop("$db", "admin")
        with self.lock:
            self.log.append((name, {k: v for k, v in doc.items() if not k.startswith("$") and k != "lsid"}))
            failure = self.failures.pop(name, None)
            hook = self.hooks.pop(name, None)
        if failure:
            return request.command_err(code=failure[0], errmsg=failure[1])
        if hook:
            hook(doc)
        reply = self.answer(name, db, doc, request)
        reply.setdefault("ok", 1.0)
        with self.lock:
            self.answers.append((name, reply))
        return request.replies(reply)

    def answer(self, name: str, db: str, doc: dict, request) -> dict:
        """The reply document; subclasses play more commands and defer the rest here."""
        played = getattr(self, f"_play_{name}", None)
        if played is not None:
            return played(doc)
        if name in ABOUT_THE_CONNECTION:
            return self.store.client.admin.command({k: v for k, v in doc.items() if k not in WIRE_FIELDS})
        if db == "admin":
            return rules.NOT_PLAYED.reply(what=f"admin command {name}")
        return self.store.run(db, doc)

    # -- played commands --------------------------------------------------------------------
    def _play_buildInfo(self, doc):
        return {"version": self.release, "versionArray": [int(p) for p in self.release.split(".")] + [0]}

    def _play_listShards(self, doc):
        return {"shards": list(self.catalog.config.shards.find())}

    def _play_balancerStatus(self, doc):
        return self.catalog.balancer_status()

    def _play_balancerStart(self, doc):
        return self.catalog.set_balancer("full")

    def _play_balancerStop(self, doc):
        return self.catalog.set_balancer("off")

    def _play_enableSharding(self, doc):
        self.catalog.database_entry(doc["enableSharding"])
        return {}

    def _play_shardCollection(self, doc):
        return self.catalog.shard_collection(doc["shardCollection"], dict(doc["key"]), unique=doc.get("unique", False),
                                             num_initial_chunks=doc.get("numInitialChunks", 0),
                                             presplit_hashed_zones=doc.get("presplitHashedZones", False))

    def _play_split(self, doc):
        if "middle" not in doc:
            return rules.NOT_PLAYED.reply(what="split by find or bounds")
        return self.catalog.split(doc["split"], dict(doc["middle"]))

    def _play_moveRange(self, doc):
        return self.catalog.move_range(doc["moveRange"], dict(doc["min"]), dict(doc["max"]), doc["toShard"])

    def _play_moveChunk(self, doc):
        return self.catalog.move_chunk(doc["moveChunk"], [dict(b) for b in doc["bounds"]], doc["to"])

    def _play_addShardToZone(self, doc):
        return self.catalog.add_shard_to_zone(doc["addShardToZone"], doc["zone"])

    def _play_updateZoneKeyRange(self, doc):
        return self.catalog.update_zone_key_range(doc["updateZoneKeyRange"], dict(doc["min"]), dict(doc["max"]),
                                                  doc["zone"])


@contextmanager
def playing(router_class, version: str, mongod, shards, **options):
    """A router_class (PlayedRouter or a subclass) of `version` in front of `shards`, its config.* and user
    databases in `mongod`; they are dropped when it stops."""
    store = Store(mongod)
    try:
        catalog = Catalog(store, rules.family(version), list(shards))
        with played_server(version) as server:
            yield router_class(server, version, store, catalog, **options)
    finally:
        store.close()


@contextmanager
def played_server(version: str):
    """A mockupdb server answering the handshake as a mongos of `version`, stopped promptly."""
    with fake_mongos(rules.family(version)) as server:
        try:
            yield server
        finally:
            _wake_accept_loop(server)


def _wake_accept_loop(server) -> None:
    """MockupDB's accept loop waits up to 1 s in select() before it sees stop(); a last connection wakes it."""
    server._stopped = True
    try:
        socket.create_connection((server.host, server.port), timeout=1).close()
    except ConnectionRefusedError:
        pass  # the listener is already closed: nothing left to wake
