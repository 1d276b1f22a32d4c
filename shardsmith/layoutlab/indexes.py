"""One index set on every layout: a topology index set, or else the source's own indexes.

The regular collection and each month get the whole set in one createIndexes.
The time-series collection gets each index alone, and an index it refuses is
skipped with the server's own reason: MongoDB 6.0 refuses text, unique, 2d,
hashed and wildcard indexes, TTL indexes, and sparse indexes on measurements
(docs v6.0, "Time Series Secondary Indexes" and "Time Series Collection
Limitations"; the server's message is what the report quotes). TTL options
are left off every copy: the copies' documents would expire while measured.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pymongo.collection import Collection
from pymongo.errors import OperationFailure

from ..dataplan.indexes import default_name, key_of, wanted_document
from ..errors import ShardsmithError
from ..servercodes import server_says
from ..topology.dataplan_reader import freeze
from ..topology.model import IndexSpec

CARRIED = {"v", "key", "name", "unique", "sparse", "expireAfterSeconds", "partialFilterExpression", "weights",
           "default_language", "language_override", "textIndexVersion", "2dsphereIndexVersion", "ns"}


@dataclass(frozen=True)
class IndexSet:
    specs: tuple
    origin: str  # "index set" (given) or "source" (the source's own indexes)
    notes: tuple = ()


def topology_index_set(topology, name: str) -> tuple:
    """The IndexSpecs of the topology's index set `name` (--indexes SET), or a ShardsmithError naming the sets."""
    sets = dict(topology.index_sets)
    if name not in sets:
        raise ShardsmithError(f"no index set {name!r} in {topology.source}",
                              hint=f"index sets there: {', '.join(sets) or 'none'} (under index_sets:)")
    return sets[name]


def index_name(spec: IndexSpec) -> str:
    return spec.name or default_name(spec.keys)


def key_label(keys) -> str:
    return "{" + ", ".join(f"{name}: {kind}" for name, kind in keys) + "}"


def source_indexes(source: Collection) -> tuple[tuple, list[str]]:
    """The source's indexes but _id_ as IndexSpecs, and a note for each option that does not carry over."""
    specs, notes = [], []
    for doc in source.list_indexes():
        if doc["name"] == "_id_":
            continue
        keys = key_of(doc)
        left = sorted(set(doc) - CARRIED)
        if left:
            notes.append(f"index {doc['name']}: options {', '.join(left)} not carried to the copies")
        partial = doc.get("partialFilterExpression")
        specs.append(IndexSpec(keys, unique=bool(doc.get("unique")), sparse=bool(doc.get("sparse")), name=doc["name"],
                               expire_after=doc.get("expireAfterSeconds"),
                               partial_filter=freeze(partial) if partial else None))
    return tuple(specs), notes


def lab_index_set(source: Collection, given=None) -> IndexSet:
    """The set every layout gets, TTL options removed (with a note each)."""
    specs, notes = (tuple(given), []) if given is not None else source_indexes(source)
    origin = "index set" if given is not None else "source"
    kept = []
    for spec in specs:
        if spec.expire_after is not None:
            notes.append(f"index {index_name(spec)}: TTL left off the copies (their documents "
                         "would expire during the measurement); built as a plain index")
            spec = replace(spec, expire_after=None)
        kept.append(spec)
    return IndexSet(tuple(kept), origin, tuple(notes))


def build_all(collection: Collection, specs, comment: str) -> list[str]:
    """The whole set in one createIndexes; a refusal here is the index set's fault, not the layout's."""
    if not specs:
        return []
    documents = [wanted_document(spec) for spec in specs]
    try:
        collection.database.command({"createIndexes": collection.name, "indexes": documents}, comment=comment)
    except OperationFailure as exc:
        raise ShardsmithError(f"{collection.full_name} refused the index set: {_reason(exc)}",
                              hint="fix the index set (--indexes) or the source's indexes") from None
    return [doc["name"] for doc in documents]


def build_each(collection: Collection, specs, comment: str) -> tuple[list[str], list[dict]]:
    """Index by index: (created names, skipped [{index, key, reason}]) with the server's reason for each refusal."""
    created, skipped = [], []
    for spec in specs:
        document = wanted_document(spec)
        try:
            collection.database.command({"createIndexes": collection.name, "indexes": [document]}, comment=comment)
            created.append(document["name"])
        except OperationFailure as exc:
            skipped.append({"index": document["name"], "key": key_label(spec.keys), "reason": _reason(exc)})
    return created, skipped


def _reason(exc: OperationFailure) -> str:
    """The server's message without the echo of the whole command it appends to some errors."""
    message = server_says(exc)
    return message.split(" Command request:")[0].removeprefix("BadValue: ")
