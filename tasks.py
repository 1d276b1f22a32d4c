"""`inv` entry point: the same commands as `shardsmith` (see shardsmith/invoke_tasks.py)."""

from shardsmith.invoke_tasks import namespace as ns  # noqa: F401
