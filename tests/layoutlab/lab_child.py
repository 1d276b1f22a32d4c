"""Run the layout lab in a subprocess for the interruption tests, saying on stdout where it is.

usage: python -m tests.layoutlab.lab_child URI NAMESPACE LAB_DATABASE [queries]

Prints "started" once connected; with `queries`, also "querying" when the query
mix begins (which then runs for a long time). On Ctrl-C it prints
"interrupted" after the lab's own cleanup and exits 130, as a shell reports it.
"""

import sys

from pymongo import MongoClient

from shardsmith.layoutlab import latency, run_layout_lab

LONG = 100_000  # query runs: far more than the test waits for


def announce_queries() -> None:
    original = latency.measure_query

    def announcing(*args, **kwargs):
        print("querying", flush=True)
        return original(*args, **kwargs)

    latency.measure_query = announcing


def main(uri: str, namespace: str, lab_database: str, mode: str = "") -> None:
    if mode == "queries":
        announce_queries()
    client = MongoClient(uri)
    client.admin.command("ping")
    print("started", flush=True)
    try:
        run_layout_lab(client, namespace, lab_database=lab_database, runs=LONG if mode == "queries" else 3,
                       insert_runs=0)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(130)
    print("finished", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
