"""What `shardsmith binaries list|fetch|path|prune` do, as library functions returning printable results."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from rich.console import Console

from ..errors import ShardsmithError
from ..progress import Progress
from ..releases import Version, VersionRequest
from ..topology.model import Topology
from .cache import Cache, CacheEntry
from .download import NetworkError, visible_progress
from .manifest import Manifest, manifest_url
from .platform import detect_platform
from .resolve import OFFLINE_ENV, Binaries, Binary, Resolution, archive_without, offline_from_env, resolution


def _offline(offline: bool | None) -> bool:
    return offline_from_env() if offline is None else offline


def binaries_of(entry: CacheEntry, via: str) -> Binaries:
    """The entry's programs; a damaged entry (bin/mongod deleted by hand) is an error, not a Binary without a path."""
    mongod, mongos = entry.program("mongod"), entry.program("mongos")
    if mongod is None:
        raise ShardsmithError(f"the cached MongoDB {entry.version} ({entry.path}) has no bin/mongod",
                              hint=f"run `shardsmith binaries fetch {entry.version}` with network: it replaces "
                                   "a damaged entry")
    return Binaries(mongod=Binary(mongod, entry.version, via),
                    mongos=Binary(mongos, entry.version, via) if mongos else None)


def fetch(version: str, *, offline: bool | None = None, manifest: str | None = None,
          progress: Progress | None = None, need_mongos: bool = False, cache: Cache | None = None) -> Binaries:
    """The newest release satisfying `version` from the manifest, downloaded into the cache unless there.

    Offline, the newest cached release satisfying it. Unlike `up`, nothing
    else is tried: a fetch that cannot reach the network is an error.
    """
    request = VersionRequest.parse(version)
    cache = cache or Cache()
    platform = detect_platform()
    if _offline(offline):
        entry = cache.find(request, platform)
        if entry is None:
            raise ShardsmithError(f"offline, and no MongoDB {request} for {platform.label} is in the cache ({cache.root})",
                                  hint=f"run `shardsmith binaries fetch {request}` once with network "
                                       f"(without --offline or {OFFLINE_ENV}=1)")
        via = "cache"
    else:
        url = manifest_url(manifest)
        archive = Manifest.load(url).pick(request, platform)
        entry, downloaded = cache.obtain(archive, url, progress or visible_progress())
        via = "download" if downloaded else "cache"
    if need_mongos and not entry.program("mongos"):
        raise archive_without("mongos", entry.version, entry.info().get("url") or str(entry.path))
    return binaries_of(entry, f"{via} ({entry.target} {entry.arch})")


def binaries_text(binaries: Binaries) -> str:
    lines = []
    for kind, found in (("mongod", binaries.mongod), ("mongos", binaries.mongos)):
        lines.append(f"{kind}: {found.version} {found.path} ({found.found_via})" if found
                     else f"{kind}: not in this release's archive")
    return "\n".join(lines)


def binaries_dict(binaries: Binaries) -> dict:
    return {"mongod": binaries.mongod.as_dict(), "mongos": binaries.mongos.as_dict() if binaries.mongos else None}


def path_report(topology: Topology, *, need_mongos: bool | None = None, offline: bool | None = None,
                manifest: str | None = None) -> Resolution:
    """Every step `up` would take to find mongod and mongos, without downloading anything."""
    routers = bool(topology.routers) if need_mongos is None else need_mongos
    return resolution(topology, need_mongos=routers, offline=offline, manifest=manifest,
                   progress=Progress(quiet=True), dry_run=True)


