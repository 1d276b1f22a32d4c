"""Hot -> warm (time-series) -> cold (monthly) lifecycle: exact-once, checkpointed moves (see README, "Operating the data")."""

from .run import run_tier

__all__ = ["run_tier"]
