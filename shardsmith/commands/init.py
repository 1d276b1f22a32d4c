"""`init`: a commented starter spec to begin from (templates/starter.yaml.j2)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

from ..errors import ShardsmithError
from ..render import render_template
from ..resources import example_specs
from ..topology import load_topology
from .common import DEFAULT_SPECS, console
from .declare import Option, command, whole_number

SHAPES = ("sharded", "replset", "standalone")
BASE_PORT = 27017


def port_number(flag: str, text: str) -> int:
    port = whole_number(flag, text, minimum=1024)
    if port > 65535:
        raise ShardsmithError(f"{flag} {port} is above 65535")
    return port


@command("init", Option("path", f"where to write the spec (default {DEFAULT_SPECS[0]})", positional=True,
                        optional=True, metavar="PATH"),
         *(Option(shape, f"a {shape} cluster{' (the default)' if shape == 'replset' else ''}", switch=True)
           for shape in SHAPES),
         Option("base_port", f"the first process's port (default {BASE_PORT})", convert=port_number,
                default=BASE_PORT),
         Option("example", "copy one of the shipped example specs instead (local, minimal, replset ...)"),
         Option("force", "overwrite an existing file", switch=True))
def init(path: Optional[str], sharded: bool, replset: bool, standalone: bool, base_port: int,
         example: Optional[str], force: bool) -> None:
    """Write a commented starter topology spec (a 3-member replica set unless told otherwise)."""
    chosen = [shape for shape, wanted in zip(SHAPES, (sharded, replset, standalone)) if wanted]
    if len(chosen) + bool(example) > 1:
        raise ShardsmithError("choose one of --sharded, --replset, --standalone and --example")
    target = Path(path or DEFAULT_SPECS[0])
    if target.exists() and not force:
        raise ShardsmithError(f"{target} exists; nothing was written", hint="choose another path, or add --force")
    if example:
        text = example_text(example)
    else:
        name = re.sub(r"[^a-z0-9_-]+", "-", target.stem.lower()).strip("-_") or "cluster"
        text = render_template("starter.yaml.j2", name=name, path=str(target), shape=(chosen or ["replset"])[0],
                               base_port=base_port)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    load_topology(target)  # what init writes must load
    console.print(f"wrote {target}; bring it up with `shardsmith up {target}`")


def example_text(name: str) -> str:
    examples = example_specs()
    if name not in examples:
        raise ShardsmithError(f"no example spec {name!r}", hint=f"the examples are: {', '.join(examples)}")
    return examples[name].read_text()