@dataclass
class Listing:
    cache: str
    platform: str | None
    cached: list[CacheEntry]
    manifest: str | None = None  # None offline
    available: list = field(default_factory=list)  # manifest.Archive, newest first
    problem: str | None = None  # why the manifest could not be read

    def as_dict(self) -> dict:
        return {"cache": self.cache, "platform": self.platform, "cached": [e.as_dict() for e in self.cached],
                "manifest": self.manifest, "available": [a.version for a in self.available],
                "problem": self.problem}

    def text(self) -> str:
        lines = [f"cached in {self.cache}:"]
        lines += [f"  {e.version:<12} {e.target}-{e.arch:<8} {', '.join(e.programs):<14} {e.size() / 1e6:,.0f} MB"
                  for e in self.cached] or ["  (nothing)"]
        if self.manifest:
            lines.append(f"available for {self.platform} from {self.manifest}:")
            by_series = defaultdict(list)
            for archive in self.available:
                by_series[Version.parse(archive.version).series].append(archive.version)
            lines += [f"  {series:<6} newest {versions[0]:<10} ({len(versions)} release{'s' if len(versions) > 1 else ''})"
                      for series, versions in by_series.items()] or ["  (none)"]
        if self.problem:
            lines.append(f"manifest not read: {self.problem}")
        return "\n".join(lines)


def list_binaries(*, offline: bool | None = None, manifest: str | None = None,
                  cache: Cache | None = None) -> Listing:
    """Cached releases, and (with network) the manifest's production releases for this platform."""
    cache = cache or Cache()
    try:
        platform = detect_platform()
    except ShardsmithError as exc:
        return Listing(str(cache.root), None, cache.entries(), problem=exc.what)
    listing = Listing(str(cache.root), platform.label, cache.entries())
    if not _offline(offline):
        listing.manifest = manifest_url(manifest)
        try:
            listing.available = Manifest.load(listing.manifest).available(platform)
        except NetworkError as exc:
            listing.problem = exc.what
    return listing


@dataclass
class Pruned:
    cache: str
    removed: list[dict]
    kept: list[dict]

    def as_dict(self) -> dict:
        return {"cache": self.cache, "removed": self.removed, "kept": self.kept,
                "freed_bytes": sum(e["bytes"] for e in self.removed)}

    def text(self) -> str:
        if not self.removed:
            return f"nothing to remove in {self.cache} ({len(self.kept)} kept)"
        lines = [f"removed {e['version']} {e['target']}-{e['arch']} ({e['bytes'] / 1e6:,.0f} MB)" for e in self.removed]
        freed = self.as_dict()["freed_bytes"]
        return "\n".join(lines + [f"freed {freed / 1e6:,.0f} MB; kept {len(self.kept)} in {self.cache}"])


def prune(version: str | None = None, *, cache: Cache | None = None, progress: Progress | None = None) -> Pruned:
    """Remove `version` ("7.0" or "7.0.12") from the cache, or by default every release but the newest
    of each major.minor (per target); nothing outside the cache folder is ever touched."""
    cache = cache or Cache()
    with cache.locked(progress or Progress(quiet=True)):
        entries = cache.entries()
        if version is None:
            doomed = superseded(entries)
        else:
            request = VersionRequest.parse(version)
            if request.kind == "latest":
                raise ShardsmithError("prune takes a version such as 7.0 or 7.0.12, not latest")
            doomed = [e for e in entries if request.matches(e.version)]
            if not doomed:
                raise ShardsmithError(f"no MongoDB {request} in the cache ({cache.root})",
                                      hint="`shardsmith binaries list` shows what is cached")
        removed = []
        for entry in doomed:
            removed.append(entry.as_dict())
            cache.remove(entry)
    kept = [e.as_dict() for e in entries if e not in doomed]
    return Pruned(str(cache.root), removed, kept)


def superseded(entries: list[CacheEntry]) -> list[CacheEntry]:
    """All but the newest release of each (major.minor, target, arch); `entries` come newest first."""
    seen, older = set(), []
    for entry in entries:
        key = (Version.parse(entry.version).series, entry.target, entry.arch)
        if key in seen:
            older.append(entry)
        seen.add(key)
    return older


def show(result, console: Console | None = None) -> None:
    """Print a result of this module (or a Resolution, or Binaries) as text."""
    console = console or Console()
    console.print(binaries_text(result) if isinstance(result, Binaries) else result.text(), highlight=False,
                  markup=False, soft_wrap=True)
