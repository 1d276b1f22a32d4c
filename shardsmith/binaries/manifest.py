"""MongoDB's release manifest: which archive to download for a version on this platform.

The format is https://downloads.mongodb.org/full.json's (what MongoDB's own
downloader for driver CI reads, mongodl.py):

    {"versions": [{"version": "7.0.12", "production_release": true,
                   "downloads": [{"target": "ubuntu2204", "arch": "x86_64", "edition": "targeted",
                                  "archive": {"url": "https://fastdl.mongodb.org/...tgz", "sha256": "..."}}]}]}

Community builds are edition "targeted" (one per distro) or "base" (macOS,
generic Linux); "enterprise" and "subscription" archives are never chosen.
SHARDSMITH_MONGODB_MANIFEST names another manifest in the same format (an
internal mirror); its archive URLs are used as written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..errors import ShardsmithError
from ..releases import Version, VersionRequest, parse_version
from .download import fetch_json
from .platform import Platform

DEFAULT_MANIFEST = "https://downloads.mongodb.org/full.json"
MANIFEST_ENV = "SHARDSMITH_MONGODB_MANIFEST"
COMMUNITY_EDITIONS = ("targeted", "base")  # preferred first


def manifest_url(override: str | None = None) -> str:
    return override or os.environ.get(MANIFEST_ENV) or DEFAULT_MANIFEST


@dataclass(frozen=True)
class Archive:
    """One downloadable server archive, as the manifest vouches for it."""

    version: str
    target: str
    arch: str
    edition: str
    url: str
    sha256: str

    def as_dict(self) -> dict:
        return {"version": self.version, "target": self.target, "arch": self.arch, "edition": self.edition,
                "url": self.url, "sha256": self.sha256}


class NoArchive(ShardsmithError):
    """The manifest has no archive of that version for this platform (another source may still have one)."""


@dataclass(frozen=True)
class Release:
    version: Version
    production: bool
    archives: tuple[Archive, ...]


class Manifest:
    def __init__(self, url: str, releases: list[Release]):
        self.url = url
        self.releases = sorted(releases, key=lambda r: r.version, reverse=True)

    @classmethod
    def load(cls, url: str | None = None) -> "Manifest":
        url = manifest_url(url)
        return cls.from_json(url, fetch_json(url))

    @classmethod
    def from_json(cls, url: str, data: object) -> "Manifest":
        """Read the parts Shardsmith uses; entries it cannot read (no sha256, odd version) are left out."""
        if not isinstance(data, dict) or not isinstance(data.get("versions"), list):
            raise ShardsmithError(f"{url} is not a MongoDB release manifest (no \"versions\" list)",
                                  hint="use the format of https://downloads.mongodb.org/full.json")
        releases = []
        for entry in data["versions"]:
            version = parse_version(str(entry.get("version", ""))) if isinstance(entry, dict) else None
            if version is None:
                continue
            archives = tuple(a for a in (read_archive(str(version), d) for d in entry.get("downloads") or ()) if a)
            releases.append(Release(version, bool(entry.get("production_release")), archives))
        return cls(url, releases)

    def candidates(self, request: VersionRequest) -> list[Release]:
        """Releases that satisfy `request`, newest first: series and latest take production releases only."""
        if request.kind == "exact":
            return [r for r in self.releases if str(r.version) == request.text]
        return [r for r in self.releases if r.production and r.version.is_release
                and (request.kind == "latest" or r.version.series == request.series)]

    def pick(self, request: VersionRequest, platform: Platform) -> Archive:
        """The newest archive satisfying `request` that runs here; NoArchive says what exists instead."""
        releases = self.candidates(request)
        if not releases:
            raise NoArchive(f"the manifest {self.url} lists no MongoDB {request} release",
                            hint=f"pick one it lists (`shardsmith binaries list`), e.g. {self.newest_series()}")
        for release in releases:
            archive = best_archive(release, platform)
            if archive:
                return archive
        newest = releases[0]
        targets = sorted({a.target for a in newest.archives if platform.runs_arch(a.arch)})
        raise NoArchive(f"MongoDB {newest.version} has no archive for {platform.label} ({platform.described}); "
                        f"it is built for: {', '.join(targets) or 'no target on this processor'}",
                        hint="set SHARDSMITH_MONGODB_TARGET to one of those that runs here, pick another "
                             "mongodb.version, or set MONGOD_BIN/MONGOS_BIN")

    def available(self, platform: Platform) -> list[Archive]:
        """Production releases with an archive for this platform, newest first."""
        found = (best_archive(r, platform) for r in self.releases if r.production and r.version.is_release)
        return [archive for archive in found if archive]

    def newest_series(self) -> str:
        production = [r for r in self.releases if r.production]
        return f'"{production[0].version.series}"' if production else '"7.0"'


def read_archive(version: str, download: object) -> Archive | None:
    if not isinstance(download, dict) or not isinstance(download.get("archive"), dict):
        return None
    archive = download["archive"]
    url, sha256 = archive.get("url"), archive.get("sha256")
    if not (isinstance(url, str) and isinstance(sha256, str) and url and sha256):
        return None
    return Archive(version, str(download.get("target", "")), str(download.get("arch", "")),
                   str(download.get("edition", "")), url, sha256)


def best_archive(release: Release, platform: Platform) -> Archive | None:
    """The community archive of `release` that fits this platform best."""
    fitting = []
    for archive in release.archives:
        rank = platform.target_rank(archive.target)
        if rank is not None and platform.runs_arch(archive.arch) and archive.edition in COMMUNITY_EDITIONS:
            fitting.append((rank, COMMUNITY_EDITIONS.index(archive.edition), archive.url, archive))
    return min(fitting)[-1] if fitting else None
