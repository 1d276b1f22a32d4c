"""Reading a probe's answer: the one rule both executors share, written out for the Python side.

`path` walks documents by field name; through a list it walks every element
(`shards._id` of listShards is every shard's _id). A probe without
`contains` holds when the value is truthy; with it, when the value equals
`contains` or is a list holding it.
"""

from __future__ import annotations

from typing import Any

from .steps import Probe


def lookup(document: Any, path: str) -> Any:
    value = document
    for name in path.split("."):
        if isinstance(value, list):
            value = [item.get(name) for item in value if isinstance(item, dict)]
        elif isinstance(value, dict):
            value = value.get(name)
        else:
            return None
    return value


def holds(reply: dict[str, Any], probe: Probe) -> bool:
    value = lookup(reply, probe.path)
    if probe.contains is None:
        return bool(value)
    return value == probe.contains or (isinstance(value, list) and probe.contains in value)
