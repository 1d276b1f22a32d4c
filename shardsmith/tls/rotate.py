"""Replace every member's and router's certificate, one process at a time, without downtime.

From MongoDB 5.0, `rotateCertificates` makes a running mongod or mongos load
the certificate and key files named in its configuration again; new
connections get the new certificate, existing ones carry on, and nothing
restarts, so a replica set keeps its primary throughout
(https://www.mongodb.com/docs/manual/reference/command/rotateCertificates/:
"Each new certificate must have the same filename and same filepath as the
certificate it is replacing"). Before 5.0 a process must restart to read its
new certificate: secondaries one by one, then the primary after it has handed
over, each back in service before the next.

Every process is then asked for the certificate it presents (a TLS handshake
to its address) and must present the new one.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional
from urllib.parse import unquote

from cryptography import x509
from pymongo.errors import PyMongoError
from rich.console import Console
from rich.table import Table

from ..clients import direct_client
from ..errors import ShardsmithError
from ..progress import QUIET, Progress
from ..topology.model import Process
from .client import ClientTLS, is_socket
from .store import CertificateStore

if TYPE_CHECKING:
    from ..cluster import Cluster

RELOAD_SINCE = (5, 0)  # rotateCertificates: "New in version 5.0"
HANDSHAKE_TIMEOUT = 5.0


@dataclass
class Rotated:
    process: str
    old_serial: Optional[str]
    new_serial: str
    how: str  # "rotateCertificates" | "restarted" | "not running: files replaced"
    presented: Optional[str] = None  # the serial the process presents afterwards (None: not running)

    def as_dict(self) -> dict:
        return dict(vars(self))


@dataclass
class RotationResult:
    cluster: str
    rotated: list[Rotated] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"cluster": self.cluster, "rotated": [r.as_dict() for r in self.rotated]}


def serial(certificate: Optional[x509.Certificate]) -> Optional[str]:
    return format(certificate.serial_number, "x") if certificate is not None else None


def presented_certificate(address: str, tls: ClientTLS) -> x509.Certificate:
    """The certificate a process presents to a new TLS connection (the chain checked against the CA)."""
    context = ssl.create_default_context(cafile=str(tls.ca_file))
    context.check_hostname = False  # the chain is what matters here; clients check names themselves
    if is_socket(address):
        raw = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        raw.settimeout(HANDSHAKE_TIMEOUT)
        raw.connect(unquote(address))
    else:
        host, _, port = address.rpartition(":")
        raw = socket.create_connection((host.strip("[]"), int(port)), timeout=HANDSHAKE_TIMEOUT)
    with context.wrap_socket(raw) as wrapped:
        der = wrapped.getpeercert(binary_form=True)
    if der is None:
        raise ShardsmithError(f"{address} presented no certificate")
    return x509.load_der_x509_certificate(der)


def rotation_order(cluster: "Cluster") -> list[Process]:
    """Secondaries before their primary, sets before routers: a restart (before 5.0) never costs two at once."""
    states = {s.name: s.state for s in cluster.status()}
    order: list[Process] = []
    for replica_set in cluster.topology.replica_sets:
        order += sorted(replica_set.members, key=lambda m: states.get(m.name) == "PRIMARY")
    order += [cluster.topology.standalone] if cluster.topology.standalone else []
    return order + list(cluster.topology.routers)


def rotate_certificates(cluster: "Cluster", *, progress: Progress = QUIET) -> RotationResult:
    """A new key and certificate for every process, loaded by each running one before the next is touched."""
    topology = cluster.topology
    if not topology.tls.enabled:
        raise ShardsmithError(f"{topology.source} has no TLS (tls.mode is disabled): there are no certificates "
                              "to rotate", hint="add tls: {mode: requireTLS} to the spec")
    store = CertificateStore(topology, cluster.state)
    result = RotationResult(topology.name)
    with cluster.locked():
        authority = store.authority()
        running = cluster.backend.running()
        reload = _reloads(cluster) if any(running.values()) else True
        for proc in rotation_order(cluster):
            with progress.phase(f"new certificate for {proc.name}"):
                result.rotated.append(_rotate_one(cluster, store, authority, proc, bool(running.get(proc.name)),
                                                  reload))
    return result


def _rotate_one(cluster: "Cluster", store: CertificateStore, authority, proc: Process, running: bool,
                reload: bool) -> Rotated:
    old = serial(store.certificate(proc))
    new = serial(store.issue(proc, authority))
    assert new is not None
    cluster.backend.publish_secrets([proc])
    if not running:
        return Rotated(proc.name, old, new, "not running: files replaced")
    if reload:
        _reload(cluster, proc)
        how = "rotateCertificates"
    else:
        cluster.stop(proc.name)
        cluster.start(proc.name)
        how = "restarted"
    presented = serial(presented_certificate(cluster.endpoints()[proc.name].address, _tls(cluster)))
    if presented != new:
        raise ShardsmithError(f"{proc.name} still presents certificate {presented}, not the new {new}",
                              hint=f"`shardsmith logs {proc.name}` shows why it did not load it")
    return Rotated(proc.name, old, new, how, presented)


def _tls(cluster: "Cluster") -> ClientTLS:
    tls = cluster.tls
    assert tls is not None
    return tls


def _reloads(cluster: "Cluster") -> bool:
    """Whether the running processes can load new certificates in place (MongoDB 5.0+)."""
    running = cluster.backend.running()
    proc = next(p for p in cluster.topology.processes if running.get(p.name))
    with direct_client(cluster.endpoints()[proc.name].address, cluster.credentials(), tls=cluster.tls) as client:
        version = client.admin.command("buildInfo")["versionArray"]
    return tuple(version[:2]) >= RELOAD_SINCE


def _reload(cluster: "Cluster", proc: Process) -> None:
    address = cluster.endpoints()[proc.name].address
    try:
        with direct_client(address, cluster.credentials(), tls=cluster.tls) as client:
            client.admin.command("rotateCertificates", 1, message=f"shardsmith tls rotate: {proc.name}")
    except PyMongoError as exc:
        raise ShardsmithError(f"{proc.name} refused to load its new certificate: {exc}",
                              hint=f"its new files are in place; `shardsmith logs {proc.name}` shows more") from None


def print_rotation(result: RotationResult, console: Console) -> None:
    table = Table(header_style="bold")
    for column in ("process", "old serial", "new serial", "how", "presents"):
        table.add_column(column, overflow="fold")
    for row in result.rotated:
        shown = "new" if row.presented and row.presented == row.new_serial else "-"
        table.add_row(row.process, row.old_serial or "-", row.new_serial, row.how, shown)
    console.print(table)
    console.print(f"{len(result.rotated)} certificate(s) replaced in {result.cluster}")
