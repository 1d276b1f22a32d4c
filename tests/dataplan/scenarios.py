"""Router scenarios of the data plan, shared by the played-mongos tests and the real-mongos tests.

Each scenario is a spec (two shards named shard01 and shard02 are assumed)
and what the cluster must hold after `apply`, read with plain commands that a
played router and a real mongos both answer.
"""

from __future__ import annotations

from collections import Counter

from shardsmith.topology import parse_topology

HEAD = "name: wire\nreplica_set: {members: 1}\n"


def topology(body: str, database: str = "app"):
    return parse_topology(HEAD + body.replace("DB", database), "scenario.yaml")


PRESPLIT = """
databases:
  DB:
    collections:
      messages:
        shard_key: {sessionId: hashed}
        presplit: {chunks_per_shard: 4}
"""

ZONED = """
databases:
  DB:
    collections:
      events:
        shard_key: {region: 1, sessionId: hashed}
        presplit: {chunks_per_shard: 2}
        zones:
          - {zone: east, shards: [shard01], min: {region: east}, max: {region: eastz}}
          - {zone: west, shards: [shard02], min: {region: west}, max: {region: westz}}
"""

RANGED = """
databases:
  DB:
    collections:
      orders:
        shard_key: {customer: 1}
        presplit: {points: [{customer: g}, {customer: n}, {customer: t}]}
"""

BALANCER_OFF = """
balancer: {enabled: false, window: {start: "23:00", stop: "06:00"}}
databases: {DB: {collections: {plain: {}}}}
"""

BALANCER_ON = """
balancer: {enabled: true}
databases: {DB: {collections: {plain: {}}}}
"""

# The design card's data plan (topology-example.yaml): hashed and pre-split,
# compound hashed, and time-series sharded on a metaField subfield.
CARD = PRESPLIT + """\
        indexes: messages-sharded
      sessions:
        shard_key: {sessionId: hashed, timestamp: 1}
      messages_timeseries:
        timeseries: {time_field: timestamp, meta_field: metadata, granularity: minutes, expire_after: 365d}
        shard_key: {metadata.sessionId: hashed}
index_sets:
  messages-sharded:
    - {keys: {uuid: 1}}
    - {keys: {sessionId: 1, timestamp: 1}}
    - {keys: {timestamp: -1}}
    - {keys: {model: 1, timestamp: -1}}
"""


def sharding_entry(client, ns: str) -> dict:
    """config.collections for ns (a time-series collection is registered under its buckets namespace)."""
    db, name = ns.split(".", 1)
    for candidate in (ns, f"{db}.system.buckets.{name}"):
        entry = client.config.collections.find_one({"_id": candidate})
        if entry:
            return entry
    return {}


def chunk_counts(client, ns: str) -> dict:
    """shard -> chunks of ns, counted from config.chunks."""
    uuid = sharding_entry(client, ns)["uuid"]
    return dict(Counter(c["shard"] for c in client.config.chunks.find({"uuid": uuid}, {"shard": 1})))
