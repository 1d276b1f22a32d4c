"""Live migration: ours (shardsmith.migrate start: checks, snapshot batches, write-ahead batch records) vs a
plain batch copy (find + insert_many into the same target) in the same run, and the 200,000-message live check.

Copy mode (default): N generated messages are loaded once into bench.messages (indexed by session and
time, as an application would). Each run, for each target (a time-series collection with metaField
sessionId, or monthly rolling collections with a 3-index set), measures in its own process:
- ours: `shardsmith.migrate.start` (the checks' full scan, target creation, resume token, the copy);
- peer: the plain copy, find() streamed in batches of --batch and insert_many(ordered=False) into the
  same target, created the same way (time-series options and index set; months through the rolling API).
The target, the migration's records and the source's pre-images option are reset before each (not timed).
Peak RSS is the child's: the kernel's (wait4 ru_maxrss, which includes the imports' own peak), and in
brackets the largest resident set sampled every 20 ms while copying. Runs interleave the two, the order
alternating.

Live mode (--live): for each target, N messages, an application writing (inserts, updates, moves across
months and sessions, replaces, deletes) throughout start, follow, verify and cut-over; then every document
of the kept source must be in the target exactly once with equal content (tests/migrate/live.py's check,
independent of the product). The test suite runs this with 20,000 messages; the issue asks for 200,000.

    python benchmarks/bench_migrate.py [--messages 1000000] [--to timeseries rolling] [--runs 1] [--batch 1000] [--results benchmarks/RESULTS.md]
    python benchmarks/bench_migrate.py --live [--messages 200000] [--results benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import datetime
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.results import interleave, record, spread, table_header, table_row  # noqa: E402

COPY_SECTION = "## Live migration: the copy phase, ours vs a plain find + insert_many"
COPY_COLUMNS = ["target", "messages", "ours s", "plain copy s", "time ratio ours/plain (per run)", "ours docs/s",
                "ours peak RSS MB (while copying)", "plain copy peak RSS MB (while copying)"]
LIVE_SECTION = "## Live migration under writes: exactness at 200,000 messages"
LIVE_COLUMNS = ["target", "messages", "writes during the migration", "start s", "follow s", "verify s", "cutover s",
                "exactly once, equal content"]
TARGETS = {"timeseries": "messages_ts", "rolling": "monthly"}
DATA_PLAN = """databases:
  bench:
    collections:
      messages_ts:
        timeseries: {time_field: timestamp, meta_field: sessionId, granularity: minutes}
        indexes: series
    rolling:
      monthly: {period: monthly, indexes: monthly}
index_sets:
  series:
    - {keys: {timestamp: -1}}
  monthly:
    - {keys: {uuid: 1}, unique: true}
    - {keys: {sessionId: 1, timestamp: 1}}
    - {keys: {timestamp: -1}}
