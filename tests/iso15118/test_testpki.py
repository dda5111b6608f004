"""The ISO 15118 test PKI: chain structure, certificate profile, algorithms, negative material, files."""

from __future__ import annotations

import datetime as _dt
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448
from cryptography.x509.oid import NameOID

from vgitest.iso15118 import testpki


@pytest.fixture(scope="module")
def iso2(tmp_path_factory: pytest.TempPathFactory) -> testpki.V2gPki:
    return testpki.make(tmp_path_factory.mktemp("iso2"))


@pytest.fixture(scope="module", params=["ec-p521", "ed448"])
def iso20(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> testpki.V2gPki:
    return testpki.make(tmp_path_factory.mktemp("iso20"), iso20=True, key_type=request.param)


def _all(p: testpki.V2gPki) -> list[x509.Certificate]:
    hs = [p.v2g, p.mo, p.oem, p.cps, p.untrusted_v2g, p.untrusted_mo]
    return [c.cert for h in hs for c in (h.root, h.sub1, h.sub2, h.leaf)] + [p.expired_secc.cert]


def _cn(cert: x509.Certificate) -> str:
    return cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value  # type: ignore[return-value]


def _dc(cert: x509.Certificate) -> str:
    return cert.subject.get_attributes_for_oid(NameOID.DOMAIN_COMPONENT)[0].value  # type: ignore[return-value]


def _ku(cert: x509.Certificate) -> x509.KeyUsage:
    ext = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert ext.critical
    return ext.value


@pytest.mark.parametrize("which", ["v2g", "mo", "oem", "cps"])
def test_chains_are_root_sub1_sub2_leaf(iso2: testpki.V2gPki, which: str) -> None:
    h = getattr(iso2, which)
    h.root.cert.verify_directly_issued_by(h.root.cert)
    h.sub1.cert.verify_directly_issued_by(h.root.cert)
    h.sub2.cert.verify_directly_issued_by(h.sub1.cert)
    h.leaf.cert.verify_directly_issued_by(h.sub2.cert)
    for ca, path_len in ((h.root, None), (h.sub1, 1), (h.sub2, 0)):
        bc = ca.cert.extensions.get_extension_for_class(x509.BasicConstraints)
        assert bc.critical and bc.value.ca and bc.value.path_length == path_len
        ku = _ku(ca.cert)
        assert ku.key_cert_sign and ku.crl_sign and not ku.digital_signature
    bc = h.leaf.cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical and not bc.value.ca
    assert h.leaf.chain == [h.sub2.cert, h.sub1.cert, h.root.cert]
    with pytest.raises(x509.ExtensionNotFound):  # the V2G profile has no extendedKeyUsage
        h.leaf.cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)


def test_cps_hangs_under_the_v2g_root(iso2: testpki.V2gPki) -> None:
    assert iso2.cps.root is iso2.v2g.root
    assert _dc(iso2.cps_leaf.cert) == "CPS"


def test_leaf_profiles_iso2(iso2: testpki.V2gPki) -> None:
    assert (_cn(iso2.secc.cert), _dc(iso2.secc.cert)) == ("DE*VGI*E1", "CPO")
    assert (_cn(iso2.contract.cert), _dc(iso2.contract.cert)) == ("DE-VGI-C12345678-9", "MO")
    assert (_cn(iso2.oem_prov.cert), _dc(iso2.oem_prov.cert)) == ("VGI-PCID-001", "OEM")
    for leaf in (iso2.secc, iso2.oem_prov):
        ku = _ku(leaf.cert)
        assert ku.digital_signature and ku.key_agreement and not ku.content_commitment and not ku.key_encipherment
    ku = _ku(iso2.contract.cert)
    assert ku.digital_signature and ku.content_commitment and ku.key_agreement
    ku = _ku(iso2.cps_leaf.cert)
    assert ku.digital_signature and not ku.key_agreement


