"""Every command Shardsmith offers, declared once (commands.declare) and served by both doors.

Importing this package registers them, in the order `--list` shows them.
"""

from __future__ import annotations

from . import binaries, cluster, compose, data, dataplan, hosts, init, lab, migrate, tls  # noqa: F401  (registration)
from .declare import REGISTRY, Command, Option

ORDER = ("init", "up", "status", "start", "stop", "kill", "logs", "down", "destroy", "render", "image", "hosts",
         "plan", "apply")
REGISTRY.sort(key=lambda c: (ORDER.index(c.name) if c.name in ORDER else len(ORDER), c.group or ""))

__all__ = ["REGISTRY", "Command", "Option"]
