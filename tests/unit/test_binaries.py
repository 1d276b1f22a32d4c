"""Binary resolution order and version checks on this machine's sources, with real executables (offline)."""

from __future__ import annotations

import os
import stat

import pytest

from shardsmith.binaries import bundled_bin_dir, resolution, resolve_binaries
from shardsmith.errors import ShardsmithError
from shardsmith.topology import parse_topology


def topology(version="6.0", binaries="auto", routers=True):
    shape = ("config_servers: {members: 1}\nshards: [{name: s1, members: 1}]\nmongos: {count: 1}"
             if routers else "replica_set: {members: 1}")
    return parse_topology(f"name: b\nmongodb: {{version: '{version}', binaries: {binaries}}}\n{shape}\n", "b.yaml")


def fake_binary(folder, name, version):
    """A stand-in executable that prints a --version banner like mongod's."""
    path = folder / name
    path.write_text(f"#!/bin/sh\necho 'db version v{version}'\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    monkeypatch.delenv("MONGOD_BIN", raising=False)
    monkeypatch.delenv("MONGOS_BIN", raising=False)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.setenv("SHARDSMITH_OFFLINE", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))


def test_bundled_mongod_is_found_and_is_6_0():
    found = resolve_binaries(topology(routers=False), need_mongos=False)
    assert found.mongod.path.parent == bundled_bin_dir()
    assert found.mongod.version.startswith("6.0.")


def test_spec_folder_comes_first(tmp_path):
    fake_binary(tmp_path, "mongod", "6.0.99")
    found = resolve_binaries(topology(binaries=str(tmp_path), routers=False), need_mongos=False)
    assert found.mongod.version == "6.0.99" and "mongodb.binaries" in found.mongod.found_via


def test_env_var_beats_path_and_wheel(tmp_path, monkeypatch):
    monkeypatch.setenv("MONGOD_BIN", str(fake_binary(tmp_path, "mongod", "6.0.42")))
    assert resolve_binaries(topology(routers=False), need_mongos=False).mongod.version == "6.0.42"


def test_version_mismatch_of_a_named_binary_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("MONGOD_BIN", str(fake_binary(tmp_path, "mongod", "6.0.42")))
    with pytest.raises(ShardsmithError) as err:
        resolve_binaries(topology(version="7.0", routers=False), need_mongos=False)
    assert "is version 6.0.42, but the spec asks for mongodb.version 7.0" in str(err.value)
    assert "MONGOD_BIN" in err.value.hint


def test_the_bundled_mongod_serves_only_6_0(tmp_path):
    with pytest.raises(ShardsmithError) as err:
        resolve_binaries(topology(version="7.0", routers=False), need_mongos=False)
    assert err.value.what.startswith("no mongod found for mongodb.version 7.0")
    assert "shardsmith binaries fetch 7.0" in err.value.hint


def test_a_path_binary_of_another_version_is_passed_over(tmp_path, monkeypatch):
    fake_binary(tmp_path, "mongod", "7.0.3")
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    found = resolution(topology(routers=False), need_mongos=False)
    assert ("PATH", "no match", f"{tmp_path / 'mongod'} is 7.0.3, not 6.0") in [
        (s.source, s.outcome, s.detail) for s in found.steps]
    assert found.binaries.mongod.path.parent == bundled_bin_dir()
    assert resolve_binaries(topology(version="7.0", routers=False), need_mongos=False).mongod.found_via == "PATH"


def test_missing_mongos_with_routers_is_an_error():
    with pytest.raises(ShardsmithError) as err:
        resolve_binaries(topology(), need_mongos=True)
    message = str(err.value)
    assert "mongos" in message and "MONGOS_BIN" in message and "compose" in message


def test_env_var_pointing_nowhere_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setenv("MONGOS_BIN", str(tmp_path / "nothing"))
    with pytest.raises(ShardsmithError, match="MONGOS_BIN"):
        resolve_binaries(topology(), need_mongos=True)


def test_mongos_from_env(tmp_path, monkeypatch):
    monkeypatch.setenv("MONGOD_BIN", str(fake_binary(tmp_path, "mongod", "6.0.7")))
    monkeypatch.setenv("MONGOS_BIN", str(fake_binary(tmp_path, "mongos", "6.0.7")))
    found = resolve_binaries(topology(), need_mongos=True)
    assert found.mongos.version == "6.0.7" and found.mongos.found_via == "MONGOS_BIN"
    assert os.access(found.mongos.path, os.X_OK)


def test_mongos_of_another_release_than_mongod_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("MONGOS_BIN", str(fake_binary(tmp_path, "mongos", "6.0.7")))  # mongod: the bundled 6.0.5
    with pytest.raises(ShardsmithError) as err:
        resolve_binaries(topology(), need_mongos=True)
    assert "is version 6.0.7, but mongod is 6.0.5: mongod and mongos must come from the same release" in err.value.what
