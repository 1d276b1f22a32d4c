"""Tier migration, hot -> warm -> cold: ours (exact-once, checkpointed batches) vs the design notes' prototype.

The peer is the design notes' prototype (seeds: TieredMessageService):
`migrate_to_warm` as written there (find().to_list() of the hot documents
older than 7 days, insert_many into the time-series collection, delete_many
from hot), and `archive_to_cold`, a stub in the notes ("move to
date-partitioned collections with minimal indexes"), completed in the same
in-memory style: the whole warm tier read with find().to_list(), the
documents older than 90 days inserted into messages_archive_YYYY_MM (created
with the same index set as our cold months), and the warm tier emptied and
given back the younger ones (MongoDB 6.0 deletes from a time-series
collection only by metaField, and the prototype's warm documents have none).
So both do the same work: hot -> warm -> cold, the same documents, the same
cold index set. Ours runs the tier of the spec below (hot 7d -> warm
time-series 90d -> cold monthly), in batches of --batch-size.

The same N generated messages are loaded into the hot collection before each
run (not timed); each migration runs in its own process and its peak RSS is
read from the kernel (wait4 ru_maxrss). Runs interleave the two, the order
alternating. Target: ours under 200 MB at 1,000,000 messages.

    python benchmarks/bench_tiers.py [--messages 1000000] [--runs 1] [--batch-size 1000] [--results benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.one_mongod import one_member_set  # noqa: E402
from benchmarks.results import interleave, record, spread, table_header, table_row  # noqa: E402

SECTION = "## Tier migration: peak RSS, ours vs the design notes' in-memory move"
COLUMNS = ["messages", "ours peak RSS MB", "ours s", "prototype peak RSS MB", "prototype s", "RSS ratio (per run)",
           "moved (ours / prototype)", "target < 200 MB"]
COLD_CUTOFF_DAYS, WARM_CUTOFF_DAYS = 90, 7

NOW = datetime(2024, 7, 1, tzinfo=timezone.utc)
DATA_PLAN = """databases:
  bench:
    collections:
      messages_timeseries:
        timeseries: {time_field: timestamp, meta_field: metadata, granularity: minutes}
    rolling:
      messages: {period: monthly, indexes: cold}
    tiers:
      messages:
        hot: {collection: messages_current, keep: 7d}
        warm: {collection: messages_timeseries, keep: 90d}
        cold: {rolling: messages}
index_sets:
  cold:   # messages-standard without its text index (which would dominate the time, not the memory)
    - {keys: {uuid: 1}, unique: true}
    - {keys: {sessionId: 1, timestamp: 1}}
    - {keys: {timestamp: -1}}
    - {keys: {user_id: 1, timestamp: -1}}
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
    """Runs in the measured process; prints what it moved."""
    from pymongo import MongoClient

    db = MongoClient(uri).bench
    if kind == "ours":
        from shardsmith.tiers import run_tier
        from shardsmith.topology import load_topology

        topology = load_topology(spec_path)
        [(_, tier)] = topology.tier_specs("bench")
        results = run_tier(db, topology, tier, now=NOW, batch_size=int(batch_size))
        print(" ".join(f"{r.source}->{r.target}:{r.moved}" for r in results))
    else:
        warm, cold = prototype_to_warm(db), prototype_to_cold(db, spec_path)
        print(f"messages_current->messages_timeseries:{warm} messages_timeseries->messages_archive:{cold}")


def prototype_to_warm(db) -> int:
    """The design notes' migrate_to_warm, synchronously."""
    cutoff = NOW - timedelta(days=WARM_CUTOFF_DAYS)
    messages = list(db.messages_current.find({"timestamp": {"$lt": cutoff}}))
    if messages:
        db.messages_timeseries.insert_many(messages)
        db.messages_current.delete_many({"timestamp": {"$lt": cutoff}})
    return len(messages)


def prototype_to_cold(db, spec_path: str) -> int:
    """The notes' archive_to_cold stub, completed in migrate_to_warm's style (see the module docstring)."""
    from shardsmith.dataplan.indexes import wanted_document
    from shardsmith.rolling.naming import collection_for
    from shardsmith.topology import load_topology

    cold_indexes = [wanted_document(i) for i in load_topology(spec_path).index_set("cold")]
    cutoff = NOW - timedelta(days=COLD_CUTOFF_DAYS)
    old = list(db.messages_timeseries.find({"timestamp": {"$lt": cutoff}}))
    young = list(db.messages_timeseries.find({"timestamp": {"$gte": cutoff}}))
    by_month: dict[str, list] = {}
    for message in old:
        by_month.setdefault(collection_for("messages_archive", message["timestamp"]), []).append(message)
    for name, batch in by_month.items():
        db.command({"createIndexes": name, "indexes": cold_indexes})
        db[name].insert_many(batch)
    if old:
        db.messages_timeseries.delete_many({})
        if young:
            db.messages_timeseries.insert_many(young)
    return len(old)


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
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=1000, help="our batch size")
    parser.add_argument("--results", type=Path, help="add the row to this RESULTS.md")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with one_member_set("benchtiers", body=DATA_PLAN) as cluster:
        uri, spec_path = cluster.uri(), cluster.topology.source

        def contender(kind):
            def run():
                began = time.perf_counter()
                load_hot(uri, args.messages)
                print(f"loaded {args.messages:,} messages into hot in {time.perf_counter() - began:.0f}s", flush=True)
                rss, seconds, output = measured(kind, uri, str(spec_path), args.batch_size)
                return {"rss": rss, "seconds": seconds, "moved": output}
            return run

        trials = interleave({"ours": contender("ours"), "prototype": contender("seeds")}, args.runs)
    ours_rss = trials.of("ours", "rss")
    verdict = "met" if max(ours_rss) < 200 else "NOT met"
    moved = [f"{_moved(o)} / {_moved(p)}" for o, p in zip(trials.of("ours", "moved"), trials.of("prototype", "moved"))]
    cells = [f"{args.messages:,}", spread(ours_rss, "{:.0f}"), spread(trials.of("ours", "seconds"), "{:.0f}"),
             spread(trials.of("prototype", "rss"), "{:.0f}"), spread(trials.of("prototype", "seconds"), "{:.0f}"),
             spread(trials.ratios("ours", "prototype", "rss"), "{:.3f}"), "; ".join(moved), verdict]
    print(dict(zip(COLUMNS, cells)))
    if args.results:
        record(args.results, SECTION, table_header(COLUMNS), table_row(args.runs, cells, trials.load_note()))


def _moved(output: str) -> str:
    """'a->b:N c->d:M' as 'N -> M': documents moved to warm, then to cold."""
    return " -> ".join(f"{int(part.rsplit(':', 1)[1]):,}" for part in output.split())


if __name__ == "__main__":
    main()
