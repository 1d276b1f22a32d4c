"""Key lab: `analyze` on 1,000,000 messages against two client-side peers, measured in the same runs.

    python benchmarks/bench_keylab_analyze.py [--documents 1000000] [--runs 3] [--results benchmarks/RESULTS.md]

One real single-member replica set (the wheel's mongod 6.0.5, 256 MB WiredTiger
cache) holds messages from shardsmith.workload (text dropped, inserted in time
order). Every contender computes the same five figures for the same three keys
over 4 shards: cardinality, the top values' counts, monotonicity (rank
correlation of the key with _id order on a 50,000-document $sample, as ours),
documents per shard (hashed: the server's hash in 4 equal ranges; ranged:
quantiles of the key) and the share of the latest 10% of inserts on the
hottest shard.

- ours: lab.analyze's aggregation pipelines;
- list peer: the naive client-side analysis: pulls the key fields of every
  document into a Python list, then counts;
- streaming peer (the fair one): the same client-side counting over cursors,
  never holding the rows: one pass in key order (sorted by the server) for
  cardinality, top values and the quantile split points, one pass in _id
  order for documents per shard and the latest inserts, and the rank
  correlation on a $sample of the same size as ours.

Each contender runs in a child process so its peak RSS is its own; the mongod's
RSS is sampled during each run. Runs interleave the contenders, the order
rotating each run. All five figures must agree with ours in every run
(cardinality, top counts, per-shard counts and hotspot exactly; the sampled
rank correlation within about four standard errors: 0.027 at 1M documents).
Ratios are ours / peer (lower is better).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for tests.conftest's port finder
from benchmarks.one_mongod import one_member_set  # noqa: E402
from benchmarks.results import interleave, record, spread, table_header, table_row  # noqa: E402

KEYS = ["{sessionId: hashed}", "{timestamp: 1}", "{user_id: 1, timestamp: 1}"]
SHARDS = 4
RECENT = 0.10
SECTION = "## Key lab: analyze vs a client-side peer"

OURS = """
import json, resource, sys, time
from pymongo import MongoClient
from shardsmith.keylab import analyze, parse_key
coll = MongoClient(sys.argv[1])["bench"]["messages"]
started = time.monotonic()
report = analyze(coll, [parse_key(k) for k in json.loads(sys.argv[2])], int(sys.argv[3]), recent_share=float(sys.argv[4]))
print(json.dumps({"seconds": time.monotonic() - started, "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "figures": [{"cardinality": k.cardinality, "top": [t["docs"] for t in k.most_common],
                               "rho": k.monotonicity["coefficient"], "distribution": [r["docs"] for r in k.distribution],
                               "hotspot": k.hotspot["share"]} for k in report.keys]}))
