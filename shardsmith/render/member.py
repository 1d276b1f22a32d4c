"""What a member's config file needs to know, gathered from the model."""

from __future__ import annotations

from typing import Optional

from ..topology.model import Role

# A signalled mongod waits this long for secondaries to catch up before it
# exits; the default (15 s for a primary) makes `down` needlessly slow on a
# throwaway cluster, and the local backend always sends SIGTERM first.
SIGNALLED_SHUTDOWN_MS = 200


def config_db(topology) -> str:
    """The configDB string a router needs: cfg/host:port,host:port,... (as the config servers advertise)."""
    cfg = topology.config_servers
    return f"{cfg.name}/" + ",".join(f"{topology.reach_of(m)}:{m.port}" for m in cfg.members)


def tls_context(topology, certificate_key_file: Optional[str], ca_file: Optional[str]) -> Optional[dict]:
    """net.tls for one process: its mode, certificate and the CA; clients may come without a certificate."""
    if not topology.tls.enabled:
        return None
    return {"mode": topology.tls.mode, "certificate_key_file": certificate_key_file, "ca_file": ca_file,
            "x509": topology.tls.x509}


def member_config_context(topology, proc, paths: dict) -> dict:
    """Context for mongod.conf.j2 / mongos.conf.j2 on the local backend."""
    context = {
        "proc": proc,
        "port": proc.port,
        "bind_ip": topology.bind_ip_of(proc),
        "paths": paths,
        "auth": topology.auth.enabled,
        "keyfile": paths.get("keyfile") if topology.auth.enabled else None,
        "tls": tls_context(topology, paths.get("tls_pem"), paths.get("tls_ca")),
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
