"""Cluster secrets: the internal keyfile and the root password.

Passwords never go into rendered files: they come from the environment
variable the spec names, or are generated once into a 0600 file.
"""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .errors import ShardsmithError


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str

    def client_options(self) -> dict:
        return {"username": self.username, "password": self.password, "authSource": "admin"}


def _write_private(path: Path, text: str, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.chmod(path, mode)


def ensure_keyfile(state_path: Path, configured: str = "auto") -> Path:
    """The keyfile members share; generated (0400) on first use when `auto`."""
    if configured != "auto":
        path = Path(configured).expanduser()
        if not path.is_file():
            raise ShardsmithError(f"auth.keyfile {path} does not exist", hint="create it (6-1024 base64 chars, mode 0400) or use keyfile: auto")
        if path.stat().st_mode & 0o077:
            raise ShardsmithError(f"auth.keyfile {path} is readable by others; mongod refuses it", hint=f"chmod 400 {path}")
        return path
    path = state_path / "keyfile"
    if not path.exists():
        _write_private(path, base64.b64encode(secrets.token_bytes(756)).decode(), 0o400)
    return path


def root_credentials(auth, state_path: Path, *, create: bool = True) -> Optional[Credentials]:
    """The root user's credentials: from the env var, else the stored or a new password."""
    if not auth.enabled:
        return None
    password = os.environ.get(auth.root_password_env)
    if not password:
        stored = state_path / "root-password"
        if stored.exists():
            password = stored.read_text().strip()
        elif create:
            password = secrets.token_urlsafe(24)
            _write_private(stored, password, 0o600)
        else:
            raise ShardsmithError(
                f"no root password: {auth.root_password_env} is unset and {stored} does not exist",
                hint=f"export {auth.root_password_env}=... with the cluster's root password",
            )
    return Credentials(auth.root_user, password)
