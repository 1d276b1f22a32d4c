"""An application writing to the source during the whole migration, and the exactness check of the result."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from datetime import timedelta

from pymongo import MongoClient
from pymongo.errors import OperationFailure

from shardsmith.migrate.state import STATE_COLLECTION
from shardsmith.servercodes import ServerCode
from shardsmith.workload.generator import generate_messages

from .data import MONTHS, START, TARGETS, target_documents

REFUSED = {ServerCode.DocumentValidationFailure, ServerCode.CommandNotSupportedOnView}  # the fence, the view


class LiveWriter(threading.Thread):
    """Inserts new messages, updates (content, cost, time across months, session) and replaces and deletes
    existing ones, about `rate` operations a second, until stopped. Writes refused by the cut-over's fence
    or view are counted, not retried: the application is told, nothing is lost silently."""

    KINDS = {"insert": 40, "update": 25, "move": 8, "session": 7, "replace": 5, "delete": 15}

    def __init__(self, uri: str, database: str, collection: str, *, seed: int = 1, rate: int = 80,
                 kinds: dict | None = None):
        super().__init__(daemon=True)
        self.kinds = kinds or self.KINDS
        self.client = MongoClient(uri)
        self.collection = self.client[database][collection]
        self.rng, self.rate = random.Random(seed), rate
        self.fresh = generate_messages(10_000_000, MONTHS, seed + 1000, start=START)
        self.ids = [d["_id"] for d in self.collection.aggregate([{"$sample": {"size": 2000}}, {"$project": {"_id": 1}}])]
        self.sessions = list({d["sessionId"] for d in self.collection.find({}, {"sessionId": 1}).limit(200)})
        self.counts: Counter = Counter()
        self.stopping = threading.Event()
        self.failure: BaseException | None = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stopping.set()
        self.join(timeout=30)
        self.client.close()
        if self.failure is not None and exc_info[0] is None:
            raise self.failure

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                began = time.monotonic()
                self._one()
                time.sleep(max(0.0, 1 / self.rate - (time.monotonic() - began)))
        except BaseException as exc:  # reported by __exit__: the test must not pass on a broken writer
            self.failure = exc

    def _one(self) -> None:
        kind = self.rng.choices(list(self.kinds), weights=list(self.kinds.values()))[0]
        target = {"_id": self.rng.choice(self.ids)}
        try:
            if kind == "insert":
                message = next(self.fresh)
                self.collection.insert_one(message)
                self.ids.append(message["_id"])
            elif kind == "update":
                self.collection.update_one(target, {"$set": {"content": f"edited {self.rng.random()}",
                                                             "costUsd": self.rng.random()}})
            elif kind == "move":  # to another month, and back sometimes
                days = self.rng.choice([-40, -20, 20, 40])
                document = self.collection.find_one(target, {"timestamp": 1})
                if document:
                    moved = min(max(document["timestamp"] + timedelta(days=days), START),
                                START + timedelta(days=85))
                    self.collection.update_one(target, {"$set": {"timestamp": moved}})
            elif kind == "session":  # the time-series metaField changes
                self.collection.update_one(target, {"$set": {"sessionId": self.rng.choice(self.sessions)}})
            elif kind == "replace":
                document = self.collection.find_one(target)
                if document:
                    document["content"] = "replaced"
                    self.collection.replace_one(target, document)
            else:
                self.collection.delete_one(target)
            self.counts[kind] += 1
        except OperationFailure as exc:
            if exc.code not in REFUSED:
                raise
            self.counts["refused"] += 1


def assert_exactly_once(source_documents, target_documents) -> None:
    """Every source document is in the target exactly once with equal content, and nothing else is."""
    source = {d["_id"]: d for d in source_documents}
    seen = Counter(d["_id"] for d in target_documents)
    doubled = [i for i, n in seen.items() if n > 1]
    assert doubled == [], f"{len(doubled)} documents doubled, e.g. {doubled[:3]}"
    missing = sorted(set(source) - set(seen))
    extra = sorted(set(seen) - set(source))
    assert (missing, extra) == ([], []), f"{len(missing)} missing (e.g. {missing[:3]}), {len(extra)} extra (e.g. {extra[:3]})"
    changed = [d["_id"] for d in target_documents if d != source[d["_id"]]]
    assert changed == [], f"{len(changed)} documents differ, e.g. {changed[:3]}"


def assert_cut_over_exactly(db, to: str) -> None:
    """The kept source, plus what the application inserted under the source's name between its rename and
    the view (a kill there leaves that window open until the cut-over is run again; the cut-over moved
    those collections aside and their documents into the target), is the target."""
    migration = db[STATE_COLLECTION].find_one({"_id": f"messages->{TARGETS[to]}"})
    assert migration["phase"] == "done"
    source = list(db[migration["cutover"]["dated"]].find())
    for late in migration["cutover"].get("late", []):
        source += db[late].find()
    assert_exactly_once(source, target_documents(db, to))
