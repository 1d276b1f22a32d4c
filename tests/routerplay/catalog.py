"""The config server's side of the router commands, written into the store's config.* as 6.0-8.0 hold it.

    catalog = Catalog(store, "8.0", ["shard01", "shard02"])
    catalog.shard_collection("app.messages", {"sessionId": "hashed"})   # the reply: ok fields or a refusal
    catalog.merge_pass()                                                 # the AutoMerger, once

Shapes: s/catalog/type_collection.idl (config.collections, fields in its order),
ChunkType::toConfigBSON in s/catalog/type_chunk.cpp (config.chunks: _id, uuid, min,
max, shard, lastmod, onCurrentShardSince from 7.0, history), the zone commands of
db/s/config/sharding_catalog_manager_zone_operations.cpp (config.tags, config.shards
tags), BalancerConfiguration::setBalancerMode (config.settings). A chunk's lastmod
is its version major|minor as a Timestamp: initial chunks 1|0, 1|1, ...; a split or
merge takes the next minor versions, a migration the next major
(db/s/config/sharding_catalog_manager_chunk_operations.cpp). Which chunks appear
and which refusals are answered come from rules.py. Every order between key bounds
is the real mongod's: chunks are found with $lte/$gt queries on min and max.
One lock serialises the writes, as the config server's chunk and DDL locks do; a
second identical shardCollection therefore finds the first one's result.
"""

from __future__ import annotations

import datetime
import itertools
import threading
import time

from bson.int64 import Int64
from bson.objectid import ObjectId
from bson.timestamp import Timestamp

from tests.routerplay import rules


