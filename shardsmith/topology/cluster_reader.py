"""Read the cluster half of a spec: settings, replica sets, routers, ports."""

from __future__ import annotations

import re
from typing import Any

import psutil

from ..releases import VersionRequest
from .addresses import parse_bind_ip
from .fields import Fields, type_name
from .model import AuthSettings, DeploySettings, Member, MongoDBSettings, ReplicaSet, Role, Router, StorageSettings
from .problems import Problems

MEMBER_KEYS = {"priority", "votes", "hidden", "arbiter", "secondary_delay", "tags", "port", "args", "host"}
SET_KEYS = {"name", "members"}
SET_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DEFAULT_VERSION = "6.0"  # mongodb.version when the spec names none
MAX_MEMBERS = 50  # MongoDB's limit on replica-set members
# members[n].secondaryDelaySecs (https://www.mongodb.com/docs/manual/reference/replica-configuration/):
# the server validates it with `{ gte: 0, lte: 31622400 }`, 366 days, in mongodb/mongo
# src/mongo/db/repl/member_config.idl.
MAX_SECONDARY_DELAY = 366 * 86400
# cacheSizeGB: `validator: { gte: 0.25, lte: 10000 }` in mongodb/mongo
# src/mongo/db/storage/wiredtiger/wiredtiger_global_options.idl.
MIN_CACHE_BYTES, MAX_CACHE_BYTES = 1024**3 // 4, 10000 * 1024**3


def read_mongodb(fields: Fields) -> MongoDBSettings:
    """`version` is "7.0" (newest 7.0.x), "8.0.4" (exact) or "latest"; the default image is mongo:MAJOR.MINOR."""
    version = fields.data.get("version", DEFAULT_VERSION)
    if isinstance(version, float):  # `version: 6.0` unquoted
        version = f"{version:.1f}"
    try:
        request = VersionRequest.parse(version) if isinstance(version, str) else None
    except ValueError:
        request = None
    if request is None:
        fields.problems.add(fields.at("version"), 'must be MAJOR.MINOR such as "7.0", an exact release such as '
                                                  f'"8.0.4", or "latest"; got {version!r}')
        request = VersionRequest.parse(DEFAULT_VERSION)
    return MongoDBSettings(
        version=request.text,
        image=fields.str("image", f"mongo:{request.series or request.text}"),
        binaries=fields.str("binaries", "auto"),
    )


def read_deploy(fields: Fields, *, hosted: bool = False) -> DeploySettings:
    """With `hosts:` declared, members on several machines reach each other on the host network by default."""
    return DeploySettings(
        backend=fields.str("backend", "local", choices=("local", "compose")),
        bind_ip=read_bind_ip(fields),
        base_port=fields.number("base_port", 27017, minimum=1024, maximum=65535),
        state_dir=fields.str("state_dir", ".shardsmith"),
        network=fields.str("network", "host" if hosted else "bridge", choices=("bridge", "host")),
        expose_members=fields.bool("expose_members", False),
        allow_unauthenticated_network=fields.bool("allow_unauthenticated_network", False),
        placement=fields.str("placement", "manual", choices=("manual", "spread")),
    )


def read_bind_ip(fields: Fields) -> str:
    """Addresses or host names, comma-separated as mongod's net.bindIp; normalised without spaces."""
    default = DeploySettings.bind_ip
    text = fields.str("bind_ip", default)
    try:
        return ",".join(parse_bind_ip(text))
    except ValueError as exc:
        fields.problems.add(fields.at("bind_ip"), str(exc))
        return default


def read_auth(fields: Fields) -> AuthSettings:
    env = fields.str("root_password_env", "SHARDSMITH_ROOT_PASSWORD")
    if env and not ENV_NAME.match(env):
        fields.problems.add(fields.at("root_password_env"), f"{env!r} is not an environment variable name")
    return AuthSettings(
        enabled=fields.bool("enabled", True),
        keyfile=fields.str("keyfile", "auto"),
        root_user=fields.str("root_user", "admin"),
        root_password_env=env,
    )


def read_storage(fields: Fields) -> StorageSettings:
    """The cache each mongod gets: within mongod's bounds and this machine's memory."""
    cache = fields.size("wiredtiger_cache")
    if cache is None:
        return StorageSettings()
    memory = psutil.virtual_memory().total
    if cache > memory:
        fields.problems.add(fields.at("wiredtiger_cache"), f"{_gb(cache)} is more than this machine's memory "
                                                           f"({_gb(memory)}); every mongod would be given that much")
        return StorageSettings()
    if cache > MAX_CACHE_BYTES:
        fields.problems.add(fields.at("wiredtiger_cache"), f"{_gb(cache)} is above mongod's maximum of 10000 GB")
        return StorageSettings()
    if cache < MIN_CACHE_BYTES:
        fields.problems.add(fields.at("wiredtiger_cache"), f"{_gb(cache)} is below mongod's minimum of 0.25 GB; "
                                                           "each mongod gets 0.25 GB", warning=True)
    return StorageSettings(wiredtiger_cache_bytes=cache)


