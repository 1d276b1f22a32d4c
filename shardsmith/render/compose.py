"""What a compose file needs to know: services, where members find each other, which image kind.

The compose file itself is written by templates/compose.yaml.j2. Two image
kinds differ only where they must: the official image (`mongo:X`) carries
mongosh, so its file has health checks and one-shot init services and comes
up initialised on its own; Shardsmith's local image (`inv image`) has only
mongod, so Shardsmith checks health and bootstraps from the host.

A topology with `hosts:` gets one bundle per host (`host=`): that host's
processes on the host network, advertising the host's address, and the init
services that sit beside them. What members must share across hosts (the
keyfile, the CA) and the certificates come from an external volume,
`<project>-secrets`, that Shardsmith fills through each host's Docker engine;
nothing secret is in a rendered file or baked into an image.

    text = render_compose(topology)                 # image kind from mongodb.image
    text = render_compose(topology, "local", routers=False, sockets_dir=Path("/tmp/s"))
    text = render_compose(staging, host="db1")      # db1's bundle
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from ..bootstrap.configs import intended_primary
from ..endpoints import Endpoint, Endpoints
from ..topology.addresses import reachable_address
from ..topology.model import Role, Topology
from .environment import render_template
from .member import SIGNALLED_SHUTDOWN_MS

LOCAL_REPOSITORY = "shardsmith/mongod"
IMAGE_KINDS = ("official", "local")
MONGODB_UID = 999  # the mongodb user of the official image; the local image uses the same
CONTAINER_KEYFILE = "/keyfile/keyfile"
CONTAINER_SECRETS = "/shardsmith-secrets"  # keyfile (several hosts), ca.pem, <service>.pem: the secrets volume
CONTAINER_SOCKETS = "/shardsmith-sockets"
CONTAINER_INIT_SCRIPT = "/shardsmith/init.js"
CONTAINER_INIT_PLAN = "/shardsmith/plan.json"  # where templates/init.js reads the plan by default
INIT_SCRIPT = "init.js"  # the executor beside the compose files, the same for every cluster
INIT_PART_ENV = "SHARDSMITH_INIT_PART"


def image_kind_of(image: str) -> str:
    """`local` for images `inv image` builds (no mongosh inside), `official` otherwise."""
    return "local" if image.split(":", 1)[0] == LOCAL_REPOSITORY else "official"


def init_plan_name(topology) -> str:
    """The init plan lives beside the compose file: compose/<name>.plan.json (compose/<name>/ with hosts)."""
    return f"{topology.name}.plan.json"


def project_name(topology, host: Optional[str] = None) -> str:
    """The compose project: the cluster's name, and the host's with several hosts (one engine may run them all)."""
    return f"{topology.name}-{host}" if host else topology.name


def secrets_volume(topology, host: Optional[str] = None) -> Optional[str]:
    """The external volume holding the keyfile (several hosts) and certificates (TLS), or None if none is needed."""
    return f"{project_name(topology, host)}-secrets" if host or topology.tls.enabled else None


def member_host(topology, proc) -> str:
    """How members and routers name each other: service names on a bridge, the address they are reached at
    (their host's, or bind_ip's) on the host network."""
    if topology.deploy.network == "host":
        return f"{topology.reach_of(proc)}:{proc.port}"
    return f"{proc.service}:{proc.port}"


def host_named_sets(topology) -> tuple:
    """Replica sets whose members the host must also resolve by service name: those published on a bridge.

    Drivers discover members by the names in the set's config; shardsmith.hosts_file maps them to bind_ip.
    """
    if topology.deploy.network == "host" or not topology.deploy.expose_members:
        return ()
    return tuple(topology.replica_sets)


def in_network_endpoints(topology: Topology) -> Endpoints:
    """Endpoints as the init services see them.

    On a bridge each init service shares the network namespace of the process
    it sits beside (a set's intended primary, the first router, the
    standalone): that one it reaches as 127.0.0.1, the localhost exception's
    condition; every other process by its name on the network. On the host
    network everything is on bind_ip.
    """
    beside = {init["beside"] for init in init_services(topology, list(topology.routers))}
    if topology.deploy.network == "host":  # on a host of several, beside its process an init is on loopback
        return {p.name: Endpoint(p.name, member_host(topology, p),
                                 f"127.0.0.1:{p.port}" if p.host and p.service in beside else member_host(topology, p))
                for p in topology.processes}
    return {p.name: Endpoint(p.name, member_host(topology, p),
                             f"127.0.0.1:{p.port}" if p.service in beside else member_host(topology, p))
            for p in topology.processes}


def published(topology, proc) -> bool:
    """Routers are always reachable from the host; members only with deploy.expose_members."""
    return proc.role is Role.MONGOS or topology.deploy.expose_members


def init_services(topology, routers: list) -> list[dict]:
    """The official image's one-shot init services, each beside the process it must reach as localhost.

    The root user can only be created through the localhost exception, so each
    replica set's init shares the network namespace of its intended primary,
    and the router part that of the first router.
    """
    inits = [{"name": f"init-{rs.name}", "part": rs.name, "beside": intended_primary(rs).service,
              "needs": [(m.service, "service_healthy") for m in rs.members]} for rs in topology.replica_sets]
    if routers:
        needs = [(routers[0].service, "service_healthy")] + [(f"init-{s.name}", "service_completed_successfully")
                                                             for s in topology.shards]
        inits.append({"name": "init", "part": "router", "beside": routers[0].service, "needs": needs})
    elif topology.standalone:
        inits.append({"name": "init", "part": "standalone", "beside": topology.standalone.service,
                      "needs": [(topology.standalone.service, "service_healthy")]})
    return inits


def ready_after(inits: list[dict], routers: list, topology) -> list[str]:
    """Init services nothing else waits for: `ready` waits for them, so `up --wait` waits for them too.

    (`docker compose up --wait` fails on a one-shot container that no service depends on.)
    """
    awaited = {name for init in inits for name, _ in init["needs"]}
    if routers and topology.config_servers:
        awaited.add(f"init-{topology.config_servers.name}")
    return [init["name"] for init in inits if init["name"] not in awaited]


def router_needs(topology, official: bool, inits: list[str], here: set) -> list[tuple[str, str]]:
    """What a router's service waits for: the keyfile, and the config servers initiated (official image) or
    started; only services of the same bundle (across hosts, mongos itself waits for its config servers)."""
    needs = [("keyfile", "service_completed_successfully")] if topology.auth.enabled and not topology.tls.x509 \
        and not any(p.host for p in here) else []
    cfg = topology.config_servers
    if cfg is None:
        return needs
    if official:
        return needs + [(name, "service_completed_successfully") for name in inits if name == f"init-{cfg.name}"]
    return needs + [(m.service, "service_started") for m in cfg.members if m in here]


def on_host(inits: list[dict], services: set) -> list[dict]:
    """The init services of one host's bundle (those beside its processes), waiting only for its services."""
    return [dict(init, needs=[(name, condition) for name, condition in init["needs"] if name in services])
            for init in inits if init["beside"] in services]


