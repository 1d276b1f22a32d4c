"""MongoDB binaries by version: found on this machine, or downloaded, verified and cached.

    from shardsmith.binaries import resolve_binaries, fetch, path_report
    binaries = resolve_binaries(topology, need_mongos=True)   # Binaries(mongod, mongos)

One idea per module: platform (this machine's download target), manifest
(MongoDB's release list), download (network, sha256), cache (the per-user
folder, its lock), resolve (the order of sources, step by step), commands
(list, fetch, path, prune). What "7.0" / "8.0.4" / "latest" mean is
shardsmith.releases, which the spec reader uses without this package.
"""

from __future__ import annotations

from .cache import Cache, CacheEntry, cache_root
from .commands import Listing, Pruned, binaries_dict, binaries_text, fetch, list_binaries, path_report, prune, show
from .resolve import (
                       ENV_VARS,
                       OFFLINE_ENV,
                       Binaries,
                       Binary,
                       Resolution,
                       Step,
                       binary_version,
                       bundled_bin_dir,
                       find_binary,
                       resolution,
                       resolve_binaries,
)

__all__ = ["ENV_VARS", "OFFLINE_ENV", "Binaries", "Binary", "Cache", "CacheEntry", "Listing", "Pruned", "Resolution",
           "Step", "binaries_dict", "binaries_text", "binary_version", "bundled_bin_dir", "cache_root", "fetch",
           "find_binary", "list_binaries", "path_report", "prune", "resolution", "resolve_binaries", "show"]
