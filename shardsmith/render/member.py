"""What a member's config file needs to know, gathered from the model."""

from __future__ import annotations

from ..topology.model import Role

# A signalled mongod waits this long for secondaries to catch up before it
# exits; the default (15 s for a primary) makes `down` needlessly slow on a
# throwaway cluster, and the local backend always sends SIGTERM first.
SIGNALLED_SHUTDOWN_MS = 200


def config_db(topology, host: str = "127.0.0.1") -> str:
    """The configDB string a router needs: cfg/host:port,host:port,..."""
    cfg = topology.config_servers
    return f"{cfg.name}/" + ",".join(f"{host}:{m.port}" for m in cfg.members)


def member_config_context(topology, proc, paths: dict) -> dict:
    """Context for mongod.conf.j2 / mongos.conf.j2 on the local backend."""
    context = {
        "proc": proc,
        "port": proc.port,
        "bind_ip": topology.deploy.bind_ip,
        "paths": paths,
        "keyfile": paths.get("keyfile") if topology.auth.enabled else None,
        "shutdown_timeout_ms": SIGNALLED_SHUTDOWN_MS,
    }
    if proc.role is Role.MONGOS:
        context["config_db"] = config_db(topology)
        return context
    context.update(
        replica_set=proc.set_name,
        cluster_role=proc.role.cluster_role,
        cache_gb=topology.storage.wiredtiger_cache_gb,
    )
    return context
