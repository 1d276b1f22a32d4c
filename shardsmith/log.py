"""What Shardsmith does, for `--verbose`: its own steps and every command it sends to a server.

Library code logs to the `shardsmith` logger and never configures logging;
the command-line doors call `configure(verbose)` once. With verbose on, a
pymongo command listener logs each command (name, server, document) with
secrets masked: passwords, SASL payloads and the userinfo of URIs.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

from pymongo import monitoring

logger = logging.getLogger("shardsmith")
SECRET_KEYS = frozenset({"pwd", "password", "payload", "key", "keyFile", "tlsCertificateKeyFilePassword"})
MASK = "***"
_URI_USERINFO = re.compile(r"(mongodb(?:\+srv)?://[^:/@\s]+):[^@\s]*@")


def masked(value: Any) -> Any:
    """A copy of a command document (or any value) with secret values replaced by ***."""
    if isinstance(value, dict) or hasattr(value, "items"):
        return {k: MASK if k in SECRET_KEYS else masked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [masked(v) for v in value]
    if isinstance(value, str):
        return redact_uri(value)
    return value


def redact_uri(text: str) -> str:
    """mongodb://user:secret@host -> mongodb://user:***@host, anywhere in `text`."""
    return _URI_USERINFO.sub(rf"\1:{MASK}@", text)


class CommandLog(monitoring.CommandListener):
    """Logs every command a client sends and how it ended (debug level)."""

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        logger.debug("-> %s:%s %s.%s %s", *event.connection_id, event.database_name, event.command_name,
                     masked(dict(event.command)))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        logger.debug("<- %s:%s %s ok (%.1f ms)", *event.connection_id, event.command_name, event.duration_micros / 1000)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        failure = event.failure if isinstance(event.failure, dict) else {}
        logger.debug("<- %s:%s %s failed: %s (code %s)", *event.connection_id, event.command_name,
                     failure.get("errmsg", event.failure), failure.get("code"))


_configured = False


def configure(verbose: bool) -> None:
    """Warnings always reach stderr; with `verbose`, every step and server command too."""
    global _configured
    if not _configured:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s.%(msecs)03d %(message)s", "%H:%M:%S"))
        logger.addHandler(handler)
        logger.propagate = False
        _configured = True
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING)
    if verbose:
        monitoring.register(CommandLog())
