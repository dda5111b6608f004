"""Signed firmware for the secure update cases (2.0.1 L01; the same scheme as the 1.6 security extension's
SignedUpdateFirmware): the firmware signing certificate the CSMS hands over, the signature over the image, and the
checks a station makes of both.

A vendor's station trusts its manufacturer's root only, so the harness takes the signing material from the PIXIT
(`firmware_signing_certificate` with `firmware_signing_key`, or a ready `firmware_signature` over
`firmware_image`). Without it the cases use the *reference* signing PKI below, which the reference stations trust:
its keys are derived from a public label, so that the suite and a reference station in another process (a shard,
an xdist worker) agree on them without files. They are test keys that everyone can rebuild — a product must
never trust them.

Signatures: ECDSA with SHA-256 over the whole image, DER, base64 (what `firmware.signature` carries).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as _dt
import functools
import hashlib
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from ..pki import Credential
from ..verdict import Inconclusive
from .files import corrupt, reference_image

NEW_VERSION = "0.2.0-vgitest"  # the version the reference image installs
_LABEL = "vgitest reference firmware signing PKI (public test keys; never trust them in a product)"
_NOT_BEFORE = _dt.datetime(2024, 1, 1, tzinfo=_dt.timezone.utc)
_NOT_AFTER = _dt.datetime(2099, 12, 31, tzinfo=_dt.timezone.utc)


def _derived_key(purpose: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 key every process derives alike from the public label: a test key, not a secret."""
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    seed = int.from_bytes(hashlib.sha256(f"{_LABEL}/{purpose}".encode()).digest(), "big")
    return ec.derive_private_key(seed % (order - 1) + 1, ec.SECP256R1())


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "vgitest reference manufacturer"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject: str, key: Any, issuer: str, issuer_key: Any, ca: bool, serial: int) -> x509.Certificate:
    b = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
         .public_key(key.public_key()).serial_number(serial)
         .not_valid_before(_NOT_BEFORE).not_valid_after(_NOT_AFTER)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True))
    usage = (True, False, False, False, False, ca, ca, False, False)  # digitalSignature; CAs sign certificates
    b = b.add_extension(x509.KeyUsage(*usage), critical=True)
    return b.sign(issuer_key, hashes.SHA256())


@functools.lru_cache(maxsize=None)
def reference_root() -> Credential:
    """The reference manufacturer's root: what the reference stations trust for firmware."""
    key = _derived_key("root")
    cn = "vgitest Reference Manufacturer Root"
    return Credential(_cert(cn, key, cn, key, True, 0x5EED01), key)


@functools.lru_cache(maxsize=None)
def reference_signer() -> Credential:
    """The reference firmware signing certificate, issued by the root directly (no intermediate)."""
    root = reference_root()
    key = _derived_key("signer")
    return Credential(_cert("vgitest Reference Firmware Signing", key, "vgitest Reference Manufacturer Root",
                            root.key, False, 0x5EED02), key, [root.cert])


@functools.lru_cache(maxsize=None)
def rogue_signer() -> Credential:
    """A signing certificate of the same shape from a root no station trusts (the invalid-certificate case)."""
    key, root_key = _derived_key("rogue-signer"), _derived_key("rogue-root")
    return Credential(_cert("vgitest Rogue Firmware Signing", key, "vgitest Rogue Manufacturer Root", root_key,
                            False, 0x5EED03), key)


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def sign(key: Any, data: bytes) -> str:
    """The base64 signature of `data` (ECDSA/SHA-256, or RSA-PSS/SHA-256 for an RSA key)."""
    if isinstance(key, rsa.RSAPrivateKey):
        raw = key.sign(data, padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.MAX_LENGTH), hashes.SHA256())
    else:
        raw = key.sign(data, ec.ECDSA(hashes.SHA256()))
    return base64.b64encode(raw).decode()


def signature_valid(cert_pem: str, data: bytes, signature_b64: str) -> bool:
    """Whether `signature_b64` is the signing certificate's signature over `data`."""
    try:
        cert = x509.load_pem_x509_certificate(cert_pem.encode())
        raw = base64.b64decode(signature_b64, validate=True)
        pub = cert.public_key()
        if isinstance(pub, rsa.RSAPublicKey):
            pub.verify(raw, data, padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.AUTO), hashes.SHA256())
        elif isinstance(pub, ec.EllipticCurvePublicKey):
            pub.verify(raw, data, ec.ECDSA(hashes.SHA256()))
        else:
            return False
        return True
    except (ValueError, InvalidSignature, TypeError):
        return False