"""


def load_source(uri: str, count: int, name: str = "messages") -> None:
    from pymongo import IndexModel, MongoClient, WriteConcern

    from shardsmith.archive.idempotent import batched
    from shardsmith.workload import generate_messages

    client = MongoClient(uri)
    source = client.bench.get_collection(name, write_concern=WriteConcern("majority"))
    source.drop()
    source.create_indexes([IndexModel([("sessionId", 1), ("timestamp", 1)])])
    began = time.perf_counter()
    for batch in batched(generate_messages(count, 3, 11, start=datetime(2024, 1, 1)), 5000):
        source.insert_many(batch)
    print(f"loaded {count:,} messages into bench.{name} in {time.perf_counter() - began:.0f} s", flush=True)
    client.close()


def plan_of(spec_path: str, to: str, source: str = "messages"):
    from shardsmith.migrate import plan_from_topology
    from shardsmith.topology import load_topology

    return plan_from_topology(load_topology(spec_path), f"bench.{source}", to, target=TARGETS[to])


def reset(uri: str, spec_path: str, to: str) -> None:
    """Drop the target and the migration's records, turn the source's pre-images off (not timed)."""
    from pymongo import MongoClient

    from shardsmith.migrate.state import STATE_COLLECTION

    db = MongoClient(uri).bench
    for name in db.list_collection_names():
        if name == TARGETS["timeseries"] or name.startswith(TARGETS["rolling"] + "_") or name == STATE_COLLECTION:
            db.drop_collection(name)
    db.command({"collMod": "messages", "changeStreamPreAndPostImages": {"enabled": False}})
    db.client.close()


class RssSampler:
    """The process's largest resident set while the copy runs (sampled every 20 ms), apart from the
    imports' own peak that the kernel's ru_maxrss also counts."""

    def __init__(self):
        import threading

        import psutil

        self.process, self.peak, self.done = psutil.Process(), 0, threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while not self.done.wait(0.02):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.done.set()
        self.thread.join()


def child(kind: str, uri: str, spec_path: str, to: str, batch: str) -> None:
    """Runs in the measured process; prints how many documents it copied and its peak RSS while copying."""
    from pymongo import MongoClient

    client = MongoClient(uri)
    plan = plan_of(spec_path, to)
    with RssSampler() as sampler:
        copied = copy(kind, client, plan, to, int(batch))
    print(copied, sampler.peak / 2**20)


def copy(kind: str, client, plan, to: str, batch: int) -> int:
    if kind == "ours":
        from shardsmith.migrate import start

        return start(client, plan, batch_size=batch).backfill.copied
    from shardsmith.archive.idempotent import batched
    from shardsmith.rolling import RollingCollections

    db = client.bench
    if to == "timeseries":
        db.create_collection(plan.target, timeseries=plan.timeseries_options())
        db.command({"createIndexes": plan.target, "indexes": plan.index_documents()})
        write = db[plan.target].insert_many
    else:
        write = RollingCollections(db, plan.target, indexes=plan.indexes).insert_many
    copied = 0
    for documents in batched(db.messages.find(batch_size=batch), batch):
        write(documents) if to == "rolling" else write(documents, ordered=False)
        copied += len(documents)
    return copied


def measured(kind: str, uri: str, spec_path: str, to: str, batch: int) -> dict:
    reset(uri, spec_path, to)
    began = time.perf_counter()
    process = subprocess.Popen([sys.executable, __file__, "--child", kind, uri, spec_path, to, str(batch)],
                               stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    output = process.stdout.read().decode().split()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{kind} copy to {to} failed ({os.waitstatus_to_exitcode(status)})")
    return {"seconds": time.perf_counter() - began, "copied": int(output[0]), "copying_rss": float(output[1]),
            "rss": usage.ru_maxrss / 1024}


def copy_mode(args, uri: str, spec_path: str) -> None:
    load_source(uri, args.messages)
    for to in args.to:
        trials = interleave({"ours": partial(measured, "ours", uri, spec_path, to, args.batch),
                             "plain": partial(measured, "plain", uri, spec_path, to, args.batch)}, args.runs)
        ours = trials.of("ours", "seconds")
        cells = [to, f"{args.messages:,}", spread(ours, "{:.1f}"), spread(trials.of("plain", "seconds"), "{:.1f}"),
                 spread(trials.ratios("ours", "plain", "seconds"), "{:.2f}"),
                 spread([args.messages / s for s in ours], "{:,.0f}"), _rss(trials, "ours"), _rss(trials, "plain")]
        print(dict(zip(COPY_COLUMNS, cells)), flush=True)
        if args.results:
            record(args.results, COPY_SECTION, table_header(COPY_COLUMNS), table_row(args.runs, cells,
                                                                                      trials.load_note()))


def _rss(trials, name: str) -> str:
    """The kernel's peak (imports included), and the sampled peak while copying."""
    return f"{spread(trials.of(name, 'rss'), '{:.0f}')} ({spread(trials.of(name, 'copying_rss'), '{:.0f}')})"


def live_mode(args, cluster, spec_path: str) -> None:
    from shardsmith.migrate import cutover, follow, start, verify
    from tests.migrate.data import target_documents
    from tests.migrate.live import LiveWriter, assert_exactly_once

    uri = cluster.uri()
    for to in args.to:
        loads = [os.getloadavg()[0]]
        reset_all(uri)
        load_source(uri, args.messages)
        client, plan = cluster.client(), plan_of(spec_path, to)
        seconds = {}
        with LiveWriter(uri, "bench", "messages", seed=3) as writer:
            for name, phase in (("start", partial(start, client, plan, batch_size=args.batch)),
                                ("follow", partial(follow, client, plan, until_caught_up=True)),
                                ("verify", partial(verify, client, plan)), ("cutover", partial(cutover, client, plan))):
                began = time.perf_counter()
                result = phase()
                seconds[name] = time.perf_counter() - began
                print(f"{to} {name}: {seconds[name]:.1f} s", flush=True)
                if name == "verify" and not result.ok:
                    raise SystemExit(f"verify found differences: {result.summary()}")
                if name == "cutover":
                    kept = result.dated
        loads.append(os.getloadavg()[0])
        assert_exactly_once(client.bench[kept].find(), target_documents(client.bench, to))
        writes = ", ".join(f"{k} {v:,}" for k, v in sorted(writer.counts.items()))
        cells = [to, f"{args.messages:,}", writes] + [f"{seconds[p]:.1f}" for p in ("start", "follow", "verify", "cutover")]
        cells.append(f"yes ({client.bench[kept].estimated_document_count():,} documents)")
        print(dict(zip(LIVE_COLUMNS, cells)), flush=True)
        if args.results:
            record(args.results, LIVE_SECTION, table_header(LIVE_COLUMNS),
                   table_row(1, cells, f"load {min(loads):.1f}-{max(loads):.1f}"))


def reset_all(uri: str) -> None:
    from pymongo import MongoClient

    MongoClient(uri).drop_database("bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int)
    parser.add_argument("--to", nargs="+", choices=sorted(TARGETS), default=["timeseries", "rolling"])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--batch", type=int, default=1000, help="documents per copy batch, both contenders")
    parser.add_argument("--live", action="store_true", help="the live check under writes instead of the copy race")
    parser.add_argument("--results", type=Path, help="add the rows to this RESULTS.md")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    args.messages = args.messages or (200_000 if args.live else 1_000_000)
    from benchmarks.one_mongod import one_member_set

    with one_member_set("benchmigrate", body=DATA_PLAN) as cluster:
        spec_path = str(cluster.topology.source)
        if args.live:
            live_mode(args, cluster, spec_path)
        else:
            copy_mode(args, cluster.uri(), spec_path)


if __name__ == "__main__":
    main()
