"""The folders that ship beside the code: templates/ (every deployment text) and topology/ (example specs).

In the repository they stay at the top level (that layout is part of the
project's shape); the wheel carries copies inside the package
(`shardsmith/_bundled/`, see pyproject's force-include), found with
importlib.resources. A source checkout (an editable install) reads the
top-level folders themselves.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from .errors import ShardsmithError

BUNDLED = "_bundled"


def resource_dir(name: str) -> Path:
    """`templates` or `topology`: the installed copy, else the source checkout's folder."""
    bundled = files("shardsmith").joinpath(BUNDLED).joinpath(name)  # Traversable.joinpath takes one name before 3.11
    if bundled.is_dir():
        return Path(str(bundled))
    source = Path(__file__).resolve().parents[1] / name
    if source.is_dir():
        return source
    raise ShardsmithError(f"Shardsmith's {name}/ folder is missing from this installation",
                          hint="reinstall it (`pip install --force-reinstall shardsmith`)")


def example_specs() -> dict[str, Path]:
    """The shipped example specs by name: local, minimal, replset ..."""
    return {path.stem: path for path in sorted(resource_dir("topology").glob("*.yaml"))}
