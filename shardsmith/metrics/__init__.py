"""Storage and index reports, compaction (see README, "Operating the data")."""

from .compact import compact
from .storage import database_storage, totals
from .usage import index_usage

__all__ = ["compact", "database_storage", "index_usage", "totals"]
