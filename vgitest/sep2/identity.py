"""IEEE 2030.5 device identities: the LFDI and SFDI a client derives from its TLS certificate.

A 2030.5 server knows a client only by its certificate, so the fake server computes both identifiers
from the certificate the client presented and compares them with what the client writes in its
EndDevice (``lFDI``, ``sFDI``) and Responses (``endDeviceLFDI``) — rule SEP2-LFDI.

The definitions (IEEE 2030.5-2018 §6.3, device identification):

* certificate fingerprint: SHA-256 over the certificate's DER encoding;
* LFDI: the fingerprint's leftmost 160 bits, written as 40 hex digits;
* SFDI: the fingerprint's leftmost 36 bits as a decimal number, followed by one check digit chosen so
  that the sum of all the SFDI's decimal digits is a multiple of 10.

Checked against public material before writing this (own code, nothing copied): independent 2030.5
implementations agree on the rule and on the standard's worked example, the fingerprint
``3E4F45AB31EDFE5B67E343E5E4562E31984E23E5349E2AD745672ED145EE213A`` giving the LFDI
``3E4F45AB31EDFE5B67E343E5E4562E31984E23E5`` and the SFDI ``167261211391`` (0x3E4F45AB3 = 16726121139,
digit sum 39, check digit 1) — e.g. bsgip/envoy ``tests/unit/server/crud/test_common.py`` ("From 2030.5
standard example"), GRIDAPPSD/ieee-2030_5-go's EndDevice tests, and a Go CSIP test suite citing §6.3.2 to
§6.3.4 of the standard for the same numbers, which also gives the PIN check-digit example 12345 -> 123455.
The tests of this module pin those vectors.
"""

from __future__ import annotations

import hashlib
import re

from cryptography import x509
from cryptography.hazmat.primitives import serialization

__all__ = ["SFDI_MAX", "fingerprint", "lfdi", "lfdi_of_fingerprint", "normalize_lfdi", "sfdi",
           "sfdi_check_digit", "valid_sfdi"]

SFDI_MAX = (2**36 - 1) * 10 + 9  # 36 bits of fingerprint, then one decimal check digit
_HEX40 = re.compile(r"[0-9A-F]{40}")
_SEPARATORS = re.compile(r"[\s:\-]")


def _der(cert: bytes | x509.Certificate) -> bytes:
    """DER bytes of a certificate object, DER bytes as given, or PEM converted (hashing PEM text would
    silently give a wrong LFDI)."""
    if isinstance(cert, x509.Certificate):
        return cert.public_bytes(serialization.Encoding.DER)
    if isinstance(cert, (bytes, bytearray, memoryview)):
        data = bytes(cert)
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data).public_bytes(serialization.Encoding.DER)
        return data
    raise TypeError(f"expected DER bytes or a cryptography x509.Certificate, not {type(cert).__name__}")


def fingerprint(cert: bytes | x509.Certificate) -> str:
    """SHA-256 over the DER certificate, 64 upper-case hex digits."""
    return hashlib.sha256(_der(cert)).hexdigest().upper()


def lfdi_of_fingerprint(fp: str) -> str:
    """The LFDI (leftmost 40 hex digits) of a fingerprint given as hex (separators and case ignored)."""
    digits = _SEPARATORS.sub("", fp).upper()
    if not re.fullmatch(r"[0-9A-F]{40,}", digits):
        raise ValueError(f"not a certificate fingerprint: {fp!r}")
    return digits[:40]


def lfdi(cert: bytes | x509.Certificate) -> str:
    """LFDI of a certificate (DER bytes, PEM bytes or x509.Certificate): 40 upper-case hex digits."""
    return fingerprint(cert)[:40]


def normalize_lfdi(value: str) -> str | None:
    """An LFDI as written by a client, as 40 upper-case hex digits; None when it is not one.

    hexBinary is case-insensitive, so a client writing lower case is not wrong; separators (``-``, ``:``,
    blanks), as LFDIs are often printed for humans, are dropped.
    """
    digits = _SEPARATORS.sub("", value).upper()
    return digits if _HEX40.fullmatch(digits) else None


def _digit_sum(n: int) -> int:
    return sum(int(c) for c in str(n))


def sfdi_check_digit(n: int) -> int:
    """The decimal digit that, appended to ``n``, makes the sum of all digits a multiple of 10."""
    if n < 0:
        raise ValueError("a check digit is defined for non-negative numbers only")
    return (10 - _digit_sum(n) % 10) % 10


def sfdi(lfdi_hex: str) -> int:
    """SFDI of an LFDI (or of a longer fingerprint): its leftmost 36 bits in decimal, then the check digit.

    ValueError when ``lfdi_hex`` has fewer than 40 hex digits (separators and case ignored).
    """
    n = int(lfdi_of_fingerprint(lfdi_hex)[:9], 16)  # 9 hex digits = 36 bits
    return n * 10 + sfdi_check_digit(n)


def valid_sfdi(n: int | str) -> bool:
    """True when ``n`` could be an SFDI: a non-negative number of at most 36 bits plus a valid check digit."""
    if isinstance(n, str):
        if not n.strip().isdigit():
            return False
        n = int(n)
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= SFDI_MAX:
        return False
    return n // 10 <= 2**36 - 1 and sfdi_check_digit(n // 10) == n % 10
