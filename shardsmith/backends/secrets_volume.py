"""The secrets volume: certificates (and, across hosts, the keyfile) where containers read them.

Files are copied into a named volume through the Docker API (a container is
created on the volume, never started, and given a tar archive), so this works
with a remote engine (`docker --context NAME`, ssh://), where a bind mount
would name a path on the wrong machine. Each file is owned by the image's
mongodb user (uid 999) with mode 0400, as mongod requires of a keyfile; the
CA certificate is 0444. Nothing is baked into an image, and rendered compose
files only name the volume (external: Shardsmith fills it before `up`).
"""

from __future__ import annotations

import io
import tarfile
import time
from pathlib import Path
from typing import Optional, Sequence

from docker import DockerClient
from docker.errors import NotFound

from ..render.compose import MONGODB_UID
from ..tls import CertificateStore
from ..topology.model import Process

PRIVATE, PUBLIC = 0o400, 0o444
MOUNT = "/secrets"
LABEL = "org.shardsmith.secrets"


def volume_files(store: Optional[CertificateStore], procs: Sequence[Process],
                 keyfile: Optional[Path]) -> dict[str, tuple[bytes, int]]:
    """name in the volume -> (content, mode): ca.pem, <service>.pem of `procs`, and the keyfile if given."""
    files: dict[str, tuple[bytes, int]] = {}
    if store is not None:
        files["ca.pem"] = (store.ca_file.read_bytes(), PUBLIC)
        for proc in procs:
            files[store.pem_file(proc).name] = (store.pem_file(proc).read_bytes(), PRIVATE)
    if keyfile is not None:
        files["keyfile"] = (keyfile.read_bytes(), PRIVATE)
    return files


def archive(files: dict[str, tuple[bytes, int]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, (data, mode) in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, int(time.time())
            info.uid = info.gid = MONGODB_UID
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def fill(client: DockerClient, volume: str, image: str, files: dict[str, tuple[bytes, int]]) -> None:
    """Create `volume` on the client's engine if needed and write `files` into it (replacing same names)."""
    if not files:
        return
    try:
        client.volumes.get(volume)
    except NotFound:
        client.volumes.create(volume, labels={LABEL: "1"})
    helper = client.containers.create(image, command=["--version"], network_mode="none",
                                      volumes={volume: {"bind": MOUNT, "mode": "rw"}}, labels={LABEL: "1"})
    try:
        helper.put_archive(MOUNT, archive(files))
    finally:
        helper.remove(force=True)


def remove(client: DockerClient, volume: str) -> None:
    try:
        client.volumes.get(volume).remove(force=True)
    except NotFound:
        pass
