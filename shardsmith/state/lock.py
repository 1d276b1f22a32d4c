"""One command at a time per cluster: an flock on a file named after the cluster's folder.

Every command that starts, stops or deletes processes holds it. A second
command waits a bounded time, then says which process holds the cluster.
The lock files live in this user's temporary folder, not beside the spec:
taking the lock writes nothing into the user's folders (a refused `up`
leaves them as they were), and `destroy` can delete the cluster's folder
while holding it. The kernel releases an flock when its holder dies, so a
killed command never leaves the cluster locked.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

from ..errors import ShardsmithError

WAIT_ENV = "SHARDSMITH_LOCK_WAIT"  # seconds a command waits for a busy cluster (default 120)
_held: dict[Path, int] = {}  # lock files this process holds, with their nesting depth
_guard = threading.Lock()


def lock_file(cluster_folder: Path) -> Path:
    """One file per cluster folder (its absolute path, hashed), in this user's temporary folder."""
    digest = hashlib.sha1(str(cluster_folder).encode()).hexdigest()[:20]
    return Path(tempfile.gettempdir()) / f"shardsmith-{os.getuid()}" / "locks" / f"{digest}.lock"


@contextmanager
def cluster_lock(cluster_folder: Path, cluster: str, *, wait: Optional[float] = None) -> Iterator[None]:
    """Hold the cluster's lock for the block; re-entrant within one process."""
    wait = float(os.environ.get(WAIT_ENV, "120")) if wait is None else wait
    path = lock_file(cluster_folder)
    with _guard:
        if path in _held:
            _held[path] += 1
            nested = True
        else:
            nested = False
    if nested:
        try:
            yield
        finally:
            with _guard:
                _held[path] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _acquire(fd, path, cluster, wait)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {' '.join(sys.argv)}\n".encode())
        with _guard:
            _held[path] = 1
        try:
            yield
        finally:
            with _guard:
                del _held[path]
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing releases the flock


def _acquire(fd: int, path: Path, cluster: str, wait: float) -> None:
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise ShardsmithError(f"cluster {cluster!r} is busy: {holder(path)} has held it for more than "
                                      f"{wait:.0f}s", hint="wait for that command to finish, or stop it") from None
            time.sleep(0.1)


def holder(path: Path) -> str:
    """Who holds the lock, as its holder wrote it: 'pid 123 (shardsmith up spec.yaml)'."""
    try:
        pid, _, command = path.read_text().strip().partition(" ")
    except OSError:
        return "another command"
    return f"pid {pid} ({command})" if pid else "another command"