def _gb(size: int) -> str:
    return f"{size / 1024**3:,.2f} GB"


def read_args(fields: Fields) -> tuple:
    """Extra command-line flags: strings (numbers allowed, as YAML reads `--port 5`)."""
    args = fields.list("args")
    for i, arg in enumerate(args):
        if not isinstance(arg, (str, int, float)) or isinstance(arg, bool):
            fields.problems.add(fields.at("args") + (i,), f"must be a string, not {type_name(arg)}")
    return tuple(str(a) for a in args)


def read_member(problems: Problems, path, value, *, set_name, number, role) -> tuple[Member, dict]:
    """One member entry; returns it with the keys the user set explicitly."""
    fields = Fields(problems, path, value, MEMBER_KEYS)
    arbiter = fields.bool("arbiter")
    hidden = fields.bool("hidden")
    delay = fields.duration("secondary_delay", 0, maximum=MAX_SECONDARY_DELAY)
    votes = fields.number("votes", 1, minimum=0, maximum=1)
    passive = arbiter or hidden or delay or votes == 0
    tags = fields.mapping("tags")
    for key, tag in tags.items():
        if not isinstance(tag, str):
            problems.add(fields.at("tags") + (key,), f"tag values must be strings, not {type_name(tag)}")
    args = read_args(fields)
    member = Member(
        set_name=set_name,
        number=number,
        port=fields.number("port", 0, minimum=1, maximum=65535),
        role=role,
        priority=fields.number("priority", 0 if passive else 1, minimum=0, maximum=1000, integer=False),
        votes=votes,
        hidden=hidden,
        arbiter=arbiter,
        secondary_delay=delay,
        tags=tuple(sorted((str(k), str(v)) for k, v in tags.items())),
        args=args,
        host=fields.str("host"),
    )
    return member, fields.data


def read_replica_set(problems: Problems, path, value, *, role, default_name, where: dict) -> ReplicaSet:
    fields = Fields(problems, path, value, SET_KEYS)
    name = fields.str("name", default_name, required=default_name is None) or f"set{len(where)}"
    if not SET_NAME.match(name):
        problems.add(fields.at("name"), f"{name!r} may hold only letters, digits, '-' and '_'")
    raw = fields.data.get("members", 1 if role is Role.STANDALONE else 3)
    if isinstance(raw, bool) or not isinstance(raw, (int, list)):
        problems.add(fields.at("members"), f"must be a member count or a list of members, not {type_name(raw)}")
        raw = 1
    if isinstance(raw, int):
        if raw < 1:
            problems.add(fields.at("members"), "a replica set needs at least 1 member")
        elif raw > MAX_MEMBERS:
            problems.add(fields.at("members"), f"{raw} members; a replica set holds at most {MAX_MEMBERS}")
            raw = 1  # read on with one member: the count itself is the problem
        entries: list[Any] = [{}] * max(raw, 1)  # empty entries: each member takes the defaults
        paths = [fields.at("members")] * len(entries)
    else:
        if not raw:
            problems.add(fields.at("members"), "a replica set needs at least 1 member")
        entries = raw or [{}]
        paths = [fields.at("members") + (i,) for i in range(len(entries))]
    members = []
    for number, (entry, member_path) in enumerate(zip(entries, paths), start=1):
        member, explicit = read_member(problems, member_path, entry, set_name=name, number=number, role=role)
        where[id(member)] = (member_path, explicit)
        members.append(member)
    replica_set = ReplicaSet(name=name, role=role, members=tuple(members))
    where[id(replica_set)] = (tuple(path), fields.data)
    return replica_set


def read_routers(fields: Fields) -> tuple:
    """`count` routers; `hosts: [db1, db2]` places router i on the i-th host (round robin), `host: db1` all of them."""
    listed = fields.list("hosts")
    for i, host in enumerate(listed):
        if not isinstance(host, str) or not host:
            fields.problems.add(fields.at("hosts") + (i,), f"must be a host name, not {type_name(host)}")
    if fields.has("host") and fields.has("hosts"):
        fields.problems.add(fields.at("hosts"), "give host (every router there) or hosts (one router each), not both")
    hosts = [h for h in listed if isinstance(h, str) and h] or [fields.str("host")]
    count = fields.number("count", len(hosts) if listed else 1, minimum=0, maximum=64)
    args = read_args(fields)
    return tuple(Router(number=i, port=0, args=args, host=hosts[(i - 1) % len(hosts)]) for i in range(1, count + 1))