class Catalog:
    def __init__(self, store, version: str, shards: list[str]):
        self.store, self.version = store, version
        self.shards = sorted(shards)
        self.lock = threading.RLock()
        self._ticks = itertools.count(1)
        store.config.shards.insert_many([{"_id": s, "host": f"{s}/127.0.0.1:{27018 + i}", "state": 1,
                                          "topologyTime": self.now()} for i, s in enumerate(self.shards)])

    @property
    def config(self):
        return self.store.config

    def now(self) -> Timestamp:
        """The cluster time: increasing within a second as the config server's is."""
        return Timestamp(int(time.time()), next(self._ticks))

    # -- shardCollection ---------------------------------------------------------------
    def shard_collection(self, ns: str, key: dict, *, unique: bool = False, num_initial_chunks: int = 0,
                         presplit_hashed_zones: bool = False) -> dict:
        with self.lock:
            target, stored_key, timeseries = self._target(ns, key)
            existing = self.config.collections.find_one({"_id": target})
            if existing:
                if list(existing["key"].items()) != list(stored_key.items()) or existing.get("unique", False) != unique:
                    return rules.ALREADY_SHARDED.reply(ns=target)
                return {"collectionsharded": ns, "collectionUUID": existing["uuid"]}
            hashed = [f for f, d in key.items() if d == "hashed"]
            if hashed and unique:
                return rules.HASHED_UNIQUE.reply()
            db, name = ns.split(".", 1)
            if not self.store.db(db).list_collection_names(filter={"name": name}):
                self.store.db(db).create_collection(name)
            empty = self.store.db(db)[name].find_one({}, {"_id": 1}) is None
            zones = list(self.config.tags.find({"ns": ns}).sort("min", 1))
            if presplit_hashed_zones and not (empty and zones and hashed):
                return rules.PRESPLIT_NEEDS_ZONES.reply()
            whole = [(rules.global_min(stored_key), rules.global_max(stored_key))]
            if presplit_hashed_zones and key[next(iter(key))] == "hashed" and [(z["min"], z["max"]) for z in zones] != whole:
                return rules.PRESPLIT_HASHED_PREFIX.reply()
            layout = self._initial_layout(db, stored_key, empty, zones, num_initial_chunks, presplit_hashed_zones)
            self.store.db(db)[name].create_index(list(key.items()))
            uuid = self._uuid(db, target.split(".", 1)[1])
            created = self.now()
            entry = {"_id": target, "lastmodEpoch": ObjectId(), "lastmod": datetime.datetime.now(datetime.timezone.utc),
                     "timestamp": created, "uuid": uuid, "key": stored_key, "unique": unique, "noBalance": False}
            if timeseries:
                entry["timeseriesFields"] = timeseries
            self.config.collections.insert_one(entry)
            self.config.chunks.insert_many([self._chunk(uuid, lo, hi, shard, Timestamp(1, i), created)
                                            for i, (lo, hi, shard) in enumerate(layout)])
            return {"collectionsharded": ns, "collectionUUID": uuid}

    def _target(self, ns: str, key: dict) -> tuple:
        """(catalog namespace, key as stored, timeseriesFields): a time-series collection is sharded as its
        buckets, the metaField renamed meta and the timeField control.min.<timeField>
        (timeseries::createBucketsShardKeySpecFromTimeseriesShardKeySpec, db/timeseries/)."""
        db, name = ns.split(".", 1)
        info = next(iter(self.store.db(db).list_collections(filter={"name": name})), None) or {}
        options = info.get("options", {}).get("timeseries")
        if not options:
            return ns, dict(key), None
        meta, time_field = options.get("metaField"), options["timeField"]
        stored = {}
        for field, direction in key.items():
            if meta and (field == meta or field.startswith(meta + ".")):
                field = "meta" + field[len(meta):]
            elif field == time_field:
                field = "control.min." + time_field
            stored[field] = direction
        return f"{db}.system.buckets.{name}", stored, dict(options)

    def _initial_layout(self, db, key, empty, zones, num_initial_chunks, presplit_hashed_zones) -> list[tuple]:
        """InitialSplitPolicy::calculateOptimizationStrategy (db/s/config/initial_split_policy.cpp): zones on an
        empty collection (pre-split over the hashed field when asked), else an empty hashed-prefix key split
        over the shards, else one chunk on the database's primary shard."""
        if zones and (empty or presplit_hashed_zones):
            zone_shards = {z["tag"]: [s["_id"] for s in self.config.shards.find({"tags": z["tag"]}).sort("_id", 1)]
                           for z in zones}
            return rules.zoned_layout(self.version, key, self.shards, zones, zone_shards, presplit_hashed_zones)
        if empty and next(iter(key.values())) == "hashed":
            return rules.hashed_layout(self.version, key, self.shards, num_initial_chunks)
        return [(rules.global_min(key), rules.global_max(key), self.database_entry(db)["primary"])]

    def database_entry(self, db: str) -> dict:
        """config.databases for `db`, made on first use with its primary shard (rules.primary_shard)."""
        entry = self.config.databases.find_one({"_id": db})
        if entry is None:
            entry = {"_id": db, "primary": rules.primary_shard(self.shards),
                     "version": {"uuid": ObjectId(), "timestamp": self.now(), "lastMod": 1}}
            self.config.databases.insert_one(entry)
        return entry

    def _uuid(self, db: str, name: str):
        """The collection's own UUID, as the config server records it."""
        return next(iter(self.store.db(db).list_collections(filter={"name": name})))["info"]["uuid"]

    def _chunk(self, uuid, lo, hi, shard, lastmod: Timestamp, since: Timestamp) -> dict:
        doc = {"_id": ObjectId(), "uuid": uuid, "min": lo, "max": hi, "shard": shard, "lastmod": lastmod}
        if rules.VERSION_RULES[self.version].on_current_shard_since:
            doc["onCurrentShardSince"] = since
        doc["history"] = [{"validAfter": since, "shard": shard}]
        return doc

    # -- chunks ---------------------------------------------------------------------------
    def split(self, ns: str, middle: dict) -> dict:
        with self.lock:
            entry = self.config.collections.find_one({"_id": ns})
            if entry is None:
                return rules.NOT_SHARDED.reply(ns=ns)
            chunk = self._containing(entry["uuid"], middle)
            if chunk["min"] == middle:
                return rules.SPLIT_AT_BOUNDARY.reply(middle=middle, min=chunk["min"], max=chunk["max"])
            self._split(entry["uuid"], chunk, middle)
            return {}

    def _containing(self, uuid, point: dict) -> dict:
        return self.config.chunks.find_one({"uuid": uuid, "min": {"$lte": point}, "max": {"$gt": point}})

    def _split(self, uuid, chunk: dict, middle: dict) -> None:
        major, minor = self._version(uuid)
        self.config.chunks.update_one({"_id": chunk["_id"]},
                                      {"$set": {"max": middle, "lastmod": Timestamp(major, minor + 1)}})
        self.config.chunks.insert_one(dict(chunk, _id=ObjectId(), min=middle, lastmod=Timestamp(major, minor + 2)))

    def _version(self, uuid) -> tuple[int, int]:
        newest = self.config.chunks.find_one({"uuid": uuid}, sort=[("lastmod", -1)])["lastmod"]
        return newest.time, newest.inc

    def move_range(self, ns: str, low: dict, high: dict, to: str) -> dict:
        """moveRange: a whole chunk, or a range inside one chunk (split off first); not a range over several
        chunks (DOCS-15363, the 6.0 moveRange specification)."""
        with self.lock:
            entry = self.config.collections.find_one({"_id": ns})
            if entry is None:
                return rules.NOT_SHARDED.reply(ns=ns)
            if to not in self.shards:
                return rules.SHARD_NOT_FOUND.reply(shard=to)
            uuid = entry["uuid"]
            chunk = self._containing(uuid, low)
            if chunk["shard"] == to:
                return rules.MOVE_TO_OWNER.reply()
            if not self.config.chunks.count_documents({"_id": chunk["_id"], "max": {"$gte": high}}):
                return rules.NOT_PLAYED.reply(what=f"moveRange over several chunks [{low}, {high})")
            if chunk["min"] != low:
                self._split(uuid, chunk, low)
            piece = self.config.chunks.find_one({"uuid": uuid, "min": low})
            if piece["max"] != high:
                self._split(uuid, piece, high)
            self._migrate(uuid, low, to)
            return {}

    def _migrate(self, uuid, low: dict, to: str) -> None:
        major, _ = self._version(uuid)
        chunk = self.config.chunks.find_one({"uuid": uuid, "min": low})
        moved = self.now()
        change = {"shard": to, "lastmod": Timestamp(major + 1, 0),
                  "history": [{"validAfter": moved, "shard": to}] + chunk.get("history", [])}
        if "onCurrentShardSince" in chunk:
            change["onCurrentShardSince"] = moved
        self.config.chunks.update_one({"_id": chunk["_id"]}, {"$set": change})

    def move_chunk(self, ns: str, bounds: list, to: str) -> dict:
        """moveChunk with bounds: they must be a chunk's (s/commands/cluster_move_chunk_cmd.cpp)."""
        with self.lock:
            entry = self.config.collections.find_one({"_id": ns})
            if entry is None or not self.config.chunks.find_one({"uuid": entry["uuid"], "min": bounds[0],
                                                                 "max": bounds[1]}):
                return rules.NOT_PLAYED.reply(what=f"moveChunk of bounds that are no chunk's: {bounds}")
            return self.move_range(ns, bounds[0], bounds[1], to)

    def merge_pass(self) -> int:
        """One round of the AutoMerger (rules.auto_merger_runs, rules.mergeable_runs); the chunks merged."""
        with self.lock:
            balancer = self.config.settings.find_one({"_id": "balancer"}) or {}
            automerge = self.config.settings.find_one({"_id": "automerge"}) or {}
            merged = 0
            for entry in self.config.collections.find():
                if not rules.auto_merger_runs(self.version, balancer, automerge, entry):
                    continue
                for shard in self.shards:
                    chunks = list(self.config.chunks.find({"uuid": entry["uuid"], "shard": shard}).sort("min", 1))
                    for run in rules.mergeable_runs(chunks):
                        self._merge(entry["uuid"], shard, run)
                        merged += len(run)
            return merged

    def _merge(self, uuid, shard: str, run: list[dict]) -> None:
        major, minor = self._version(uuid)
        since = max(c.get("onCurrentShardSince", Timestamp(0, 1)) for c in run)
        self.config.chunks.delete_many({"_id": {"$in": [c["_id"] for c in run]}})
        self.config.chunks.insert_one(self._chunk(uuid, run[0]["min"], run[-1]["max"], shard,
                                                  Timestamp(major, minor + 1), since))

    # -- zones -----------------------------------------------------------------------------
    def add_shard_to_zone(self, shard: str, zone: str) -> dict:
        with self.lock:
            if not self.config.shards.update_one({"_id": shard}, {"$addToSet": {"tags": zone}}).matched_count:
                return rules.SHARD_NOT_FOUND.reply(shard=shard)
            return {}

    def update_zone_key_range(self, ns: str, low: dict, high: dict, zone) -> dict:
        """zone null removes the range with exactly these bounds (none: nothing happens)."""
        with self.lock:
            if zone is None:
                self.config.tags.delete_many({"ns": ns, "min": low, "max": high})
                return {}
            if not self.config.shards.find_one({"tags": zone}):
                return rules.ZONE_NOT_FOUND.reply(zone=zone)
            other = self.config.tags.find_one({"ns": ns, "min": {"$lt": high}, "max": {"$gt": low}})
            if other and (other["min"], other["max"], other["tag"]) == (low, high, zone):
                return {}
            if other:
                return rules.RANGE_OVERLAP.reply(range=f"{low} -->> {high}", existing=f"{other['min']} -->> {other['max']}")
            self.config.tags.replace_one({"ns": ns, "min": low}, {"ns": ns, "min": low, "max": high, "tag": zone},
                                         upsert=True)
            return {}

    # -- balancer -------------------------------------------------------------------------
    def set_balancer(self, mode: str) -> dict:
        self.config.settings.update_one({"_id": "balancer"}, {"$set": {"stopped": mode == "off", "mode": mode}},
                                        upsert=True)
        return {}

    def balancer_status(self) -> dict:
        settings = self.config.settings.find_one({"_id": "balancer"}) or {}
        return {"mode": settings.get("mode", "full"), "inBalancerRound": False, "numBalancerRounds": Int64(0)}

    def drop(self, ns: str) -> None:
        """The sharding metadata a dropped collection leaves behind: none (its entry, chunks and zones go)."""
        with self.lock:
            entry = self.config.collections.find_one_and_delete({"_id": ns})
            if entry:
                self.config.chunks.delete_many({"uuid": entry["uuid"]})
            self.config.tags.delete_many({"ns": ns})
