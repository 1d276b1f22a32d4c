"""The validated, immutable topology: what the rest of Shardsmith reads.

Nothing here parses or checks; `shardsmith.topology.build_topology` builds these from
YAML only after every rule passed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Optional, Union

from ..errors import ShardsmithError
from .addresses import WILDCARDS, reachable_address

KeySpec = tuple  # ordered ((field, 1 | -1 | "hashed" | "text" ...), ...)


class Role(str, Enum):
    """What a process is in the cluster. A str, so JSON and state files keep the plain word."""

    CONFIGSVR = "configsvr"
    SHARDSVR = "shardsvr"
    REPLSET = "replset"
    STANDALONE = "standalone"
    MONGOS = "mongos"

    def __str__(self) -> str:
        return self.value

    @property
    def program(self) -> str:
        """The binary that runs it."""
        return "mongos" if self is Role.MONGOS else "mongod"

    @property
    def cluster_role(self) -> Optional[str]:
        """mongod's sharding.clusterRole, for members of a sharded cluster."""
        return self.value if self in (Role.CONFIGSVR, Role.SHARDSVR) else None


class Kind(str, Enum):
    """The cluster's shape."""

    SHARDED = "sharded"
    REPLSET = "replset"
    STANDALONE = "standalone"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Member:
    """One mongod of a replica set (or the standalone)."""

    set_name: Optional[str]  # None for a standalone
    number: int  # 1-based within its set: shard01.1, shard01.2 ...
    port: int
    role: Role  # CONFIGSVR | SHARDSVR | REPLSET | STANDALONE
    priority: float = 1.0
    votes: int = 1
    hidden: bool = False
    arbiter: bool = False
    secondary_delay: int = 0
    tags: tuple = ()  # ((key, value), ...)
    args: tuple = ()
    host: Optional[str] = None  # the `hosts:` entry it runs on; None: this machine (deploy.bind_ip)

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
    role: Role  # CONFIGSVR | SHARDSVR | REPLSET
    members: tuple  # of Member


@dataclass(frozen=True)
class Router:
    number: int
    port: int
    args: tuple = ()
    role: Role = Role.MONGOS
    set_name: None = None  # routers belong to no replica set
    host: Optional[str] = None  # the `hosts:` entry it runs on; None: this machine (deploy.bind_ip)

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
    placement: str = "manual"  # manual: each member names its host; spread: members of a set on different hosts

    @property
    def bind_address(self) -> str:
        """Where this host checks that a port is free: a wildcard as it is, else the address it connects to."""
        entries = [entry.strip() for entry in self.bind_ip.split(",")]
        return next((e for e in entries if e in WILDCARDS), self.reachable_ip)

    @property
    def reachable_ip(self) -> str:
        """How this host reaches what listens on bind_ip: a loopback entry if any (a wildcard is reached there)."""
        return reachable_address(self.bind_ip)


@dataclass(frozen=True)
class AuthSettings:
    enabled: bool = True
    keyfile: str = "auto"
    root_user: str = "admin"
    root_password_env: str = "SHARDSMITH_ROOT_PASSWORD"


@dataclass(frozen=True)
class Host:
    """A machine members run on (`hosts:`): reached at `address`, driven through a Docker context."""

    name: str
    address: str  # what members advertise and clients connect to (a DNS name or an IP)
    docker_context: Optional[str] = None  # `docker --context NAME`; None: the default engine
    bind_ip: str = ""  # what its processes listen on; "" means 127.0.0.1 and `address`

    @property
    def listen(self) -> str:
        """mongod's bindIp there: loopback too, so an init service beside a member reaches it as localhost."""
        return self.bind_ip or ",".join(dict.fromkeys(("127.0.0.1", self.address)))


@dataclass(frozen=True)
class TLSSettings:
    """`tls:`: how members and clients encrypt, and where certificates come from."""

    mode: str = "disabled"  # requireTLS | preferTLS | disabled (mongod's net.tls.mode)
    ca_cert: Optional[str] = None  # a CA of the user's (absolute paths); None: Shardsmith generates one
    ca_key: Optional[str] = None
    member_auth: str = "keyfile"  # keyfile | x509 (security.clusterAuthMode)
    validity_days: int = 397  # of each member and router certificate

    @property
    def enabled(self) -> bool:
        return self.mode != "disabled"

    @property
    def x509(self) -> bool:
        return self.member_auth == "x509"