def certificate_problem(cert_pem: str, roots: list[x509.Certificate], now: _dt.datetime | None = None) -> str | None:
    """Why a station must refuse `cert_pem` as a firmware signing certificate (L01.FR.21/22), or None: it must be
    one X.509 certificate, valid now, issued directly by one of the trusted manufacturer `roots`."""
    try:
        cert = x509.load_pem_x509_certificate(cert_pem.encode())
    except ValueError as exc:
        return f"not a PEM certificate ({exc})"
    now = now or _dt.datetime.now(_dt.timezone.utc)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        return f"not valid now (valid {cert.not_valid_before_utc:%Y-%m-%d} to {cert.not_valid_after_utc:%Y-%m-%d})"
    for root in roots:
        if root.subject != cert.issuer:
            continue
        try:
            cert.verify_directly_issued_by(root)
            return None
        except (ValueError, TypeError, InvalidSignature):
            continue
    return f"not issued by a trusted manufacturer root (issuer {cert.issuer.rfc4514_string()})"


# --- what a case hands the station ----------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class SigningMaterial:
    """The signing certificate a case sends, and how it signs an image: with a key (any image), or a fixed
    signature that fits one image only (a vendor who does not hand out the key)."""

    certificate: str
    key: Any = None
    fixed: tuple[bytes, str] | None = None  # (image, its signature)

    def signature(self, data: bytes) -> str | None:
        """The signature over `data`, or None when the harness cannot make one (fixed signature, other bytes)."""
        if self.key is not None:
            return sign(self.key, data)
        if self.fixed is not None and self.fixed[0] == data:
            return self.fixed[1]
        return None


def _read(path: Any, key: str) -> bytes | None:
    """The file a PIXIT key names (None when unset); an unreadable one leaves the case INCONCLUSIVE."""
    if not path:
        return None
    try:
        return Path(str(path)).expanduser().read_bytes()
    except OSError as exc:
        raise Inconclusive(f"PIXIT {key} {path!r} cannot be read: {exc}") from None


def firmware_image(profile: Any) -> bytes:
    """The image the station installs: PIXIT firmware_image, else one in the reference stations' format."""
    return _read(profile.param("firmware_image"), "firmware_image") or reference_image(NEW_VERSION)


def failing_image(profile: Any) -> bytes:
    """An image that arrives whole and signed but fails the station's own installation check: PIXIT
    firmware_invalid_image, else the reference image with bytes changed in its payload."""
    return _read(profile.param("firmware_invalid_image"), "firmware_invalid_image") or corrupt(reference_image(NEW_VERSION))


def material(profile: Any) -> SigningMaterial:
    """PIXIT firmware_signing_certificate with firmware_signing_key (or firmware_signature over firmware_image);
    unset: the reference signer."""
    cert = _read(profile.param("firmware_signing_certificate"), "firmware_signing_certificate")
    if cert is None:
        signer = reference_signer()
        return SigningMaterial(pem(signer.cert), signer.key)
    key_pem = _read(profile.param("firmware_signing_key"), "firmware_signing_key")
    if key_pem is not None:
        return SigningMaterial(cert.decode(), serialization.load_pem_private_key(key_pem, password=None))
    fixed = profile.param("firmware_signature")
    if not fixed:
        raise Inconclusive("PIXIT firmware_signing_certificate is set without firmware_signing_key or "
                           "firmware_signature: the case cannot sign the firmware")
    return SigningMaterial(cert.decode(), fixed=(firmware_image(profile), str(fixed)))


def invalid_certificate(profile: Any) -> str:
    """A signing certificate the station must refuse: PIXIT firmware_invalid_signing_certificate, else one from a
    root nobody trusts."""
    data = _read(profile.param("firmware_invalid_signing_certificate"), "firmware_invalid_signing_certificate")
    return data.decode() if data is not None else pem(rogue_signer().cert)
