"""OpenADR 2.0b transport security: fingerprints and the venID check."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from vgitest import pki
from vgitest.openadr.security import FingerprintCheck, fingerprint, normalise_fingerprint

@dataclasses.dataclass(frozen=True)
class Pki:
    root: pki.Credential
    vtn_ecc: pki.Credential
    vtn_rsa: pki.Credential
    ven_ecc: pki.Credential
    ven_rsa: pki.Credential
    foreign_ven: pki.Credential  # issued by a root the VTN does not trust
    expired_ven: pki.Credential
    dir: Path


@pytest.fixture(scope="module")
def p(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """One PKI per module: key generation dominates the cost, handshakes are cheap."""
    root = pki.root_ca("vgitest OpenADR Root")
    foreign = pki.root_ca("Some Other Root")
    names = ["127.0.0.1", "localhost"]
    long_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30)
    return Pki(root=root,
               vtn_ecc=pki.issue(root, "vtn.test", server_names=names, key_type="ec-p256"),
               vtn_rsa=pki.issue(root, "vtn.test", server_names=names, key_type="rsa2048"),
               ven_ecc=pki.issue(root, "VEN-ECC", client=True, key_type="ec-p256"),
               ven_rsa=pki.issue(root, "VEN-RSA", client=True, key_type="rsa2048"),
               foreign_ven=pki.issue(foreign, "VEN-FOREIGN", client=True),
               expired_ven=pki.issue(root, "VEN-EXPIRED", client=True, not_before=long_ago, days=1),
               dir=tmp_path_factory.mktemp("oadr-pki"))


# ---------------------------------------------------------------- fingerprints

def test_fingerprint_is_last_ten_bytes_of_sha256_over_der(p: Pki) -> None:
    der = p.ven_ecc.cert.public_bytes(serialization.Encoding.DER)
    tail = hashlib.sha256(der).hexdigest()[-20:].upper()
    expected = ":".join(tail[i:i + 2] for i in range(0, 20, 2))
    assert fingerprint(p.ven_ecc.cert) == expected
    assert fingerprint(der) == expected
    assert fingerprint(p.ven_rsa.cert) != expected


def test_fingerprint_known_answer() -> None:
    # SHA-256("abc") is the FIPS 180-2 example ba7816bf...f20015ad; the fingerprint keeps its last 10 bytes
    assert fingerprint(b"abc") == "7A:9C:B4:10:FF:61:F2:00:15:AD"


def test_fingerprint_refuses_pem_and_other_types(p: Pki) -> None:
    with pytest.raises(ValueError, match="not PEM"):
        fingerprint(p.ven_ecc.cert_pem(with_chain=False))
    with pytest.raises(TypeError, match="str"):
        fingerprint("AB:CD")  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["7a:9c:b4:10:ff:61:f2:00:15:ad", "7A9CB410FF61F20015AD",
                                  " 7a 9c b4 10 ff 61 f2 00 15 ad\n", "7A:9C:B4:10:FF:61:F2:00:15:AD"])
def test_normalise_fingerprint_accepts_vendor_spellings(text: str) -> None:
    assert normalise_fingerprint(text) == "7A:9C:B4:10:FF:61:F2:00:15:AD"


def test_normalise_fingerprint_rejects_wrong_length_and_non_hex() -> None:
    with pytest.raises(ValueError, match="has 9 bytes"):
        normalise_fingerprint("9C:B4:10:FF:61:F2:00:15:AD")
    with pytest.raises(ValueError, match="not hexadecimal"):
        normalise_fingerprint("ZZ:9C:B4:10:FF:61:F2:00:15:AD")
    with pytest.raises(ValueError, match="not hexadecimal"):
        normalise_fingerprint("7A9CB410FF61F20015A")  # odd number of digits


def test_full_sha256_fingerprint_gets_a_hint_with_the_openadr_part() -> None:
    full = hashlib.sha256(b"abc").hexdigest()
    with pytest.raises(ValueError, match="full SHA-256.*7A:9C:B4:10:FF:61:F2:00:15:AD"):
        normalise_fingerprint(full)


# ---------------------------------------------------------------- FingerprintCheck

def test_fingerprint_check_accepts_the_registered_certificate(p: Pki) -> None:
    check = FingerprintCheck({"ven1": fingerprint(p.ven_ecc.cert).lower().replace(":", "")})
    assert check.expected("ven1") == fingerprint(p.ven_ecc.cert)
    assert check.check("ven1", p.ven_ecc.cert) is None
    assert check.check("ven1", p.ven_ecc.cert.public_bytes(serialization.Encoding.DER)) is None
    assert "ven1" in check and len(check) == 1


def test_fingerprint_check_reports_a_mismatch_with_both_fingerprints(p: Pki) -> None:
    check = FingerprintCheck({"ven1": fingerprint(p.ven_ecc.cert)})
    for presented in (p.ven_rsa.cert, p.ven_rsa.cert.public_bytes(serialization.Encoding.DER)):
        reason = check.check("ven1", presented)
        assert reason is not None
        assert fingerprint(p.ven_rsa.cert) in reason and fingerprint(p.ven_ecc.cert) in reason
        assert "'VEN-RSA'" in reason and "'ven1'" in reason


def test_fingerprint_check_reports_unknown_ven_and_missing_certificate(p: Pki) -> None:
    check = FingerprintCheck()
    check.register("ven1", fingerprint(p.ven_ecc.cert))
    reason = check.check("ven2", p.ven_ecc.cert)
    assert reason is not None and "'ven2' is not registered" in reason and "'ven1'" in reason
    reason = check.check("ven1", None)
    assert reason is not None and "no client certificate" in reason and fingerprint(p.ven_ecc.cert) in reason


def test_fingerprint_check_refuses_a_malformed_registration() -> None:
    with pytest.raises(ValueError, match="has 2 bytes"):
        FingerprintCheck({"ven1": "AB:CD"})
