"""A PNG bar chart of per-collection sizes (data, storage, indexes), drawn with matplotlib off-screen."""

from __future__ import annotations

from pathlib import Path

from ..errors import ShardsmithError
from .storage import CollectionStorage

MB = 1024 * 1024
SERIES = (("data_size", "data"), ("storage_size", "storage"), ("index_size", "indexes"))


def storage_chart(rows: list[CollectionStorage], path: Path, *, title: str = "Storage per collection") -> Path:
    """Write the chart to `path` (must end in .png); the path written."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ShardsmithError(f"chart file {path} must end in .png")
    if not path.parent.is_dir():
        raise ShardsmithError(f"cannot write {path}: folder {path.parent} does not exist")
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    labels = [f"{r.database}.{r.collection}" for r in rows]
    width = 0.27
    figure, axes = pyplot.subplots(figsize=(max(6.0, 0.9 * len(rows) + 2), 4.5))
    try:
        for offset, (field, label) in enumerate(SERIES):
            positions = [i + (offset - 1) * width for i in range(len(rows))]
            axes.bar(positions, [getattr(r, field) / MB for r in rows], width, label=label)
        axes.set_xticks(range(len(rows)), labels, rotation=35, ha="right", fontsize=8)
        axes.set_ylabel("MB")
        axes.set_title(title)
        axes.legend()
        figure.tight_layout()
        figure.savefig(path, format="png", dpi=110)
    finally:
        pyplot.close(figure)
    return path
