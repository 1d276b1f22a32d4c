"""Tasks for the compose side: `render` (compose files from a spec) and `image` (the local mongod image)."""

from __future__ import annotations

from invoke import task

from .cli_support import TOPOLOGY_HELP, console, err_console, load_spec, user_errors
from .display import print_json

RENDER_HELP = {
    "topology": TOPOLOGY_HELP,
    "out": "folder for <name>.yaml and <name>.init.js (default compose/)",
    "image_kind": "official (mongosh inside: health checks and init services) or local (`inv image`); "
                  "default: from mongodb.image",
    "no_routers": "leave the mongos routers out",
    "json": "print the written paths as JSON",
}


@task(positional=["topology"], help=RENDER_HELP)
@user_errors
def render(c, topology=None, out="compose", image_kind=None, no_routers=False, json=False):
    """Write the docker compose file (and its init script) for a topology; no Docker needed."""
    from .render import write_compose_files

    spec = load_spec(topology)
    written = write_compose_files(spec, out, image_kind=image_kind, routers=not no_routers)
    if json:
        print_json({"cluster": spec.name, "written": [str(p) for p in written]})
        return
    for path in written:
        console.print(f"wrote {path}")
    err_console.print(f"run it: {spec.auth.root_password_env}=... docker compose -f {written[0]} up -d --wait"
                      if spec.auth.enabled else f"run it: docker compose -f {written[0]} up -d --wait")


@task(help={"version": "mongodb.version of the mongod to pack (major.minor, default 6.0)",
            "tag": "image tag (default shardsmith/mongod:<full version>)",
            "json": "print the tag as JSON"})
@user_errors
def image(c, version="6.0", tag=None, json=False):
    """Build the local mongod image FROM scratch (bundled mongod + its libraries); no registry needed."""
    from .image import build_local_image

    built = build_local_image(version, tag)
    if json:
        print_json({"image": built})
        return
    console.print(f"built {built}  (use it with `mongodb: {{image: \"{built}\"}}` in a spec)")


tasks = [render, image]
