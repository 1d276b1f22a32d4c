"""MongoDB binaries by version: found on this machine, or downloaded, verified and cached.

    from shardsmith.binaries import resolve_binaries, fetch, path_report
    binaries = resolve_binaries(topology, need_mongos=True)   # Binaries(mongod, mongos)

One idea per module: versions (what "7.0" / "8.0.4" / "latest" mean),
platform (this machine's download target), manifest (MongoDB's release
list), download (network, sha256), cache (the per-user folder, its lock),
resolve (the order of sources, step by step), commands (list, fetch, path,
prune for the CLI).

Names load on first use, so reading a spec (which only needs `versions`)
does not pay for the network and archive modules.
"""

from __future__ import annotations

import importlib

_HOMES = {
    "cache": ("Cache", "CacheEntry", "cache_root"),
    "commands": ("Listing", "Pruned", "binaries_dict", "binaries_text", "fetch", "list_binaries", "path_report",
                 "prune", "show"),
    "resolve": ("ENV_VARS", "OFFLINE_ENV", "Binaries", "Binary", "Resolution", "Step", "binary_version",
                "bundled_bin_dir", "find_binary", "resolution", "resolve_binaries"),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}
__all__ = sorted(_MODULE_OF)


def __getattr__(name: str):
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_MODULE_OF[name]}", __name__), name)
    globals()[name] = value
    return value