"""

# What both client-side peers share: the key's fields, the rank correlation of a sample, the figures' shape.
PEER_COMMON = """
import bisect, heapq, json, math, resource, sys, time
from collections import Counter
from pymongo import MongoClient
from shardsmith.keylab import parse_key
coll = MongoClient(sys.argv[1])["bench"]["messages"]
shards, recent = int(sys.argv[3]), float(sys.argv[4])
keys = [parse_key(k) for k in json.loads(sys.argv[2])]
MONO_SAMPLE = min(50_000, max(1_000, coll.estimated_document_count() // 25))

def projection(key):
    fields = {"_id": 1, **{n: 1 for n in key.names}}
    if key.hashed_prefix:
        fields["h"] = {"$toHashedIndexKey": "$" + key.names[0]}
    return fields

def value(key, row):
    return tuple(row.get(n) for n in key.names)

def place(key, row):
    return row["h"] if key.hashed_prefix else value(key, row)

def hashed_splits():
    return [-2**63 + i * 2**64 // shards for i in range(1, shards)]

def rank_correlation(key):
    \"\"\"Spearman's rho of the key's placement against _id order, on a $sample (as ours: x by _id, y competition rank).\"\"\"
    rows = list(coll.aggregate([{"$sample": {"size": MONO_SAMPLE}}, {"$project": projection(key)}]))
    rows.sort(key=lambda r: r["_id"])
    placed = [place(key, r) for r in rows]
    order = sorted(placed)
    ys = [bisect.bisect_left(order, p) + 1 for p in placed]
    n = len(ys); xs = range(1, n + 1)
    mx, my = (n + 1) / 2, sum(ys) / n
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    var = sum((x - mx) ** 2 for x in xs) * sum((y - my) ** 2 for y in ys)
    return round(cov / math.sqrt(var), 4) if var else 0.0

def done(started, figures):
    print(json.dumps({"seconds": time.monotonic() - started,
                      "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "figures": figures}))
"""

LIST_PEER = PEER_COMMON + """
started = time.monotonic()
figures = []
for key in keys:
    rows = list(coll.find({}, projection(key)).sort("_id", 1))
    values = Counter(value(key, r) for r in rows)
    placed = [place(key, r) for r in rows]
    if key.hashed_prefix:
        splits = hashed_splits()
    else:
        ordered = sorted(placed)
        splits = sorted({ordered[i * len(ordered) // shards] for i in range(1, shards)})
    chunk = [bisect.bisect_right(splits, p) for p in placed]
    per_shard = Counter(chunk)
    latest = Counter(chunk[-max(1, math.ceil(recent * len(chunk))):])
    top = sorted(values.values(), reverse=True)[:5]
    figures.append({"cardinality": len(values), "top": top, "rho": rank_correlation(key),
                    "distribution": [per_shard.get(i, 0) for i in range(shards)],
                    "hotspot": round(max(latest.values()) / sum(latest.values()), 4)})
    del rows, placed, chunk, values
done(started, figures)
"""

STREAM_PEER = PEER_COMMON + """
started = time.monotonic()
total = coll.count_documents({})
figures = []
for key in keys:
    # pass 1, in key order (the server sorts): distinct values, the largest runs, the quantile split points
    sort = [(n, 1) for n in key.names]
    wanted = {i * total // shards for i in range(1, shards)}
    distinct, top, splits, run, last = 0, [], [], 0, object()
    for position, row in enumerate(coll.find({}, projection(key), sort=sort, allow_disk_use=True, batch_size=10_000)):
        current = value(key, row)
        if current != last:
            if run:
                heapq.heappush(top, run) if len(top) < 5 else heapq.heappushpop(top, run)
            distinct, run, last = distinct + 1, 0, current
        run += 1
        if position in wanted and not key.hashed_prefix and (not splits or splits[-1] != current):
            splits.append(current)
    if run:
        heapq.heappush(top, run) if len(top) < 5 else heapq.heappushpop(top, run)
    if key.hashed_prefix:
        splits = hashed_splits()
    # pass 2, in insertion (_id) order: documents per shard, and where the latest inserts land
    per_shard, latest = [0] * shards, [0] * shards
    first_recent = total - max(1, math.ceil(recent * total))
    for position, row in enumerate(coll.find({}, projection(key), sort=[("_id", 1)], batch_size=10_000)):
        chunk = bisect.bisect_right(splits, place(key, row))
        per_shard[chunk] += 1
        if position >= first_recent:
            latest[chunk] += 1
    figures.append({"cardinality": distinct, "top": sorted(top, reverse=True), "rho": rank_correlation(key),
                    "distribution": per_shard, "hotspot": round(max(latest) / sum(latest), 4)})
done(started, figures)
"""
CONTENDERS = {"ours": OURS, "list peer": LIST_PEER, "streaming peer": STREAM_PEER}


def rho_tolerance(documents: int) -> float:
    """How far two rank correlations on independent samples of the same size may differ: about four standard
    errors of their difference (each about 1/sqrt(n)); 0.027 for the 50,000-document sample of 1M documents."""
    return 6 / math.sqrt(min(50_000, max(1_000, documents // 25)))


class PeakRss:
    """Samples a process's RSS in the background; .peak is the highest seen (bytes)."""

    def __init__(self, pid: int):
        self.process, self.peak, self._stop = psutil.Process(pid), 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.1)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def load(client, documents: int) -> None:
    """Generated messages without their text, inserted in batches, then rewritten server-side in time order
    (fresh ObjectIds in that order, as a live application's inserts would have)."""
    from shardsmith.workload.generator import generate_messages

    db = client["bench"]
    db.drop_collection("staging")
    db.drop_collection("messages")
    batch = []
    for doc in generate_messages(documents, months=3, seed=42):
        doc.pop("content", None)
        doc.pop("_id", None)
        batch.append(doc)
        if len(batch) == 10_000:
            db.staging.insert_many(batch, ordered=False)
            batch = []
    if batch:
        db.staging.insert_many(batch, ordered=False)
    db.staging.aggregate([{"$sort": {"timestamp": 1}}, {"$project": {"_id": 0}}, {"$out": "messages"}], allowDiskUse=True)
    db.drop_collection("staging")


def contend(program: str, uri: str, mongod_pid: int) -> dict:
    with PeakRss(mongod_pid) as mongod:
        done = subprocess.run([sys.executable, "-c", program, uri, json.dumps(KEYS), str(SHARDS), str(RECENT)],
                              capture_output=True, text=True, check=True)
    result = json.loads(done.stdout)
    result["mongod_peak_bytes"] = mongod.peak
    return result


COLUMNS = ["documents", "ours s", "list peer s", "streaming peer s", "ours / streaming (per run)",
           "ours / list (per run)", "ours RSS MiB", "list peer RSS MiB", "streaming peer RSS MiB",
           "mongod peak MiB (ours / list / streaming)", "five figures agree"]


def agree(ours: list[dict], theirs: list[dict], tolerance: float) -> bool:
    """Every key's five figures: exact, except the sampled rank correlation (within `tolerance`)."""
    exact = ("cardinality", "top", "distribution", "hotspot")
    return len(ours) == len(theirs) and all(
        all(a[f] == b[f] for f in exact) and abs(a["rho"] - b["rho"]) <= tolerance for a, b in zip(ours, theirs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--results", type=Path, help="add a results row under the key-lab heading of this file")
    args = parser.parse_args()
    with one_member_set("benchkeylab", cache="256MB") as cluster:
        uri = cluster.uri()
        pid = next(s.pid for s in cluster.status() if s.pid)
        started = time.monotonic()
        with cluster.client() as client:
            load(client, args.documents)
        print(f"loaded {args.documents} documents in {time.monotonic() - started:.0f}s", flush=True)
        trials = interleave({name: (lambda program=program: contend(program, uri, pid))
                             for name, program in CONTENDERS.items()}, args.runs)
    ours = trials.of("ours", "figures")
    tolerance = rho_tolerance(args.documents)
    agreed = {name: all(agree(a, b, tolerance) for a, b in zip(ours, trials.of(name, "figures"))) for name in CONTENDERS}
    for name in CONTENDERS:
        print(f"{name}: {trials.of(name, 'figures')[-1]}")
    mib = 1024 * 1024
    cells = [f"{args.documents:,}", *(spread(trials.of(name, "seconds"), "{:.1f}") for name in CONTENDERS),
             spread(trials.ratios("ours", "streaming peer", "seconds"), "{:.2f}x"),
             spread(trials.ratios("ours", "list peer", "seconds"), "{:.2f}x"),
             *(spread([kib / 1024 for kib in trials.of(name, "rss_kib")], "{:.0f}") for name in CONTENDERS),
             " / ".join(f"{statistics.median(trials.of(name, 'mongod_peak_bytes')) / mib:.0f}" for name in CONTENDERS),
             "yes" if all(agreed.values()) else "NO: " + ", ".join(n for n, ok in agreed.items() if not ok)]
    print(dict(zip(COLUMNS, cells)))
    if args.results:
        record(args.results, SECTION, table_header(COLUMNS), table_row(args.runs, cells, trials.load_note()))
    if not all(agreed.values()):
        raise SystemExit("the contenders' figures differ: see above")


if __name__ == "__main__":
    main()
