"""What the spec's index sets cost on the target: bytes of the indexes already built, and wildcard text warnings.

For each collection and rolling family of the plan that has an index set:
every index of the set with its bytes on the target (summed over a rolling
family's month collections; "not built" when it does not exist yet) against
the data it indexes, and, for a wildcard text index ({"$**": "text"}), its
write cost measured on a scratch collection of that database (see
metrics.writecost). Reads $collStats itself, apart from the plan's
observation, so planning stays as it is when costs are not asked for.
"""

from __future__ import annotations

from pymongo import MongoClient
from pymongo.database import Database

from ..metrics.indexcost import IndexCost, WriteCostCache, costs_of
from ..metrics.storage import collection_storage, user_collections
from ..rolling.naming import parse_collection_name
from ..topology.model import Topology
from .indexes import wanted_document


def index_costs(topology: Topology, client: MongoClient, *, measure: bool = True) -> list[IndexCost]:
    """IndexCost rows for every index set the spec gives a collection or a rolling family, in spec order."""
    sets = dict(topology.index_sets)
    cache = WriteCostCache(measure)
    rows: list[IndexCost] = []
    for database in topology.databases:
        db = client[database.name]
        kinds = dict(user_collections(db))
        for spec in database.collections:
            if spec.index_set:
                names = [spec.name] if spec.name in kinds else []
                rows += _costs(db, f"{db.name}.{spec.name}", sets.get(spec.index_set, ()), names, kinds, cache)
        for rolling in database.rolling:
            if rolling.index_set:
                months = sorted(n for n in kinds if parse_collection_name(rolling.prefix, n))
                label = f"{db.name}.{rolling.prefix}_YYYY_MM ({len(months)} month{'s' if len(months) != 1 else ''})"
                rows += _costs(db, label, sets.get(rolling.index_set, ()), months, kinds, cache)
    return rows


def _costs(db: Database, namespace: str, index_set: tuple, names: list[str], kinds: dict,
           cache: WriteCostCache) -> list[IndexCost]:
    """The set's indexes with their bytes summed over `names` (existing collections); None where none has it."""
    sizes: dict[str, int] = {}
    data = 0
    for name in names:
        storage = collection_storage(db, name, kinds[name])
        data += storage.data_size
        for index, size in storage.index_sizes.items():
            sizes[index] = sizes.get(index, 0) + size
    return costs_of(db, namespace, [wanted_document(index) for index in index_set], sizes, data, cache)