def tls_flags(topology) -> Optional[dict]:
    """What mongod/mongos, health checks and init services need for TLS inside a container."""
    if not topology.tls.enabled:
        return None
    return {"mode": topology.tls.mode, "x509": topology.tls.x509, "ca": f"{CONTAINER_SECRETS}/ca.pem",
            "folder": CONTAINER_SECRETS}


def compose_context(topology, image_kind: Optional[str] = None, *, routers: bool = True,
                    sockets_dir: Optional[Path] = None, host: Optional[str] = None) -> dict:
    kind = image_kind or image_kind_of(topology.mongodb.image)
    if kind not in IMAGE_KINDS:
        raise ValueError(f"image kind must be one of {IMAGE_KINDS}, not {kind!r}")
    deploy = topology.deploy
    here = set(topology.processes_on(host)) if host else set(topology.processes)
    routers_run = [r for r in topology.routers if r in here] if routers else []
    cfg = topology.config_servers
    inits = init_services(topology, list(topology.routers) if routers else []) if kind == "official" else []
    if host:
        inits = on_host(inits, {p.service for p in here if p.role != Role.MONGOS or p in routers_run})
    secrets = secrets_volume(topology, host)
    return {
        "topology": topology,
        "project": project_name(topology, host),
        "host": host,
        "image": topology.mongodb.image,
        "official": kind == "official",
        "host_network": deploy.network == "host",
        "bind_ip": {p.name: topology.bind_ip_of(p) for p in topology.processes},
        "health_ip": {p.name: reachable_address(topology.bind_ip_of(p)) for p in topology.processes},
        "publish_ip": deploy.reachable_ip,
        "members": [m for m in topology.members if m in here],
        "routers": routers_run,
        "published": {p.name: published(topology, p) for p in topology.processes},
        "config_db": f"{cfg.name}/" + ",".join(member_host(topology, m) for m in cfg.members) if cfg else None,
        "cache_gb": topology.storage.wiredtiger_cache_gb,
        "auth": topology.auth.enabled,
        "password_env": topology.auth.root_password_env,
        "user_envs": [user.password_env for user in topology.users],
        "keyfile": None if topology.tls.x509 else f"{CONTAINER_SECRETS}/keyfile" if host else CONTAINER_KEYFILE,
        "keyfile_service": topology.auth.enabled and not topology.tls.x509 and not host,
        "secrets_volume": secrets,
        "container_secrets": CONTAINER_SECRETS,
        "tls": tls_flags(topology),
        "uid": MONGODB_UID,
        "shutdown_timeout_ms": SIGNALLED_SHUTDOWN_MS,
        "sockets_dir": str(sockets_dir) if sockets_dir else None,
        "container_sockets": CONTAINER_SOCKETS,
        "init_script": INIT_SCRIPT,
        "container_init_script": CONTAINER_INIT_SCRIPT,
        "init_plan": init_plan_name(topology),
        "container_init_plan": CONTAINER_INIT_PLAN,
        "init_part_env": INIT_PART_ENV,
        "inits": inits,
        "ready_after": ready_after(inits, routers_run, topology),
        "router_needs": router_needs(topology, kind == "official", [i["name"] for i in inits], here),
    }


def render_compose(topology, image_kind: Optional[str] = None, *, routers: bool = True,
                   sockets_dir: Optional[Path] = None, host: Optional[str] = None) -> str:
    """The docker compose file for `topology` (see templates/compose.yaml.j2), or for one host's bundle."""
    return render_template("compose.yaml.j2", **compose_context(topology, image_kind, routers=routers,
                                                                sockets_dir=sockets_dir, host=host))
