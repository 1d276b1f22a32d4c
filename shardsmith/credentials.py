"""Cluster secrets: the internal keyfile and the root password.

Passwords never go into rendered files: they come from the environment
variable the spec names, or are generated once into a 0600 file. Neither
secret is ever generated again for a cluster that has data: its members
accept only the keyfile and password they were set up with, so a missing
secret is an error that says how to recover.
"""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .errors import ShardsmithError
from .state import StateDir
from .topology.model import AuthSettings


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str

    def client_options(self) -> dict[str, str]:
        return {"username": self.username, "password": self.password, "authSource": "admin"}


def _write_private(path: Path, text: str, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.chmod(path, mode)


def ensure_keyfile(state: StateDir, configured: str = "auto") -> Path:
    """The keyfile members share; generated (0400) on first use when `auto`, never again afterwards."""
    if configured != "auto":
        path = Path(configured).expanduser()
        if not path.is_file():
            raise ShardsmithError(f"auth.keyfile {path} does not exist", hint="create it (6-1024 base64 chars, mode 0400) or use keyfile: auto")
        if path.stat().st_mode & 0o077:
            raise ShardsmithError(f"auth.keyfile {path} is readable by others; mongod refuses it", hint=f"chmod 400 {path}")
        return path
    path = state.path / "keyfile"
    if path.exists():
        return path
    if state.has_data():
        raise ShardsmithError(f"the keyfile {path} is missing, but cluster {state.topology.name!r} has data: its "
                              "members accept only the keyfile they were started with; nothing was started",
                              hint=f"restore {path} (mode 0400) from a copy, or start over with "
                                   f"`shardsmith destroy {state.topology.source} --yes`")
    state.claim()
    _write_private(path, base64.b64encode(secrets.token_bytes(756)).decode(), 0o400)
    return path


def root_credentials(auth: AuthSettings, state: StateDir, *, create: bool = True) -> Optional[Credentials]:
    """The root user's credentials: from the env var, else the stored password, else (new cluster) a new one."""
    if not auth.enabled:
        return None
    password = os.environ.get(auth.root_password_env)
    if password:
        return Credentials(auth.root_user, password)
    stored = password_file(state)
    if stored.exists():
        return Credentials(auth.root_user, stored.read_text().strip())
    if create and not state.has_data():
        state.claim()
        password = secrets.token_urlsafe(24)
        _write_private(stored, password, 0o600)
        return Credentials(auth.root_user, password)
    why = f"cluster {state.topology.name!r} has data and " if state.has_data() else ""
    raise ShardsmithError(f"no root password: {why}{auth.root_password_env} is unset and {stored} does not exist",
                          hint=f"export {auth.root_password_env}=... with the password the cluster was created with, "
                               f"or restore {stored}")


def password_file(state: StateDir) -> Path:
    return state.path / "root-password"


def password_hint(auth: AuthSettings, state: StateDir) -> str:
    """Where the password in use came from, and how to give the right one."""
    source = (f"${auth.root_password_env}" if os.environ.get(auth.root_password_env)
              else str(password_file(state)))
    return (f"the password came from {source}; set {auth.root_password_env} to the password the cluster was "
            "created with (or restore the root-password file)")
