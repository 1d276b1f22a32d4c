"""Rolling collections against their peers, on one real mongod, runs interleaved, medians compared.

1. bulk insert: RollingCollections.insert_many (routed, months created on
   demand with the index set) vs plain insert_many into one collection that
   already has the same index set. Same pre-generated messages, same batches,
   majority write concern for both. Target: ratio >= 0.9.
2. page 100 (limit 50, newest first) of a 24-month range: ours (the month
   walk, and the server-side $unionWith merge) vs the design notes' algorithm
   (fetch skip+limit from every month, sort in the client). Target: >= 10x.
3. data.load throughput: generation plus rolling writes, as `inv data.load` runs it.

    python benchmarks/bench_rolling.py [--messages 200000] [--page-messages 480000] [--runs 3]
                                       [--parts insert,page,load] [--tiebreak-index] [--text-index]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

from pymongo import DESCENDING, WriteConcern

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import free_port_block  # noqa: E402  (the tests' free-port finder)
from results import record  # noqa: E402  (benchmarks/results.py)

from shardsmith.cluster import Cluster  # noqa: E402
from shardsmith.dataplan.indexes import wanted_document  # noqa: E402
from shardsmith.rolling import RollingCollections  # noqa: E402
from shardsmith.topology import load_topology, parse_topology  # noqa: E402
from shardsmith.topology.model import IndexSpec  # noqa: E402
from shardsmith.workload import generate_messages  # noqa: E402
from shardsmith.workload.load import RollingSink, load_messages  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MAJORITY = WriteConcern("majority")
BATCH = 5000


def index_set(with_text: bool):
    indexes = load_topology(str(ROOT / "topology/local.yaml")).index_set("messages-standard")
    return tuple(i for i in indexes if with_text or "text" not in dict(i.keys).values())


def timed(work) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began


def bench_insert(client, messages, indexes, runs):
    """Seconds per run for (rolling, single collection), alternating which goes first."""
    db = client.bench_insert

    def rolling():
        target = RollingCollections(db, "messages", indexes=indexes)
        for i in range(0, len(messages), BATCH):
            target.insert_many([dict(m) for m in messages[i:i + BATCH]])

    def single():
        collection = db.get_collection("single", write_concern=MAJORITY)
        db.command({"createIndexes": "single", "indexes": [wanted_document(i) for i in indexes]})
        for i in range(0, len(messages), BATCH):
            collection.insert_many([dict(m) for m in messages[i:i + BATCH]], ordered=False)

    times = {"rolling": [], "single": []}
    for run in range(runs):
        order = [("rolling", rolling), ("single", single)][:: 1 if run % 2 == 0 else -1]
        for name, work in order:
            client.drop_database(db.name)
            times[name].append(timed(work))
    client.drop_database(db.name)
    return times


def seeds_page(db, names, skip, limit):
    """The design notes' find_messages: skip+limit from every month, merged and cut in the client."""
    found = []
    for name in names:
        found.extend(db[name].find({}).sort("timestamp", DESCENDING).limit(skip + limit))
    found.sort(key=lambda d: d["timestamp"], reverse=True)
    return found[skip:skip + limit]


def bench_page(client, count, indexes, runs):
    db = client.bench_page
    client.drop_database(db.name)
    rolling = RollingCollections(db, "messages", indexes=indexes)
    load_messages(RollingSink(rolling), count, months=24, seed=1, start=datetime(2023, 1, 1), batch_size=BATCH)
    names = rolling.months()
    skip, limit = 99 * 50, 50
    ours = rolling.find(None, "2023-01-01T00:00:00Z", "2025-01-01T00:00:00Z", sort=-1, skip=skip, limit=limit)
    theirs = seeds_page(db, names, skip, limit)
    agree = [d["timestamp"] for d in ours] == [d["timestamp"] for d in theirs]
    ways = {
        "month walk": lambda: rolling.find(None, "2023-01-01T00:00:00Z", "2025-01-01T00:00:00Z", sort=-1,
                                           skip=skip, limit=limit),
        "$unionWith merge": lambda: rolling.find(None, "2023-01-01T00:00:00Z", "2025-01-01T00:00:00Z", sort=-1,
                                                 skip=skip, limit=limit, strategy="union"),
        "seeds": lambda: seeds_page(db, names, skip, limit),
    }
    times = {name: [] for name in ways}
    for run in range(runs):
        for name, work in list(ways.items())[:: 1 if run % 2 == 0 else -1]:
            times[name].append(timed(work))
    client.drop_database(db.name)
    return times, agree, len(names)


