"""The security checks' building blocks, each shown to refuse the bad case: the Basic password rules, the
certificate hash data a store lists and deletes by, and the renewal's chain check (the reference station accepts
only its own key under a trusted root)."""

from __future__ import annotations

import asyncio
import datetime as dt
import types

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from vgitest import pki
from vgitest.ocpp import certcases
from vgitest.ocpp.passwords import password_problem
from vgitest.ocpp.station.certs import CertStore, hash_data, same
from vgitest.ocpp.station.renewal import Renewal


@pytest.mark.parametrize("text,ok", [("a" * 16, True), ("A-z0.9*_=:+|@" + "x" * 3, True), ("a" * 40, True),
                                     ("a" * 15, False), ("a" * 41, False), ("a" * 15 + " ", False),
                                     ("a" * 15 + "#", False)])
def test_password_rules(text: str, ok: bool) -> None:
    assert (password_problem(text) is None) is ok


def _station(version: str = "2.0.1", faults: tuple[str, ...] = ()) -> types.SimpleNamespace:
    st = types.SimpleNamespace(version=version, params={}, identity="CS1", faults=set(faults), events=[],
                               security_events=[], password=None)
    st.has = lambda name: name in st.faults
    st.spawn = lambda coro: coro.close()
    st.report_security_events = lambda: asyncio.sleep(0)
    return st


def test_hash_data_names_one_certificate() -> None:
    root, other = pki.root_ca("A"), pki.root_ca("B")
    leaf = pki.issue(root, "leaf")
    assert same(hash_data(root.cert), hash_data(root.cert))
    assert not same(hash_data(root.cert), hash_data(other.cert))
    assert same(hash_data(leaf.cert, root.cert), {**hash_data(leaf.cert, root.cert),
                                                  "serialNumber": "0" + hash_data(leaf.cert, root.cert)["serialNumber"]})
    assert not same(hash_data(leaf.cert, root.cert), hash_data(leaf.cert))  # the issuer's key is part of it


def test_store_install_list_delete() -> None:
    store = CertStore(_station())
    root = pki.root_ca("A")
    pem = root.cert_pem(with_chain=False).decode()
    run = asyncio.run
    assert run(store.install({"certificateType": "CSMSRootCertificate", "certificate": "junk"}))["status"] == "Rejected"
    assert run(store.install({"certificateType": "ChargingStationCertificate", "certificate": pem}))["status"] \
        == "Rejected"  # not a root use
    assert run(store.install({"certificateType": "CSMSRootCertificate", "certificate": pem}))["status"] == "Accepted"
    listed = run(store.get_ids({"certificateType": ["CSMSRootCertificate"]}))
    assert same(listed["certificateHashDataChain"][0]["certificateHashData"], hash_data(root.cert))
    unknown = hash_data(pki.root_ca("never").cert)
    assert run(store.delete({"certificateHashData": unknown}))["status"] == "NotFound"
    assert run(store.delete({"certificateHashData": hash_data(root.cert)}))["status"] == "Accepted"
    assert run(store.get_ids({"certificateType": ["CSMSRootCertificate"]}))["status"] == "NotFound"


def _renewal(trusted: pki.Credential) -> Renewal:
    st = _station()
    store = CertStore(st)
    asyncio.run(store.install({"certificateType": "CSMSRootCertificate",
                               "certificate": trusted.cert_pem(with_chain=False).decode()}))
    return Renewal(st, store)


def test_renewal_accepts_only_its_key_under_a_trusted_root() -> None:
    root = pki.root_ca("CSMS root")
    cpo = pki.issue(root, "CPO CA", ca=True, path_length=0)
    renewal = _renewal(root)
    csr = x509.load_pem_x509_csr(renewal.csr_pem().encode())
    assert renewal.problem(certcases._sign(csr, cpo)) is None
    assert "not lead" in renewal.problem(certcases._sign(csr, pki.root_ca("rogue")))
    other = x509.CertificateSigningRequestBuilder().subject_name(csr.subject).sign(
        pki.new_key(), pki._hash_for(pki.new_key()))  # type: ignore[arg-type]
    assert "key of the CSR" in renewal.problem(certcases._sign(other, cpo))
    assert renewal.problem("no pem") == "not a PEM certificate chain"


def test_certificate_signed_rejects_and_reports_an_untrusted_chain() -> None:
    root = pki.root_ca("CSMS root")
    renewal = _renewal(root)
    csr = x509.load_pem_x509_csr(renewal.csr_pem().encode())
    res = asyncio.run(renewal.certificate_signed({"certificateChain": certcases._sign(csr, pki.root_ca("rogue"))}))
    assert res == {"status": "Rejected"}
    assert renewal.station.security_events == ["InvalidChargingStationCertificate"]
    res = asyncio.run(renewal.certificate_signed({"certificateChain": certcases._sign(csr, root)}))
    assert res == {"status": "Accepted"}
    key = renewal.installed[0].public_key().public_bytes(serialization.Encoding.DER,
                                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    assert key == csr.public_key().public_bytes(serialization.Encoding.DER,
                                                serialization.PublicFormat.SubjectPublicKeyInfo)


def test_an_expired_leaf_is_refused() -> None:
    root = pki.root_ca("CSMS root")
    renewal = _renewal(root)
    csr = x509.load_pem_x509_csr(renewal.csr_pem().encode())
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30)
    cert = (x509.CertificateBuilder().subject_name(csr.subject).issuer_name(root.cert.subject)
            .public_key(csr.public_key()).serial_number(7).not_valid_before(old)
            .not_valid_after(old + dt.timedelta(days=1)).sign(root.key, pki._hash_for(root.key)))  # type: ignore
    assert renewal.problem(cert.public_bytes(serialization.Encoding.PEM).decode()) == "the leaf is not valid now"
