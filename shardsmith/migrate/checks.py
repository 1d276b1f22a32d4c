"""What must hold before a migration writes anything; every check only reads.

The source must be a regular collection on a replica set or sharded cluster of
MongoDB 6.0+ (change streams with pre- and post-images), every document must
carry a BSON date in the time field, and the target must be absent or empty.
A time-series target also needs a metaField every document carries, or the
promise that nothing is updated or deleted until the cut-over (see series.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pymongo import MongoClient
from pymongo.database import Database

from ..errors import ShardsmithError
from .plan import MigrationPlan

EXAMPLES = 5


@dataclass
class SourceFacts:
    server: str  # "replica set rs0" | "sharded cluster"
    version: str
    documents: int  # estimated
    pre_images: bool  # changeStreamPreAndPostImages already on
    warnings: list = field(default_factory=list)


def server_kind(client: MongoClient) -> str:
    hello = client.admin.command("hello")
    if hello.get("msg") == "isdbgrid":
        return "sharded cluster"
    if hello.get("setName"):
        return f"replica set {hello['setName']}"
    raise ShardsmithError("the server is a standalone mongod: it has no oplog, so no change stream can follow the "
                          "source while it is copied; nothing was written",
                          hint="run the migration on a replica set or sharded cluster (a one-member replica set "
                               "is enough: restart mongod with --replSet and run rs.initiate())")


def check_source(client: MongoClient, plan: MigrationPlan, target, *, insert_only: bool = False) -> SourceFacts:
    """Every reason not to start, raised as one ShardsmithError; the facts the start needs otherwise."""
    kind = server_kind(client)
    info = client.admin.command("buildInfo")
    if tuple(info.get("versionArray", [0, 0])[:2]) < (6, 0):
        raise ShardsmithError(f"MongoDB {info.get('version')} has no change-stream pre- and post-images (6.0+); "
                              "nothing was written", hint="upgrade to MongoDB 6.0 or later")
    db = client[plan.database]
    found = list(db.list_collections(filter={"name": plan.source}))
    if not found:
        raise ShardsmithError(f"{plan.namespace} does not exist", hint="check --source DB.COLLECTION")
    if found[0]["type"] != "collection":
        raise ShardsmithError(f"{plan.namespace} is a {found[0]['type']}, not a regular collection; nothing was written",
                              hint="the source of a migration is a regular collection")
    problems = _document_problems(db, plan, insert_only) + target.check()
    if problems:
        raise ShardsmithError("; ".join(problems) + "; nothing was written",
                              hint="fix these, then run the start again")
    options = found[0].get("options", {})
    facts = SourceFacts(kind, info.get("version", "?"), db[plan.source].estimated_document_count(),
                        bool(options.get("changeStreamPreAndPostImages", {}).get("enabled")))
    if plan.kind == "timeseries" and plan.meta_field and not _indexed(db, plan):
        facts.warnings.append(f"no index of {plan.namespace} starts with {plan.meta_field!r}: each series re-copy "
                              "(an update or delete during the migration) scans the source")
    return facts


def _document_problems(db: Database, plan: MigrationPlan, insert_only: bool) -> list[str]:
    time, meta = f"${plan.time_field}", f"${plan.meta_field}" if plan.meta_field else None
    group = {"_id": None, "no_time": {"$sum": {"$cond": [{"$eq": [{"$type": time}, "date"]}, 0, 1]}}}
    if meta:
        group["no_meta"] = {"$sum": {"$cond": [{"$in": [{"$type": meta}, ["missing", "null"]]}, 1, 0]}}
    counted: dict = next(db[plan.source].aggregate([{"$group": group}]), {})
    problems = []
    if counted.get("no_time"):
        bad = {plan.time_field: {"$not": {"$type": "date"}}}
        examples = ", ".join(f"_id {d['_id']!r}: {_shown(d, plan.time_field)}"
                             for d in db[plan.source].find(bad, {plan.time_field: 1}).limit(EXAMPLES))
        problems.append(f"{counted['no_time']:,} document(s) of {plan.namespace} have no date in "
                        f"{plan.time_field!r} (e.g. {examples})")
    if plan.kind == "timeseries" and not insert_only and (not meta or counted.get("no_meta")):
        missing = (f"{counted['no_meta']:,} document(s) have no {plan.meta_field!r}" if meta
                   else f"{plan.target} has no metaField")
        problems.append(f"{missing}, so an update or delete of such a document could not be applied to the "
                        "time-series target (MongoDB 6.0 deletes measurements only by metaField value and updates "
                        "only the metaField); give the spec a meta_field every document carries, or promise "
                        "--insert-only (the follow phase then stops at the first update or delete of such a document)")
    return problems


def _shown(document: dict, field_name: str) -> str:
    if field_name not in document:
        return "missing"
    value = document[field_name]
    return f"{value!r} ({type(value).__name__})"


def _indexed(db: Database, plan: MigrationPlan) -> bool:
    return any(next(iter(index["key"])) == plan.meta_field for index in db[plan.source].list_indexes())
