"""Hot -> warm (time-series) -> cold (monthly) lifecycle: exact-once, checkpointed moves (see README, "Operating the data")."""

from .run import run_tier, tiers_of

__all__ = ["run_tier", "tiers_of"]
