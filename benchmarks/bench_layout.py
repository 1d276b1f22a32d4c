"""Layout lab on 1,000,000 generated messages: do the design notes' claims hold for this workload?

    python benchmarks/bench_layout.py [--documents 1000000] [--runs 20] [--insert-runs 3] [--results benchmarks/RESULTS.md]

One real single-member replica set (the wheel's mongod 6.0.5, 256 MB WiredTiger
cache) gets N messages from shardsmith.workload (3 months, seed 42, written in
batches of 5,000 as `data.load --collection` does). run_layout_lab then copies
them into a regular collection, a time-series collection (metaField and
granularity read from the data) and monthly collections, each with
topology/local.yaml's `messages-standard` index set (the design notes' current
indexes, text index included), and measures them side by side. The regular
layout is the peer: every figure is also given as a ratio to it, measured in
the same run; query runs interleave the layouts and rotate their order, insert
runs rotate theirs. Three tables are added to RESULTS.md: sizes and inserts per
layout, latency per query, and one line per claim with its verdict.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.results import commit, record  # noqa: E402
from tests.conftest import free_port_block  # noqa: E402

SETUP = ("`python benchmarks/bench_layout.py --documents 1000000 --results benchmarks/RESULTS.md`\n\n"
         "{documents:,} messages from shardsmith.workload (3 months, seed 42) in one real mongod 6.0.5 (1-member "
         "replica set, 256 MB WiredTiger cache), copied by the layout lab into a regular collection, a time-series "
         "collection (metaField and granularity read from the data) and monthly collections, each with "
         "topology/local.yaml's messages-standard index set (what the time-series collection refuses is skipped). "
         "The regular layout is the peer measured in the same run; ratios are to it. The machine is shared: load "
         "is the 1-minute load average sampled every 5 s while the lab ran (min-max); latencies at a high load are "
         "noisy, compare their ratios and the minima.\n\n")
SIZES = "## Layout lab: regular vs time-series vs monthly collections, sizes and inserts"
SIZES_HEADER = ("| date | commit | cores | load | documents | layout | stored as | data | storage | indexes | total "
                "| total vs regular | inserts/s min / median / max (runs) | inserts vs regular |\n"
                "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
LATENCY = "## Layout lab: query latency per layout"
LATENCY_HEADER = ("| date | commit | load | documents | query | runs | regular ms min / median / p95 / max "
                  "| time-series ms min / median / p95 / max | monthly ms min / median / p95 / max "
                  "| median vs regular (time-series, monthly) | same results | indexes used (regular; time-series; monthly) |\n"
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
CLAIMS = "## Layout lab: the design notes' claims, measured"
CLAIMS_HEADER = ("| date | commit | documents | claim | measured | verdict | detail |\n"
                 "| --- | --- | --- | --- | --- | --- | --- |")
MB = 1024 * 1024


class LoadAverage:
    """The machine's 1-minute load average, sampled every few seconds while the lab runs: (min, max)."""

    def __init__(self, every: float = 5.0):
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, args=(every,), daemon=True)

    def _sample(self, every: float) -> None:
        while True:
            self.samples.append(os.getloadavg()[0])
            if self._stop.wait(every):
                return

    def __enter__(self) -> "LoadAverage":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def span(self) -> str:
        return f"{min(self.samples):.1f}-{max(self.samples):.1f}"


def load(client, documents: int) -> float:
    from shardsmith.workload.load import CollectionSink, load_messages

    client["bench"].drop_collection("messages")
    return load_messages(CollectionSink(client["bench"]["messages"]), documents, months=3, seed=42).seconds


def size_rows(data: dict, stamp: str) -> list[str]:
    rows = []
    inserts = {row["layout"]: row for row in data["inserts"]}
    for layout in data["layouts"]:
        rates = inserts.get(layout["layout"], {}).get("docs_per_second") or {}
        stored = f"{layout['stored']:,} {'buckets' if layout['layout'] == 'time-series' else 'documents'}"
        rate = (f"{rates['min']:,.0f} / {rates['median']:,.0f} / {rates['max']:,.0f} "
                f"({inserts[layout['layout']]['runs']})") if rates else "-"
        ratio = inserts.get(layout["layout"], {}).get("ratio_to_regular")
        rows.append(f"| {stamp} | {data['documents']:,} | {layout['layout']} | {stored} | "
                    f"{layout['data_size'] / MB:,.1f} MB | {layout['storage_size'] / MB:,.1f} MB | "
                    f"{layout['index_size'] / MB:,.1f} MB | {layout['total'] / MB:,.1f} MB | "
                    f"{layout['ratio_to_regular']['total']:.2f}x | {rate} | {f'{ratio:.2f}x' if ratio else '-'} |")
    return rows


