"""`python -m shardsmith` is the `shardsmith` command."""

from .cli import main

main()
