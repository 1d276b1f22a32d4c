"""Candidate shard keys as the user writes them (`{sessionId: hashed}`) and where they put a document.

    key = parse_key("{sessionId: hashed, timestamp: 1}")
    key.placement()     # aggregation expression: the value chunk ranges are cut on

A document's *placement value* is what chunk boundaries compare against: for a
key whose first field is hashed, the server's own 64-bit hash of that field
($toHashedIndexKey), because the initial chunks of a hashed key split the hash
space only; otherwise a document {k0: field0, k1: field1, ...} in key order,
hashed fields replaced by their hash and missing fields by null (as sharding
treats them).
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from ..errors import ShardsmithError

HASHED = "hashed"
KEY_HINT = "write a key as a YAML mapping in key order, e.g. '{sessionId: hashed}' or '{sessionId: 1, timestamp: 1}'"


@dataclass(frozen=True)
class CandidateKey:
    fields: tuple  # ((name, 1 | "hashed"), ...) in key order

    @property
    def label(self) -> str:
        return "{" + ", ".join(f"{name}: {kind}" for name, kind in self.fields) + "}"

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.fields]

    @property
    def hashed_field(self) -> str | None:
        return next((name for name, kind in self.fields if kind == HASHED), None)

    @property
    def hashed_prefix(self) -> bool:
        return self.fields[0][1] == HASHED

    def as_document(self) -> dict:
        return dict(self.fields)

    def values(self) -> dict:
        """The raw key value of a document, as a $group _id: one field's value or a document of them."""
        if len(self.fields) == 1:
            return {"$ifNull": [f"${self.fields[0][0]}", None]}
        return {f"k{i}": {"$ifNull": [f"${name}", None]} for i, (name, _) in enumerate(self.fields)}

    def placement(self) -> dict | str:
        """The placement value of a document (see the module docstring)."""
        if self.hashed_prefix:
            return {"$toHashedIndexKey": f"${self.fields[0][0]}"}
        return {f"k{i}": ({"$toHashedIndexKey": f"${name}"} if kind == HASHED else {"$ifNull": [f"${name}", None]})
                for i, (name, kind) in enumerate(self.fields)}

    def placement_tuple(self, value) -> tuple:
        """A placement value as the server returned it, as a tuple for ordering in Python."""
        if self.hashed_prefix:
            return (value,)
        return tuple(value.get(f"k{i}") for i in range(len(self.fields)))


def parse_key(text: str) -> CandidateKey:
    """A candidate key from `{field: 1|hashed, ...}`; a ShardsmithError says what is wrong."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ShardsmithError(f"cannot read the key {text!r}: {str(exc).splitlines()[0]}", hint=KEY_HINT) from None
    if not isinstance(doc, dict) or not doc:
        raise ShardsmithError(f"the key {text!r} is not a mapping of fields", hint=KEY_HINT)
    fields = []
    for name, kind in doc.items():
        if not isinstance(name, str) or not name or name.startswith("$"):
            raise ShardsmithError(f"the key {text!r} has a bad field name {name!r}", hint=KEY_HINT)
        if kind != 1 and kind != HASHED:
            raise ShardsmithError(f"the key {text!r} gives {name} the value {kind!r}; a shard key field is 1 or hashed",
                                  hint="descending (-1) and other index types cannot be shard keys")
        fields.append((name, kind))
    if sum(kind == HASHED for _, kind in fields) > 1:
        raise ShardsmithError(f"the key {text!r} has more than one hashed field", hint="a shard key hashes at most one field")
    return CandidateKey(tuple(fields))
