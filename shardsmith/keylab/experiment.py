"""Try candidate keys for real on a cluster with routers: a sharded copy per key, loaded and measured.

    outcome = run_experiment(client, client["app"]["messages"], keys, queries=shapes)

For each key, in order: shardCollection on a fresh copy in the lab database,
load it from the source in insert batches (timed: insert throughput), read the
data per shard ($shardedDataDistribution, or $collStats before 6.0.3) and the
chunks per shard (config.chunks), explain each query of the mix to see the
shards its winning plan reaches, and on 7.0+ run analyzeShardKey to show the
server's figures beside ours. The copies are dropped at the end unless kept.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo.errors import OperationFailure

from ..errors import ShardsmithError
from ..progress import QUIET
from ..servercodes import server_says
from .fields import check_key_fields
from .keys import CandidateKey
from .placement import skew
from .profile import frequencies, monotonicity, monotonicity_sample
from .queries import QueryShape, sample_documents, summarize
from .routers import RouterFeatures, router_features
from .verdict import experiment_verdict

LAB_DATABASE = "shardsmith_keylab"
BATCH = 1000
EXPLAINS_PER_QUERY = 8


def copy_names(source, keys) -> list[str]:
    return [f"{source.name}_key{i}" for i in range(len(keys))]


def run_experiment(client, source, keys: list[CandidateKey], *, queries: Sequence[QueryShape] = (), limit: int = 0,
                   keep: bool = False, lab_database: str = LAB_DATABASE, progress=QUIET) -> dict:
    features = router_features(client)
    shards = [s["_id"] for s in client.admin.command("listShards")["shards"]]
    lab = client[lab_database]
    names = copy_names(source, keys)
    left = sorted(lab.list_collection_names(filter={"name": {"$in": names}}))
    if left:
        raise ShardsmithError(f"{lab_database} already holds {left} (kept by an earlier experiment?)",
                              hint=f"drop them (db.getSiblingDB('{lab_database}').dropDatabase()) and run again")
    check_key_fields(source, keys)
    docs = sample_documents(source, keys, queries)
    results = []
    try:
        for key, name in zip(keys, names):
            copy = lab[name]
            with progress.phase(f"{key.label}: shard a copy and load it"):
                client.admin.command("shardCollection", copy.full_name, key=key.as_document())
                loaded, seconds = _load(source, copy, limit)
            with progress.phase(f"{key.label}: measure"):
                results.append(_measure(client, copy, key, features, shards, queries, docs, loaded, seconds, source))
    except OperationFailure as exc:
        raise ShardsmithError(f"the router refused the experiment: {server_says(exc)}",
                              hint="the user needs clusterManager and readWrite on the lab database") from None
    finally:
        if not keep:
            for name in names:
                lab.drop_collection(name)
    return {"namespace": source.full_name, "lab_database": lab_database, "router_version": features.version,
            "distribution_from": features.distribution, "shards": shards, "kept": keep, "keys": results}


def _load(source, copy, limit: int) -> tuple[int, float]:
    """Stream the source into the copy in insert batches, undecoded; returns (documents, seconds)."""
    raw = source.with_options(codec_options=CodecOptions(document_class=RawBSONDocument))
    cursor = raw.find({}, batch_size=BATCH, limit=limit or 0)
    loaded, batch, started = 0, [], time.monotonic()
    for doc in cursor:
        batch.append(doc)
        if len(batch) == BATCH:
            copy.insert_many(batch, ordered=False)
            loaded, batch = loaded + len(batch), []
    if batch:
        copy.insert_many(batch, ordered=False)
        loaded += len(batch)
    return loaded, time.monotonic() - started


def _measure(client, copy, key, features: RouterFeatures, shards, queries, docs, loaded, seconds, source) -> dict:
    distribution = _data_per_shard(client, copy, features, shards)
    chunks = _chunks_per_shard(client, copy, shards)
    result = {"key": key.label, "shard_key": key.as_document(), "copy": copy.full_name, "loaded": loaded,
              "insert_docs_per_second": round(loaded / seconds, 1) if seconds > 0 else None,
              "distribution": distribution, "skew": round(skew(distribution), 3), "chunks": chunks,
              "targeting": [_explained_targeting(copy, shape, docs, len(shards)) for shape in queries]}
    result["ours"] = {"cardinality": frequencies(source, key, [], top=1)["cardinality"],
                      "monotonicity": monotonicity(source, key, "_id", monotonicity_sample(loaded))["coefficient"]}
    if features.analyze_shard_key:
        result["analyze_shard_key"] = _server_analysis(client, copy, key)
    result["verdict"] = experiment_verdict(result)
    return result


def _data_per_shard(client, copy, features: RouterFeatures, shards) -> list[dict]:
    found = {}
    if features.distribution == "$shardedDataDistribution":
        rows = client.admin.aggregate([{"$shardedDataDistribution": {}}, {"$match": {"ns": copy.full_name}}])
        for row in rows:
            for shard in row["shards"]:
                found[shard["shardName"]] = (shard["numOwnedDocuments"], shard["ownedSizeBytes"])
    else:
        for row in copy.aggregate([{"$collStats": {"storageStats": {}}}]):
            found[row["shard"]] = (row["storageStats"]["count"], row["storageStats"]["size"])
    return [{"shard": s, "docs": found.get(s, (0, 0))[0], "bytes": found.get(s, (0, 0))[1]} for s in shards]


def _chunks_per_shard(client, copy, shards) -> dict:
    meta = client.config.collections.find_one({"_id": copy.full_name}, {"uuid": 1})
    counts = {s: 0 for s in shards}
    if meta:
        for row in client.config.chunks.aggregate([{"$match": {"uuid": meta["uuid"]}},
                                                    {"$group": {"_id": "$shard", "n": {"$sum": 1}}}]):
            counts[row["_id"]] = row["n"]
    return counts


def _explained_targeting(copy, shape: QueryShape, docs, shard_count: int) -> dict:
    """Shards in the winning plan of each concrete query, as mongos explains it."""
    touched = []
    for doc in docs[:EXPLAINS_PER_QUERY]:
        explained = copy.database.command("explain", {"find": copy.name, "filter": shape.concrete(doc)},
                                          verbosity="queryPlanner")
        touched.append(len(explained["queryPlanner"]["winningPlan"].get("shards", [None])))
    return summarize(shape.name, touched, shard_count)

def _server_analysis(client, copy, key: CandidateKey) -> dict:
    """analyzeShardKey's key characteristics (7.0+); read/write distribution needs query sampling, so it is off."""
    answer = client.admin.command("analyzeShardKey", copy.full_name, key=key.as_document(),
                                  keyCharacteristics=True, readWriteDistribution=False)
    chars = answer.get("keyCharacteristics", {})
    mono = chars.get("monotonicity", {})
    return {"cardinality": chars.get("numDistinctValues"), "most_common": chars.get("mostCommonValues", [])[:1],
            "monotonicity": mono.get("type"), "correlation": mono.get("recordIdCorrelationCoefficient"),
            "docs": chars.get("numDocsTotal")}
