"""MongoDB server error codes Shardsmith acts on, by the server's own names: one table, one source.

    if exc.code == ServerCode.NamespaceExists: ...

Numbers and names are those of src/mongo/base/error_codes.yml in the MongoDB
server repository (github.com/mongodb/mongo), where `codeName` in a reply comes
from. Add a code here, with what Shardsmith makes of it, before testing for it.
The bootstrap plan carries the numbers into the rendered init script, so
mongosh and Python read the same table.
"""

from __future__ import annotations

from enum import IntEnum

from pymongo.errors import OperationFailure


class ServerCode(IntEnum):
    Unauthorized = 13  # no user to authenticate as yet (the localhost exception is closed), or no privilege
    AuthenticationFailed = 18  # wrong user or password
    IllegalOperation = 20  # also what routers before 4.4 answered to shardCollection on a sharded collection
    AlreadyInitialized = 23  # replSetInitiate on an initiated set; shardCollection with another key or options
    NamespaceNotFound = 26
    NamespaceExists = 48  # create of a collection that exists
    InvalidOptions = 72  # e.g. an index a time-series collection does not support (unique, sparse, text)
    NodeNotFound = 74  # replSetInitiate's quorum check: a proposed member does not answer (yet)
    ShutdownInProgress = 91
    NotYetInitialized = 94  # replica-set commands before replSetInitiate
    LockFailed = 107
    DocumentValidationFailure = 121  # a write the collection's validator refused (the migration's cut-over fence)
    CappedPositionLost = 136  # a change stream's position was overwritten in the oplog while it was open
    CommandNotSupportedOnView = 166  # a write to a view; renameCollection of a time-series collection (before 8.3)
    PrimarySteppedDown = 189
    SnapshotTooOld = 239  # a snapshot read older than minSnapshotHistoryWindowInSeconds
    SnapshotUnavailable = 246  # a snapshot read from before the collection's last catalog change
    ChangeStreamHistoryLost = 286  # a change stream's resume point is no longer in the oplog
    DuplicateKey = 11000
    InterruptedAtShutdown = 11600
    InterruptedDueToReplStateChange = 11602
    NotWritablePrimary = 10107
    NotPrimaryNoSecondaryOk = 13435
    NotPrimaryOrSecondary = 13436
    UserAlreadyExists = 51003
    AtlasError = 8000  # Atlas' answer to a bad login ("bad auth")


# The member stopped being primary (or never was) while we used it: look for the primary
# again and retry. error_codes.yml's NotPrimaryError category, plus the interruption a
# step-down causes.
STEPPED_DOWN = frozenset({ServerCode.NotWritablePrimary, ServerCode.InterruptedDueToReplStateChange,
                          ServerCode.PrimarySteppedDown, ServerCode.NotPrimaryNoSecondaryOk,
                          ServerCode.NotPrimaryOrSecondary})

# Answers of a member that is starting, stopping or changing state: "not yet", never "no".
NOT_READY = STEPPED_DOWN | {ServerCode.NotYetInitialized, ServerCode.ShutdownInProgress,
                            ServerCode.InterruptedAtShutdown, ServerCode.LockFailed}


def server_says(exc: OperationFailure) -> str:
    """What the server answered (its errmsg), else the driver's own text: for one-line messages."""
    return str((exc.details or {}).get("errmsg") or exc)
