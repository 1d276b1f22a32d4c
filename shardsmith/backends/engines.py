"""Docker engines by context: the one `docker --context NAME` drives, for the SDK calls beside the CLI's.

A context names an engine: a local socket, `tcp://` with TLS material, or
`ssh://` (the SDK shells out to ssh, as the CLI does). The CLI is asked where
the context points (`docker context inspect`), so Shardsmith sees the same
engine `docker --context NAME compose` does.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Optional

import docker
from docker.errors import DockerException
from docker.tls import TLSConfig

from ..errors import ShardsmithError

TIMEOUT = 300


def context_engine(context: str) -> dict[str, Any]:
    """The context's docker endpoint ({"Host", "SkipTLSVerify"}) and its TLS folder, as the CLI stores them."""
    try:
        done = subprocess.run(["docker", "context", "inspect", context], capture_output=True, text=True, timeout=60,
                              check=False)
    except FileNotFoundError:
        raise ShardsmithError("the docker command is not installed", hint="install the Docker CLI") from None
    if done.returncode != 0:
        raise ShardsmithError(f"there is no Docker context {context!r} on this machine ({done.stderr.strip()})",
                              hint=f"create it: docker context create {context} --docker host=ssh://USER@HOST "
                                   "(or tcp://HOST:2376 with TLS); `docker context ls` lists them")
    found: dict[str, Any] = json.loads(done.stdout)[0]
    return {**found["Endpoints"]["docker"], "TLSPath": found.get("Storage", {}).get("TLSPath")}


def tls_config(endpoint: dict[str, Any]) -> Optional[TLSConfig]:
    """The client certificate and CA a `tcp://` context was created with, if any."""
    folder = Path(endpoint["TLSPath"]) / "docker" if endpoint.get("TLSPath") else None
    if folder is None or not (folder / "cert.pem").exists():
        return None
    ca = folder / "ca.pem"
    return TLSConfig(client_cert=(str(folder / "cert.pem"), str(folder / "key.pem")),
                     ca_cert=str(ca) if ca.exists() else None, verify=not endpoint.get("SkipTLSVerify", False))


def engine_client(context: Optional[str] = None) -> docker.DockerClient:
    """A client on the default engine, or on the one `context` names; a clear error when it does not answer."""
    where = f"Docker context {context!r}" if context else "no Docker engine"
    try:
        if context is None:
            client = docker.from_env(timeout=TIMEOUT)
        else:
            endpoint = context_engine(context)
            host = endpoint["Host"]
            client = docker.DockerClient(base_url=host, tls=tls_config(endpoint), timeout=TIMEOUT,
                                         use_ssh_client=host.startswith("ssh://"))
        client.ping()
    except DockerException as exc:
        raise ShardsmithError(f"{where} answers ({exc})" if context is None else f"the engine of {where} does not "
                              f"answer ({exc})",
                              hint="start dockerd or Docker Desktop and check `docker info`"
                                   + (f" (`docker --context {context} info`)" if context else "")) from None
    return client