@dataclass(frozen=True)
class AppUser:
    """An application user (`users:`) in the admin database; its password is read from `password_env` when
    it is applied, never stored."""

    name: str
    password_env: str
    roles: tuple  # ((role, db), ...), sorted

    @property
    def role_documents(self) -> list[dict]:
        return [{"role": role, "db": db} for role, db in self.roles]


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
    kind: Kind
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
    hosts: tuple = ()  # of Host; empty: every process on this machine
    tls: TLSSettings = field(default_factory=TLSSettings)
    users: tuple = ()  # of AppUser
    warnings: tuple = ()  # human-readable, printed but not fatal
    spec_lines: tuple = ()  # ((path, line), ...) of keys checked only when used (password_env, addresses)

    def line_of(self, path: str) -> Optional[int]:
        """The spec line of `path` (`users[0].password_env`), for problems found after loading."""
        return dict(self.spec_lines).get(path)

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

    @property
    def has_routers(self) -> bool:
        return bool(self.routers)

    def process(self, name: str) -> "Process":
        """The member or router called `name` (`shard01.2`, `mongos.1`)."""
        for proc in self.processes:
            if proc.name == name:
                return proc
        raise KeyError(name)

    # -- where processes run ------------------------------------------------------------------------

    def host_of(self, proc: "Process") -> Optional[Host]:
        """The declared host `proc` runs on, or None (this machine)."""
        return next((h for h in self.hosts if h.name == proc.host), None) if proc.host else None

    def reach_of(self, proc: "Process") -> str:
        """The address members advertise and clients connect to: the host's, else this machine's."""
        host = self.host_of(proc)
        return host.address if host else self.deploy.reachable_ip

    def bind_ip_of(self, proc: "Process") -> str:
        """What `proc` listens on: its host's addresses, else deploy.bind_ip."""
        host = self.host_of(proc)
        return host.listen if host else self.deploy.bind_ip

    def processes_on(self, host: Optional[str]) -> tuple:
        """The processes placed on `host` (None: those on this machine)."""
        return tuple(p for p in self.processes if p.host == host)

    def replica_set_named(self, name: str) -> ReplicaSet:
        for replica_set in self.replica_sets:
            if replica_set.name == name:
                return replica_set
        raise ShardsmithError(f"no replica set {name!r} in {self.source}",
                              hint=f"the sets are: {', '.join(rs.name for rs in self.replica_sets) or 'none'}")

    def index_set(self, name: str) -> tuple:
        return dict(self.index_sets)[name]

    def relocated(self, port_offset: int, name_suffix: str) -> "Topology":
        """The same cluster under another name, every port moved by `port_offset`: one per pytest-xdist worker."""
        def moved(replica_set: Optional[ReplicaSet]) -> Optional[ReplicaSet]:
            if replica_set is None:
                return None
            return replace(replica_set, members=tuple(replace(m, port=m.port + port_offset)
                                                      for m in replica_set.members))

        highest = max(p.port for p in self.processes) + port_offset
        if highest > 65535:
            raise ShardsmithError(f"moving {self.name}'s ports by {port_offset} would put one at {highest}",
                                  hint="lower deploy.base_port, or run fewer pytest-xdist workers")
        return replace(self, name=f"{self.name}{name_suffix}", config_servers=moved(self.config_servers),
                       shards=tuple(moved(s) for s in self.shards), replica_set=moved(self.replica_set),
                       standalone=replace(self.standalone, port=self.standalone.port + port_offset)
                       if self.standalone else None,
                       routers=tuple(replace(r, port=r.port + port_offset) for r in self.routers))

    # -- the data plan, looked up by what a task was asked for ------------------------------------

    def databases_with(self, section: Optional[str] = None, database: Optional[str] = None) -> list[DatabaseSpec]:
        """The spec's databases that declare `section` (collections, rolling, tiers), optionally only `database`.

        An undeclared `database` asked for without a section is an empty DatabaseSpec: reporting
        tasks (stats, indexes) still look at it.
        """
        found = [db for db in self.databases if (section is None or getattr(db, section))
                 and (database is None or db.name == database)]
        if not found and database is not None and section is None:
            return [DatabaseSpec(name=database)]
        if not found:
            what = f" with {section}" if section else ""
            raise ShardsmithError(f"no database{what}{f' named {database!r}' if database else ''} in {self.source}",
                                  hint=f"declare databases.<name>.{section or 'collections'} in the topology")
        return found

    def rolling_families(self, database: Optional[str] = None,
                         prefix: Optional[str] = None) -> list[tuple[str, RollingSpec]]:
        """(database name, RollingSpec) for every rolling family, optionally one database or prefix."""
        pairs = [(db.name, rolling) for db in self.databases_with("rolling", database) for rolling in db.rolling
                 if prefix is None or rolling.prefix == prefix]
        if not pairs:
            raise ShardsmithError(f"no rolling collections {prefix!r} in {self.source}",
                                  hint="declare them under databases.<db>.rolling in the topology")
        return pairs

    def rolling_family(self, database: str, prefix: str) -> RollingSpec:
        """One declared family, with a clear error when the spec has no such family."""
        for db in self.databases:
            for rolling in db.rolling:
                if db.name == database and rolling.prefix == prefix:
                    return rolling
        raise ShardsmithError(f"no rolling collections {prefix!r} in database {database!r} of {self.source}",
                              hint="declare them under databases.<db>.rolling in the topology")

    def declared_rolling(self) -> list[tuple[str, str]]:
        """(database, prefix) of every rolling family, in spec order."""
        return [(db.name, rolling.prefix) for db in self.databases for rolling in db.rolling]

    def tier_specs(self, database: Optional[str] = None, name: Optional[str] = None) -> list[tuple[str, TierSpec]]:
        """(database, TierSpec) pairs of the spec, optionally one database or one tier."""
        found = [(db.name, tier) for db in self.databases for tier in db.tiers
                 if (database is None or db.name == database) and (name is None or tier.name == name)]
        if not found:
            raise ShardsmithError(f"no tiers{f' named {name!r}' if name else ''} in {self.source}",
                                  hint="declare them under databases.<db>.tiers (hot, warm, cold)")
        return found


Process = Union[Member, Router]
