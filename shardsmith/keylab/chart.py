"""The key-lab PNG: what each key's verdict rests on, side by side, in one figure.

Documents per shard alone make every key look alike ({timestamp: 1} spreads
history evenly and still sends every new insert to one shard), so the figure
has three panels, one group of bars per candidate key, each key labelled with
its rating:

1. recent inserts: the share of the latest inserts landing on the hottest
   shard, against a fair 1/N and the line above which the verdict calls it hot;
2. query targeting: the mean shards each query of the mix touches (1 is a
   targeted query, N a broadcast);
3. distribution: documents per shard, with the fullest shard over the mean.

Drawn off-screen by charts.drawing, so it works on servers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from .analyze import LabReport

from ..charts import drawing
from .placement import skew
from .verdict import HOT_FACTOR

RATING_COLOURS = {"good": "#2e7d32", "fair": "#ef6c00", "poor": "#c62828", None: "#333333"}


@dataclass(frozen=True)
class ChartKey:
    label: str
    shard_docs: tuple  # documents per shard
    rating: str | None = None
    hotspot_share: float | None = None  # share of the latest inserts on the hottest shard; None: not measured
    targeting: tuple = ()  # ((query name, mean shards touched), ...)


def chart_keys(report: "LabReport") -> list[ChartKey]:
    """The figures of a LabReport (lab.analyze) that its verdicts rest on."""
    return [ChartKey(r.key.label, tuple(row["docs"] for row in r.distribution), r.verdict.get("rating"),
                     r.hotspot["share"], tuple((q["query"], q["mean_shards"]) for q in r.targeting))
            for r in report.keys]


def experiment_chart_keys(outcome: dict) -> list[ChartKey]:
    """The same for lab.experiment's outcome: measured on sharded copies (no recent-insert figure there)."""
    return [ChartKey(k["key"], tuple(row["docs"] for row in k["distribution"]), k["verdict"]["rating"], None,
                     tuple((q["query"], q["mean_shards"]) for q in k["targeting"])) for k in outcome["keys"]]


def report_chart(report: "LabReport", path: str | Path) -> Path:
    scope = f"sample of {report.sample:,}" if report.sample else f"{report.documents:,} documents"
    return write_chart(chart_keys(report), path, f"{report.namespace}: candidate keys over {report.shards} shards "
                                                 f"({scope})", recent_share=report.recent_share)


def experiment_chart(outcome: dict, path: str | Path) -> Path:
    return write_chart(experiment_chart_keys(outcome), path,
                       f"{outcome['namespace']}: sharded copies on {len(outcome['shards'])} shards")


def write_chart(keys: Iterable, path: str | Path, title: str, *, recent_share: float | None = None) -> Path:
    """Write the three-panel figure for `keys` (ChartKey, or (label, documents per shard) pairs) to `path`."""
    keys = [key if isinstance(key, ChartKey) else ChartKey(key[0], tuple(key[1])) for key in keys]
    shards = max((len(key.shard_docs) for key in keys), default=1) or 1
    with drawing(path, nrows=3, ncols=1, figsize=(max(7.0, 1.9 * len(keys) + 3), 10.5)) as (figure, panels):
        hot, queries, spread = panels
        figure.suptitle(title, fontsize=11)
        _recent_inserts(hot, keys, shards, recent_share)
        _query_targeting(queries, keys, shards)
        _distribution(spread, keys, shards)
        for axes in panels:
            axes.set_xticks(range(len(keys)), [f"{k.label}\n{k.rating or ''}" for k in keys], fontsize=8)
            for tick, key in zip(axes.get_xticklabels(), keys):
                tick.set_color(RATING_COLOURS.get(key.rating, RATING_COLOURS[None]))
            axes.set_xlim(-0.6, len(keys) - 0.4)
    return Path(path)


def _recent_inserts(axes, keys: list[ChartKey], shards: int, recent_share: float | None) -> None:
    fair, hot = 1 / shards, min(1.0, HOT_FACTOR / shards)
    latest = f"latest {recent_share:.0%} of inserts" if recent_share else "latest inserts"
    axes.set_title(f"{latest} on the hottest shard (lower is better)", fontsize=9, loc="left")
    for i, key in enumerate(keys):
        if key.hotspot_share is None:
            axes.text(i, 0.5, "not measured", ha="center", va="center", fontsize=8, color="grey")
            continue
        axes.bar(i, key.hotspot_share, 0.5, color="#c62828" if key.hotspot_share > hot else "#2e7d32")
        axes.text(i, key.hotspot_share + 0.02, f"{key.hotspot_share:.0%}", ha="center", fontsize=8)
    axes.axhline(fair, color="grey", linestyle="--", linewidth=1, label=f"fair share 1/{shards} = {fair:.0%}")
    axes.axhline(hot, color="#c62828", linestyle=":", linewidth=1, label=f"hot above {hot:.0%}")
    axes.set_ylim(0, 1.1)
    axes.yaxis.set_major_formatter(lambda value, _: f"{value:.0%}")
    _legend_above(axes)


def _query_targeting(axes, keys: list[ChartKey], shards: int) -> None:
    names = list(dict.fromkeys(name for key in keys for name, _ in key.targeting))
    axes.set_title(f"shards each query touches, mean of {shards} (1 is targeted)", fontsize=9, loc="left")
    axes.set_ylim(0, shards + 0.5)
    if not names:
        axes.text((len(keys) - 1) / 2, shards / 2, "no query mix given (--query)", ha="center", va="center",
                  fontsize=9, color="grey")
        return
    width = 0.8 / len(names)
    for q, name in enumerate(names):
        xs = [i + (q - (len(names) - 1) / 2) * width for i in range(len(keys))]
        axes.bar(xs, [dict(key.targeting).get(name, 0) for key in keys], width, label=name)
    axes.axhline(1, color="grey", linestyle="--", linewidth=1)
    _legend_above(axes, ncols=min(len(names), 4))


def _distribution(axes, keys: list[ChartKey], shards: int) -> None:
    axes.set_title("documents per shard (fullest over mean above each key)", fontsize=9, loc="left")
    width = 0.8 / shards
    for shard in range(shards):
        xs = [i + (shard - (shards - 1) / 2) * width for i in range(len(keys))]
        axes.bar(xs, [key.shard_docs[shard] if shard < len(key.shard_docs) else 0 for key in keys], width,
                 label=f"shard {shard}")
    top = max((max(key.shard_docs, default=0) for key in keys), default=0)
    for i, key in enumerate(keys):
        rows = [{"docs": docs} for docs in key.shard_docs]
        axes.text(i, top * 1.04, f"max/mean {skew(rows):.2f}", ha="center", fontsize=8)
    axes.set_ylim(0, top * 1.15 or 1)
    axes.set_ylabel("documents")
    _legend_above(axes, ncols=min(shards, 8))


def _legend_above(axes, ncols: int = 2) -> None:
    """Legends sit above the panel's top right (its title is on the left), never over the bars."""
    axes.legend(fontsize=7, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=ncols, frameon=False,
                borderaxespad=0.2)
