"""Live migration of a collection to a time-series collection or monthly rolling collections (README,
"Migrating a live collection"): copy in snapshot batches while following the change stream, verify,
cut over; exact (nothing lost, nothing doubled) and resumable after a kill at any point."""

from .plan import MigrationPlan, plan_from_topology
from .querymix import Query, load_queries
from .run import cutover, follow, rollback, start, status, verify

__all__ = ["MigrationPlan", "plan_from_topology", "Query", "load_queries",
           "start", "follow", "verify", "cutover", "rollback", "status"]
