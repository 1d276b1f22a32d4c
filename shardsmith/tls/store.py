"""A cluster's certificates in its state folder, issued when missing and checked against the spec.

    <state>/tls/ca.pem          the CA certificate clients and members trust (tlsCAFile)
    <state>/tls/ca.key          0600, only for a CA Shardsmith generated (`tls.ca: generate`)
    <state>/tls/<service>.pem   0600, one per member and router: its certificate, then its private key

A certificate that no longer covers an address the spec gives (a host moved)
or that another CA issued is a spec problem at that address's line:
`shardsmith tls rotate SPEC` issues the right ones. Nothing is started until
every certificate is in place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from cryptography import x509

from ..errors import ShardsmithError
from ..state import StateDir, write_atomically
from ..topology.model import Process, Topology
from ..topology.problems import late_spec_error
from .authority import Authority, issue, load_authority, new_authority, signed_by
from .names import process_names

PRIVATE = 0o600


def write_private(path: Path, data: bytes) -> None:
    """Atomically, and never readable by others, not even for an instant."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_atomically(path, data.decode(), mode=PRIVATE)


class CertificateStore:
    def __init__(self, topology: Topology, state: StateDir):
        self.topology = topology
        self.state = state
        self.folder = state.path / "tls"

    @property
    def ca_file(self) -> Path:
        return self.folder / "ca.pem"

    @property
    def ca_key_file(self) -> Path:
        return self.folder / "ca.key"

    def pem_file(self, proc: Process) -> Path:
        return self.folder / f"{proc.service}.pem"

    # -- the CA -------------------------------------------------------------------------------------
    def authority(self) -> Authority:
        """The spec's CA, or the generated one (made on first use; never again while certificates exist)."""
        tls = self.topology.tls
        if tls.ca_cert and tls.ca_key:
            authority = load_authority(Path(tls.ca_cert).read_bytes(), Path(tls.ca_key).read_bytes())
            self._write_ca_certificate(authority)
            return authority
        if self.ca_file.exists() and self.ca_key_file.exists():
            return load_authority(self.ca_file.read_bytes(), self.ca_key_file.read_bytes())
        issued = [p for p in self.topology.processes if self.pem_file(p).exists()]
        if issued:
            raise ShardsmithError(f"the CA key {self.ca_key_file} is missing, but {len(issued)} certificate(s) it "
                                  "issued are in use; nothing was started",
                                  hint=f"restore {self.ca_key_file} and {self.ca_file}, or start over with "
                                       f"`shardsmith destroy {self.topology.source} --yes`")
        self.state.claim()
        authority = new_authority(self.topology.name)
        write_private(self.ca_key_file, authority.key_pem)
        self._write_ca_certificate(authority)
        return authority

    def _write_ca_certificate(self, authority: Authority) -> None:
        pem = authority.certificate_pem
        if not self.ca_file.exists() or self.ca_file.read_bytes() != pem:
            self.state.claim()
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            write_atomically(self.ca_file, pem.decode(), mode=0o644)

    # -- member and router certificates ----------------------------------------------------------------
    def certificate(self, proc: Process) -> Optional[x509.Certificate]:
        path = self.pem_file(proc)
        return x509.load_pem_x509_certificate(path.read_bytes()) if path.exists() else None

    def issue(self, proc: Process, authority: Authority) -> x509.Certificate:
        """A fresh certificate and key for `proc`, replacing its file in one rename."""
        certificate, key = issue(authority, cluster=self.topology.name, common_name=proc.service,
                                 names=process_names(self.topology, proc), days=self.topology.tls.validity_days)
        write_private(self.pem_file(proc), certificate + key)
        return x509.load_pem_x509_certificate(certificate)

    def ensure(self, procs: Optional[list] = None) -> None:
        """Every process of `procs` (default: all) has a certificate from the CA covering its names; missing ones
        are issued, wrong ones are spec problems (nothing is started)."""
        if not self.topology.tls.enabled:
            return
        authority = self.authority()
        found = []
        for proc in procs if procs is not None else self.topology.processes:
            certificate = self.certificate(proc)
            if certificate is None:
                self.issue(proc, authority)
                continue
            found += self.problems(proc, certificate, authority)
        if found:
            raise late_spec_error(self.topology, found)

    def problems(self, proc: Process, certificate: x509.Certificate, authority: Authority) -> list[tuple[str, str]]:
        """(spec path, message) for a certificate the spec no longer agrees with."""
        fix = f"`shardsmith tls rotate {self.topology.source}` issues one that does"
        path = self.address_path(proc)
        if not signed_by(certificate, authority.certificate):
            return [("tls", f"the certificate of {proc.name} ({self.pem_file(proc)}) was not issued by the CA in "
                            f"use ({self.ca_file}); {fix}")]
        missing = process_names(self.topology, proc).missing_from(certificate)
        if missing:
            return [(path, f"the certificate of {proc.name} ({self.pem_file(proc)}) does not cover "
                           f"{', '.join(missing)} (names it is reached by); {fix}")]
        return []

    def address_path(self, proc: Process) -> str:
        """The spec key that gives `proc` its address."""
        return f"hosts.{proc.host}.address" if proc.host else "deploy.bind_ip"

    def private_files(self) -> list[Path]:
        return [p for p in [self.ca_key_file, *(self.pem_file(p) for p in self.topology.processes)] if p.exists()]
