"""A client that keeps writing with w:majority while a test changes the cluster under it."""

from __future__ import annotations

import threading
import time

from pymongo import MongoClient, WriteConcern
from pymongo.errors import PyMongoError

from shardsmith.wait import Deadline, poll


class MajorityWriter:
    """Inserts with w:majority in a loop through the replica set; keeps every failure."""

    def __init__(self, uri: str):
        self.client = MongoClient(uri)
        self.collection = self.client.app.writes.with_options(write_concern=WriteConcern("majority"))
        self.written = 0
        self.failures: list[PyMongoError] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._write, daemon=True)

    def _write(self):
        while not self._stop.is_set():
            try:
                self.collection.insert_one({"at": time.time()})
                self.written += 1
            except PyMongoError as exc:
                self.failures.append(exc)

    def wrote(self, count: int) -> None:
        poll(lambda: self.written >= count or None, until=Deadline.after(60), what=f"{count} majority writes",
             interval=0.01)

    def __enter__(self):
        self._thread.start()
        self.wrote(5)
        return self

    def __exit__(self, *exc):
        try:
            self.wrote(self.written + 5)  # writes go on after the last change too
        finally:
            self._stop.set()
            self._thread.join()
            self.client.close()
