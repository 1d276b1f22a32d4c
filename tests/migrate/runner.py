"""Run one migration phase in its own process, for the kill tests.

usage: python -m tests.migrate.runner URI SPEC SOURCE TO PHASE [BATCH]
PHASE: start (resumes what a killed start left) | follow (until caught up) | cutover
"""

import sys

from pymongo import MongoClient

from shardsmith.migrate import cutover, follow, plan_from_topology, start
from shardsmith.topology import load_topology
from tests.migrate.data import TARGETS


def main(uri, spec, source, to, phase, batch="100"):
    client = MongoClient(uri)
    client.admin.command("ping")
    plan = plan_from_topology(load_topology(spec), source, to, target=TARGETS[to])
    print("started", flush=True)
    if phase == "start":
        start(client, plan, batch_size=int(batch), resume=True)
    elif phase == "follow":
        result = follow(client, plan, until_caught_up=True)
        if result.stopped == "interrupted":
            sys.exit(130)
    else:
        cutover(client, plan)


if __name__ == "__main__":
    main(*sys.argv[1:])
