"""The one Jinja2 environment every rendered file comes from."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

import jinja2

from ..errors import ShardsmithError

TEMPLATES_ENV = "SHARDSMITH_TEMPLATES"


def templates_dir() -> Path:
    """templates/ at the project root (next to the package), or $SHARDSMITH_TEMPLATES."""
    configured = os.environ.get(TEMPLATES_ENV)
    folder = Path(configured) if configured else Path(__file__).resolve().parents[2] / "templates"
    if not folder.is_dir():
        raise ShardsmithError(f"templates folder {folder} not found",
                              hint=f"install Shardsmith from its source tree (pip install -e .) or set {TEMPLATES_ENV}")
    return folder


@lru_cache(maxsize=None)
def _environment(folder: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        undefined=jinja2.StrictUndefined,  # a missing variable is a bug, never an empty line
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["json"] = lambda value: json.dumps(value, sort_keys=False)
    return env


def render_template(template: str, /, **context) -> str:
    return _environment(str(templates_dir())).get_template(template).render(**context)
