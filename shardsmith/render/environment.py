"""The one Jinja2 environment every rendered file comes from."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import jinja2

from ..resources import resource_dir


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


def render_template(template: str, /, **context: Any) -> str:
    return _environment(str(resource_dir("templates"))).get_template(template).render(**context)
