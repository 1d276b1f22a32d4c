"""The shard-key lab (the `lab` group): `lab.analyze` (any mongod) and `lab.experiment` (a cluster with routers)."""

from __future__ import annotations

from typing import Any, Callable, Optional

from pymongo import MongoClient
from pymongo.collection import Collection

from ..display import print_json
from ..errors import ShardsmithError
from .common import TOPOLOGY, URI, console, open_target, progress, required_spec
from .declare import Option, command, number, positive, whole_number

COLLECTION = Option("collection", "the collection holding the data, as DB.COLL")
KEY = Option("key", "a candidate shard key in key order, e.g. '{sessionId: hashed}' (repeat for more keys)",
             repeat=True)
QUERY = Option("query", "a query of the mix, e.g. '{name: session day, eq: [sessionId], range: {timestamp: 1d}}' "
                        "(repeatable)", repeat=True)
QUERIES = Option("queries", "a YAML or JSON file holding a list of queries like --query")
CHART = Option("chart", "write a PNG of what the verdicts rest on: latest inserts on the hottest shard, shards each "
                        "query touches, documents per shard")
JSON = Option("json", "print the report as JSON", switch=True)


def lab_collection(client: MongoClient[dict[str, Any]], name: Optional[str]) -> Collection[dict[str, Any]]:
    db, dot, coll = (name or "").partition(".")
    if not (db and dot and coll):
        raise ShardsmithError(f"--collection is {name!r}", hint="name it as DB.COLL, e.g. --collection app.messages")
    return client[db][coll]


def show_lab_report(data: dict[str, Any], print_text: Callable[[], None], chart: Optional[str],
                    draw: Callable[[str], object], as_json: bool) -> None:
    """A lab's output: the chart when asked for, then JSON (naming the chart) or the text report."""
    if chart:
        draw(chart)
    if as_json:
        print_json({**data, "chart": chart})
        return
    print_text()
    if chart:
        console.print(f"chart: {chart}")


def keys_and_queries(key: list[str], query: list[str], queries: Optional[str]) -> tuple[list[Any], list[Any]]:
    from ..keylab import parse_key, parse_queries

    return [parse_key(text) for text in key], parse_queries(query, queries or None)


@command("lab.analyze", TOPOLOGY, URI, COLLECTION, KEY,
         Option("shards", "how many shards to place the data over (default 4)", convert=positive, default=4),
         Option("sample", "analyze a $sample of this many documents instead of the whole collection",
                convert=whole_number, default=0),
         QUERY, QUERIES,
         Option("recent", "the share of latest inserts the hotspot test looks at (default 0.1)", convert=number,
                default=0.1),
         Option("order", "the field that grows with insertion order (default _id, an ObjectId)", default="_id"),
         CHART, JSON)
def analyze(topology: Optional[str], uri: Optional[str], collection: Optional[str], key: list[str], shards: int,
            sample: int, query: list[str], queries: Optional[str], recent: float, order: str, chart: Optional[str],
            json: bool) -> None:
    """Compare candidate shard keys on real data: cardinality, monotonicity, spread, hotspots, query targeting."""
    from ..keylab import analyze as analyze_keys
    from ..keylab.chart import report_chart
    from ..keylab.report import print_report

    keys, shapes = keys_and_queries(key or [], query or [], queries)
    target = open_target(topology, uri, writes=False, spec_required=False)
    report = analyze_keys(lab_collection(target.client, collection), keys, shards, sample=sample or None,
                          queries=shapes, recent_share=recent, order_field=order, progress=progress(json))
    show_lab_report(report.as_dict(), lambda: print_report(report, console), chart,
                    (lambda path: report_chart(report, path)), json)


@command("lab.experiment", TOPOLOGY, URI, COLLECTION, KEY, QUERY, QUERIES,
         Option("limit", "load at most this many documents into each copy (default: all)", convert=whole_number,
                default=0),
         Option("keep", "keep the sharded copies in the lab database for inspection (default: drop them)",
                switch=True),
         Option("lab_database", "the database the copies go to (default shardsmith_keylab)",
                default="shardsmith_keylab"),
         CHART, JSON)
def experiment(topology: Optional[str], uri: Optional[str], collection: Optional[str], key: list[str],
               query: list[str], queries: Optional[str], limit: int, keep: bool, lab_database: str,
               chart: Optional[str], json: bool) -> None:
    """On a cluster with routers: shard a copy per key, load it, measure chunks, data, inserts/s and targeting."""
    from ..keylab.chart import experiment_chart
    from ..keylab.experiment import run_experiment
    from ..keylab.report import print_experiment

    keys, shapes = keys_and_queries(key or [], query or [], queries)
    if not keys:
        raise ShardsmithError("no candidate key given", hint="pass --key '{sessionId: hashed}' (repeat for more keys)")
    target = open_target(topology, uri, spec_required=False)
    outcome = run_experiment(target.client, lab_collection(target.client, collection), keys, queries=shapes,
                             limit=limit, keep=keep, lab_database=lab_database, progress=progress(json))
    show_lab_report(outcome, lambda: print_experiment(outcome, console), chart,
                    (lambda path: experiment_chart(outcome, path)), json)


@command("lab.layout", TOPOLOGY, URI, COLLECTION,
         Option("sample", "copy about N documents (whole series with --meta-field, else a $sample)",
                convert=whole_number, default=0),
         Option("time_field", "the field holding each document's BSON date (default timestamp)", default="timestamp"),
         Option("meta_field", "the time-series metaField (default: read from the data, reason shown)"),
         Option("granularity", "seconds, minutes or hours (default: from the gaps within a series)",
                choices=("seconds", "minutes", "hours")),
         Option("indexes", "a topology index set built on every layout (default: the source's own indexes)"),
         Option("queries", "a YAML or JSON file with the query mix (default: by session, session + 1 day, 1 hour, "
                           "last 20 of a session, per model per day)"),
         Option("runs", "timed runs of each query on each layout (default 20)", convert=positive, default=20),
         Option("keep", "keep the three layouts in shardsmith_layoutlab (default: drop them)", switch=True),
         Option("chart", "write a PNG of the three layouts side by side to this path"), JSON)
def layout(topology: Optional[str], uri: Optional[str], collection: Optional[str], sample: int,
           time_field: str, meta_field: Optional[str], granularity: Optional[str], indexes: Optional[str],
           queries: Optional[str], runs: int, keep: bool, chart: Optional[str], json: bool) -> None:
    """Copy a collection into regular, time-series and monthly layouts; compare sizes, inserts and queries."""
    from ..layoutlab import chart_path, print_layout_report, run_layout_lab, topology_index_set, write_layout_chart

    if chart:
        chart_path(chart)  # a bad path is refused before a long run
    target = open_target(topology, uri, spec_required=bool(indexes))
    index_set = topology_index_set(required_spec(target), indexes) if indexes else None
    report = run_layout_lab(target.client, collection or "", sample=sample or None, time_field=time_field,
                            meta_field=meta_field, granularity=granularity, index_set=index_set, queries=queries,
                            keep=keep, runs=runs, progress=progress(json))
    show_lab_report(report.as_dict(), lambda: print_layout_report(report, console), chart,
                    (lambda path: write_layout_chart(report, path)), json)
