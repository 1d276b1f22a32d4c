"""Certificates in the state folder, without a server: what is issued, what it covers, and when the spec no
longer agrees with it (a spec error at the address's line, nothing started)."""

from __future__ import annotations

import pytest
from cryptography import x509

from shardsmith.state import StateDir
from shardsmith.tls import CertificateStore
from shardsmith.tls.authority import covered_names, new_authority, signed_by
from shardsmith.topology import SpecError, load_topology

SPEC = """\
name: certs
deploy: {placement: spread}
hosts:
  db1: {address: db1.staging.internal}
  db2: {address: 10.0.0.12}
  db3: {address: db3.staging.internal, bind_ip: "0.0.0.0"}
tls: {mode: requireTLS, CA, validity: 30d}
replica_set: {name: rs0, members: 3}
"""


def store_for(folder, text: str) -> CertificateStore:
    spec = folder / "certs.yaml"
    spec.write_text(text)
    topology = load_topology(spec)
    return CertificateStore(topology, StateDir(topology))


def test_each_member_gets_a_certificate_naming_every_address_it_is_reached_by(tmp_path):
    store = store_for(tmp_path, SPEC.replace("CA", "ca: generate"))
    store.ensure()
    names = {m.name: covered_names(store.certificate(m)) for m in store.topology.members}
    assert names["rs0.1"].dns == ("localhost", "rs0-1", "db1.staging.internal")
    assert names["rs0.2"].ips == ("127.0.0.1", "10.0.0.12")
    assert names["rs0.3"].dns == ("localhost", "rs0-3", "db3.staging.internal")  # 0.0.0.0 is no name
    authority = x509.load_pem_x509_certificate(store.ca_file.read_bytes())
    for member in store.topology.members:
        certificate = store.certificate(member)
        assert signed_by(certificate, authority)
        assert 29 <= (certificate.not_valid_after_utc - certificate.not_valid_before_utc).days <= 31
    assert sorted(p.name for p in store.private_files()) == ["ca.key", "rs0-1.pem", "rs0-2.pem", "rs0-3.pem"]
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in store.private_files())


def test_a_second_ensure_issues_nothing(tmp_path):
    store = store_for(tmp_path, SPEC.replace("CA", "ca: generate"))
    store.ensure()
    before = {p.name: p.read_bytes() for p in store.folder.iterdir()}
    store.ensure()
    assert {p.name: p.read_bytes() for p in store.folder.iterdir()} == before


def test_a_host_moved_to_an_address_its_certificate_does_not_cover_is_a_spec_error_at_that_line(tmp_path):
    store_for(tmp_path, SPEC.replace("CA", "ca: generate")).ensure()
    moved = store_for(tmp_path, SPEC.replace("CA", "ca: generate").replace("10.0.0.12", "10.0.0.99"))
    with pytest.raises(SpecError) as raised:
        moved.ensure()
    assert [(p.line, p.path) for p in raised.value.problems] == [(5, "hosts.db2.address")]
    assert "the certificate of rs0.2" in str(raised.value) and "does not cover 10.0.0.99" in str(raised.value)
    assert "shardsmith tls rotate" in str(raised.value) and "nothing was started" in str(raised.value)


def test_a_ca_of_the_users_signs_the_members_and_its_key_stays_where_it_is(tmp_path):
    authority = new_authority("corporate")
    (tmp_path / "ca.pem").write_bytes(authority.certificate_pem)
    (tmp_path / "ca.key").write_bytes(authority.key_pem)
    store = store_for(tmp_path, SPEC.replace("CA", "ca: {cert: ca.pem, key: ca.key}"))
    store.ensure()
    assert store.ca_file.read_bytes() == authority.certificate_pem
    assert not store.ca_key_file.exists()
    assert all(signed_by(store.certificate(m), authority.certificate) for m in store.topology.members)


def test_certificates_from_another_ca_are_refused(tmp_path):
    store_for(tmp_path, SPEC.replace("CA", "ca: generate")).ensure()
    other = new_authority("other")
    (tmp_path / "ca.pem").write_bytes(other.certificate_pem)
    (tmp_path / "ca.key").write_bytes(other.key_pem)
    with pytest.raises(SpecError) as raised:
        store_for(tmp_path, SPEC.replace("CA", "ca: {cert: ca.pem, key: ca.key}")).ensure()
    assert {p.path for p in raised.value.problems} == {"tls"}
    assert "was not issued by the CA in use" in str(raised.value)
