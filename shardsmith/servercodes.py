"""The server error codes Shardsmith reacts to, in one table.

Names and numbers are MongoDB's own: src/mongo/base/error_codes.yml in the
server source (github.com/mongodb/mongo). Code that decides what an error
means imports the name from here; the bootstrap plan carries the numbers
into the rendered init script, so mongosh and Python read the same table.
"""

from __future__ import annotations

UNAUTHORIZED = 13  # Unauthorized: no user yet to authenticate as (localhost exception closed), or no privilege
AUTHENTICATION_FAILED = 18  # AuthenticationFailed: wrong user or password
ILLEGAL_OPERATION = 20  # IllegalOperation: older routers' answer to sharding a sharded collection
ALREADY_INITIALIZED = 23  # AlreadyInitialized: replSetInitiate on an initiated set; shardCollection on 6.0+
NAMESPACE_NOT_FOUND = 26  # NamespaceNotFound
NAMESPACE_EXISTS = 48  # NamespaceExists: create of an existing collection
SHUTDOWN_IN_PROGRESS = 91  # ShutdownInProgress
NOT_YET_INITIALIZED = 94  # NotYetInitialized: replica-set commands before replSetInitiate
LOCK_FAILED = 107  # LockFailed
PRIMARY_STEPPED_DOWN = 189  # PrimarySteppedDown
DUPLICATE_KEY = 11000  # DuplicateKey
INTERRUPTED_AT_SHUTDOWN = 11600  # InterruptedAtShutdown
INTERRUPTED_DUE_TO_REPL_STATE_CHANGE = 11602  # InterruptedDueToReplStateChange
NOT_WRITABLE_PRIMARY = 10107  # NotWritablePrimary
NOT_PRIMARY_NO_SECONDARY_OK = 13435  # NotPrimaryNoSecondaryOk
NOT_PRIMARY_OR_SECONDARY = 13436  # NotPrimaryOrSecondary
USER_ALREADY_EXISTS = 51003  # UserAlreadyExists

# The member stopped being primary (or never was) while we used it: look for the
# primary again and retry. The server's NotPrimaryError category, plus the interruption
# a step-down causes (error_codes.yml: categories NotPrimaryError / RetriableError).
STEPPED_DOWN = frozenset({NOT_WRITABLE_PRIMARY, INTERRUPTED_DUE_TO_REPL_STATE_CHANGE, PRIMARY_STEPPED_DOWN,
                          NOT_PRIMARY_NO_SECONDARY_OK, NOT_PRIMARY_OR_SECONDARY})

# Answers of a member that is starting, stopping or changing state: "not yet", never "no".
NOT_READY = STEPPED_DOWN | {NOT_YET_INITIALIZED, SHUTDOWN_IN_PROGRESS, INTERRUPTED_AT_SHUTDOWN, LOCK_FAILED}
