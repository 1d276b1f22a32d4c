"""Storage, index usage and index cost reports, compaction (see README, "Operating the data")."""

from .compact import compact
from .indexcost import index_costs
from .storage import database_storage, totals
from .usage import index_usage

__all__ = ["compact", "database_storage", "index_costs", "index_usage", "totals"]
