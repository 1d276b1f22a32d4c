"""Run a tier migration in a subprocess for the crash tests, optionally dying at a chosen point.

usage: python -m tests.crash.tier_child URI SPEC DB BATCH [die-after-warm-write | die-after-cold-write | die-in-delete]
"""

import os
import signal
import sys

from pymongo import MongoClient

from shardsmith.tiers import checkpoint, run_tier, targets
from shardsmith.topology import load_topology
from tests.crash.tiers_data import NOW


def die_after(owner, method: str, when=lambda *a: True):
    original = getattr(owner, method)

    def wrapper(*args, **kwargs):
        result = original(*args, **kwargs)
        if when(*args):
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(owner, method, wrapper)


POINTS = {
    "die-after-warm-write": lambda: die_after(targets.TimeseriesTarget, "write"),
    "die-after-cold-write": lambda: die_after(targets.RollingTarget, "write"),
    "die-in-delete": lambda: die_after(checkpoint.Checkpoint, "advance", lambda self, phase: phase == "delete"),
}


def main(uri, spec_path, database, batch, mode=""):
    if mode:
        POINTS[mode]()
    db = MongoClient(uri, tz_aware=True)[database]
    db.command("ping")
    print("started", flush=True)
    topology = load_topology(spec_path)
    for _, tier in topology.tier_specs(database):
        run_tier(db, topology, tier, now=NOW, batch_size=int(batch))


if __name__ == "__main__":
    main(*sys.argv[1:])
