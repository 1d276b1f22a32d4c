"""What Shardsmith keeps about a cluster on this host: its folder, its lock, its processes."""

from __future__ import annotations

from .folder import MARKER, StateCorrupt, StateDir, state_root, write_atomically
from .lock import cluster_lock
from .processes import Foreign, MemberProcess

__all__ = ["MARKER", "Foreign", "MemberProcess", "StateCorrupt", "StateDir", "cluster_lock", "state_root",
           "write_atomically"]
