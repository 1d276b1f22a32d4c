"""The shard-key lab: compare candidate shard keys with numbers, with or without a sharded cluster.

    from shardsmith.keylab import analyze, parse_key, parse_queries
    report = analyze(client["app"]["messages"], [parse_key("{sessionId: hashed}")], shards=4,
                     queries=parse_queries(["{name: by session, eq: [sessionId]}"]))

`analyze` needs only a mongod (or any cluster); `run_experiment` needs routers.
"""

from .analyze import LabReport, analyze
from .keys import CandidateKey, parse_key
from .queries import QueryShape, parse_queries

__all__ = ["CandidateKey", "LabReport", "QueryShape", "analyze", "parse_key", "parse_queries"]
