"""The per-user cache of MongoDB releases: <cache>/shardsmith/mongodb/<version>/<target>-<arch>/bin/.

<cache> follows the platform's convention: $XDG_CACHE_HOME or ~/.cache on
Linux (XDG Base Directory spec), ~/Library/Caches on macOS. An entry appears
only whole: the archive is unpacked into a temporary folder beside it and
renamed into place, so a crash or a full disk leaves no half-written entry.
Writers hold an flock on <cache>/shardsmith/mongodb/.lock, so two processes
fetching the same release download it once.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sys
import tarfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterator

from ..errors import ShardsmithError
from ..progress import Progress
from ..releases import Version, VersionRequest, parse_version
from .download import download_verified, write_failed
from .manifest import Archive
from .platform import Platform

PROGRAMS = ("mongod", "mongos")
INFO_FILE = "shardsmith.json"
STAGING_PREFIX = ".tmp-"
DOWNLOADS = ".downloads"


def cache_root() -> Path:
    """Where downloaded releases live, per the platform's convention for per-user caches."""
    if sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        xdg = os.environ.get("XDG_CACHE_HOME", "")
        base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"  # the spec ignores relative values
    return base / "shardsmith" / "mongodb"


@dataclass(frozen=True)
class CacheEntry:
    """One unpacked release for one target."""

    version: str
    target: str
    arch: str
    path: Path

    @property
    def bin_dir(self) -> Path:
        return self.path / "bin"

    def program(self, name: str) -> Path | None:
        path = self.bin_dir / name
        return path if path.is_file() else None

    @property
    def programs(self) -> list[str]:
        return [name for name in PROGRAMS if self.program(name)]

    def size(self) -> int:
        return sum(f.stat().st_size for f in self.path.rglob("*") if f.is_file() and not f.is_symlink())

    def info(self) -> dict:
        """Where it came from (url, sha256, manifest, when), as recorded when it was unpacked."""
        try:
            return json.loads((self.path / INFO_FILE).read_text())
        except (OSError, ValueError):
            return {}

    def as_dict(self) -> dict:
        return {"version": self.version, "target": self.target, "arch": self.arch, "path": str(self.path),
                "programs": self.programs, "bytes": self.size(), "source": self.info().get("url")}


