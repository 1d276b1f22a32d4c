"""Backends start and stop a topology's processes and say where they listen.

`local` runs processes on this host (like mlaunch); `compose` runs docker
compose. Both report the same `Endpoint`s, so bootstrap and status are shared.
"""

from .base import Endpoint

__all__ = ["Endpoint"]