def test_iso2_is_p256_sha256_and_fits_the_message_limit(iso2: testpki.V2gPki) -> None:
    for cert in _all(iso2):
        key = cert.public_key()
        assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
        assert isinstance(cert.signature_hash_algorithm, hashes.SHA256)
    for name in ("secc", "contract", "oem_prov", "cps_leaf", "v2g_root", "mo.sub1", "mo.sub2"):
        assert len(iso2.der(name)) <= testpki.ISO2_MAX_CERT_BYTES, name


def test_iso20_algorithms(iso20: testpki.V2gPki) -> None:
    for cert in _all(iso20):
        key = cert.public_key()
        if iso20.key_type == "ed448":
            assert isinstance(key, ed448.Ed448PublicKey) and cert.signature_hash_algorithm is None
        else:
            assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp521r1"
            assert isinstance(cert.signature_hash_algorithm, hashes.SHA512)
    ku = _ku(iso20.secc.cert)
    assert ku.digital_signature and ku.key_agreement == (iso20.key_type != "ed448")


def test_wrong_key_type_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ISO 15118-2"):
        testpki.make(tmp_path, key_type="ed448")
    with pytest.raises(ValueError, match="ISO 15118-20"):
        testpki.make(tmp_path, iso20=True, key_type="ec-p256")


def test_negative_material(iso2: testpki.V2gPki) -> None:
    now = _dt.datetime.now(_dt.UTC)
    assert iso2.expired_secc.cert.not_valid_after_utc < now
    iso2.expired_secc.cert.verify_directly_issued_by(iso2.v2g.sub2.cert)
    assert _cn(iso2.expired_secc.cert) == iso2.evse_id
    # same profile and names, but the anchors are roots nobody trusts
    assert _cn(iso2.untrusted_secc.cert) == iso2.evse_id and _cn(iso2.untrusted_contract.cert) == iso2.emaid
    trusted = {iso2.v2g_root.cert, iso2.mo_root.cert, iso2.oem_root.cert}
    assert iso2.untrusted_secc.chain[-1] not in trusted and iso2.untrusted_contract.chain[-1] not in trusted
    assert iso2.untrusted_v2g.root.cert.subject != iso2.v2g_root.cert.subject


def test_der_accessors_and_chain_dicts(iso2: testpki.V2gPki) -> None:
    assert x509.load_der_x509_certificate(iso2.der("contract")) == iso2.contract.cert
    assert iso2.der("mo.sub2") == iso2.mo.sub2.cert.public_bytes(serialization.Encoding.DER)
    chain = iso2.contract_chain(id="id1")
    assert list(chain) == ["Id", "Certificate", "SubCertificates"]
    assert chain["Certificate"] == iso2.der("contract")
    assert chain["SubCertificates"]["Certificate"] == [iso2.der("mo.sub2"), iso2.der("mo.sub1")]  # no root
    assert "Id" not in iso2.secc_chain() and len(iso2.oem_chain()["SubCertificates"]["Certificate"]) == 2
    ids = iso2.root_cert_ids()
    assert ids[0]["X509SerialNumber"] == iso2.v2g_root.cert.serial_number and "V2G Root CA" in ids[0]["X509IssuerName"]


def test_files_are_loadable_pem(iso2: testpki.V2gPki) -> None:
    files = iso2.files()
    for key in ("v2g_root", "mo_root", "oem_root", "secc_chain", "secc_key", "contract_chain", "contract_key",
                "oem_prov_chain", "oem_prov_key", "cps_leaf_chain", "evcc_trust", "secc_trust", "all_roots",
                "expired_secc_chain", "untrusted_secc_chain", "untrusted_contract_chain", "untrusted_v2g_root"):
        assert Path(files[key]).is_file(), key
    assert x509.load_pem_x509_certificates(Path(files["secc_chain"]).read_bytes()) == [
        iso2.secc.cert, iso2.v2g.sub2.cert, iso2.v2g.sub1.cert]
    assert x509.load_pem_x509_certificates(Path(files["evcc_trust"]).read_bytes()) == [
        iso2.v2g_root.cert, iso2.mo_root.cert]
    key = serialization.load_pem_private_key(Path(files["contract_key"]).read_bytes(), None)
    assert key.public_key() == iso2.contract.cert.public_key()
    assert stat.S_IMODE(Path(files["contract_key"]).stat().st_mode) == 0o600
