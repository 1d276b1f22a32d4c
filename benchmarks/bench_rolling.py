"""Rolling collections against their peers, on one real mongod, runs interleaved (order alternating).

1. bulk insert: RollingCollections.insert_many (routed, months created on
   demand with the index set) vs plain insert_many into one collection that
   already has the same index set. Same pre-generated messages, same batches,
   majority write concern for both. Target: ratio >= 0.9. The set is the
   shipped messages-standard without its text index unless --text-index (the
   text index makes the server's indexing dominate both sides equally, which
   hides the rolling layer's own overhead).
2. page 100 (limit 50, newest first) of a 24-month range: ours (the month
   walk, and the server-side $unionWith merge) vs the design notes' algorithm
   (fetch skip+limit from every month, sort in the client). Each run times
   --repeat pages per contender. Target: >= 10x.

`data.load` (generation plus rolling writes) has its own benchmark: bench_load.py.

    python benchmarks/bench_rolling.py [--messages 200000] [--page-messages 480000] [--runs 3] [--repeat 5]
                                       [--parts insert,page] [--tiebreak-index] [--text-index]
                                       [--results benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

from pymongo import DESCENDING, WriteConcern

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.one_mongod import one_member_set  # noqa: E402
from benchmarks.results import interleave, record, spread, table_header, table_row  # noqa: E402
from shardsmith.dataplan.indexes import wanted_document  # noqa: E402
from shardsmith.rolling import RollingCollections  # noqa: E402
from shardsmith.topology import load_topology  # noqa: E402
from shardsmith.topology.model import IndexSpec  # noqa: E402
from shardsmith.workload import generate_messages  # noqa: E402
from shardsmith.workload.load import RollingSink, load_messages  # noqa: E402

INSERT_SECTION = "## Rolling collections: bulk insert vs one collection"
INSERT_COLUMNS = ["messages", "index set", "rolling docs/s", "one collection docs/s", "ratio (per run)", "target >= 0.9x"]
PAGE_SECTION = "## Rolling collections: page 100 of 24 months vs the seeds' algorithm"
PAGE_COLUMNS = ["messages (months)", "month walk ms", "$unionWith ms", "seeds ms", "speed-up month walk (per run)",
                "speed-up $unionWith (per run)", "same page", "target >= 10x"]

ROOT = Path(__file__).resolve().parents[1]
MAJORITY = WriteConcern("majority")
BATCH = 5000


def index_set(with_text: bool):
    indexes = load_topology(str(ROOT / "topology/local.yaml")).index_set("messages-standard")
    return tuple(i for i in indexes if with_text or "text" not in dict(i.keys).values())


def timed(work) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began


def bench_insert(client, messages, indexes, runs):
    """Trials of (rolling, single collection): seconds per run, each on an empty database."""
    db = client.bench_insert

    def rolling():
        client.drop_database(db.name)
        target = RollingCollections(db, "messages", indexes=indexes)
        return timed(lambda: [target.insert_many([dict(m) for m in messages[i:i + BATCH]])
                              for i in range(0, len(messages), BATCH)])

    def single():
        client.drop_database(db.name)
        collection = db.get_collection("single", write_concern=MAJORITY)

        def work():
            db.command({"createIndexes": "single", "indexes": [wanted_document(i) for i in indexes]})
            for i in range(0, len(messages), BATCH):
                collection.insert_many([dict(m) for m in messages[i:i + BATCH]], ordered=False)

        return timed(work)

    trials = interleave({"rolling": rolling, "single": single}, runs)
    client.drop_database(db.name)
    return trials


def seeds_page(db, names, skip, limit):
    """The design notes' find_messages: skip+limit from every month, merged and cut in the client."""
    found = []
    for name in names:
        found.extend(db[name].find({}).sort("timestamp", DESCENDING).limit(skip + limit))
    found.sort(key=lambda d: d["timestamp"], reverse=True)
    return found[skip:skip + limit]


