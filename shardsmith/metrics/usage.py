"""Index usage from $indexStats: operations since the counters started, never- and rarely-used flags.

Counters are per mongod and restart at zero when it restarts (`since`); on a
replica set they describe the member that answered. `_id_` is required and
never flagged. Time-series collections' indexes are kept on their buckets
and $indexStats does not report them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from pymongo.database import Database

from ..errors import ShardsmithError
from .indexcost import spec_key
from .storage import user_collections

RARELY = 100  # operations; the seeds' "unused" threshold


@dataclass(frozen=True)
class IndexUsage:
    database: str
    collection: str
    index: str
    key: dict
    ops: int
    since: datetime | None
    host: str
    flag: str  # "" | "never used" | "rarely used" | "required"

    def as_dict(self) -> dict:
        data = asdict(self)
        data["since"] = self.since.isoformat() if self.since else None
        return data


def flag_for(name: str, ops: int, rarely: int) -> str:
    if name == "_id_":
        return "required"
    if ops == 0:
        return "never used"
    return "rarely used" if ops < rarely else ""


def index_usage(db: Database, names: list[str] | None = None, *, rarely: int = RARELY) -> list[IndexUsage]:
    """Every index of the database's collections (or `names`) with its usage and flag."""
    if isinstance(rarely, bool) or not isinstance(rarely, int) or rarely < 1:
        raise ShardsmithError(f"rarely-used threshold {rarely!r} must be a whole number of operations >= 1")
    rows = []
    for name, _ in user_collections(db):
        if names is not None and name not in names:
            continue
        for stat in db[name].aggregate([{"$indexStats": {}}]):
            ops = int(stat["accesses"]["ops"])
            key = spec_key(stat["spec"]) if "spec" in stat else dict(stat["key"])  # text: {$**: text}, not {_fts, _ftsx}
            rows.append(IndexUsage(db.name, name, stat["name"], key, ops, stat["accesses"].get("since"),
                                   stat.get("shard") or stat.get("host", ""), flag_for(stat["name"], ops, rarely)))
    return sorted(rows, key=lambda r: (r.collection, r.index, r.host))
