"""Index sets against listIndexes: what to create, what differs, what is extra. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .bsonjson import to_plain
from .steps import Difference, Step

MAJORITY = {"w": "majority"}


def default_name(keys: tuple) -> str:
    """The name the server would give: field_direction joined by '_' ($**_text, sessionId_hashed)."""
    return "_".join(f"{field}_{direction}" for field, direction in keys)


def _thaw(value):
    if isinstance(value, tuple) and all(isinstance(i, tuple) and len(i) == 2 and isinstance(i[0], str) for i in value):
        return {k: _thaw(v) for k, v in value}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


def wanted_document(index) -> dict:
    """A createIndexes entry for an IndexSpec."""
    doc = {"key": dict(index.keys), "name": index.name or default_name(index.keys)}
    if index.unique:
        doc["unique"] = True
    if index.sparse:
        doc["sparse"] = True
    if index.expire_after is not None:
        doc["expireAfterSeconds"] = index.expire_after
    if index.partial_filter:
        doc["partialFilterExpression"] = _thaw(index.partial_filter)
    return doc


def key_of(document: Mapping[str, Any]) -> tuple:
    """An index's key as the spec writes it; text indexes ({_fts, _ftsx} + weights) back to {field: text}."""
    items = list(document["key"].items())
    if not any(k == "_fts" for k, _ in items):
        return tuple((k, _direction(v)) for k, v in items)
    text = tuple((field, "text") for field in sorted(document.get("weights", {})))
    before = [(k, _direction(v)) for k, v in items[: [k for k, _ in items].index("_fts")]]
    after = [(k, _direction(v)) for k, v in items[[k for k, _ in items].index("_ftsx") + 1:]]
    return tuple(before) + text + tuple(after)


def _direction(value):
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


def _options(document: dict, with_name: bool) -> dict:
    options = {"unique": bool(document.get("unique", False)), "sparse": bool(document.get("sparse", False)),
               "expireAfterSeconds": document.get("expireAfterSeconds"),
               "partialFilterExpression": to_plain(document.get("partialFilterExpression"))}
    if with_name:
        options["name"] = document.get("name")
    return options


def _sorted_text(keys: tuple) -> tuple:
    text = sorted(f for f, d in keys if d == "text")
    if not text:
        return keys
    first = next(i for i, (_, d) in enumerate(keys) if d == "text")
    rest = [(f, d) for f, d in keys if d != "text"]
    return tuple(rest[:first]) + tuple((f, "text") for f in text) + tuple(rest[first:])


def index_steps(db: str, coll: str, wanted: tuple, observed: list, *, protected: set, prune: bool) -> tuple[list, list]:
    """Steps (dropIndexes with --prune, then one createIndexes) and differences for one collection.

    `protected` holds keys never reported as extra (the shard key's index, a
    time-series collection's default index); `_id_` is always protected.
    """
    ns = f"{db}.{coll}"
    have = {key_of(doc): doc for doc in observed}
    want = {_sorted_text(index.keys): index for index in wanted}
    create, drop, differences = [], [], []
    for keys, index in want.items():
        doc = wanted_document(index)
        found = have.get(keys)
        if found is None:
            create.append(doc)
            continue
        mine, theirs = _options(doc, index.name is not None), _options(found, index.name is not None)
        if mine == theirs:
            continue
        changes = ", ".join(f"{k} {theirs[k]!r} -> {mine[k]!r}" for k in mine if mine[k] != theirs[k])
        if prune:
            drop.append(found["name"])
            create.append(doc)
        else:
            differences.append(Difference(ns, f"index {found['name']} differs from the index set: {changes}",
                                          "apply --prune drops and recreates it"))
    for keys, found in have.items():
        if keys in want or found["name"] == "_id_" or keys in protected:
            continue
        if prune:
            drop.append(found["name"])
        else:
            differences.append(Difference(ns, f"index {found['name']} {dict(keys)} is not in the index set",
                                          "apply --prune drops it"))
    steps = []
    for name in drop:
        steps.append(Step("dropIndexes", ns, db, {"dropIndexes": coll, "index": name, "writeConcern": MAJORITY},
                          f"drop index {name} on {ns} (--prune)"))
    if create:
        names = ", ".join(d["name"] for d in create)
        steps.append(Step("createIndexes", ns, db, {"createIndexes": coll, "indexes": create, "writeConcern": MAJORITY},
                          f"create {len(create)} index(es) on {ns}: {names}"))
    return steps, differences
