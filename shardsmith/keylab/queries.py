"""A query mix, and how many shards each query would touch under a candidate key's chunks.

A query is a shape, written in YAML on the command line or in a file (a list):

    {name: by session, eq: [sessionId]}
    {name: session day, eq: [sessionId], range: {timestamp: 1d}}
    {name: last hour, range: {timestamp: 1h}}

It is made concrete from sampled documents: an `eq` field takes the document's
value, a `range` field the window of the given width ending at the document's
value (durations 90s, 30m, 6h, 1d, 2w for dates; plain numbers for numeric fields). A query
targets one shard when it pins the key's hashed prefix by equality, or when its
key range falls in one chunk; otherwise every shard owning a chunk it overlaps.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from bson.max_key import MaxKey
from bson.min_key import MinKey

from ..errors import ShardsmithError
from ..units import parse_duration
from .keys import HASHED, CandidateKey
from .placement import chunk_of

QUERY_SAMPLES = 64
QUERY_HINT = "write a query as '{name: session day, eq: [sessionId], range: {timestamp: 1d}}'"


@dataclass(frozen=True)
class QueryShape:
    name: str
    eq: tuple = ()
    range: tuple = ()  # ((field, width), ...): width a timedelta or a number

    def fields(self) -> list[str]:
        return list(self.eq) + [field for field, _ in self.range]

    def concrete(self, doc: dict) -> dict:
        """The find filter this shape makes from one sampled document."""
        flt = {field: lookup(doc, field) for field in self.eq}
        for field, width in self.range:
            value = lookup(doc, field)
            flt[field] = {"$gte": value - width, "$lte": value} if value is not None else None
        return flt


def _width(field: str, text) -> datetime.timedelta | float:
    """A range width: a number as it is (numeric fields), a duration string as a timedelta (dates)."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return text
    try:
        return datetime.timedelta(seconds=parse_duration(text))
    except ValueError as exc:
        raise ShardsmithError(f"the range width of {field}: {exc}", hint="give a duration or a number") from None


def parse_query(doc, where: str = "--query") -> QueryShape:
    if not isinstance(doc, dict) or not doc.get("name") or not (doc.get("eq") or doc.get("range")):
        raise ShardsmithError(f"{where}: a query needs a name and at least one of eq / range (got {doc!r})", hint=QUERY_HINT)
    unknown = set(doc) - {"name", "eq", "range"}
    if unknown:
        raise ShardsmithError(f"{where}: unknown query fields {sorted(unknown)}", hint=QUERY_HINT)
    eq = doc.get("eq") or []
    ranges = doc.get("range") or {}
    if not isinstance(eq, list) or not all(isinstance(f, str) for f in eq) or not isinstance(ranges, dict):
        raise ShardsmithError(f"{where}: eq must be a list of field names and range a mapping field: width", hint=QUERY_HINT)
    both = set(eq) & set(ranges)
    if both:
        raise ShardsmithError(f"{where}: {sorted(both)} both in eq and in range", hint="constrain a field one way")
    return QueryShape(str(doc["name"]), tuple(eq), tuple((f, _width(f, w)) for f, w in ranges.items()))


def parse_queries(texts=(), path: str | None = None) -> list[QueryShape]:
    """Queries from --query texts and a YAML/JSON file holding a list of them."""
    shapes = []
    for text in texts:
        try:
            shapes.append(parse_query(yaml.safe_load(text)))
        except yaml.YAMLError as exc:
            raise ShardsmithError(f"cannot read the query {text!r}: {str(exc).splitlines()[0]}", hint=QUERY_HINT) from None
    if path:
        shapes += [parse_query(doc, f"{path}[{i}]") for i, doc in enumerate(read_query_file(path))]
    check_unique_names([s.name for s in shapes])
    return shapes


def read_query_file(path) -> list:
    """The query mappings a YAML or JSON file holds: a list, or {queries: [...]}."""
    try:
        docs = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ShardsmithError(f"cannot read the query file {path}: {str(exc).splitlines()[0]}",
                              hint="give a YAML or JSON file holding a list of queries") from None
    if isinstance(docs, dict) and "queries" in docs:
        docs = docs["queries"]
    if not isinstance(docs, list):
        raise ShardsmithError(f"{path}: expected a list of queries", hint=QUERY_HINT)
    return docs


def check_unique_names(names: list[str]) -> None:
    if len(set(names)) != len(names):
        raise ShardsmithError(f"query names repeat: {names}", hint="give every query its own name")


def hash_field(name: str) -> str:
    """Where a sampled document carries the server's hash of a field."""
    return "__hash_" + name.replace(".", "_")


def lookup(doc: dict[str, Any], path: str) -> Any:
    """A (possibly dotted) field of a sampled document, None when missing."""
    value: Any = doc
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def key_bounds(key: CandidateKey, shape: QueryShape, doc: dict) -> tuple[tuple, tuple]:
    """The lowest and highest placement value the concrete query can match."""
    widths = dict(shape.range)
    low, high = [], []
    for name, kind in key.fields:
        if name in shape.eq:
            value = doc.get(hash_field(name)) if kind == HASHED else lookup(doc, name)
            low.append(value)
            high.append(value)
            if key.hashed_prefix:  # chunks split on the hash only: the rest of the key cannot move it
                break
            continue
        value = lookup(doc, name)
        if name in widths and kind != HASHED and value is not None:
            low.append(value - widths[name])
            high.append(value)
        else:
            low.append(MinKey())
            high.append(MaxKey())
        break
    width = 1 if key.hashed_prefix else len(key.fields)
    low += [MinKey()] * (width - len(low))
    high += [MaxKey()] * (width - len(high))
    return tuple(low), tuple(high)


def shards_touched(key: CandidateKey, splits: list, shape: QueryShape, doc: dict) -> int:
    low, high = key_bounds(key, shape, doc)
    return chunk_of(key, high, splits) - chunk_of(key, low, splits) + 1


def summarize(name: str, touched: list[int], shards: int) -> dict:
    """Mean and max shards touched over a query's concrete instances, and the share that hit one shard."""
    touched = touched or [0]
    return {"query": name, "mean_shards": round(sum(touched) / len(touched), 2), "max_shards": max(touched),
            "single_shard_share": round(sum(t == 1 for t in touched) / len(touched), 3), "of": shards}


def targeting(key: CandidateKey, splits: list, shapes: Sequence[QueryShape], docs: list[dict],
              shards: int) -> list[dict]:
    """Per query of the mix, the shards its concrete instances would touch under the key's chunks."""
    return [summarize(shape.name, [shards_touched(key, splits, shape, doc) for doc in docs], shards) for shape in shapes]

def sample_documents(collection, keys, shapes, size: int = QUERY_SAMPLES) -> list[dict]:
    """A few sampled documents carrying the fields the queries use and the hashes the keys need."""
    if not shapes:
        return []
    fields = {name for shape in shapes for name in shape.fields()}
    hashed = {name for key in keys for name, kind in key.fields if kind == HASHED}
    project = {"_id": 0, **{name: 1 for name in fields},
               **{hash_field(name): {"$toHashedIndexKey": f"${name}"} for name in hashed}}
    return list(collection.aggregate([{"$sample": {"size": size}}, {"$project": project}]))
