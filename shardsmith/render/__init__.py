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
    template = "mongos.conf.j2" if proc.role == "mongos" else "mongod.conf.j2"
    return render_template(template, **member_config_context(topology, proc, paths))


__all__ = ["render_member_config", "render_template"]
