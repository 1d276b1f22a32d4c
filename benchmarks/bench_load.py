"""`data.load` against plain insert_many of the same documents into the same collections with the same indexes.

    python benchmarks/bench_load.py [--messages 200000] [--months 14] [--runs 3] [--breakdown]
                                    [--results benchmarks/RESULTS.md]

One real single-member replica set (the wheel's mongod 6.0.5, 1 GB WiredTiger
cache), the shipped index set (topology/local.yaml's messages-standard).
Ours: shardsmith.workload.load.load_messages through the rolling collections,
exactly as `data.load` runs it (generation, month routing, month collections
created on demand with the index set, majority writes). Peer: the same
messages generated beforehand (not timed), cut into the same batches and
grouped by month beforehand (not timed), then collection.insert_many(batch,
ordered=False) per month collection, one after the other, into month
collections that already exist with the same index set, majority writes.
Each contender starts on an empty database. Target: ours >= 0.8x the peer's
throughput (per-run ratio of docs/s). The mongod's CPU seconds during each
contender are given too: the server's work, which other processes' load on a
shared machine moves less than wall time.

--breakdown prints (and with --results records) where ours spends its time:
generating the messages alone, encoding them to BSON alone, the whole load
with the CPU seconds of this process and of mongod during it, and the same
load without the set's text index.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import bson
import psutil
from pymongo import WriteConcern

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.one_mongod import one_member_set  # noqa: E402
from benchmarks.results import interleave, record, spread, table_header, table_row  # noqa: E402

SECTION = "## Data load: `data.load` vs plain insert_many"
COLUMNS = ["messages (months)", "indexes", "data.load docs/s", "insert_many docs/s", "ratio (per run)", "target >= 0.8x",
           "mongod CPU s (data.load / insert_many, median)"]
BREAKDOWN_SECTION = "## Data load: where `data.load` spends its time"
BREAKDOWN_COLUMNS = ["messages (months)", "generate only s", "BSON encode only s", "load s", "client CPU s",
                     "mongod CPU s", "load without the text index s"]
BATCH = 5000
MAJORITY = WriteConcern("majority")


def shipped_index_set() -> tuple:
    from shardsmith.topology import load_topology

    return load_topology(ROOT / "topology/local.yaml").index_set("messages-standard")


def fresh(client, name: str):
    client.drop_database(name)
    return client[name]


def ours(client, count: int, months: int, indexes, mongod) -> dict:
    run = load_once(client, count, months, indexes, mongod)
    return {"docs_per_second": count / run["seconds"], "mongod_cpu": run["mongod_cpu"]}


def peer_batches(count: int, months: int) -> list[list[tuple[str, list]]]:
    """The same messages, cut into the same batches, each grouped by its month collection."""
    from shardsmith.rolling.naming import collection_for
    from shardsmith.workload import generate_messages

    messages = list(generate_messages(count, months, seed=7))
    batches = []
    for start in range(0, count, BATCH):
        groups: dict[str, list] = {}
        for message in messages[start:start + BATCH]:
            groups.setdefault(collection_for("messages", message["timestamp"]), []).append(message)
        batches.append(list(groups.items()))
    return batches


def peer(client, batches, indexes, mongod) -> dict:
    from shardsmith.dataplan.indexes import wanted_document

    db = fresh(client, "bench_load")
    names = sorted({name for batch in batches for name, _ in batch})
    for name in names:
        db.command({"createIndexes": name, "indexes": [wanted_document(i) for i in indexes], "writeConcern": {"w": "majority"}})
    collections = {name: db.get_collection(name, write_concern=MAJORITY) for name in names}
    began, cpu = time.perf_counter(), cpu_seconds(mongod)
    written = 0
    for batch in batches:
        for name, documents in batch:
            written += len(collections[name].insert_many(documents, ordered=False).inserted_ids)
    return {"docs_per_second": written / (time.perf_counter() - began), "mongod_cpu": cpu_seconds(mongod) - cpu}


def cpu_seconds(process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def load_once(client, count: int, months: int, indexes, mongod) -> dict:
    """One `data.load` on an empty database: wall seconds, and CPU seconds of this process and of mongod."""
    from shardsmith.rolling import RollingCollections
    from shardsmith.workload.load import RollingSink, load_messages

    db = fresh(client, "bench_load")
    me, before = psutil.Process(), (cpu_seconds(psutil.Process()), cpu_seconds(mongod))
    result = load_messages(RollingSink(RollingCollections(db, "messages", indexes=indexes)), count, months=months,
                           seed=7, batch_size=BATCH)
    return {"seconds": result.seconds, "client_cpu": cpu_seconds(me) - before[0], "mongod_cpu": cpu_seconds(mongod) - before[1]}


def breakdown(client, count: int, months: int, indexes, mongod) -> dict:
    """Generation alone, BSON encoding alone, the load (with CPU split), and the load without the text index."""
    from shardsmith.workload import generate_messages

    began = time.perf_counter()
    messages = list(generate_messages(count, months, seed=7))
    generate = time.perf_counter() - began
    began = time.perf_counter()
    for message in messages:
        bson.encode(message)
    encode = time.perf_counter() - began
    del messages
    whole = load_once(client, count, months, indexes, mongod)
    without_text = [i for i in indexes if "text" not in dict(i.keys).values()]
    bare = load_once(client, count, months, without_text, mongod)
    return {"generate": generate, "encode": encode, **whole, "without_text": bare["seconds"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--months", type=int, default=14)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--breakdown", action="store_true", help="also time generation, encoding and the whole load")
    parser.add_argument("--results", type=Path, help="add the rows to this RESULTS.md")
    args = parser.parse_args()
    indexes = shipped_index_set()
    with one_member_set("benchload") as cluster:
        client = cluster.client()
        mongod = psutil.Process(next(s.pid for s in cluster.status() if s.pid))
        batches = peer_batches(args.messages, args.months)
        trials = interleave({"data.load": lambda: ours(client, args.messages, args.months, indexes, mongod),
                             "insert_many": lambda: peer(client, batches, indexes, mongod)}, args.runs)
        parts = breakdown(client, args.messages, args.months, indexes, mongod) if args.breakdown else None
    ratios = trials.ratios("data.load", "insert_many", "docs_per_second")
    met = "met" if min(ratios) >= 0.8 else ("median met" if statistics.median(ratios) >= 0.8 else "NOT met")
    cpu = " / ".join(f"{statistics.median(trials.of(name, 'mongod_cpu')):.0f}" for name in ("data.load", "insert_many"))
    cells = [f"{args.messages:,} ({args.months})", f"messages-standard ({len(indexes)})",
             spread(trials.of("data.load", "docs_per_second"), "{:,.0f}"),
             spread(trials.of("insert_many", "docs_per_second"), "{:,.0f}"), spread(ratios, "{:.2f}x"), met, cpu]
    print(f"\n{dict(zip(COLUMNS, cells))}")
    if args.results:
        record(args.results, SECTION, table_header(COLUMNS), table_row(args.runs, cells, trials.load_note()))
    if parts:
        print(f"breakdown: {parts}")
        if args.results:
            record(args.results, BREAKDOWN_SECTION, table_header(BREAKDOWN_COLUMNS),
                   table_row(1, [f"{args.messages:,} ({args.months})",
                                 *(f"{parts[k]:.1f}" for k in ("generate", "encode", "seconds", "client_cpu",
                                                               "mongod_cpu", "without_text"))],
                             f"load {os.getloadavg()[0]:.1f} after"))


if __name__ == "__main__":
    main()