class Cache:
    def __init__(self, root: Path | None = None):
        self.root = root or cache_root()

    # -- reading ------------------------------------------------------------------
    def entries(self) -> list[CacheEntry]:
        """Every complete entry, newest version first (staging folders are not entries)."""
        found = []
        for version_dir in self._children(self.root):
            if parse_version(version_dir.name) is None:
                continue
            for entry_dir in self._children(version_dir):
                target, sep, arch = entry_dir.name.rpartition("-")
                if sep and (entry_dir / "bin").is_dir():
                    found.append(CacheEntry(version_dir.name, target, arch, entry_dir))
        return sorted(found, key=lambda e: Version.parse(e.version), reverse=True)

    @staticmethod
    def _children(folder: Path) -> list[Path]:
        try:
            return [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
        except OSError:
            return []

    def for_platform(self, platform: Platform) -> list[CacheEntry]:
        """Entries that run here, newest version first, best-fitting target first within a version."""
        fitting = [(e, rank) for e in self.entries()
                   if (rank := platform.target_rank(e.target)) is not None and platform.runs_arch(e.arch)]
        fitting.sort(key=lambda found: (Version.parse(found[0].version), -found[1]), reverse=True)
        return [entry for entry, _ in fitting]

    def find(self, request: VersionRequest, platform: Platform) -> CacheEntry | None:
        """The newest entry satisfying `request` ("latest": the newest of all) that runs here."""
        for entry in self.for_platform(platform):
            if request.kind == "latest" or request.matches(entry.version):
                return entry
        return None

    def entry_for(self, archive: Archive) -> CacheEntry:
        return CacheEntry(archive.version, archive.target, archive.arch,
                          self.root / archive.version / f"{archive.target}-{archive.arch}")

    # -- writing (hold `locked()`) -------------------------------------------------
    @contextmanager
    def locked(self, progress: Progress) -> Iterator[None]:
        """One writer at a time; a second process waits, then finds the entry the first one made."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            handle = (self.root / ".lock").open("a")
        except OSError as exc:
            raise write_failed(exc, self.root, "the cache's lock file") from None
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                progress.note(f"waiting for another Shardsmith process using {self.root} ...")
                fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                self._remove_leftovers()
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _remove_leftovers(self) -> None:
        """Staging folders and partial downloads of a process that died (we hold the lock: nobody owns them)."""
        shutil.rmtree(self.root / DOWNLOADS, ignore_errors=True)
        for version_dir in self._children(self.root):
            for leftover in version_dir.glob(f"{STAGING_PREFIX}*"):
                shutil.rmtree(leftover, ignore_errors=True)

    def obtain(self, archive: Archive, manifest_url: str, progress: Progress) -> tuple[CacheEntry, bool]:
        """The entry for `archive` and whether it was downloaded now (else it was there, maybe fetched
        by another process while this one waited for the lock)."""
        entry = self.entry_for(archive)
        with self.locked(progress):
            if entry.program("mongod"):
                return entry, False
            part = download_verified(archive.url, archive.sha256, self.download_path(archive), progress=progress)
            with progress.phase(f"MongoDB {archive.version} unpacked into {self.root}"):
                return self.install(archive, part, manifest_url), True

    def download_path(self, archive: Archive) -> Path:
        folder = self.root / DOWNLOADS
        folder.mkdir(parents=True, exist_ok=True)
        return folder / (PurePosixPath(archive.url.split("?")[0]).name + ".part")

    def install(self, archive: Archive, archive_file: Path, manifest_url: str) -> CacheEntry:
        """Unpack a verified archive beside its entry, then rename it into place (all or nothing)."""
        entry = self.entry_for(archive)
        staging = entry.path.with_name(f"{STAGING_PREFIX}{entry.path.name}-{os.getpid()}")
        try:
            staging.mkdir(parents=True)
            unpacked = unpack(archive_file, staging)
            if not (unpacked / "bin" / "mongod").is_file():
                raise ShardsmithError(f"the archive {archive.url} has no bin/mongod",
                                      hint="the manifest must list MongoDB server archives (mongodb-<os>-<arch>-...tgz)")
            (unpacked / INFO_FILE).write_text(json.dumps({
                **archive.as_dict(), "manifest": manifest_url, "fetched": time.strftime("%Y-%m-%dT%H:%M:%S%z")}))
            if entry.path.exists():  # a damaged entry (bin/ deleted by hand): replace it whole
                shutil.rmtree(entry.path)
            unpacked.rename(entry.path)
        except OSError as exc:
            raise write_failed(exc, self.root, f"MongoDB {archive.version} unpacked") from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            archive_file.unlink(missing_ok=True)
        return entry

    def remove(self, entry: CacheEntry) -> None:
        """Delete one entry, and its version folder when that is left empty; only ever inside the cache."""
        root = self.root.resolve()
        path = entry.path.resolve()
        if root not in path.parents or path.parent.parent != root:
            raise ShardsmithError(f"refusing to remove {path}: it is not a cache entry under {root}")
        shutil.rmtree(path)
        try:
            path.parent.rmdir()
        except OSError:
            pass


def unpack(archive_file: Path, folder: Path) -> Path:
    """Extract a .tgz's files and folders into `folder` in one pass; return the release's folder
    (the archive's single top folder, mongodb-linux-.../, else `folder` itself).

    Only plain files and folders are written, and no path may leave `folder`
    (absolute names and `..` are refused): a hostile archive cannot write elsewhere.
    """
    try:
        with tarfile.open(archive_file, "r:*") as tar:
            for member in tar:
                parts = PurePosixPath(member.name).parts
                if member.name.startswith("/") or ".." in parts:
                    raise ShardsmithError(f"the archive {archive_file.name} has an unsafe path {member.name!r}",
                                          hint="the manifest must list MongoDB server archives")
                target = folder.joinpath(*parts) if parts else folder
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                elif member.isfile():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    source = tar.extractfile(member)
                    assert source is not None, "extractfile gives None only for members that are not files"
                    with source, target.open("wb") as out:
                        shutil.copyfileobj(source, out, 1 << 20)
                    target.chmod(0o755 if member.mode & 0o111 else 0o644)
    except (tarfile.TarError, EOFError) as exc:
        raise ShardsmithError(f"{archive_file.name} is not a readable .tgz archive: {exc}",
                              hint="the manifest must list MongoDB server archives (.tgz)") from None
    children = list(folder.iterdir())
    if len(children) == 1 and children[0].is_dir() and children[0].name != "bin":
        return children[0]
    return folder
