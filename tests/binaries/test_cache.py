"""The cache folder: entries unpacked whole and safely; `binaries prune` removes older releases and nothing outside."""

from __future__ import annotations

import io
import tarfile

import pytest

from shardsmith.binaries import Cache, prune
from shardsmith.binaries.manifest import Archive
from shardsmith.errors import ShardsmithError


def small_release(cache: Cache, version: str, target: str = "ubuntu2204", arch: str = "x86_64",
                  names: tuple = ("bin/mongod", "bin/mongos")) -> None:
    """A cache entry made the way a download makes one (unpack, rename), from a tiny archive."""
    top = f"mongodb-linux-{arch}-{target}-{version}"
    part = cache.root / f"{version}.tgz.part"
    part.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(part, "w:gz") as tar:
        for name in names:
            body = f"#!/bin/sh\necho 'db version v{version}'\n".encode()
            info = tarfile.TarInfo(name if name.startswith(("/", "..")) else f"{top}/{name}")
            info.size, info.mode = len(body), 0o755
            tar.addfile(info, io.BytesIO(body))
    cache.install(Archive(version, target, arch, "targeted", f"https://example.test/{top}.tgz", "ab"), part,
                  "https://example.test/full.json")


@pytest.fixture
def cache(tmp_path):
    made = Cache(tmp_path / "xdg" / "shardsmith" / "mongodb")
    for version in ("6.0.3", "6.0.5", "7.0.2", "7.0.12", "8.0.4"):
        small_release(made, version)
    small_release(made, "7.0.2", target="rhel93")
    return made


def versions(cache: Cache) -> list[tuple[str, str]]:
    return [(e.version, e.target) for e in cache.entries()]


def test_prune_keeps_the_newest_of_each_series_per_target(cache):
    pruned = prune(cache=cache)
    assert sorted((e["version"], e["target"]) for e in pruned.removed) == [("6.0.3", "ubuntu2204"),
                                                                           ("7.0.2", "ubuntu2204")]
    assert sorted(versions(cache)) == [("6.0.5", "ubuntu2204"), ("7.0.12", "ubuntu2204"), ("7.0.2", "rhel93"),
                                       ("8.0.4", "ubuntu2204")]
    assert not (cache.root / "6.0.3").exists()
    assert prune(cache=cache).removed == []


def test_prune_a_version_or_a_series(cache):
    assert {e["version"] for e in prune("7.0", cache=cache).removed} == {"7.0.2", "7.0.12"}
    assert [e["version"] for e in prune("8.0.4", cache=cache).removed] == ["8.0.4"]
    assert versions(cache) == [("6.0.5", "ubuntu2204"), ("6.0.3", "ubuntu2204")]
    with pytest.raises(ShardsmithError, match="no MongoDB 5.0 in the cache"):
        prune("5.0", cache=cache)


def test_prune_never_follows_a_link_out_of_the_cache(cache, tmp_path):
    outside = tmp_path / "precious"
    (outside / "ubuntu2204-x86_64" / "bin").mkdir(parents=True)
    (outside / "ubuntu2204-x86_64" / "bin" / "mongod").write_text("not yours")
    (cache.root / "6.0.1").symlink_to(outside)
    with pytest.raises(ShardsmithError, match="refusing to remove"):
        prune("6.0.1", cache=cache)
    assert (outside / "ubuntu2204-x86_64" / "bin" / "mongod").read_text() == "not yours"


def test_an_archive_cannot_write_outside_its_entry_and_leaves_nothing(tmp_path):
    cache = Cache(tmp_path / "xdg" / "shardsmith" / "mongodb")
    for hostile in ("../../escaped", "/tmp/escaped-from-an-archive"):
        with pytest.raises(ShardsmithError, match="has an unsafe path"):
            small_release(cache, "6.0.9", names=("bin/mongod", hostile))
    assert not (tmp_path / "xdg" / "escaped").exists() and not (cache.root.parent / "escaped").exists()
    assert not (tmp_path.parent / "escaped").exists()
    assert cache.entries() == [] and [p.name for p in (cache.root / "6.0.9").iterdir()] == []


def test_an_archive_without_mongod_is_refused_whole(tmp_path):
    cache = Cache(tmp_path / "mongodb")
    with pytest.raises(ShardsmithError, match="has no bin/mongod"):
        small_release(cache, "6.0.9", names=("bin/mongos",))
    assert cache.entries() == []
