"""Bring-up time of a 3-member replica set with auth: Shardsmith vs mtools' mlaunch.

What we time, for both tools, on the same mongod binary: from launching the
command until a write is acknowledged by a majority and every member reports
healthy PRIMARY/SECONDARY. Runs alternate between the tools (so load drifts
hit both) and the median ratio is what we report.

    python benchmarks/bench_replset_startup.py --runs 5 [--results benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import free_port_block  # noqa: E402  (the tests' free-port finder)

from readiness import first_majority_write  # noqa: E402  (benchmarks/readiness.py)
from results import record  # noqa: E402  (benchmarks/results.py)
from shardsmith.binaries import bundled_bin_dir  # noqa: E402

SPEC = """name: bench
deploy: {{base_port: {port}, state_dir: {state}}}
storage: {{wiredtiger_cache: 256MB}}
replica_set: {{name: rs0, members: 3}}
"""
SECTION = "## Replica-set bring-up: Shardsmith vs mlaunch"
HEADER = """`python benchmarks/bench_replset_startup.py --runs N --results benchmarks/RESULTS.md`

From launching the command until a majority-acknowledged write succeeds with
all three members healthy (PRIMARY/SECONDARY); 3-member replica set with
keyfile auth and a root user, 256 MB WiredTiger cache, the wheel's mongod
6.0.5 for both. Runs alternate between the tools. Target: ratio <= 0.25.

| date | runs | Shardsmith (median) | mlaunch (median) | median ratio |
| --- | --- | --- | --- | --- |
"""


def members(port: int) -> list[str]:
    return [f"127.0.0.1:{port + n}" for n in range(3)]


def run_shardsmith(workdir: Path) -> float:
    port = free_port_block(3)
    spec = workdir / "bench.yaml"
    spec.write_text(SPEC.format(port=port, state=workdir / "state"))
    env = {**os.environ, "SHARDSMITH_ROOT_PASSWORD": "bench-password"}
    started = time.monotonic()
    try:
        subprocess.run(["shardsmith", "up", str(spec), "--json"], check=True, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return first_majority_write({"rs0": members(port)}, "admin", "bench-password", started)
    finally:
        subprocess.run(["shardsmith", "destroy", str(spec), "--yes"], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run_mlaunch(workdir: Path) -> float:
    port = free_port_block(3)
    folder = workdir / "mlaunch"
    started = time.monotonic()
    try:
        subprocess.run(["mlaunch", "init", "--replicaset", "--nodes", "3", "--auth", "--port", str(port),
                        "--binarypath", str(bundled_bin_dir()), "--dir", str(folder),
                        "--wiredTigerCacheSizeGB", "0.25"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return first_majority_write({"replset": members(port)}, "user", "password", started)
    finally:
        subprocess.run(["mlaunch", "kill", "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--results", type=Path, help="append a results row to this markdown file")
    args = parser.parse_args()
    ours, theirs = [], []
    for run in range(args.runs):
        for tool, times in ((run_shardsmith, ours), (run_mlaunch, theirs)):
            workdir = Path(tempfile.mkdtemp(prefix="bench-startup-"))
            try:
                times.append(tool(workdir))
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
        print(f"run {run + 1}: shardsmith {ours[-1]:.2f}s  mlaunch {theirs[-1]:.2f}s", flush=True)
    ratio = statistics.median(o / t for o, t in zip(ours, theirs))
    line = (f"| {time.strftime('%Y-%m-%d')} | {args.runs} | {statistics.median(ours):.2f} s | "
            f"{statistics.median(theirs):.2f} s | {ratio:.2f}x |")
    print(f"median shardsmith {statistics.median(ours):.2f}s, mlaunch {statistics.median(theirs):.2f}s, "
          f"median ratio {ratio:.2f}x (target <= 0.25x)")
    if args.results:
        record(args.results, SECTION, HEADER, line)


if __name__ == "__main__":
    main()
