"""A PNG of documents per shard for each candidate key: grouped bars, one group per key."""

from __future__ import annotations

from pathlib import Path

from ..errors import ShardsmithError


def write_chart(rows: list[tuple[str, list[int]]], path: str | Path, title: str) -> Path:
    """rows: (key label, documents per shard). Drawn off-screen (Agg), so it works on servers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    shards = max((len(counts) for _, counts in rows), default=0)
    width = 0.8 / max(shards, 1)
    figure, axes = plt.subplots(figsize=(max(6, 2.2 * len(rows)), 4.5))
    try:
        for shard in range(shards):
            xs = [i + (shard - (shards - 1) / 2) * width for i in range(len(rows))]
            axes.bar(xs, [counts[shard] if shard < len(counts) else 0 for _, counts in rows], width, label=f"shard {shard}")
        axes.set_xticks(range(len(rows)), [label for label, _ in rows], fontsize=8)
        axes.set_ylabel("documents")
        axes.set_title(title, fontsize=10)
        axes.legend(fontsize=7, ncols=min(shards, 8))
        figure.tight_layout()
        figure.savefig(path, dpi=110)
    except OSError as exc:
        raise ShardsmithError(f"cannot write the chart {path}: {exc.strerror}", hint="give --chart a writable path") from None
    finally:
        plt.close(figure)
    return path