def bench_page(client, count, indexes, runs, repeat):
    """Trials of the three ways to read page 100: mean seconds per page over `repeat` pages per run."""
    db = client.bench_page
    client.drop_database(db.name)
    rolling = RollingCollections(db, "messages", indexes=indexes)
    load_messages(RollingSink(rolling), count, months=24, seed=1, start=datetime(2023, 1, 1), batch_size=BATCH)
    names = rolling.months()
    skip, limit = 99 * 50, 50
    window = ("2023-01-01T00:00:00Z", "2025-01-01T00:00:00Z")
    ways = {
        "month walk": lambda: rolling.find(None, *window, sort=-1, skip=skip, limit=limit),
        "$unionWith merge": lambda: rolling.find(None, *window, sort=-1, skip=skip, limit=limit, strategy="union"),
        "seeds": lambda: seeds_page(db, names, skip, limit),
    }
    pages = {name: [d["timestamp"] for d in way()] for name, way in ways.items()}
    agree = pages["month walk"] == pages["seeds"] == pages["$unionWith merge"]
    trials = interleave({name: (lambda way=way: timed(lambda: [way() for _ in range(repeat)]) / repeat)
                         for name, way in ways.items()}, runs)
    client.drop_database(db.name)
    return trials, agree, len(names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000, help="messages for the insert runs")
    parser.add_argument("--page-messages", type=int, default=480_000, help="messages over 24 months for paging")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5, help="pages read per contender per run")
    parser.add_argument("--text-index", action="store_true", help="keep the set's text index (the server's "
                                                                  "text indexing then dominates both sides)")
    parser.add_argument("--tiebreak-index", action="store_true", help="add {timestamp: -1, _id: -1} to the set")
    parser.add_argument("--results", type=Path, help="add the rows to this RESULTS.md")
    parser.add_argument("--parts", default="insert,page", help="which comparisons to run (comma-separated)")
    args = parser.parse_args()
    indexes = index_set(args.text_index)
    if args.tiebreak_index:
        indexes += (IndexSpec(keys=(("timestamp", -1), ("_id", -1))),)
    label = f"messages-standard{'' if args.text_index else ' without text'} ({len(indexes)})"
    print(f"index set: {label}")
    with one_member_set("benchrolling") as cluster:
        client = cluster.client()
        parts = set(args.parts.split(","))
        if "insert" in parts:
            trials = bench_insert(client, list(generate_messages(args.messages, 6, seed=3)), indexes, args.runs)
            report_inserts(trials, args.messages, label, args.results)
        if "page" in parts:
            report_pages(*bench_page(client, args.page_messages, indexes, args.runs, args.repeat),
                         args.page_messages, args.results)


def report_inserts(trials, count, label, results=None) -> None:
    ratios = trials.ratios("single", "rolling")  # seconds single / seconds rolling = throughput rolling / single
    docs_per_second = {name: [count / t for t in trials.of(name)] for name in ("rolling", "single")}
    met = "met" if statistics.median(ratios) >= 0.9 else "NOT met"
    cells = [f"{count:,}", label, spread(docs_per_second["rolling"], "{:,.0f}"),
             spread(docs_per_second["single"], "{:,.0f}"), spread(ratios, "{:.2f}x"), f"{met} (median)"]
    print(dict(zip(INSERT_COLUMNS, cells)))
    if results:
        record(results, INSERT_SECTION, table_header(INSERT_COLUMNS), table_row(trials.runs, cells, trials.load_note()))


def report_pages(trials, agree, months, count, results=None) -> None:
    walk, union = trials.ratios("seeds", "month walk"), trials.ratios("seeds", "$unionWith merge")
    met = "met" if statistics.median(walk) >= 10 else "NOT met"
    cells = [f"{count:,} ({months})", *(spread([t * 1000 for t in trials.of(name)], "{:.1f}")
                                        for name in ("month walk", "$unionWith merge", "seeds")),
             spread(walk, "{:.1f}x"), spread(union, "{:.1f}x"), "yes" if agree else "NO", f"{met} (median)"]
    print(dict(zip(PAGE_COLUMNS, cells)))
    if results:
        record(results, PAGE_SECTION, table_header(PAGE_COLUMNS), table_row(trials.runs, cells, trials.load_note()))


if __name__ == "__main__":
    main()
