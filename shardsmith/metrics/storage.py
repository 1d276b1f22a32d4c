"""Storage per collection from $collStats storageStats: documents, data, storage and index bytes.

Through a router, $collStats answers once per shard; the figures are summed.
A time-series collection's documents are its buckets (what is stored and
indexed); `measurements` is left out because only a full count can give it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from pymongo.database import Database

SIZES = ("data_size", "storage_size", "index_size")


@dataclass(frozen=True)
class CollectionStorage:
    database: str
    collection: str
    kind: str  # "collection" | "timeseries"
    documents: int
    data_size: int
    storage_size: int
    index_size: int
    indexes: int
    free_storage: int = 0
    index_sizes: dict = field(default_factory=dict)  # index name -> bytes, in the server's order

    @property
    def namespace(self) -> str:
        return f"{self.database}.{self.collection}"

    def as_dict(self) -> dict:
        return asdict(self)


def user_collections(db: Database) -> list[tuple[str, str]]:
    """(name, kind) of the database's collections and time-series collections, without system ones."""
    found = db.list_collections(filter={"type": {"$in": ["collection", "timeseries"]}})
    return sorted((c["name"], c["type"]) for c in found if not c["name"].startswith("system."))


def collection_storage(db: Database, name: str, kind: str) -> CollectionStorage:
    answers = list(db[name].aggregate([{"$collStats": {"storageStats": {}}}]))
    stats = [a["storageStats"] for a in answers]

    def total(field: str) -> int:
        return int(sum(s.get(field) or 0 for s in stats))

    if kind == "timeseries":
        documents = int(sum(s.get("timeseries", {}).get("bucketCount", 0) for s in stats))
    else:
        documents = total("count")
    index_sizes: dict[str, int] = {}
    for each in stats:
        for index, size in (each.get("indexSizes") or {}).items():
            index_sizes[index] = index_sizes.get(index, 0) + int(size)
    return CollectionStorage(db.name, name, kind, documents, total("size"), total("storageSize"),
                             total("totalIndexSize"), max((s.get("nindexes") or 0) for s in stats) if stats else 0,
                             total("freeStorageSize"), index_sizes)


def database_storage(db: Database, names: list[str] | None = None) -> list[CollectionStorage]:
    """Storage of every user collection of `db` (or only `names`), by name."""
    kinds = dict(user_collections(db))
    wanted = names if names is not None else list(kinds)
    return [collection_storage(db, name, kinds[name]) for name in wanted if name in kinds]


def totals(rows: list[CollectionStorage]) -> dict:
    return {"collections": len(rows), "documents": sum(r.documents for r in rows),
            **{field: sum(getattr(r, field) for r in rows) for field in SIZES}}
