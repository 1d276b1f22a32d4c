"""Key lab: `analyze` on 1,000,000 messages against a naive client-side peer, measured in the same run.

    python benchmarks/bench_keylab_analyze.py [--documents 1000000] [--runs 1] [--results benchmarks/RESULTS.md]

One real single-member replica set (the wheel's mongod 6.0.5, 256 MB WiredTiger
cache) holds messages from shardsmith.workload (text dropped, inserted in time
order). Both contenders compute the same figures for the same three keys over 4
shards: cardinality and top values, monotonicity (rank correlation with _id),
documents per shard (hashed: the server's hash in 4 equal ranges; ranged:
quantiles) and the share of the latest 10% of inserts on the hottest shard.
Ours runs them as aggregation pipelines; the peer pulls the key fields (and the
server's hash, through a find projection) into Python and counts there. Each
contender runs in a child process so its peak RSS is its own; the mongod's RSS
is sampled during each run. Ratios are ours / peer.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for tests.conftest's port finder
from benchmarks.results import record  # noqa: E402

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
                  "figures": [[k.cardinality, [r["docs"] for r in k.distribution], k.hotspot["share"]] for k in report.keys]}))
"""

PEER = """
import bisect, json, math, resource, sys, time
from collections import Counter
from pymongo import MongoClient
from shardsmith.keylab import parse_key
coll = MongoClient(sys.argv[1])["bench"]["messages"]
shards, recent = int(sys.argv[3]), float(sys.argv[4])
started = time.monotonic()
figures = []
for key in [parse_key(k) for k in json.loads(sys.argv[2])]:
    projection = {"_id": 1, **{n: 1 for n in key.names}}
    if key.hashed_prefix:
        projection["h"] = {"$toHashedIndexKey": "$" + key.names[0]}
    rows = list(coll.find({}, projection).sort("_id", 1))
    values = Counter(tuple(r.get(n) for n in key.names) for r in rows)
    place = [r["h"] if key.hashed_prefix else tuple(r.get(n) for n in key.names) for r in rows]
    if key.hashed_prefix:
        splits = [-2**63 + i * 2**64 // shards for i in range(1, shards)]
    else:
        ordered = sorted(place)
        splits = sorted({ordered[i * len(ordered) // shards] for i in range(1, shards)})
    chunk = [bisect.bisect_right(splits, p) for p in place]
    per_shard = Counter(chunk)
    ranks = {v: i for i, v in enumerate(sorted(set(place)))}
    ys = [ranks[p] for p in place]
    n = len(ys); mx = (n - 1) / 2; my = sum(ys) / n
    cov = sum((i - mx) * (y - my) for i, y in enumerate(ys))
    rho = cov / math.sqrt(sum((i - mx) ** 2 for i in range(n)) * sum((y - my) ** 2 for y in ys))
    latest = Counter(chunk[-max(1, math.ceil(recent * n)):])
    figures.append([len(values), [per_shard.get(i, 0) for i in range(shards)],
                    round(max(latest.values()) / sum(latest.values()), 4), values.most_common(5), rho])
    del rows, place, chunk, ys, ranks, values
print(json.dumps({"seconds": time.monotonic() - started, "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "figures": [f[:3] for f in figures]}))
"""


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


HEADER = """`python benchmarks/bench_keylab_analyze.py --documents 1000000 --results benchmarks/RESULTS.md`

Three candidate keys ({sessionId: hashed}, {timestamp: 1}, {user_id: 1, timestamp: 1}) over 4 shards on
1,000,000 generated messages (text dropped), one real mongod 6.0.5 with a 256 MB WiredTiger cache. Ours:
lab.analyze's aggregation pipelines. Peer: the same figures computed in Python from the key fields pulled
with find (the server's hash included). Peak RSS of each contender's own process; mongod peak RSS sampled
during each run. Ratios: ours / peer (lower is better).

| date | documents | ours time | peer time | time ratio | ours peak RSS | peer peak RSS | RSS ratio | mongod peak (ours / peer) |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
"""


def main() -> None:
    from shardsmith.cluster import Cluster
    from shardsmith.topology import parse_topology
    from tests.conftest import free_port_block

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--results", type=Path, help="add a results row under the key-lab heading of this file")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-keylab-"))
    text = (f"name: bench\ndeploy: {{base_port: {free_port_block(4)}}}\nstorage: {{wiredtiger_cache: 256MB}}\n"
            "replica_set: {name: rs0, members: 1}\n")
    cluster = Cluster(parse_topology(text, str(root / "bench.yaml")), state_root=root / "state")
    try:
        cluster.up()
        uri = cluster.uri()
        pid = next(s.pid for s in cluster.status() if s.pid)
        started = time.monotonic()
        with cluster.client() as client:
            load(client, args.documents)
        print(f"loaded {args.documents} documents in {time.monotonic() - started:.0f}s", flush=True)
        ours, peer = [], []
        for run in range(args.runs):
            ours.append(contend(OURS, uri, pid))
            peer.append(contend(PEER, uri, pid))
            assert ours[-1]["figures"] == peer[-1]["figures"], (ours[-1]["figures"], peer[-1]["figures"])
            print(f"run {run + 1}: ours {ours[-1]['seconds']:.1f}s {ours[-1]['rss_kib'] / 1024:.0f} MiB; "
                  f"peer {peer[-1]['seconds']:.1f}s {peer[-1]['rss_kib'] / 1024:.0f} MiB", flush=True)
    finally:
        cluster.destroy()

    def median(rows, field):
        return statistics.median(r[field] for r in rows)

    mib = 1024 * 1024
    row = (f"| {time.strftime('%Y-%m-%d')} | {args.documents:,} | {median(ours, 'seconds'):.1f} s | "
           f"{median(peer, 'seconds'):.1f} s | {median(ours, 'seconds') / median(peer, 'seconds'):.2f}x | "
           f"{median(ours, 'rss_kib') / 1024:.0f} MiB | {median(peer, 'rss_kib') / 1024:.0f} MiB | "
           f"{median(ours, 'rss_kib') / median(peer, 'rss_kib'):.2f}x | "
           f"{median(ours, 'mongod_peak_bytes') / mib:.0f} / {median(peer, 'mongod_peak_bytes') / mib:.0f} MiB |")
    print(row)
    if args.results:
        record(args.results, SECTION, HEADER, row)


if __name__ == "__main__":
    main()
