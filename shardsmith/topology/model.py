"""The validated, immutable topology: what the rest of Shardsmith reads.

Nothing here parses or checks; `shardsmith.topology.build_topology` builds these from
YAML only after every rule passed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

KeySpec = tuple  # ordered ((field, 1 | -1 | "hashed" | "text" ...), ...)


@dataclass(frozen=True)
class Member:
    """One mongod of a replica set (or the standalone)."""

    set_name: Optional[str]  # None for a standalone
    number: int  # 1-based within its set: shard01.1, shard01.2 ...
    port: int
    role: str  # "configsvr" | "shardsvr" | "replset" | "standalone"
    priority: float = 1.0
    votes: int = 1
    hidden: bool = False
    arbiter: bool = False
    secondary_delay: int = 0
    tags: tuple = ()  # ((key, value), ...)
    args: tuple = ()

    @property
    def name(self) -> str:
        return f"{self.set_name}.{self.number}" if self.set_name else "standalone"

    @property
    def service(self) -> str:
        """Its name where dots are not welcome (compose services, dirs)."""
        return self.name.replace(".", "-")


@dataclass(frozen=True)
class ReplicaSet:
    name: str
    role: str  # "configsvr" | "shardsvr" | "replset"
    members: tuple  # of Member


@dataclass(frozen=True)
class Router:
    number: int
    port: int
    args: tuple = ()
    role: str = "mongos"

    @property
    def name(self) -> str:
        return f"mongos.{self.number}"

    @property
    def service(self) -> str:
        return self.name.replace(".", "-")


@dataclass(frozen=True)
class MongoDBSettings:
    version: str = "6.0"
    image: str = "mongo:6.0"
    binaries: str = "auto"


@dataclass(frozen=True)
class DeploySettings:
    backend: str = "local"
    bind_ip: str = "127.0.0.1"
    base_port: int = 27017
    state_dir: str = ".shardsmith"
    network: str = "bridge"
    expose_members: bool = False
    allow_unauthenticated_network: bool = False  # listen beyond localhost with auth disabled, knowingly


@dataclass(frozen=True)
class AuthSettings:
    enabled: bool = True
    keyfile: str = "auto"
    root_user: str = "admin"
    root_password_env: str = "SHARDSMITH_ROOT_PASSWORD"


@dataclass(frozen=True)
class StorageSettings:
    wiredtiger_cache_bytes: Optional[int] = None

    @property
    def wiredtiger_cache_gb(self) -> Optional[float]:
        """mongod's --wiredTigerCacheSizeGB takes GB, at least 0.25 (the loader warns below that)."""
        if self.wiredtiger_cache_bytes is None:
            return None
        return max(0.25, round(self.wiredtiger_cache_bytes / 1024**3, 3))


@dataclass(frozen=True)
class IndexSpec:
    keys: KeySpec
    unique: bool = False
    sparse: bool = False
    name: Optional[str] = None
    expire_after: Optional[int] = None
    partial_filter: Optional[tuple] = None  # a frozen copy of the filter document


@dataclass(frozen=True)
class Presplit:
    chunks_per_shard: Optional[int] = None
    points: tuple = ()


@dataclass(frozen=True)
class TimeseriesSpec:
    time_field: str
    meta_field: Optional[str] = None
    granularity: Optional[str] = None
    expire_after: Optional[int] = None  # seconds


@dataclass(frozen=True)
class ZoneRange:
    """A zone's key range on one collection, and the shards that hold the zone."""

    zone: str
    min: tuple  # a frozen (partial) shard-key document
    max: tuple
    shards: tuple = ()  # shard names added to the zone


@dataclass(frozen=True)
class CollectionSpec:
    name: str
    shard_key: Optional[KeySpec] = None
    presplit: Optional[Presplit] = None
    index_set: Optional[str] = None
    timeseries: Optional[TimeseriesSpec] = None
    zones: tuple = ()  # of ZoneRange


@dataclass(frozen=True)
class RollingSpec:
    prefix: str  # messages -> messages_YYYY_MM
    period: str = "monthly"
    index_set: Optional[str] = None
    retention: Optional[int] = None  # periods kept


@dataclass(frozen=True)
class TierStage:
    collection: Optional[str] = None
    keep: Optional[int] = None  # seconds
    rolling: Optional[str] = None


@dataclass(frozen=True)
class TierSpec:
    name: str
    hot: TierStage
    warm: Optional[TierStage] = None
    cold: Optional[TierStage] = None


@dataclass(frozen=True)
class BalancerSpec:
    enabled: bool = True
    window: Optional[tuple] = None  # ("HH:MM", "HH:MM"): start, stop


@dataclass(frozen=True)
class DatabaseSpec:
    name: str
    collections: tuple = ()  # of CollectionSpec
    rolling: tuple = ()  # of RollingSpec
    tiers: tuple = ()  # of TierSpec


@dataclass(frozen=True)
class Topology:
    name: str
    source: str
    kind: str  # "sharded" | "replset" | "standalone"
    mongodb: MongoDBSettings = field(default_factory=MongoDBSettings)
    deploy: DeploySettings = field(default_factory=DeploySettings)
    auth: AuthSettings = field(default_factory=AuthSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    config_servers: Optional[ReplicaSet] = None
    shards: tuple = ()  # of ReplicaSet
    replica_set: Optional[ReplicaSet] = None
    standalone: Optional[Member] = None
    routers: tuple = ()  # of Router
    databases: tuple = ()  # of DatabaseSpec
    index_sets: tuple = ()  # ((name, (IndexSpec, ...)), ...)
    balancer: Optional[BalancerSpec] = None  # None: leave the cluster's balancer as it is
    warnings: tuple = ()  # human-readable, printed but not fatal

    @property
    def replica_sets(self) -> tuple:
        """Every replica set, config servers first."""
        sets = (self.config_servers,) if self.config_servers else ()
        sets += self.shards
        return sets + ((self.replica_set,) if self.replica_set else ())

    @property
    def members(self) -> tuple:
        """Every mongod, in start order."""
        found = tuple(m for rs in self.replica_sets for m in rs.members)
        return found + ((self.standalone,) if self.standalone else ())

    @property
    def processes(self) -> tuple:
        """Every process the deployment runs: mongods, then routers."""
        return self.members + self.routers

    def index_set(self, name: str) -> tuple:
        return dict(self.index_sets)[name]