def latency_rows(data: dict, stamp: str) -> list[str]:
    def figures(row: dict | None) -> str:
        return "-" if not row else (f"{row['min_ms']:.1f} / {row['median_ms']:.1f} / {row['p95_ms']:.1f} / "
                                    f"{row['max_ms']:.1f}")

    rows = []
    for query in data["queries"]:
        layouts = query["layouts"]
        regular = layouts.get("regular", {}).get("median_ms")
        ratios = ", ".join(f"{layouts[name]['median_ms'] / regular:.2f}x" if regular and name in layouts else "-"
                           for name in ("time-series", "monthly"))
        used = "; ".join(", ".join(layouts.get(name, {}).get("indexes") or ["none"])
                         for name in ("regular", "time-series", "monthly"))
        runs = layouts.get("regular", {}).get("runs", 0)
        rows.append(f"| {stamp} | {data['documents']:,} | {query['query']} | {runs} | {figures(layouts.get('regular'))} "
                    f"| {figures(layouts.get('time-series'))} | {figures(layouts.get('monthly'))} | {ratios} "
                    f"| {'yes' if query['same_results'] else 'no'} | {used} |")
    return rows


def claim_rows(data: dict, stamp: str) -> list[str]:
    rows = [f"| {stamp} | {data['documents']:,} | {claim['claim']} | {claim['measured']} | {claim['status']} "
            f"| {claim['detail']} |" for claim in data["claims"]]
    recommendation = data["recommendation"]
    rows.append(f"| {stamp} | {data['documents']:,} | the lab's recommendation | {recommendation['layout']} | "
                f"{recommendation['summary']} | {'; '.join(recommendation['reasons'])} |")
    return rows


def main() -> None:
    from rich.console import Console

    from shardsmith.cluster import Cluster
    from shardsmith.layoutlab import print_layout_report, run_layout_lab, topology_index_set
    from shardsmith.progress import Progress
    from shardsmith.topology import load_topology, parse_topology

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20, help="timed runs of each query on each layout")
    parser.add_argument("--insert-runs", type=int, default=3)
    parser.add_argument("--results", type=Path, help="add the rows to the layout-lab tables of this file")
    parser.add_argument("--json", type=Path, help="also write the lab's report as JSON here")
    args = parser.parse_args()
    index_set = topology_index_set(load_topology(ROOT / "topology" / "local.yaml"), "messages-standard")
    root = Path(tempfile.mkdtemp(prefix="bench-layout-"))
    text = (f"name: bench\ndeploy: {{base_port: {free_port_block(4)}}}\nstorage: {{wiredtiger_cache: 256MB}}\n"
            "replica_set: {name: rs0, members: 1}\n")
    cluster = Cluster(parse_topology(text, str(root / "bench.yaml")), state_root=root / "state")
    revision = commit()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a kill still drops the lab's copies and the cluster
    try:
        cluster.up()
        with cluster.client() as client:
            seconds = load(client, args.documents)
            print(f"loaded {args.documents:,} messages in {seconds:.0f} s", flush=True)
            with LoadAverage() as load_average:
                report = run_layout_lab(client, "bench.messages", index_set=index_set, runs=args.runs,
                                        insert_runs=args.insert_runs, progress=Progress(Console(stderr=True)))
    finally:
        cluster.destroy()
        shutil.rmtree(root, ignore_errors=True)
    print_layout_report(report, Console(width=200))
    data = report.as_dict()
    if args.json:
        args.json.write_text(json.dumps(data, indent=1, default=str))
    print(f"1-minute load average during the lab: {load_average.span()} ({os.cpu_count()} cores)")
    stamp = f"{time.strftime('%Y-%m-%d')} | {revision}"
    if args.results:
        for row in size_rows(data, f"{stamp} | {os.cpu_count()} | {load_average.span()}"):
            record(args.results, SIZES, SETUP.format(documents=args.documents) + SIZES_HEADER, row)
        for row in latency_rows(data, f"{stamp} | {load_average.span()}"):
            record(args.results, LATENCY, LATENCY_HEADER, row)
        for row in claim_rows(data, stamp):
            record(args.results, CLAIMS, CLAIMS_HEADER, row)


if __name__ == "__main__":
    main()
