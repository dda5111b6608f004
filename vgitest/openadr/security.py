"""OpenADR 2.0b transport security: the OpenADR certificate fingerprint, and the venID-to-certificate check a
VTN answers with response code 463.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

__all__ = ["FINGERPRINT_BYTES", "FINGERPRINT_MISMATCH_CODE", "FingerprintCheck", "fingerprint",
           "normalise_fingerprint"]

FINGERPRINT_BYTES = 10  # the OpenADR fingerprint keeps the last 10 bytes of the certificate's SHA-256
FINGERPRINT_MISMATCH_CODE = 463  # OpenADR response code for a venID whose certificate does not match


# ---------------------------------------------------------------- fingerprints

def fingerprint(cert: x509.Certificate | bytes) -> str:
    """The OpenADR fingerprint ``AB:CD:...`` (10 pairs) of a certificate or of its DER bytes.

    DER bytes are hashed as given so the value matches what the peer actually sent on the wire
    (``getpeercert(binary_form=True)``); PEM is refused because hashing it would give a silently wrong value.
    """
    if isinstance(cert, x509.Certificate):
        der = cert.public_bytes(serialization.Encoding.DER)
    elif isinstance(cert, (bytes, bytearray, memoryview)):
        der = bytes(cert)
        if der.lstrip().startswith(b"-----BEGIN"):
            raise ValueError("fingerprint() takes DER bytes or an x509.Certificate, not PEM text")
    else:
        raise TypeError(f"fingerprint() takes an x509.Certificate or DER bytes, not {type(cert).__name__}")
    return _pairs(hashlib.sha256(der).digest()[-FINGERPRINT_BYTES:])


def _pairs(raw: bytes) -> str:
    return ":".join(f"{b:02X}" for b in raw)


def normalise_fingerprint(text: str) -> str:
    """A fingerprint as vendors type it (any case, with or without colons or spaces) in canonical form.

    Raises ValueError on anything but 10 bytes of hex, so a PIXIT typo fails at load time rather than as a
    puzzling 463 later; a full 32-byte SHA-256 fingerprint gets a hint with the 10 bytes OpenADR uses.
    """
    compact = "".join(text.replace(":", "").split())
    try:
        raw = bytes.fromhex(compact)
    except ValueError:
        raise ValueError(f"fingerprint {text!r} is not hexadecimal (expected {FINGERPRINT_BYTES} hex pairs "
                         "such as AB:CD:...)") from None
    if len(raw) == FINGERPRINT_BYTES:
        return _pairs(raw)
    hint = ""
    if len(raw) == hashlib.sha256().digest_size:
        hint = (f"; this looks like a full SHA-256 fingerprint, OpenADR uses its last {FINGERPRINT_BYTES} bytes: "
                f"{_pairs(raw[-FINGERPRINT_BYTES:])}")
    raise ValueError(f"fingerprint {text!r} has {len(raw)} bytes, OpenADR fingerprints have "
                     f"{FINGERPRINT_BYTES}{hint}")


def _cn(cert: x509.Certificate) -> str | None:
    attrs = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(attrs[0].value) if attrs else None


def _cn_of_der(der: bytes) -> str | None:
    """The CN for a message only: bytes that do not parse still have a fingerprint, so no error here."""
    try:
        return _cn(x509.load_der_x509_certificate(bytes(der)))
    except ValueError:
        return None


# ---------------------------------------------------------------- venID binding

class FingerprintCheck:
    """The VTN's registry of venID -> expected certificate fingerprint.

    TLS only proves the VEN holds *a* certificate from a trusted CA; this check binds it to the venID in the
    payload so one VEN cannot speak for another (answered with `FINGERPRINT_MISMATCH_CODE`).
    """

    def __init__(self, registered: Mapping[str, str] | None = None) -> None:
        self._expected: dict[str, str] = {}
        for ven_id, fp in (registered or {}).items():
            self.register(ven_id, fp)

    def register(self, ven_id: str, fp: str) -> None:
        """Record a venID's fingerprint; normalised now so a malformed PIXIT value fails early."""
        self._expected[ven_id] = normalise_fingerprint(fp)

    def expected(self, ven_id: str) -> str | None:
        return self._expected.get(ven_id)

    def __contains__(self, ven_id: object) -> bool:
        return ven_id in self._expected

    def __len__(self) -> int:
        return len(self._expected)

    def check(self, ven_id: str, cert: x509.Certificate | bytes | None) -> str | None:
        """None when `cert` is the one registered for `ven_id`, else a reason a vendor can act on."""
        expected = self._expected.get(ven_id)
        if expected is None:
            known = ", ".join(repr(v) for v in sorted(self._expected)) or "none"
            return f"venID {ven_id!r} is not registered with the VTN (registered venIDs: {known})"
        if cert is None:
            return (f"venID {ven_id!r} presented no client certificate; "
                    f"the certificate registered for it has fingerprint {expected}")
        actual = fingerprint(cert)
        if actual == expected:
            return None
        cn = _cn(cert) if isinstance(cert, x509.Certificate) else _cn_of_der(cert)
        who = f" (CN {cn!r})" if cn else ""
        return (f"the client certificate{who} has fingerprint {actual}, but venID {ven_id!r} is registered "
                f"with fingerprint {expected}")