def bench_load(client, count, indexes):
    db = client.bench_load
    client.drop_database(db.name)
    result = load_messages(RollingSink(RollingCollections(db, "messages", indexes=indexes)), count, months=6,
                           seed=7, batch_size=BATCH)
    client.drop_database(db.name)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000, help="messages for the insert and load runs")
    parser.add_argument("--page-messages", type=int, default=480_000, help="messages over 24 months for paging")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--text-index", action="store_true", help="keep the set's $** text index (slow inserts)")
    parser.add_argument("--tiebreak-index", action="store_true", help="add {timestamp: -1, _id: -1} to the set")
    parser.add_argument("--results", type=Path, help="append the ratios to this RESULTS.md")
    parser.add_argument("--parts", default="insert,page,load", help="which comparisons to run (comma-separated)")
    args = parser.parse_args()
    indexes = index_set(args.text_index)
    if args.tiebreak_index:
        indexes += (IndexSpec(keys=(("timestamp", -1), ("_id", -1))),)
    print(f"index set: messages-standard ({len(indexes)} indexes{'' if args.text_index else ', text index left out'})")
    with tempfile.TemporaryDirectory(prefix="bench-rolling-") as state:
        spec = (f"name: benchrolling\ndeploy: {{base_port: {free_port_block(4)}}}\n"
                "storage: {wiredtiger_cache: 1GB}\nreplica_set: {name: rs0, members: 1}\n")
        cluster = Cluster(parse_topology(spec, f"{state}/bench.yaml"), state_root=Path(state) / "state")
        try:
            cluster.up()
            client = cluster.client()
            parts = set(args.parts.split(","))
            if "insert" in parts:
                report_inserts(bench_insert(client, list(generate_messages(args.messages, 6, seed=3)), indexes,
                                            args.runs), args.messages, args.results)
            if "page" in parts:
                report_pages(*bench_page(client, args.page_messages, indexes, args.runs), args.page_messages,
                             args.results)
            if "load" in parts:
                load = bench_load(client, args.messages, indexes)
                print(f"\ndata.load of {load.messages:,} messages (generation + rolling writes): "
                      f"{load.seconds:.1f}s, {load.docs_per_second:,.0f} docs/s")
        finally:
            cluster.destroy()


def runs_text(times) -> str:
    return ", ".join(f"{t:.2f}" for t in times)


def report_inserts(inserts, count, results=None) -> None:
    median = {name: statistics.median(t) for name, t in inserts.items()}
    print(f"\n| bulk insert of {count:,} messages | median s | docs/s | runs (s) |\n| --- | --- | --- | --- |")
    for name in ("rolling", "single"):
        print(f"| {name} | {median[name]:.2f} | {count / median[name]:,.0f} | {runs_text(inserts[name])} |")
    ratio = median["single"] / median["rolling"]
    print(f"\nthroughput ratio rolling/single: {ratio:.2f} (target >= 0.9)")
    if results:
        record(results, "## Rolling collections: bulk insert vs one collection",
               "| date | messages | runs | rolling docs/s (median) | one collection docs/s (median) | ratio |\n"
               "| --- | --- | --- | --- | --- | --- |\n",
               f"| {date.today()} | {count:,} | {len(inserts['rolling'])} | {count / median['rolling']:,.0f} | "
               f"{count / median['single']:,.0f} | {ratio:.2f} |")


def report_pages(pages, agree, months, count, results=None) -> None:
    median = {name: statistics.median(t) for name, t in pages.items()}
    print(f"\n| page 100 (limit 50) of {months} months, {count:,} messages | median ms | runs (s) |\n| --- | --- | --- |")
    for name in ("month walk", "$unionWith merge", "seeds"):
        print(f"| {name} | {median[name] * 1000:.1f} | {runs_text(pages[name])} |")
    print(f"\nspeed-up over the seeds: month walk {median['seeds'] / median['month walk']:.1f}x, "
          f"$unionWith {median['seeds'] / median['$unionWith merge']:.1f}x (target >= 10x); same timestamps: {agree}")
    if results:
        record(results, "## Rolling collections: page 100 of 24 months vs the seeds' algorithm",
               "| date | messages | runs | month walk ms | $unionWith ms | seeds ms | speed-up |\n"
               "| --- | --- | --- | --- | --- | --- | --- |\n",
               f"| {date.today()} | {count:,} | {len(pages['seeds'])} | {median['month walk'] * 1000:.1f} | "
               f"{median['$unionWith merge'] * 1000:.1f} | {median['seeds'] * 1000:.1f} | "
               f"{median['seeds'] / median['month walk']:.1f}x |")


if __name__ == "__main__":
    main()
