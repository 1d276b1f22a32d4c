"""Tier migration memory: ours (exact-once, checkpointed batches) vs the design notes' hot -> warm move.

The same N generated messages are loaded into the hot collection before each
run; each migration runs in its own process and its peak RSS is read from the
kernel (wait4 ru_maxrss). Ours runs the whole lifecycle of topology/local.yaml's
tier (hot 7d -> warm time-series 90d -> cold monthly); the peer is the seeds'
`migrate_to_warm` (find().to_list(), insert_many, delete_many: hot -> warm only).
Target: ours under 200 MB at 1,000,000 messages.

    python benchmarks/bench_tiers.py [--messages 1000000] [--batch-size 1000] [--skip-peer] [--results benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from results import record  # noqa: E402  (benchmarks/results.py)
from tests.conftest import free_port_block  # noqa: E402

SECTION = "## Tier migration: peak RSS, ours vs the design notes' in-memory move"
HEADER = ("| messages | ours: peak RSS | ours: time (hot->warm->cold) | seeds: peak RSS | seeds: time (hot->warm only) "
          "| RSS ratio | target < 200 MB |\n| --- | --- | --- | --- | --- | --- | --- |")

NOW = datetime(2024, 7, 1, tzinfo=timezone.utc)
SPEC = """
name: bench-tiers
deploy: {{base_port: {port}}}
storage: {{wiredtiger_cache: 1GB}}
replica_set: {{name: rs0, members: 1}}
databases:
  bench:
    collections:
      messages_timeseries:
        timeseries: {{time_field: timestamp, meta_field: metadata, granularity: minutes}}
    rolling:
      messages: {{period: monthly, indexes: cold}}
    tiers:
      messages:
        hot: {{collection: messages_current, keep: 7d}}
        warm: {{collection: messages_timeseries, keep: 90d}}
        cold: {{rolling: messages}}
index_sets:
  cold:   # messages-standard without its text index (which would dominate the time, not the memory)
    - {{keys: {{uuid: 1}}, unique: true}}
    - {{keys: {{sessionId: 1, timestamp: 1}}}}
    - {{keys: {{timestamp: -1}}}}
    - {{keys: {{user_id: 1, timestamp: -1}}}}
"""


def load_hot(uri: str, count: int) -> None:
    from pymongo import MongoClient, WriteConcern

    from shardsmith.archive.idempotent import batched
    from shardsmith.workload import generate_messages

    client = MongoClient(uri)
    client.drop_database("bench")
    db = client.bench
    db.create_collection("messages_timeseries",
                         timeseries={"timeField": "timestamp", "metaField": "metadata", "granularity": "minutes"})
    hot = db.get_collection("messages_current", write_concern=WriteConcern("majority"))
    hot.create_index([("timestamp", -1)])
    for batch in batched(generate_messages(count, 6, 11, start=datetime(2024, 1, 1)), 5000):
        hot.insert_many(batch)
    client.close()


def child(kind: str, uri: str, spec_path: str, batch_size: str) -> None:
    """Runs in the measured process."""
    from pymongo import MongoClient

    db = MongoClient(uri).bench
    if kind == "ours":
        from shardsmith.topology import load_topology
        from shardsmith.tiers import run_tier

        topology = load_topology(spec_path)
        [(_, tier)] = topology.tier_specs("bench")
        results = run_tier(db, topology, tier, now=NOW, batch_size=int(batch_size))
        print(" ".join(f"{r.source}->{r.target}:{r.moved}" for r in results))
    else:  # the design notes' migrate_to_warm, synchronously
        cutoff = NOW - timedelta(days=7)
        messages = list(db.messages_current.find({"timestamp": {"$lt": cutoff}}))
        if messages:
            db.messages_timeseries.insert_many(messages)
            db.messages_current.delete_many({"timestamp": {"$lt": cutoff}})
        print(f"messages_current->messages_timeseries:{len(messages)}")


def measured(kind: str, uri: str, spec_path: str, batch_size: int) -> tuple[float, float, str]:
    """(peak RSS in MB, seconds, what it printed) of one migration process."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, __file__, "--child", kind, uri, spec_path, str(batch_size)], stdout=subprocess.PIPE,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    output = process.stdout.read().decode().strip()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{kind} migration failed ({process.returncode})")
    return usage.ru_maxrss / 1024, time.perf_counter() - started, output


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--skip-peer", action="store_true", help="measure only ours")
    parser.add_argument("--batch-size", type=int, default=1000, help="our batch size")
    parser.add_argument("--results", type=Path, help="append the row to this RESULTS.md")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    from shardsmith.cluster import Cluster
    from shardsmith.topology import parse_topology

    with tempfile.TemporaryDirectory(prefix="bench-tiers-") as state:
        spec_path = Path(state) / "bench.yaml"
        spec_path.write_text(SPEC.format(port=free_port_block(4)))
        cluster = Cluster(parse_topology(spec_path.read_text(), str(spec_path)), state_root=Path(state) / "state")
        try:
            cluster.up()
            uri, rows = cluster.uri(), []
            for kind in ("ours",) if args.skip_peer else ("ours", "seeds"):
                began = time.perf_counter()
                load_hot(uri, args.messages)
                print(f"loaded {args.messages:,} messages into hot in {time.perf_counter() - began:.0f}s", flush=True)
                rss, seconds, output = measured(kind, uri, str(spec_path), args.batch_size)
                rows.append((kind, rss, seconds, output))
                print(f"{kind}: peak RSS {rss:.0f} MB, {seconds:.0f}s, {output}", flush=True)
            print(f"\n| messages | migration | peak RSS | time | moved |\n| --- | --- | --- | --- | --- |")
            for kind, rss, seconds, output in rows:
                print(f"| {args.messages:,} | {kind} | {rss:.0f} MB | {seconds:.0f} s | {output} |")
            if len(rows) == 2:
                (_, ours, ours_s, _), (_, seeds, seeds_s, _) = rows
                verdict = "met" if ours < 200 else "NOT met"
                print(f"\nRSS ratio ours/seeds: {ours / seeds:.3f}; target: ours < 200 MB ({verdict})")
                if args.results:
                    record(args.results, SECTION, HEADER, f"| {args.messages:,} | {ours:.0f} MB | {ours_s:.0f} s | "
                           f"{seeds:.0f} MB | {seeds_s:.0f} s | {ours / seeds:.3f} | {verdict} |")
        finally:
            cluster.destroy()


if __name__ == "__main__":
    main()
