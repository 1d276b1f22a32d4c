"""Bring-up time of a 3-member replica set with auth: Shardsmith vs mtools' mlaunch.

What we time, for both tools, on the same mongod binary: from launching the
command until a write is acknowledged by a majority and every member reports
healthy PRIMARY/SECONDARY. Runs interleave the tools, the order alternating
(so load drifts hit both), and the per-run ratios are what we report.

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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.readiness import first_majority_write  # noqa: E402
from benchmarks.results import interleave, record, spread, table_header, table_row  # noqa: E402
from shardsmith.binaries import bundled_bin_dir  # noqa: E402
from tests.conftest import free_port_block  # noqa: E402  (the tests' free-port finder)

SPEC = """name: bench
deploy: {{base_port: {port}, state_dir: {state}}}
storage: {{wiredtiger_cache: 256MB}}
replica_set: {{name: rs0, members: 3}}
"""
SECTION = "## Replica-set bring-up: Shardsmith vs mlaunch"
COLUMNS = ["Shardsmith s", "mlaunch s", "ratio (per run)", "target <= 0.25x"]


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


def in_fresh_folder(tool):
    def run() -> float:
        workdir = Path(tempfile.mkdtemp(prefix="bench-startup-"))
        try:
            return tool(workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--results", type=Path, help="append a results row to this markdown file")
    args = parser.parse_args()
    trials = interleave({"shardsmith": in_fresh_folder(run_shardsmith), "mlaunch": in_fresh_folder(run_mlaunch)},
                        args.runs)
    ratios = trials.ratios("shardsmith", "mlaunch")
    met = "met" if statistics.median(ratios) <= 0.25 else "NOT met"
    cells = [spread(trials.of("shardsmith")), spread(trials.of("mlaunch")), spread(ratios, "{:.2f}x"), f"{met} (median)"]
    print(dict(zip(COLUMNS, cells)))
    if args.results:
        record(args.results, SECTION, table_header(COLUMNS), table_row(args.runs, cells, trials.load_note()))


if __name__ == "__main__":
    main()
