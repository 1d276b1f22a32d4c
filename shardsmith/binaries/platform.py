"""This machine's MongoDB download target: distro from /etc/os-release, plus the CPU.

MongoDB builds one archive per distro release ("ubuntu2204", "debian12",
"rhel80", "amazon2023", "macos") and CPU ("x86_64", "aarch64"/"arm64"), as
listed in its release manifest (https://downloads.mongodb.org/full.json).
The same mapping is what MongoDB's own downloader for driver CI uses
(mongodb-labs/drivers-evergreen-tools .evergreen/mongodl.py, infer_target):
RHEL rebuilds map to rhel, and RHEL targets may carry a minor version.

SHARDSMITH_MONGODB_TARGET names a target by hand for a distro not listed here.
"""

from __future__ import annotations

import os
import platform as host
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from ..errors import ShardsmithError

OS_RELEASE_FILES = (Path("/etc/os-release"), Path("/usr/lib/os-release"))
TARGET_ENV = "SHARDSMITH_MONGODB_TARGET"

UBUNTU_TARGETS = {"20.04": "ubuntu2004", "22.04": "ubuntu2204", "24.04": "ubuntu2404"}
UBUNTU_CODENAMES = {"focal": "20.04", "jammy": "22.04", "noble": "24.04"}  # for derivatives (Mint, Pop!_OS)
DEBIAN_TARGETS = {"11": "debian11", "12": "debian12"}
AMAZON_TARGETS = {"2": "amazon2", "2023": "amazon2023"}
RHEL_LIKE = {"rhel", "centos", "rocky", "almalinux", "ol"}
ARCHES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}
MANIFEST_ARCHES = {"x86_64": {"x86_64"}, "arm64": {"arm64", "aarch64"}}  # Linux says aarch64, macOS arm64
_RHEL_TARGET = re.compile(r"^rhel(\d)(\d)?$")


@dataclass(frozen=True)
class Platform:
    """Which manifest archives run here."""

    target: str  # "ubuntu2204", "rhel9", "macos"
    arch: str  # "x86_64" | "arm64"
    described: str  # "ubuntu 22.04", for messages
    rhel_minor: int | None = None  # RHEL archives exist per minor release (rhel80, rhel93)

    @property
    def label(self) -> str:
        return f"{self.target} {self.arch}"

    def target_rank(self, target: str) -> int | None:
        """How well a manifest target fits (0 best), or None when it does not run here."""
        if target == self.target:
            return 0
        if self.target == "macos" and target == "osx":  # MongoDB's name before 4.2
            return 1
        mine, theirs = _RHEL_TARGET.match(self.target), _RHEL_TARGET.match(target)
        if mine and theirs and mine.group(1) == theirs.group(1) and theirs.group(2) is not None:
            minor = int(theirs.group(2))
            if self.rhel_minor is None or minor <= self.rhel_minor:
                return 10 - minor  # the newest build this minor release can run
        return None

    def runs_arch(self, arch: str) -> bool:
        return arch in MANIFEST_ARCHES.get(self.arch, {self.arch})


def parse_os_release(text: str) -> dict[str, str]:
    """KEY=value lines, values unquoted as a shell would (os-release(5))."""
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            try:
                words = shlex.split(value)
            except ValueError:
                words = [value]
            fields[key] = words[0] if words else ""
    return fields


def linux_target(fields: dict[str, str]) -> tuple[str, int | None]:
    """(target, RHEL minor) for an os-release; ShardsmithError for a distro MongoDB builds nothing for."""
    distro, version = fields.get("ID", "").lower(), fields.get("VERSION_ID", "")
    like = set(fields.get("ID_LIKE", "").lower().split())
    if distro == "ubuntu" or "ubuntu" in like:
        release = version if distro == "ubuntu" else UBUNTU_CODENAMES.get(fields.get("UBUNTU_CODENAME", ""), "")
        target = UBUNTU_TARGETS.get(release)
    elif distro == "debian":
        target = DEBIAN_TARGETS.get(version.split(".")[0])
    elif distro == "amzn":
        target = AMAZON_TARGETS.get(version)
    elif distro in RHEL_LIKE or "rhel" in like:
        major, _, minor = version.partition(".")
        if major.isdigit():
            return f"rhel{major}", int(minor) if minor.isdigit() else None
        target = None
    else:
        target = None
    if target is None:
        raise ShardsmithError(
            f"MongoDB publishes no download for {fields.get('PRETTY_NAME') or distro or 'this Linux'}",
            hint=f"set {TARGET_ENV} to a close target (e.g. ubuntu2204, debian12, rhel90), "
                 "or set MONGOD_BIN/MONGOS_BIN to binaries you have")
    return target, None


def read_os_release() -> str:
    for path in OS_RELEASE_FILES:
        try:
            return path.read_text()
        except OSError:
            continue
    return ""


def detect_platform(*, os_release: str | None = None, machine: str | None = None,
                    system: str | None = None) -> Platform:
    """This machine's target; the arguments stand in for the host's own values (tests, `--target`)."""
    system = system or host.system()
    raw_arch = machine or host.machine()
    arch = ARCHES.get(raw_arch.lower())
    if arch is None:
        raise ShardsmithError(f"MongoDB publishes no download for the {raw_arch} processor",
                              hint="set MONGOD_BIN/MONGOS_BIN to binaries built for this machine")
    chosen = os.environ.get(TARGET_ENV)
    if chosen:
        rhel = _RHEL_TARGET.match(chosen)
        return Platform(chosen, arch, f"{TARGET_ENV}={chosen}",
                        int(rhel.group(2)) if rhel and rhel.group(2) else None)
    if system == "Darwin":
        return Platform("macos", arch, "macOS")
    if system != "Linux":
        raise ShardsmithError(f"Shardsmith downloads MongoDB for Linux and macOS, not {system}",
                              hint="set MONGOD_BIN/MONGOS_BIN to binaries you have")
    fields = parse_os_release(read_os_release() if os_release is None else os_release)
    target, minor = linux_target(fields)
    return Platform(target, arch, f"{fields.get('ID', 'linux')} {fields.get('VERSION_ID', '')}".strip(), minor)
