"""Reach a target cluster by URI: ours or anyone's (staging), checked before use."""

from __future__ import annotations

from pymongo import MongoClient
from pymongo.errors import ConfigurationError, OperationFailure, PyMongoError
from pymongo.uri_parser import parse_uri

from .errors import ShardsmithError


def redact(uri: str) -> str:
    """The URI without its password, for messages."""
    scheme, sep, rest = uri.partition("://")
    userinfo, at, hosts = rest.rpartition("@")
    if not at:
        return uri
    return f"{scheme}{sep}{userinfo.split(':', 1)[0]}:***@{hosts}"


def connect(uri: str, *, timeout_ms: int = 5000) -> MongoClient:
    """A client on the target, checked reachable and authorised (else a ShardsmithError)."""
    try:
        parse_uri(uri)
        client = MongoClient(uri, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms)
        client.admin.command("ping")
    except (ConfigurationError, ValueError) as exc:
        raise ShardsmithError(f"bad connection string {redact(uri)}: {exc}",
                              hint="write it as mongodb://user:password@host:port/?authSource=admin") from None
    except OperationFailure as exc:
        raise ShardsmithError(f"{redact(uri)} refused us: {exc.details.get('errmsg', exc) if exc.details else exc}",
                              hint="check the user and password in the URI and authSource") from None
    except PyMongoError as exc:
        raise ShardsmithError(f"cannot reach {redact(uri)}: {str(exc).splitlines()[0]}",
                              hint="is the cluster up (`inv status`)? is the host:port right?") from None
    return client
