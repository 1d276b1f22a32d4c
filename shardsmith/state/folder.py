"""The per-cluster state folder, beside the spec, marked as Shardsmith's.

    <state_dir>/<name>/.shardsmith-cluster   the marker: this folder is cluster <name>'s
    <state_dir>/<name>/state.json            backend, ports, binaries, initiated flag
    <state_dir>/<name>/keyfile               0400, shared by every member
    <state_dir>/<name>/root-password         0600, only when the env var is unset
    <state_dir>/<name>/<service>/            dbpath, log, config and process record of one process

`deploy.state_dir` is taken relative to the spec file (with `~` expanded),
so every command finds the cluster from any folder. Shardsmith deletes a
folder only when it carries the marker for that cluster name.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Optional, Union

from ..errors import ShardsmithError
from ..topology.model import Process, Topology

MARKER = ".shardsmith-cluster"
STATE_FILE = "state.json"
# Folders a state_dir may never be: deleting a cluster there would be a disaster, and nothing
# of ours belongs there. (A cluster folder below them, such as /var/lib/x/<name>, is fine.)
SYSTEM_FOLDERS = frozenset(Path(p) for p in ("/", "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64",
                                             "/proc", "/root", "/run", "/sbin", "/sys", "/usr", "/var", "/home",
                                             "/opt", "/srv", "/tmp", "/mnt", "/media", "/System", "/Users",
                                             "/Library", "/Applications", "/private"))


class StateCorrupt(ShardsmithError):
    """state.json cannot be read as Shardsmith wrote it."""


def state_root(topology: Topology, override: Union[str, Path, None] = None) -> Path:
    """Where cluster folders go: `override`, else deploy.state_dir relative to the spec file; checked."""
    configured = Path(override) if override is not None else Path(topology.deploy.state_dir).expanduser()
    if not configured.is_absolute():
        configured = spec_folder(topology) / configured
    root = Path(os.path.abspath(configured))
    if root in SYSTEM_FOLDERS or root == Path.home():
        raise ShardsmithError(f"deploy.state_dir {topology.deploy.state_dir!r} is {root}, a folder Shardsmith "
                              "never keeps clusters in (it deletes cluster folders there on destroy)",
                              where=topology.source,
                              hint="use a folder of its own, such as .shardsmith beside the spec (the default)")
    return root


def spec_folder(topology: Topology) -> Path:
    """The folder holding the spec file; the current folder for a spec that is not a file."""
    source = Path(topology.source)
    return source.parent if source.suffix in (".yaml", ".yml", ".json") else Path.cwd()


class StateDir:
    def __init__(self, topology: Topology, root: Union[str, Path, None] = None):
        self.topology = topology
        self.root = state_root(topology, root)
        self.path = self.root / topology.name

    @property
    def state_file(self) -> Path:
        return self.path / STATE_FILE

    @property
    def marker(self) -> Path:
        return self.path / MARKER

    def process_dir(self, proc: Process) -> Path:
        return self.path / proc.service

    def exists(self) -> bool:
        return self.marker.exists()

    # -- claiming and removing the folder --------------------------------------------------------
    def claim(self) -> None:
        """Create the folder with its marker, or check that an existing one is this cluster's."""
        if self.marker.exists():
            self._check_marker()
            return
        if self.path.exists() and any(self.path.iterdir()):
            raise ShardsmithError(f"{self.path} exists and was not created by Shardsmith for cluster "
                                  f"{self.topology.name!r} (it has no {MARKER} marker); nothing was started",
                                  hint="choose another deploy.state_dir or cluster name, or move that folder away")
        self.path.mkdir(parents=True, exist_ok=True)
        write_atomically(self.marker, json.dumps({"cluster": self.topology.name}) + "\n")

    def _check_marker(self) -> None:
        try:
            owner = json.loads(self.marker.read_text()).get("cluster")
        except (OSError, ValueError, AttributeError):
            owner = None
        if owner != self.topology.name:
            raise ShardsmithError(f"{self.path} is marked as cluster {owner!r}, not {self.topology.name!r}",
                                  hint="two specs share a state folder and name: give one another name")

    def remove(self) -> None:
        """Delete the folder, only if it carries this cluster's marker."""
        if not self.path.exists():
            return
        if not self.marker.exists():
            raise ShardsmithError(f"refusing to delete {self.path}: it has no {MARKER} marker, so Shardsmith did "
                                  "not create it", hint="delete it yourself if it is really a cluster's leftover")
        self._check_marker()
        shutil.rmtree(self.path)

    # -- state.json ------------------------------------------------------------------------------
    def read(self) -> dict[str, Any]:
        if not self.state_file.exists():
            return {}
        try:
            state = json.loads(self.state_file.read_text())
        except (OSError, ValueError) as exc:
            raise self._corrupt(f"is not valid JSON ({exc})") from None
        if not isinstance(state, dict):
            raise self._corrupt(f"holds {type(state).__name__}, not an object")
        return state

    def read_or_empty(self) -> dict[str, Any]:
        """The state, or nothing when it is damaged: for commands that must work anyway (destroy)."""
        try:
            return self.read()
        except StateCorrupt:
            return {}

    def _corrupt(self, what: str) -> StateCorrupt:
        return StateCorrupt(f"{self.state_file} {what}", hint=(
            f"`shardsmith destroy {self.topology.source} --yes` still works (it finds the processes without it); "
            f"or delete {self.state_file} and run `shardsmith up {self.topology.source}`, which rebuilds it"))

    def write(self, state: dict[str, Any]) -> None:
        """Atomic: a crash mid-write leaves the previous state.json intact."""
        self.claim()
        write_atomically(self.state_file, json.dumps(state, indent=2, sort_keys=True, default=str))

    def update(self, **changes: Any) -> dict[str, Any]:
        state = self.read_or_empty()
        state.update(changes)
        self.write(state)
        return state

    def has_data(self) -> bool:
        """Whether any member has written data: then its secrets must never change."""
        if self.read_or_empty().get("initiated"):
            return True
        return any(folder.is_dir() and any(folder.iterdir()) for folder in self.path.glob("*/db"))


def write_atomically(path: Path, text: str, mode: Optional[int] = None) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    with os.fdopen(fd, "w") as out:
        out.write(text)
    if mode is not None:
        os.chmod(tmp, mode)
    os.replace(tmp, path)
