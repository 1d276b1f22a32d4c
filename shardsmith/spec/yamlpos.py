"""Load YAML into plain Python values, remembering the line of every path.

Validation messages must say `file:line path: problem`, so we compose the
YAML node tree ourselves and record each node's line by its path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import ShardsmithError

PathKey = tuple  # tuple of str (mapping keys) and int (sequence indexes)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def format_path(path: PathKey) -> str:
    """`shards[1].members[2].priority`; odd keys quoted: `shard_key["a.b"]`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.match(part):
            out += f".{part}" if out else part
        else:
            out += f'["{part}"]'
    return out or "(top level)"


@dataclass
class Located:
    """A loaded document plus the 1-based line where each path starts."""

    source: str
    data: object
    lines: dict = field(default_factory=dict)

    def line_of(self, path: PathKey) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        path = tuple(path)
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path[:-1]


def _construct(node: yaml.Node, path: PathKey, lines: dict, loader: yaml.SafeLoader):
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise ShardsmithError(
                    f"mapping key {key!r} is not a plain value",
                    where=f"line {key_node.start_mark.line + 1}",
                )
            key = str(key)
            if key in result:
                raise ShardsmithError(
                    f"duplicate key {key!r}",
                    where=f"line {key_node.start_mark.line + 1}",
                    hint="each key may appear once per mapping",
                )
            result[key] = _construct(value_node, path + (key,), lines, loader)
            lines[path + (key,)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, path + (i,), lines, loader) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def load_located(text: str, source: str = "<spec>") -> Located:
    """Parse one YAML document; YAML syntax errors become ShardsmithError."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        lines: dict = {}
        data = _construct(root, (), lines, loader) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise ShardsmithError(f"not valid YAML: {getattr(exc, 'problem', exc)}", where=where) from None
    finally:
        loader.dispose()
    return Located(source=source, data=data, lines=lines)


def load_located_file(path: str | Path) -> Located:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ShardsmithError(
            f"topology file {path} does not exist",
            hint="pass a path such as topology/local.yaml (see topology/ for examples)",
        ) from None
    except OSError as exc:
        raise ShardsmithError(f"cannot read topology file {path}: {exc.strerror}") from None
    return load_located(text, source=str(path))
