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
from .yamlsafe import BoundedLoader, LoadRefused

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
    # Structural problems met while loading (duplicate keys ...): (path, message, line)
    found: list = field(default_factory=list)

    def line_of(self, path: PathKey) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        path = tuple(path)
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path[:-1]


class _Builder:
    """Walks the node tree once: plain values out, a line per path, problems noted."""

    def __init__(self, loader: yaml.SafeLoader):
        self.loader = loader
        self.lines: dict = {}
        self.found: list = []

    def build(self, node: yaml.Node, path: PathKey):
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        return self.loader.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: PathKey) -> dict:
        self.loader.flatten_mapping(node)
        result: dict = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                self.found.append((path, "a mapping key must be a plain name, not a list or mapping", line))
                continue
            key = self.loader.construct_object(key_node, deep=True)
            key = "null" if key is None else str(key)
            if key in result:
                self.found.append((path + (key,), f"duplicate key {key!r} (first at line {self.lines[path + (key,)]}); "
                                                  "each key may appear once per mapping", line))
                continue
            self.lines[path + (key,)] = line
            result[key] = self.build(value_node, path + (key,))
        return result


def load_located(text: str, source: str = "<spec>") -> Located:
    """Parse one YAML document; syntax errors and refused constructs become ShardsmithError."""
    try:
        loader = BoundedLoader(text)  # reads the whole text first: forbidden characters fail here
        builder = _Builder(loader)
        try:
            root = loader.get_single_node()
            data = builder.build(root, ()) if root is not None else None
        finally:
            loader.dispose()
    except LoadRefused as exc:
        raise ShardsmithError(exc.problem, where=_where(source, text, exc), hint=exc.hint) from None
    except yaml.YAMLError as exc:
        raise ShardsmithError(f"not valid YAML: {_describe(exc)}", where=_where(source, text, exc),
                              hint="fix the YAML syntax at that line (indentation, quotes, brackets)") from None
    return Located(source=source, data=data, lines=builder.lines, found=builder.found)


def _where(source: str, text: str, exc: yaml.YAMLError) -> str:
    """`file:line` of the problem; a reader error (a forbidden character) knows only its offset."""
    mark = getattr(exc, "problem_mark", None)
    if mark:
        return f"{source}:{mark.line + 1}"
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        return f"{source}:{line}"
    return source


def _describe(exc: yaml.YAMLError) -> str:
    """PyYAML's problem, with the construct it was inside and where that began."""
    if isinstance(exc, yaml.reader.ReaderError):
        return f"character #x{exc.character:04x} is not allowed ({exc.reason})"
    problem = getattr(exc, "problem", None) or str(exc)
    context, mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and mark:
        return f"{problem} ({context} that began at line {mark.line + 1})"
    return problem


def load_located_file(path: str | Path) -> Located:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ShardsmithError(
            f"topology file {path} does not exist",
            hint="pass a path such as topology/local.yaml (see topology/ for examples)",
        ) from None
    except OSError as exc:
        raise ShardsmithError(f"cannot read topology file {path}: {exc.strerror}") from None
    return load_located(decode_utf8(raw, str(path)), source=str(path))


def decode_utf8(raw: bytes, source: str) -> str:
    """The text of a spec file; the first byte that is not UTF-8 is reported by line and column."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - raw.rfind(b"\n", 0, exc.start)
        raise ShardsmithError(f"not UTF-8 text: byte 0x{raw[exc.start]:02x} at column {column} cannot be decoded",
                              where=f"{source}:{line}",
                              hint="save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)") from None
