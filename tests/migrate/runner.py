"""Run one migration phase in its own process, for the kill tests; optionally die at a chosen point.

usage: python -m tests.migrate.runner URI SPEC SOURCE TO PHASE [MODE]
PHASE: start (resumes what a killed start left) | follow (until caught up) | cutover
MODE:  die-mid-copy    (SIGKILL after writing half of the third copy batch)
       die-mid-apply   (SIGKILL after applying half of the first follow batch of two events or more)
       die-before-view (SIGKILL in the cut-over after renaming the source, before the view takes its name)
"""

import os
import signal
import sys

from pymongo import MongoClient

from shardsmith.migrate import cutover, follow, plan_from_topology, start
from shardsmith.migrate.cutover import Cutover
from shardsmith.migrate.rolling import RollingApplier, RollingTarget
from shardsmith.migrate.timeseries import TimeseriesApplier, TimeseriesTarget
from shardsmith.topology import load_topology
from tests.migrate.data import TARGETS

BATCH = 100


def die_halfway(owner, method: str, when) -> None:
    """Make owner.method do half its work on the call `when(n, items)` picks, then SIGKILL the process."""
    original, calls = getattr(owner, method), []

    def wrapper(self, items, *args):
        calls.append(1)
        if when(len(calls), items):
            original(self, items[: len(items) // 2], *args)
            os.kill(os.getpid(), signal.SIGKILL)
        return original(self, items, *args)

    setattr(owner, method, wrapper)


def main(uri, spec, source, to, phase, mode=""):
    if mode == "die-mid-copy":
        die_halfway(TimeseriesTarget if to == "timeseries" else RollingTarget, "insert",
                    lambda n, items: n == 3 and len(items) > 1)
    elif mode == "die-mid-apply":
        die_halfway(TimeseriesApplier if to == "timeseries" else RollingApplier, "apply",
                    lambda n, items: len(items) > 1)
    elif mode == "die-before-view":
        Cutover._claim_name = lambda self, dated: os.kill(os.getpid(), signal.SIGKILL)
    client = MongoClient(uri)
    client.admin.command("ping")
    plan = plan_from_topology(load_topology(spec), source, to, target=TARGETS[to])
    print("started", flush=True)
    if phase == "start":
        result = start(client, plan, batch_size=BATCH, resume=True)
        print(f"resumed batch {result.backfill.resumed_batch}", flush=True)
    elif phase == "follow":
        if follow(client, plan, until_caught_up=True).stopped == "interrupted":
            sys.exit(130)
    else:
        cutover(client, plan)


if __name__ == "__main__":
    main(*sys.argv[1:])
