"""Certificates with the `cryptography` package: a cluster's CA and the certificates it signs.

Keys are ECDSA P-256: OpenSSL-built mongod accepts them, and they are made in
microseconds (an RSA key takes a noticeable fraction of a second each).
Member certificates carry both serverAuth and clientAuth: a member is a
server to clients and a client of the other members, and with x509 member
authentication it logs in to them with this certificate. Their subjects
share O and OU (the cluster), which is how mongod recognises a fellow member
(https://www.mongodb.com/docs/manual/tutorial/configure-x509-member-authentication/).
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ORGANIZATION = "Shardsmith"
CA_VALIDITY_DAYS = 3650
CLOCK_SKEW = datetime.timedelta(minutes=5)  # valid from a little before now: members' clocks differ


@dataclass(frozen=True)
class Authority:
    """A CA that signs: its certificate and private key."""

    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey  # ours is ECDSA; a user's CA may be RSA

    @property
    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return private_pem(self.key)


@dataclass(frozen=True)
class Names:
    """What a certificate must cover: DNS names and IP addresses (subjectAltName)."""

    dns: tuple[str, ...]
    ips: tuple[str, ...]

    def missing_from(self, certificate: x509.Certificate) -> list[str]:
        """Names this set has that `certificate` does not cover."""
        covered = covered_names(certificate)
        return [n for n in self.dns if n.lower() not in covered.dns] + \
               [ip for ip in self.ips if ipaddress.ip_address(ip).compressed not in covered.ips]


def private_pem(key: PrivateKeyTypes) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def new_authority(cluster: str) -> Authority:
    """A self-signed CA for one cluster, valid ten years."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
                      x509.NameAttribute(NameOID.COMMON_NAME, f"Shardsmith CA for {cluster}")])
    now = _now()
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW).not_valid_after(now + datetime.timedelta(days=CA_VALIDITY_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Authority(certificate, key)


def load_authority(certificate_pem: bytes, key_pem: bytes) -> Authority:
    """A CA from PEM files (the spec's `tls.ca: {cert, key}`, or the one generated before)."""
    certificate = x509.load_pem_x509_certificate(certificate_pem)
    key = serialization.load_pem_private_key(key_pem, password=None)
    if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
        raise ValueError(f"a CA key must be ECDSA or RSA, not {type(key).__name__}")
    if certificate.public_key() != key.public_key():
        raise ValueError("the CA key does not belong to the CA certificate")
    return Authority(certificate, key)


def issue(authority: Authority, *, cluster: str, common_name: str, names: Names, days: int) -> tuple[bytes, bytes]:
    """A member or router certificate: (certificate PEM, private key PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
                         x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, cluster),
                         x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    alternatives = [x509.DNSName(n) for n in names.dns] + [x509.IPAddress(ipaddress.ip_address(ip)) for ip in names.ips]
    now = _now()
    certificate = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(authority.certificate.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW).not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=False, key_agreement=True,
                                     key_cert_sign=False, crl_sign=False, content_commitment=False,
                                     data_encipherment=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                       critical=False)
        .add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(authority.key.public_key()),
                       critical=False)
        .sign(authority.key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM), private_pem(key)


def covered_names(certificate: x509.Certificate) -> Names:
    """The DNS names (lower-cased) and IPs (compressed) a certificate's subjectAltName lists."""
    try:
        alternatives = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return Names((), ())
    return Names(tuple(n.lower() for n in alternatives.get_values_for_type(x509.DNSName)),
                 tuple(ip.compressed for ip in alternatives.get_values_for_type(x509.IPAddress)))


def signed_by(certificate: x509.Certificate, authority_certificate: x509.Certificate) -> bool:
    """Whether `authority_certificate` issued `certificate` (its signature checks out)."""
    try:
        certificate.verify_directly_issued_by(authority_certificate)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True
