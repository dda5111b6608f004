"""LFDI/SFDI: the standard's worked example (as reproduced by independent public 2030.5 implementations,
see vgitest/sep2/identity.py), certificates made here, and the check-digit properties."""

from __future__ import annotations

import datetime as dt
import hashlib
import random

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from vgitest.sep2 import identity

FINGERPRINT = "3E4F45AB31EDFE5B67E343E5E4562E31984E23E5349E2AD745672ED145EE213A"
LFDI = "3E4F45AB31EDFE5B67E343E5E4562E31984E23E5"
SFDI = 167261211391


@pytest.fixture(scope="module")
def cert() -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sep2 test device")])
    now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(7).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))


def test_worked_example_of_the_standard() -> None:
    assert identity.lfdi_of_fingerprint(FINGERPRINT) == LFDI
    assert identity.lfdi_of_fingerprint(FINGERPRINT.lower()) == LFDI
    assert int(LFDI[:9], 16) == 16726121139 and identity.sfdi_check_digit(16726121139) == 1
    assert identity.sfdi(LFDI) == identity.sfdi(LFDI.lower()) == identity.sfdi(FINGERPRINT) == SFDI
    assert identity.sfdi("3E4F-45AB-31ED-FE5B-67E3-43E5-E456-2E31-984E-23E5") == SFDI
    assert identity.valid_sfdi(SFDI) and identity.valid_sfdi(str(SFDI))
    assert identity.sfdi_check_digit(12345) == 5  # the standard's PIN example: 12345 -> 123455


def test_lfdi_of_a_certificate(cert: x509.Certificate) -> None:
    der = cert.public_bytes(serialization.Encoding.DER)
    pem = cert.public_bytes(serialization.Encoding.PEM)
    want = hashlib.sha256(der).hexdigest()[:40].upper()
    assert identity.lfdi(der) == identity.lfdi(cert) == identity.lfdi(pem) == want
    assert identity.fingerprint(cert) == hashlib.sha256(der).hexdigest().upper()
    s = identity.sfdi(identity.lfdi(cert))
    assert identity.valid_sfdi(s) and s // 10 == int(want[:9], 16)
    with pytest.raises(TypeError):
        identity.lfdi("not bytes")  # type: ignore[arg-type]


def test_normalize_lfdi() -> None:
    assert identity.normalize_lfdi(LFDI.lower()) == LFDI
    assert identity.normalize_lfdi("3e:4f:45:ab:31:ed:fe:5b:67:e3:43:e5:e4:56:2e:31:98:4e:23:e5") == LFDI
    for bad in ("", "abc", "Z" * 40, LFDI + "00", LFDI[:-1]):
        assert identity.normalize_lfdi(bad) is None
    with pytest.raises(ValueError):
        identity.sfdi(LFDI[:20])


def test_check_digit_properties() -> None:
    rng = random.Random(2030_5)
    for _ in range(500):
        lfdi = f"{rng.getrandbits(160):040X}"
        s = identity.sfdi(lfdi)
        assert identity.valid_sfdi(s) and 0 <= s <= identity.SFDI_MAX and len(str(s)) <= 12
        assert sum(map(int, str(s))) % 10 == 0
        assert not identity.valid_sfdi(s // 10 * 10 + (s % 10 + 1) % 10)  # any other last digit fails
    assert identity.sfdi("0" * 40) == 0 and identity.valid_sfdi(0)
    assert identity.sfdi("F" * 40) == identity.SFDI_MAX - 9 + identity.sfdi_check_digit(2**36 - 1)
    for bad in (-1, identity.SFDI_MAX + 1, 10**12, "12a", "", True, 1.0):
        assert not identity.valid_sfdi(bad)  # type: ignore[arg-type]
    assert not identity.valid_sfdi(SFDI + 1)
    with pytest.raises(ValueError):
        identity.sfdi_check_digit(-5)
