"""`init`: a commented starter spec to begin from (templates/starter.yaml.j2)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

from ..errors import ShardsmithError
from ..render import render_template
from ..topology import load_topology
from .common import DEFAULT_SPECS, console
from .declare import Option, command

SHAPES = ("sharded", "replset", "standalone")
BASE_PORT = 27017


@command("init", Option("path", f"where to write the spec (default {DEFAULT_SPECS[0]})", positional=True,
                        optional=True, metavar="PATH"),
         *(Option(shape, f"a {shape} cluster{' (the default)' if shape == 'replset' else ''}", switch=True)
           for shape in SHAPES),
         Option("force", "overwrite an existing file", switch=True))
def init(path: Optional[str], sharded: bool, replset: bool, standalone: bool, force: bool) -> None:
    """Write a commented starter topology spec (a 3-member replica set unless told otherwise)."""
    chosen = [shape for shape, wanted in zip(SHAPES, (sharded, replset, standalone)) if wanted]
    if len(chosen) > 1:
        raise ShardsmithError(f"choose one shape, not {' and '.join('--' + c for c in chosen)}")
    target = Path(path or DEFAULT_SPECS[0])
    if target.exists() and not force:
        raise ShardsmithError(f"{target} exists; nothing was written", hint="choose another path, or add --force")
    name = re.sub(r"[^a-z0-9_-]+", "-", target.stem.lower()).strip("-_") or "cluster"
    text = render_template("starter.yaml.j2", name=name, path=str(target), shape=(chosen or ["replset"])[0],
                           base_port=BASE_PORT)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    load_topology(target)  # what init writes must load
    console.print(f"wrote {target}; bring it up with `shardsmith up {target}`")
