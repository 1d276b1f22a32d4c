"""A local stand-in for the official `mongo:X` image, for tests only.

Why it exists: the compose files Shardsmith renders for the official image
must come up initialised with `docker compose up -d --wait` alone, and the
only honest check is to run them. This machine has no registry, so `mongo:X`
cannot be pulled. The stand-in provides exactly what a rendered "official"
file uses from that image, laid out like it:

- `mongod` and `mongosh` on PATH (mongosh = npm's mongosh 2.12.0 run by this
  host's node; mongod = the one of the MongoDB version under test, by default
  the bundled 6.0.5), plus every library `ldd` lists for mongod, node and
  mongosh's native add-ons;
- a /bin/sh with head, base64, chown, chmod, sleep, stat (static busybox);
- the official image's user and layout: root by default (its entrypoint, not
  its USER, drops to mongodb), a `mongodb` user with uid/gid 999,
  `ENV HOME=/data/db` (so mongosh run as 999 by a health check has a writable
  home, docker-library/mongo#524) and `VOLUME /data/db /data/configdb`.

Its repository is not `shardsmith/mongod`, so the renderer treats it as the
official kind. It has no mongos (none exists here): router parts stay untested
by it.

    tag = standin_image()     # "shardsmith-test/mongo-standin:6.0.5", built once per input set
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

from shardsmith.binaries import find_binary
from shardsmith.image import build_image, find_busybox, library_files
from shardsmith.render.compose import LOCAL_REPOSITORY, MONGODB_UID
from tests.conftest import TEST_MONGODB_VERSION
from tests.plugin import tools

STANDIN_REPOSITORY = "shardsmith-test/mongo-standin"
INPUTS_LABEL = "org.shardsmith.test.standin-inputs"
MONGOSH_HOME = "/opt/mongosh"
assert STANDIN_REPOSITORY != LOCAL_REPOSITORY  # the renderer must see the official kind

DOCKERFILE = f"""\
# Test-only stand-in for the official mongo image (see tests/official_standin.py).
FROM scratch
COPY rootfs/ /
ENV PATH=/usr/local/bin:/usr/bin:/bin HOME=/data/db
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox --install -s /bin && mkdir -p /data/db /data/configdb /tmp && chown -R {MONGODB_UID}:{MONGODB_UID} /data && chmod 1777 /tmp"]
VOLUME /data/db /data/configdb
EXPOSE 27017
CMD ["mongod"]
"""

GENERATED = {
    "/usr/bin/mongosh": f'#!/bin/sh\nexec /usr/bin/node {MONGOSH_HOME}/node_modules/@mongosh/cli-repl/bin/mongosh.js "$@"\n',
    "/etc/passwd": f"root:x:0:0:root:/root:/bin/sh\nmongodb:x:{MONGODB_UID}:{MONGODB_UID}::/data/db:/bin/sh\n",
    "/etc/group": f"root:x:0:\nmongodb:x:{MONGODB_UID}:\n",
}


def mongosh_node_modules() -> Path:
    """The node_modules folder of the npm mongosh the tests use (tests/plugin/tools.py)."""
    script = Path(tools.mongosh()).resolve()
    folder = next((p for p in script.parents if p.name == "node_modules"), None)
    if folder is None or not (folder / "@mongosh" / "cli-repl" / "bin" / "mongosh.js").is_file():
        raise RuntimeError(f"{script} is not npm's mongosh; the stand-in image needs `npm install mongosh`")
    return folder


def image_files(node_modules: Path) -> dict[str, Path]:
    """Host files by image path: mongod, node, busybox, their libraries and mongosh's add-ons' libraries."""
    mongod = find_binary("mongod", None, TEST_MONGODB_VERSION)
    node = shutil.which("node")
    if mongod is None or node is None:
        raise RuntimeError(f"the stand-in image needs mongod (found {mongod}) and node (found {node})")
    addons = sorted(node_modules.rglob("*.node"))
    return {
        "/usr/bin/mongod": mongod.path,
        "/usr/bin/node": Path(node),
        "/bin/busybox": find_busybox(),
        f"{MONGOSH_HOME}/node_modules": node_modules,
        **library_files(mongod.path, Path(node), *addons),
    }


def inputs_digest(files: dict[str, Path], node_modules: Path) -> str:
    """Changes whenever a copied file, mongosh's lock file or the Dockerfile does."""
    digest = hashlib.sha256(DOCKERFILE.encode())
    for target, text in sorted(GENERATED.items()):
        digest.update(f"{target}\0{text}".encode())
    for target, source in sorted(files.items()):
        stat = source.resolve().stat()
        digest.update(f"{target}\0{source.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
    lock = node_modules.parent / "package-lock.json"
    digest.update(lock.read_bytes() if lock.is_file() else (node_modules / ".package-lock.json").read_bytes())
    return digest.hexdigest()


def remove_standin(tag: str) -> None:
    """Tests leave no image of theirs behind (its layers go with it)."""
    import docker

    docker.from_env().images.remove(tag, force=True)


def standin_image() -> str:
    """Build the stand-in unless the engine already has it built from the same inputs; return its tag."""
    import docker
    from docker.errors import ImageNotFound

    tools.docker_engine()
    node_modules = mongosh_node_modules()
    files = image_files(node_modules)
    tag = f"{STANDIN_REPOSITORY}:{find_binary('mongod', None, TEST_MONGODB_VERSION).version}"
    digest = inputs_digest(files, node_modules)
    try:
        if docker.from_env().images.get(tag).labels.get(INPUTS_LABEL) == digest:
            return tag
    except ImageNotFound:
        pass
    with tempfile.TemporaryDirectory(prefix="standin-generated-") as folder:
        generated = {}
        for target, text in GENERATED.items():
            path = Path(folder) / target.strip("/").replace("/", "_")
            path.write_text(text)
            path.chmod(0o755 if target.endswith("mongosh") else 0o644)
            generated[target] = path
        return build_image(tag, DOCKERFILE, {**files, **generated}, labels={INPUTS_LABEL: digest})
