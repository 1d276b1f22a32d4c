"""MongoDB by version (the `binaries` group): list, fetch, path, prune."""

from __future__ import annotations

from typing import Optional

from ..display import print_json
from .common import JSON, TOPOLOGY, console, load_spec, progress
from .declare import Option, command

OFFLINE = Option("offline", "never touch the network (as SHARDSMITH_OFFLINE=1)", switch=True, default=None)
MANIFEST = Option("manifest", "another release manifest URL, same format as MongoDB's (as SHARDSMITH_MONGODB_MANIFEST)")


@command("binaries.list", OFFLINE, MANIFEST, JSON)
def list_(offline: Optional[bool], manifest: Optional[str], json: bool) -> None:
    """Cached MongoDB releases and, with network, the manifest's releases for this machine."""
    from ..binaries import list_binaries, show

    listing = list_binaries(offline=offline, manifest=manifest)
    print_json(listing.as_dict()) if json else show(listing, console)


@command("binaries.fetch", Option("version", "7.0 (the newest 7.0.x), 8.0.4 (exactly) or latest", positional=True,
                                  metavar="VERSION"), OFFLINE, MANIFEST, JSON)
def fetch(version: str, offline: Optional[bool], manifest: Optional[str], json: bool) -> None:
    """Download (sha256-verified, cached) the newest release matching VERSION; offline, find it in the cache."""
    from ..binaries import binaries_dict, show
    from ..binaries import fetch as fetch_release

    found = fetch_release(version, offline=offline, manifest=manifest, progress=progress(json))
    print_json(binaries_dict(found)) if json else show(found, console)


@command("binaries.path", TOPOLOGY, Option("no_routers", "mongod only: the spec's routers will not run",
                                           switch=True), OFFLINE, MANIFEST, JSON)
def path(topology: Optional[str], no_routers: bool, offline: Optional[bool], manifest: Optional[str],
         json: bool) -> Optional[int]:
    """Each place mongod and mongos are looked for, in order, and what `up` would use (nothing is downloaded)."""
    from ..binaries import path_report, show

    report = path_report(load_spec(topology), need_mongos=False if no_routers else None, offline=offline,
                         manifest=manifest)
    print_json(report.as_dict()) if json else show(report, console)
    return 2 if report.error else None


@command("binaries.prune", Option("version", "remove only this release or series (default: all but the newest of "
                                             "each major.minor)", positional=True, optional=True, metavar="VERSION"),
         JSON)
def prune(version: Optional[str], json: bool) -> None:
    """Remove cached releases (never anything outside the cache folder)."""
    from ..binaries import prune as prune_cache
    from ..binaries import show

    pruned = prune_cache(version, progress=progress(json))
    print_json(pruned.as_dict()) if json else show(pruned, console)
