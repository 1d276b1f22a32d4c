"""A PNG of the lab: bytes per layout (data, storage, indexes) and median latency per query, side by side."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..charts import drawing
from ..errors import ShardsmithError
from .report import LAYOUT_ORDER, LayoutReport

MB = 1024 * 1024
SIZES = (("data_size", "data"), ("storage_size", "storage"), ("index_size", "indexes"))


def chart_path(path: str | Path) -> Path:
    """`path` if a chart can go there (a .png in an existing folder): check it before a long run, not after."""
    path = Path(path)
    if path.suffix.lower() != ".png" or not path.parent.is_dir():
        raise ShardsmithError(f"cannot write the chart {path}", hint="give --chart a .png path in an existing folder")
    return path


def write_layout_chart(report: LayoutReport, path: str | Path) -> Path:
    path = chart_path(path)
    with drawing(path, ncols=2, figsize=(12, 4.8)) as (figure, (sizes, latency)):
        _grouped(sizes, LAYOUT_ORDER, [(label, [getattr(report.sizes[name], field) / MB for name in LAYOUT_ORDER])
                                       for field, label in SIZES])
        sizes.set_ylabel("MB")
        sizes.set_title(f"{report.documents:,} documents", fontsize=10)
        _grouped(latency, [q.query.name for q in report.queries],
                 [(name, [q.layouts.get(name, {}).get("median_ms", 0) for q in report.queries]) for name in LAYOUT_ORDER])
        latency.set_ylabel("median ms")
        latency.set_title("query latency", fontsize=10)
        figure.suptitle(f"{report.namespace}: regular vs time-series vs monthly", fontsize=11)
    return path


def _grouped(axes, groups: Sequence[str], series: list[tuple[str, list[float]]]) -> None:
    """Bars: one group per entry of `groups`, one bar per series in each."""
    width = 0.8 / len(series)
    for i, (label, values) in enumerate(series):
        axes.bar([n + (i - (len(series) - 1) / 2) * width for n in range(len(groups))], values, width, label=label)
    axes.set_xticks(range(len(groups)), groups, rotation=15 if len(groups) > 3 else 0, ha="right" if len(groups) > 3
                    else "center", fontsize=8)
    axes.legend(fontsize=8)
