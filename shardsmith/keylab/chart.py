"""A PNG of documents per shard for each candidate key: grouped bars, one group per key."""

from __future__ import annotations

from pathlib import Path

from ..charts import drawing


def write_chart(rows: list[tuple[str, list[int]]], path: str | Path, title: str) -> Path:
    """rows: (key label, documents per shard)."""
    path = Path(path)
    shards = max((len(counts) for _, counts in rows), default=0)
    width = 0.8 / max(shards, 1)
    with drawing(path, figsize=(max(6, 2.2 * len(rows)), 4.5)) as (_, axes):
        for shard in range(shards):
            xs = [i + (shard - (shards - 1) / 2) * width for i in range(len(rows))]
            axes.bar(xs, [counts[shard] if shard < len(counts) else 0 for _, counts in rows], width, label=f"shard {shard}")
        axes.set_xticks(range(len(rows)), [label for label, _ in rows], fontsize=8)
        axes.set_ylabel("documents")
        axes.set_title(title, fontsize=10)
        axes.legend(fontsize=7, ncols=min(shards, 8))
    return path
