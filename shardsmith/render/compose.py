"""What a compose file needs to know: services, where members find each other, which image kind.

The compose file itself is written by templates/compose.yaml.j2. Two image
kinds differ only where they must: the official image (`mongo:X`) carries
mongosh, so its file has health checks and one-shot init services and comes
up initialised on its own; Shardsmith's local image (`inv image`) has only
mongod, so Shardsmith checks health and bootstraps from the host.

    text = render_compose(topology)                 # image kind from mongodb.image
    text = render_compose(topology, "local", routers=False, sockets_dir=Path("/tmp/s"))
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from ..bootstrap.configs import intended_primary
from ..endpoints import Endpoint, Endpoints
from ..topology.model import Role, Topology
from .environment import render_template
from .member import SIGNALLED_SHUTDOWN_MS

LOCAL_REPOSITORY = "shardsmith/mongod"
IMAGE_KINDS = ("official", "local")
MONGODB_UID = 999  # the mongodb user of the official image; the local image uses the same
CONTAINER_KEYFILE = "/keyfile/keyfile"
CONTAINER_SOCKETS = "/shardsmith-sockets"
CONTAINER_INIT_SCRIPT = "/shardsmith/init.js"
INIT_PART_ENV = "SHARDSMITH_INIT_PART"


def image_kind_of(image: str) -> str:
    """`local` for images `inv image` builds (no mongosh inside), `official` otherwise."""
    return "local" if image.split(":", 1)[0] == LOCAL_REPOSITORY else "official"


def init_script_name(topology) -> str:
    """The init script lives beside the compose file: compose/<name>.init.js."""
    return f"{topology.name}.init.js"



def member_host(topology, proc) -> str:
    """How members and routers name each other: service names on a bridge, bind_ip on the host network."""
    if topology.deploy.network == "host":
        return f"{topology.deploy.reachable_ip}:{proc.port}"
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
    if topology.deploy.network == "host":
        ip = topology.deploy.reachable_ip
        return {p.name: Endpoint(p.name, member_host(topology, p), f"{ip}:{p.port}") for p in topology.processes}
    beside = {init["beside"] for init in init_services(topology, list(topology.routers))}
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


def compose_context(topology, image_kind: Optional[str] = None, *, routers: bool = True,
                    sockets_dir: Optional[Path] = None) -> dict:
    kind = image_kind or image_kind_of(topology.mongodb.image)
    if kind not in IMAGE_KINDS:
        raise ValueError(f"image kind must be one of {IMAGE_KINDS}, not {kind!r}")
    deploy = topology.deploy
    routers_run = list(topology.routers) if routers else []
    cfg = topology.config_servers
    inits = init_services(topology, routers_run) if kind == "official" else []
    return {
        "topology": topology,
        "image": topology.mongodb.image,
        "official": kind == "official",
        "host_network": deploy.network == "host",
        "bind_ip": deploy.bind_ip,
        "publish_ip": deploy.reachable_ip,
        "members": list(topology.members),
        "routers": routers_run,
        "published": {p.name: published(topology, p) for p in topology.processes},
        "config_db": f"{cfg.name}/" + ",".join(member_host(topology, m) for m in cfg.members) if cfg else None,
        "cache_gb": topology.storage.wiredtiger_cache_gb,
        "auth": topology.auth.enabled,
        "password_env": topology.auth.root_password_env,
        "keyfile": CONTAINER_KEYFILE,
        "uid": MONGODB_UID,
        "shutdown_timeout_ms": SIGNALLED_SHUTDOWN_MS,
        "sockets_dir": str(sockets_dir) if sockets_dir else None,
        "container_sockets": CONTAINER_SOCKETS,
        "init_script": init_script_name(topology),
        "container_init_script": CONTAINER_INIT_SCRIPT,
        "init_part_env": INIT_PART_ENV,
        "inits": inits,
        "ready_after": ready_after(inits, routers_run, topology),
    }


def render_compose(topology, image_kind: Optional[str] = None, *, routers: bool = True,
                   sockets_dir: Optional[Path] = None) -> str:
    """The docker compose file for `topology` (see templates/compose.yaml.j2)."""
    return render_template("compose.yaml.j2", **compose_context(topology, image_kind, routers=routers,
                                                                sockets_dir=sockets_dir))
