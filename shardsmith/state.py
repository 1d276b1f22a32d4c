"""The per-cluster state folder: what is running where, kept in state.json.

    .shardsmith/<name>/state.json   ports, pids, binaries, initiated flag
    .shardsmith/<name>/keyfile      0400, shared by every member
    .shardsmith/<name>/root-password  0600, only when the env var is unset
    .shardsmith/<name>/<service>/   dbpath, log, pid and config of one process
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from .errors import ShardsmithError


class StateDir:
    def __init__(self, topology, root: str | Path | None = None):
        self.topology = topology
        base = Path(root) if root is not None else Path(topology.deploy.state_dir)
        self.path = (base / topology.name).absolute()

    @property
    def state_file(self) -> Path:
        return self.path / "state.json"

    def process_dir(self, proc) -> Path:
        return self.path / proc.service

    def exists(self) -> bool:
        return self.state_file.exists()

    def read(self) -> dict:
        if not self.state_file.exists():
            return {}
        try:
            return json.loads(self.state_file.read_text())
        except json.JSONDecodeError as exc:
            raise ShardsmithError(f"{self.state_file} is not valid JSON ({exc})",
                                  hint="fix it by hand, or `inv destroy --yes` to start over") from None

    def write(self, state: dict) -> None:
        """Atomic: a crash mid-write leaves the previous state.json intact."""
        self.path.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path, prefix=".state-")
        with os.fdopen(fd, "w") as out:
            json.dump(state, out, indent=2, sort_keys=True)
        os.replace(tmp, self.state_file)

    def update(self, **changes) -> dict:
        state = self.read()
        state.update(changes)
        self.write(state)
        return state

    def remove(self) -> None:
        if self.path.exists():
            shutil.rmtree(self.path)
