"""`inv` entry point: the same tasks as the `shardsmith` command (see shardsmith/cli.py)."""

from shardsmith.cli import namespace as ns  # noqa: F401
