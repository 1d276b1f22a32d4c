"""Reach a target cluster by URI: ours or anyone's (staging), checked before use, its failures explained.

`connect` checks what a task needs before it starts: the target answers, the
login works (or none is needed), and, for a task that writes, the target takes
writes (a primary, a standalone or a mongos) and the user may write somewhere.
`target_errors` turns what can still go wrong later (a step-down, a dropped
connection, a write the user may not do) into one ShardsmithError line with
the URI, password hidden, and a hint.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from pymongo import MongoClient
from pymongo.errors import ConfigurationError, ConnectionFailure, NotPrimaryError, OperationFailure, PyMongoError
from pymongo.uri_parser import parse_uri

from .errors import ShardsmithError
from .servercodes import ServerCode, server_says

DEFAULT_TIMEOUT_MS = 5000
THE_SPEC_CLUSTER = "the cluster the topology describes"
# Actions that change data or its shape; a user holding none of them anywhere can only read.
# (https://www.mongodb.com/docs/manual/reference/privilege-actions/)
WRITE_ACTIONS = frozenset({"insert", "update", "remove", "createCollection", "dropCollection", "createIndex",
                           "dropIndex", "collMod", "enableSharding", "compact", "anyAction"})
_NOT_AUTHORIZED = re.compile(r"not authorized on (?P<db>\S+) to execute command \{ ?(?P<command>\w+)")


def redact(uri: str | None) -> str:
    """The URI without its password, for messages (None: the spec's own cluster)."""
    if uri is None:
        return THE_SPEC_CLUSTER
    scheme, sep, rest = uri.partition("://")
    userinfo, at, hosts = rest.rpartition("@")
    if not at:
        return uri
    return f"{scheme}{sep}{userinfo.split(':', 1)[0]}:***@{hosts}"


def connect(uri: str, *, writes: bool = True, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> MongoClient[dict[str, Any]]:
    """A client on the target, checked: reachable, logged in if the server asks for it, and writable when
    the task `writes`. Else a ShardsmithError. Timeouts given in the URI win over `timeout_ms`."""
    with target_errors(uri):
        options = _parsed_options(uri)
        defaults: dict[str, Any] = {name: timeout_ms for name in ("serverSelectionTimeoutMS", "connectTimeoutMS")
                    if name.lower() not in options}
        client: MongoClient[dict[str, Any]] = MongoClient(uri, **defaults)
        with ExitStack() as on_failure:
            on_failure.callback(client.close)
            hello = client.admin.command("hello")
            # Any logged-in user may list the databases it can see; without a login, a server with auth says 13.
            client.admin.command({"listDatabases": 1, "nameOnly": True, "authorizedDatabases": True})
            if writes:
                _check_writable(uri, hello)
                _check_may_write(uri, client)
            on_failure.pop_all()
    return client


@contextmanager
def target_errors(uri: str | None) -> Iterator[None]:
    """Within it, a failure of the target (login, rights, not primary, unreachable) is a ShardsmithError;
    any other error keeps its traceback."""
    try:
        yield
    except PyMongoError as exc:
        error = explain(exc, uri)
        if error is None:
            raise
        raise error from None


def explain(exc: PyMongoError, uri: str | None) -> ShardsmithError | None:
    """The ShardsmithError a target failure means, or None when `exc` is not one."""
    where = redact(uri)
    if isinstance(exc, ConfigurationError):
        return ShardsmithError(f"bad connection string {where}: {exc}",
                               hint="write it as mongodb://user:password@host:port/?authSource=admin")
    if isinstance(exc, NotPrimaryError):  # before ConnectionFailure: it is one
        return ShardsmithError(f"{where} is not a primary (any more): {_first_line(exc)}",
                               hint="connect to the replica set (replicaSet=NAME, without directConnection=true) "
                                    "so writes follow its primary; then run the task again")
    if isinstance(exc, ConnectionFailure):  # AutoReconnect, ServerSelectionTimeoutError, ...
        return ShardsmithError(f"cannot reach {where}: {_first_line(exc)}",
                               hint="is the cluster up (`shardsmith status`)? are the host and port right?")
    if isinstance(exc, OperationFailure):
        return _refused(exc, where)
    return None


def _refused(exc: OperationFailure, where: str) -> ShardsmithError | None:
    message = _errmsg(exc)
    if exc.code == ServerCode.AuthenticationFailed or (exc.code == ServerCode.AtlasError and "auth" in message.lower()):
        return ShardsmithError(f"authentication failed on {where}: {message}",
                               hint="check the user name and password in the URI, and authSource (the database "
                                    "the user was created in, usually admin)")
    if exc.code != ServerCode.Unauthorized:
        return None
    if "requires authentication" in message:
        return ShardsmithError(f"{where} requires a login, and the URI gives no user: {message}",
                               hint="add the user to the URI: mongodb://USER:PASSWORD@HOST:PORT/?authSource=admin")
    found = _NOT_AUTHORIZED.search(message)
    action = f"run {found['command']} on database {found['db']}" if found else message
    return ShardsmithError(f"the user of {where} may not {action}",
                           hint="use a user with the readWrite role on the databases the task changes "
                                "(or dbAdmin/clusterManager for maintenance commands)")


def _check_writable(uri: str, hello: dict[str, Any]) -> None:
    """A task that writes needs a primary, a standalone or a mongos: not a secondary reached directly."""
    if hello.get("isWritablePrimary") or hello.get("msg") == "isdbgrid":
        return
    role = "an arbiter" if hello.get("arbiterOnly") else "a secondary" if hello.get("secondary") else "not writable"
    in_set = f" of replica set {hello['setName']}" if hello.get("setName") else ""
    primary = f" (its primary is {hello['primary']})" if hello.get("primary") else ""
    raise ShardsmithError(f"{redact(uri)} is {role}{in_set}{primary}, and this task writes",
                          hint="connect to the replica set instead: replicaSet=NAME without directConnection=true, "
                               "or point the URI at the primary")


def _check_may_write(uri: str, client: MongoClient[dict[str, Any]]) -> None:
    """A logged-in user holding no write action on any resource (role `read`) is refused before any work."""
    status = client.admin.command({"connectionStatus": 1, "showPrivileges": True}).get("authInfo", {})
    users = [f"{u['user']}@{u['db']}" for u in status.get("authenticatedUsers", [])]
    if not users:
        return  # no login on a server without auth: anyone may write
    actions = {action for privilege in status.get("authenticatedUserPrivileges", [])
               for action in privilege.get("actions", [])}
    if not actions & WRITE_ACTIONS:
        raise ShardsmithError(f"{', '.join(users)} may only read on {redact(uri)}, and this task writes",
                              hint="use a user with the readWrite role on the databases the task changes")


def _parsed_options(uri: str) -> dict[str, Any]:
    """The URI's options, lower-cased; a malformed URI is a ConfigurationError (InvalidURI is one)."""
    try:
        return {name.lower(): value for name, value in parse_uri(uri)["options"].items()}
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None


def _errmsg(exc: OperationFailure) -> str:
    return server_says(exc).splitlines()[0]


def _first_line(exc: PyMongoError) -> str:
    """The driver's message without the server's full reply pymongo appends."""
    text = str(exc).split(", full error:")[0]
    return text.splitlines()[0] if text else type(exc).__name__
