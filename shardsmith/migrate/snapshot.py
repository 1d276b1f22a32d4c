"""Reads at one cluster time, and the cluster time a change-stream token stands for.

A read with readConcern "snapshot" (outside a transaction, MongoDB 5.0+) sees
every write committed at or before one cluster time, returned by the server as
the cursor's `atClusterTime`, or chosen by us. Comparing that time with a change
event's `clusterTime` tells exactly whether the read already reflects the event.
The server keeps history for such reads for minSnapshotHistoryWindowInSeconds
(300 s by default): an older time fails with SnapshotTooOld (239).
"""

from __future__ import annotations

from typing import Any

from bson.timestamp import Timestamp
from pymongo.collection import Collection
from pymongo.errors import OperationFailure

from ..errors import ShardsmithError
from ..servercodes import ServerCode, server_says

SNAPSHOT_GONE = {ServerCode.SnapshotTooOld, ServerCode.SnapshotUnavailable}


class SnapshotGone(ShardsmithError):
    """The cluster time asked for is older than the snapshot history the server keeps."""


class SnapshotCursor:
    """The documents of one find or aggregate at one cluster time (`.at`), fetched batch by batch.

    The first batch is read at once (so `.at` is known); getMores run in the
    same session, as the server requires of a cursor.
    """

    def __init__(self, collection: Collection, command: dict, at: Timestamp | None = None):
        self.collection = collection
        self._session = collection.database.client.start_session(causal_consistency=False)
        concern = {"level": "snapshot", **({"atClusterTime": at} if at is not None else {})}
        try:
            reply = self._command({**command, "readConcern": concern})
        except OperationFailure as exc:
            self._session.end_session()
            if exc.code in SNAPSHOT_GONE and at is not None:
                raise SnapshotGone(f"{collection.full_name} cannot be read as of {describe(at)} any more: "
                                      f"{server_says(exc)}",
                                      hint="the server keeps snapshot history for minSnapshotHistoryWindowInSeconds "
                                           "(300 s by default); run the step again") from None
            raise
        cursor = reply["cursor"]
        self.at: Timestamp = cursor.get("atClusterTime", at)
        self._batch, self._id = cursor["firstBatch"], cursor["id"]
        if not self._id:
            self._session.end_session()

    def _command(self, command: dict) -> dict:
        return self.collection.database.command(command, codec_options=self.collection.codec_options,
                                                session=self._session)

    def __iter__(self):
        while True:
            yield from self._batch
            if not self._id:
                return
            reply = self._command({"getMore": self._id, "collection": self.collection.name})
            self._batch, self._id = reply["cursor"]["nextBatch"], reply["cursor"]["id"]
            if not self._id:
                self._session.end_session()

    def close(self) -> None:
        if self._id:
            self._command({"killCursors": self.collection.name, "cursors": [self._id]})
            self._id = 0
            self._session.end_session()


def snapshot_find(collection: Collection, filter: dict, *, limit: int = 0, sort=None, hint=None, min=None,
                  projection=None, at: Timestamp | None = None) -> SnapshotCursor:
    command: dict[str, Any] = {"find": collection.name, "filter": filter}
    for name, value in (("sort", sort), ("hint", hint), ("min", min), ("projection", projection)):
        if value is not None:
            command[name] = value
    if limit:
        command.update(limit=limit, batchSize=limit)
    return SnapshotCursor(collection, command, at)


def snapshot_aggregate(collection: Collection, pipeline: list, *, at: Timestamp | None = None) -> SnapshotCursor:
    return SnapshotCursor(collection, {"aggregate": collection.name, "pipeline": pipeline, "cursor": {},
                                       "allowDiskUse": True}, at)


def token_time(token: dict) -> Timestamp:
    """The cluster time a resume token stands for.

    The server encodes a token as a KeyString whose first element is the event's
    clusterTime (src/mongo/db/pipeline/resume_token.cpp); a KeyString Timestamp is
    the type byte 130 (CType::kTimestamp, src/mongo/db/storage/key_string.cpp)
    followed by the 8 bytes of (seconds, increment), big-endian.
    """
    data = bytes.fromhex(token["_data"][:18])
    if len(data) < 9 or data[0] != 130:
        raise ValueError(f"resume token {token!r} does not start with a cluster time")
    return Timestamp(int.from_bytes(data[1:5], "big"), int.from_bytes(data[5:9], "big"))


def describe(at: Timestamp | None) -> str:
    if at is None:
        return "-"
    return f"{at.as_datetime():%Y-%m-%d %H:%M:%S} UTC (Timestamp({at.time}, {at.inc}))"
