"""Tasks for the shard-key lab: `lab.analyze` (any mongod) and `lab.experiment` (a cluster with routers)."""

from __future__ import annotations

from invoke import task

from .cli_support import TOPOLOGY_HELP, URI_HELP, connect_target, console, err_console, target, user_errors
from .display import print_json
from .errors import ShardsmithError
from .progress import Progress

LAB_HELP = {
    "topology": TOPOLOGY_HELP,
    "uri": URI_HELP,
    "collection": "the collection holding the data, as DB.COLL",
    "key": "a candidate shard key in key order, e.g. '{sessionId: hashed}' (repeat the flag for more keys)",
    "query": "a query of the mix, e.g. '{name: session day, eq: [sessionId], range: {timestamp: 1d}}' (repeatable)",
    "queries": "a YAML or JSON file holding a list of queries like --query",
    "chart": "write a PNG of documents per shard per key to this path",
    "json": "print the report as JSON",
}


def _client(topology, uri):
    return connect_target(uri) if uri else target(topology, None)[1]


def _collection(client, name: str):
    db, dot, coll = (name or "").partition(".")
    if not (db and dot and coll):
        raise ShardsmithError(f"--collection is {name!r}", hint="name it as DB.COLL, e.g. --collection app.messages")
    return client[db][coll]


def _keys_and_queries(key, query, queries):
    from .keylab import parse_key, parse_queries

    return [parse_key(text) for text in key], parse_queries(query, queries or None)


@task(name="analyze", positional=["topology"], iterable=["key", "query"],
      help={**LAB_HELP, "shards": "how many shards to place the data over (default 4)",
            "sample": "analyze a $sample of this many documents instead of the whole collection",
            "recent": "the share of latest inserts the hotspot test looks at (default 0.1)",
            "order": "the field that grows with insertion order (default _id, an ObjectId)"})
@user_errors
def analyze_task(c, topology=None, uri=None, collection=None, key=None, shards=4, sample=0, query=None, queries=None,
                 recent=0.1, order="_id", chart=None, json=False):
    """Compare candidate shard keys on real data: cardinality, monotonicity, spread, hotspots, query targeting."""
    from .keylab import analyze
    from .keylab.chart import write_chart
    from .keylab.report import print_report

    keys, shapes = _keys_and_queries(key or [], query or [], queries)
    coll = _collection(_client(topology, uri), collection)
    report = analyze(coll, keys, int(shards), sample=int(sample) or None, queries=shapes, recent_share=float(recent),
                     order_field=order, progress=Progress(err_console, quiet=json))
    if chart:
        write_chart([(r.key.label, [row["docs"] for row in r.distribution]) for r in report.keys], chart,
                    f"{report.namespace}: documents per shard ({report.shards} shards)")
    if json:
        print_json({**report.as_dict(), "chart": chart})
        return
    print_report(report, console)
    if chart:
        console.print(f"chart: {chart}")


@task(name="experiment", positional=["topology"], iterable=["key", "query"],
      help={**LAB_HELP, "limit": "load at most this many documents into each copy (default: all)",
            "keep": "keep the sharded copies in the lab database for inspection (default: drop them)",
            "lab_database": "the database the copies go to (default shardsmith_keylab)"})
@user_errors
def experiment_task(c, topology=None, uri=None, collection=None, key=None, query=None, queries=None, limit=0,
                    keep=False, lab_database="shardsmith_keylab", chart=None, json=False):
    """On a cluster with routers: shard a copy per key, load it, measure chunks, data, inserts/s and explained targeting."""
    from .keylab.chart import write_chart
    from .keylab.experiment import run_experiment
    from .keylab.report import print_experiment

    keys, shapes = _keys_and_queries(key or [], query or [], queries)
    if not keys:
        raise ShardsmithError("no candidate key given", hint="pass --key '{sessionId: hashed}' (repeat for more keys)")
    client = _client(topology, uri)
    outcome = run_experiment(client, _collection(client, collection), keys, queries=shapes, limit=int(limit), keep=keep,
                             lab_database=lab_database, progress=Progress(err_console, quiet=json))
    if chart:
        write_chart([(k["key"], [row["docs"] for row in k["distribution"]]) for k in outcome["keys"]], chart,
                    f"{outcome['namespace']}: documents per shard, sharded copies")
    if json:
        print_json({**outcome, "chart": chart})
        return
    print_experiment(outcome, console)


tasks = [analyze_task, experiment_task]
