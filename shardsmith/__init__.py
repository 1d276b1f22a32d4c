"""Shardsmith: one YAML spec to a running, bootstrapped MongoDB cluster."""

__version__ = "0.1.0"
