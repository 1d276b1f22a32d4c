"""Turn the model into deployment text. Every line of that text lives in templates/.

Python here only chooses the template and builds its context; Jinja2 writes
the files, so a user who wants a different mongod.conf edits a template, not
code.
"""

from __future__ import annotations

from .environment import render_template
from .member import member_config_context


def render_member_config(topology, proc, paths: dict) -> str:
    """The YAML config file one mongod or mongos starts with (`--config`)."""
    template = f"{proc.role.program}.conf.j2"
    return render_template(template, **member_config_context(topology, proc, paths))


__all__ = ["render_member_config", "render_template", "write_compose_files"]


def write_compose_files(topology, folder, *, image_kind=None, routers: bool = True, sockets_dir=None) -> list:
    """compose/<name>.yaml and, for the official image, what its init services mount: init.js (the same
    for every cluster) and <name>.plan.json.

    With `hosts:`, one bundle per host instead: compose/<name>/<host>.yaml beside those two files.
    """
    from pathlib import Path

    from .compose import INIT_SCRIPT, image_kind_of, init_plan_name, render_compose
    from .init_script import init_executor, render_init_plan

    folder = Path(folder)
    kind = image_kind or image_kind_of(topology.mongodb.image)
    if topology.hosts:
        folder = folder / topology.name
        written = [folder / f"{host.name}.yaml" for host in topology.hosts]
        texts = [render_compose(topology, kind, routers=routers, host=host.name) for host in topology.hosts]
    else:
        written = [folder / f"{topology.name}.yaml"]
        texts = [render_compose(topology, kind, routers=routers, sockets_dir=sockets_dir)]
    folder.mkdir(parents=True, exist_ok=True)
    for path, text in zip(written, texts):
        path.write_text(text)
    if kind == "official":
        plan, script = folder / init_plan_name(topology), folder / INIT_SCRIPT
        plan.write_text(render_init_plan(topology, routers=routers))
        script.write_text(init_executor())
        written += [script, plan]
    return written
