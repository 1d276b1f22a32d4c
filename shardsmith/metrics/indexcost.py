"""What each index costs: its bytes against the data it indexes, and a measured warning for wildcard text indexes.

Sizes come from $collStats storageStats (see storage: indexSizes per index,
size for the documents' uncompressed BSON, summed over shards through a router). A
wildcard text index ({"$**": "text"}) is flagged with its measured write cost
(see writecost). Keys keep their order: {type: 1, timestamp: -1} is not
{timestamp: -1, type: 1}.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from pymongo.database import Database

from ..dataplan.indexes import key_of
from .storage import database_storage
from .writecost import WriteCost, measure_write_cost

WILDCARD_TEXT_WARNING = ("wildcard text index: it indexes every string of every document (ids, names and the text); "
                         "a text index on the fields people search (e.g. {content: text}) costs a fraction")


@dataclass(frozen=True)
class IndexCost:
    namespace: str  # "db.coll", or "db.prefix_YYYY_MM" for a rolling family (summed over its months)
    index: str
    key: dict  # in key order
    size: int | None  # bytes; None when the index is not built yet
    data_size: int  # uncompressed BSON bytes of the documents it indexes
    warning: str = ""
    write_cost: WriteCost | None = None

    @property
    def share(self) -> float | None:
        """Index bytes per data byte (None when unknown or there is no data)."""
        return self.size / self.data_size if self.size is not None and self.data_size else None

    def as_dict(self) -> dict:
        share = self.share
        return {"namespace": self.namespace, "index": self.index, "key": self.key, "size": self.size,
                "data_size": self.data_size, "size_vs_data": None if share is None else round(share, 3),
                "warning": self.warning or None, "write_cost": self.write_cost.as_dict() if self.write_cost else None}


def is_wildcard_text(index: Mapping) -> bool:
    """A createIndexes or listIndexes document of a {"$**": "text"} index (the server stores it as _fts + weights)."""
    key = dict(index.get("key", {}))
    if key.get("$**") == "text":
        return True
    return "_fts" in key and "$**" in dict(index.get("weights", {}))


def spec_key(index: Mapping) -> dict:
    """The key as it was written: a stored text index ({_fts, _ftsx} + weights) back to {field: text}."""
    return dict(key_of(dict(index)))


class WriteCostCache:
    """One measurement per database and index set: the same index costs the same on the same server."""

    def __init__(self, measure: bool = True):
        self.measure = measure
        self._seen: dict[tuple, WriteCost] = {}

    def cost(self, db: Database, index: Mapping, others: Sequence[Mapping]) -> WriteCost | None:
        if not self.measure:
            return None
        mark = (db.name, repr(index.get("key")), repr([o.get("key") for o in others]))
        if mark not in self._seen:
            self._seen[mark] = measure_write_cost(db, _creatable(index), [_creatable(o) for o in others])
        return self._seen[mark]


def _creatable(index: Mapping) -> dict:
    """A listIndexes document as a createIndexes entry (the spec's key and options, no server bookkeeping)."""
    entry = {"key": spec_key(index), "name": index["name"]}
    for option in ("unique", "sparse", "expireAfterSeconds", "partialFilterExpression"):
        if option in index:
            entry[option] = index[option]
    return entry


def costs_of(db: Database, namespace: str, indexes: Sequence[Mapping], sizes: dict, data_size: int,
             cache: WriteCostCache) -> list[IndexCost]:
    """IndexCost rows for `indexes` (listIndexes or createIndexes documents) of one collection or family."""
    rows = []
    for index in indexes:
        warning, cost = "", None
        if is_wildcard_text(index):
            warning = WILDCARD_TEXT_WARNING
            cost = cache.cost(db, index, [o for o in indexes if o is not index and o["name"] != "_id_"])
        rows.append(IndexCost(namespace, index["name"], spec_key(index), sizes.get(index["name"]), data_size,
                              warning, cost))
    return rows


def index_costs(db: Database, names: list[str] | None = None, *, measure: bool = True) -> list[IndexCost]:
    """Every index of the database's collections (or `names`): bytes, bytes per data byte, warnings.

    With `measure`, each wildcard text index's write cost is measured once on
    a scratch collection of `db` (see writecost); without it, only flagged.
    """
    cache = WriteCostCache(measure)
    rows = []
    for storage in database_storage(db, names):
        indexes = list(db[storage.collection].list_indexes())
        rows += costs_of(db, storage.namespace, indexes, storage.index_sizes, storage.data_size, cache)
    return rows
