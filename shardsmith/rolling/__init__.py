"""Monthly rolling collections: names, routed writes, range reads (see README, "Rolling collections").

`naming` is pure and light (no driver); import the API classes from here.
"""

from __future__ import annotations

__all__ = ["RollingCollections", "AsyncRollingCollections", "WriteSummary"]


def __getattr__(name):
    if name == "RollingCollections":
        from .sync import RollingCollections
        return RollingCollections
    if name == "AsyncRollingCollections":
        from .aio import AsyncRollingCollections
        return AsyncRollingCollections
    if name == "WriteSummary":
        from .routing import WriteSummary
        return WriteSummary
    raise AttributeError(name)
