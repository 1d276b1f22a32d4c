"""Commands for the compose side: `render` (compose files from a spec) and `image` (the local mongod image)."""

from __future__ import annotations

import shlex
from typing import Optional

from ..display import print_json
from ..render.compose import image_kind_of
from .cluster import NO_ROUTERS
from .common import JSON, TOPOLOGY, console, err_console, load_spec
from .declare import Option, command


@command("render", TOPOLOGY,
         Option("out", "folder for <name>.yaml, init.js and <name>.plan.json (default compose/)", default="compose"),
         Option("image_kind", "official (mongosh inside: health checks and init services) or local (`shardsmith "
                              "image`); default: from mongodb.image", choices=("official", "local")),
         NO_ROUTERS, JSON)
def render(topology: Optional[str], out: str, image_kind: Optional[str], no_routers: bool, json: bool) -> None:
    """Write the docker compose file (and its init script) for a topology; no Docker needed."""
    from ..render import write_compose_files

    spec = load_spec(topology)
    kind = image_kind or image_kind_of(spec.mongodb.image)
    written = write_compose_files(spec, out, image_kind=kind, routers=not no_routers)
    if json:
        print_json({"cluster": spec.name, "written": [str(p) for p in written]})
        return
    for path in written:
        console.print(f"wrote {path}")
    if kind == "official":
        secret = f"{spec.auth.root_password_env}=... " if spec.auth.enabled else ""
        err_console.print(f"run it: {secret}docker compose -f {shlex.quote(str(written[0]))} up -d --wait", soft_wrap=True)
    else:  # the local image has no mongosh: Shardsmith bootstraps it from the host
        err_console.print(f"run it: shardsmith up {shlex.quote(spec.source)} --backend compose (the local image has "
                          "no mongosh, so Shardsmith initiates the sets from the host)", soft_wrap=True)


@command("image", Option("version", "mongodb.version of the mongod to pack (default 6.0)", default="6.0"),
         Option("tag", "image tag (default shardsmith/mongod:<full version>)"), JSON)
def image(version: str, tag: Optional[str], json: bool) -> None:
    """Build the local mongod image FROM scratch (a mongod + its libraries); no registry needed."""
    from ..image import build_local_image

    built = build_local_image(version, tag)
    if json:
        print_json({"image": built})
        return
    console.print(f"built {built}  (use it with `mongodb: {{image: \"{built}\"}}` in a spec)")
