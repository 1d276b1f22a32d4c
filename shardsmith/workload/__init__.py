"""Realistic application traffic for loading and testing clusters (see `generate_messages`)."""

from .generator import generate_messages

__all__ = ["generate_messages"]
