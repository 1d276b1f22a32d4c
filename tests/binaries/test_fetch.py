"""`binaries fetch`: download from a manifest, verify the sha256, cache whole or not at all, once per machine."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shardsmith.binaries import Cache, fetch, list_binaries
from shardsmith.binaries.cache import INFO_FILE
from shardsmith.binaries.download import ChecksumMismatch, NetworkError
from shardsmith.binaries.manifest import NoArchive
from shardsmith.errors import ShardsmithError
from shardsmith.progress import Progress
from tests.binaries.conftest import VERSION, listed
from tests.binaries.release_site import download_entry, release_entry

QUIET = Progress(quiet=True)


def archive_path(archives, built=None) -> str:
    return f"/linux/{(built or archives.full).name}"


def leftovers(cache_root: Path) -> list[Path]:
    """Anything half-written: partial downloads, staging folders."""
    return [p for p in cache_root.rglob("*") if p.name.endswith(".part") or p.name.startswith(".tmp-")]


def test_fetch_takes_the_newest_6_0_listed_verifies_and_caches_it(archives, site, cache_home):
    manifest = site.publish_manifest(listed(archives, site))
    got = fetch("6.0", manifest=manifest, progress=QUIET)

    entry_dir = cache_home / VERSION / f"{archives.target}-{archives.arch}"
    assert got.mongod.path == entry_dir / "bin" / "mongod" and got.mongos.path == entry_dir / "bin" / "mongos"
    assert got.mongod.version == VERSION and got.mongod.found_via.startswith("download")
    ran = subprocess.run([str(got.mongod.path), "--version"], capture_output=True, text=True, timeout=60)
    assert f"db version v{VERSION}" in ran.stdout  # the unpacked mongod is the real one
    assert site.count("/full.json") == 1 and site.count(archive_path(archives)) == 1 and site.count() == 2
    assert (entry_dir / INFO_FILE).is_file() and leftovers(cache_home) == []

    again = fetch("6.0", manifest=manifest, progress=QUIET)
    assert again.mongod.path == got.mongod.path and again.mongod.found_via.startswith("cache")
    assert site.count(archive_path(archives)) == 1, "a cached release was downloaded again"


def test_a_wrong_sha256_is_refused_and_nothing_is_cached(archives, site, cache_home):
    manifest = site.publish_manifest(listed(archives, site, sha256="f" * 64))
    with pytest.raises(ChecksumMismatch) as refused:
        fetch("6.0", manifest=manifest, progress=QUIET)
    assert "does not match the manifest's sha256" in refused.value.what and "nothing was cached" in refused.value.what
    assert site.count(archive_path(archives)) == 1
    assert Cache().entries() == [] and leftovers(cache_home) == []
    assert not (cache_home / VERSION).exists()


def test_a_connection_dropped_mid_download_leaves_nothing_and_the_next_run_succeeds(archives, site, cache_home):
    manifest = site.publish_manifest(listed(archives, site))
    site.cut_after[archive_path(archives)] = 8 << 20  # the first response stops after 8 MB
    with pytest.raises(NetworkError, match="was cut off after"):
        fetch("6.0", manifest=manifest, progress=QUIET)
    assert Cache().entries() == [] and leftovers(cache_home) == []

    got = fetch("6.0", manifest=manifest, progress=QUIET)
    assert got.mongod.path.is_file() and site.count(archive_path(archives)) == 2


def test_two_processes_fetching_at_once_download_once(archives, site, cache_home):
    manifest = site.publish_manifest(listed(archives, site))
    site.hold[archive_path(archives)] = 1.5  # the first download is slow: the second process must wait for it
    script = ("import sys; from shardsmith.binaries import fetch; b = fetch('6.0', manifest=sys.argv[1]); "
              "print(b.mongod.found_via.split()[0], b.mongod.path)")
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home.parent.parent)}
    runs = [subprocess.Popen([sys.executable, "-c", script, manifest], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert site.count(archive_path(archives)) == 1
    assert sorted(out.split()[0] for out, _ in outputs) == ["cache", "download"]
    assert len({out.split()[1] for out, _ in outputs}) == 1
    manifest_times = [t for t, path in site.requests if path == "/full.json"]
    archive_time = next(t for t, path in site.requests if path == archive_path(archives))
    assert max(manifest_times) < archive_time + 1.5, "the two fetches did not overlap; the lock went untested"


def test_no_archive_for_this_platform_names_the_targets_that_exist(archives, site, cache_home):
    elsewhere = [download_entry(site.url("/linux/rhel.tgz"), "3" * 64, target="rhel80", arch=archives.arch),
                 download_entry(site.url("/linux/amzn.tgz"), "4" * 64, target="amazon2023", arch=archives.arch)]
    manifest = site.publish_manifest([release_entry(VERSION, elsewhere)])
    with pytest.raises(NoArchive) as missing:
        fetch("6.0", manifest=manifest, progress=QUIET)
    assert f"MongoDB {VERSION} has no archive for {archives.target}" in missing.value.what
    assert "it is built for: amazon2023, rhel80" in missing.value.what
    assert "SHARDSMITH_MONGODB_TARGET" in missing.value.hint
    assert site.count() == 1  # the manifest only


def test_offline_makes_no_request(archives, site, cache_home, monkeypatch):
    manifest = site.publish_manifest(listed(archives, site))
    with pytest.raises(ShardsmithError, match="offline, and no MongoDB 6.0"):
        fetch("6.0", offline=True, manifest=manifest, progress=QUIET)
    monkeypatch.setenv("SHARDSMITH_OFFLINE", "1")
    with pytest.raises(ShardsmithError, match="offline"):
        fetch("6.0", manifest=manifest, progress=QUIET)
    assert list_binaries(manifest=manifest).manifest is None
    assert site.count() == 0

    monkeypatch.delenv("SHARDSMITH_OFFLINE")
    fetch("6.0", manifest=manifest, progress=QUIET)
    seen = site.count()
    assert fetch("6.0", offline=True, manifest=manifest).mongod.version == VERSION
    assert site.count() == seen


def test_offline_a_cached_release_without_its_mongod_is_refused_and_a_fetch_with_network_repairs_it(
        archives, site, cache_home):
    manifest = site.publish_manifest(listed(archives, site))
    mongod = fetch("6.0", manifest=manifest, progress=QUIET).mongod.path
    mongod.unlink()  # a damaged entry: bin/ is still there, its mongod is not
    with pytest.raises(ShardsmithError) as refused:
        fetch("6.0", offline=True, manifest=manifest, progress=QUIET)
    assert refused.value.what == f"the cached MongoDB {VERSION} ({mongod.parent.parent}) has no bin/mongod"
    assert f"shardsmith binaries fetch {VERSION}` with network" in refused.value.hint

    assert fetch("6.0", manifest=manifest, progress=QUIET).mongod.path == mongod and mongod.is_file()


def test_the_manifest_variable_is_honoured_and_its_urls_used_as_written(archives, site, cache_home, monkeypatch):
    url = site.publish(archives.full, "/mirror/files/server.tgz")  # a mirror's own layout
    here = dict(target=archives.target, arch=archives.arch)
    manifest = site.publish_manifest([release_entry(VERSION, [download_entry(url, archives.full.sha256, **here)])],
                                     path="/mirror/releases.json")
    monkeypatch.setenv("SHARDSMITH_MONGODB_MANIFEST", manifest)
    got = fetch("6.0.5", progress=QUIET)
    assert [path for _, path in site.requests] == ["/mirror/releases.json", "/mirror/files/server.tgz"]
    assert Cache().entries()[0].info()["manifest"] == manifest and got.mongod.version == VERSION


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here to make writes fail with ENOSPC")
def test_a_full_disk_is_one_clear_line_and_nothing_is_cached(archives, site, cache_home, monkeypatch):
    manifest = site.publish_manifest(listed(archives, site))
    full = cache_home.parent / "download-on-a-full-disk.part"

    def onto_a_full_disk(self, archive):  # every write to /dev/full fails with ENOSPC, as on a full disk
        full.parent.mkdir(parents=True, exist_ok=True)
        full.symlink_to("/dev/full")
        return full

    monkeypatch.setattr(Cache, "download_path", onto_a_full_disk)
    with pytest.raises(ShardsmithError) as refused:
        fetch("6.0", manifest=manifest, progress=QUIET)
    assert refused.value.what.startswith("the disk is full") and "XDG_CACHE_HOME" in refused.value.hint
    assert not full.is_symlink() and Path("/dev/full").exists()
    assert Cache().entries() == [] and leftovers(cache_home) == []


def test_list_shows_cached_and_available_releases(archives, site, cache_home):
    manifest = site.publish_manifest(listed(archives, site))
    fetch("6.0", manifest=manifest, progress=QUIET)
    listing = list_binaries(manifest=manifest)
    shown = listing.as_dict()
    assert [e["version"] for e in shown["cached"]] == [VERSION]
    assert shown["cached"][0]["programs"] == ["mongod", "mongos"]
    assert shown["available"] == ["7.0.2", VERSION, "6.0.4", "6.0.3"]  # production releases only, newest first
    assert "6.0    newest 6.0.5" in listing.text() and "(3 releases)" in listing.text() and "7.0    newest 7.0.2      (1 release)" in listing.text()
