"""Signing an evidence bundle's manifest with a lab key (Ed25519 or ECDSA, through `cryptography`) and checking
such a signature: the only thing that catches someone who rewrites the manifest along with a member."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from .bundleformat import SIGNATURE, BundleError


class Signer:
    def __init__(self, key: Any, cert_pem: bytes | None) -> None:
        self.key = key
        self.cert_pem = cert_pem

    @classmethod
    def load(cls, key_path: Path, cert_path: Path | None) -> "Signer":
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec, ed25519
        password = os.environ.get("VGITEST_SIGN_KEY_PASSWORD")
        try:
            key = serialization.load_pem_private_key(Path(key_path).read_bytes(),
                                                     password.encode() if password else None)
        except (OSError, ValueError, TypeError) as exc:
            raise BundleError(f"signing key {key_path}: {exc} (a PEM private key, Ed25519 or ECDSA; an encrypted "
                              "one needs VGITEST_SIGN_KEY_PASSWORD)") from None
        if not isinstance(key, (ed25519.Ed25519PrivateKey, ec.EllipticCurvePrivateKey)):
            raise BundleError(f"signing key {key_path}: a {type(key).__name__}; use an Ed25519 or ECDSA key")
        cert_pem = None
        if cert_path is not None:
            cert_pem = Path(cert_path).read_bytes()
            if public_pem(load_public(cert_pem, str(cert_path))) != public_pem(key.public_key()):
                raise BundleError(f"certificate {cert_path} is not the certificate of the key {key_path}")
        return cls(key, cert_pem)

    def sign(self, data: bytes) -> bytes:
        from cryptography.hazmat.primitives.asymmetric import ec
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            algorithm = f"ECDSA-{ecdsa_hash(self.key.curve.key_size)().name.upper()}"
            sig = self.key.sign(data, ec.ECDSA(ecdsa_hash(self.key.curve.key_size)()))
        else:
            algorithm, sig = "Ed25519", self.key.sign(data)
        doc = {"algorithm": algorithm, "manifest_sha256": hashlib.sha256(data).hexdigest(),
               "signature": base64.b64encode(sig).decode(), "public_key": public_pem(self.key.public_key()),
               "certificate": self.cert_pem.decode() if self.cert_pem else None}
        return (json.dumps(doc, indent=2) + "\n").encode()


def ecdsa_hash(bits: int) -> Any:
    from cryptography.hazmat.primitives import hashes
    return hashes.SHA256 if bits <= 256 else hashes.SHA384 if bits <= 384 else hashes.SHA512


def public_pem(key: Any) -> str:
    from cryptography.hazmat.primitives import serialization
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public(pem: bytes, what: str) -> Any:
    """A public key from a PEM public key or certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    try:
        if b"CERTIFICATE-----" in pem:
            return x509.load_pem_x509_certificate(pem).public_key()
        return serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise BundleError(f"{what}: not a PEM public key or certificate ({exc})") from None


def check_signature(sig_doc: dict[str, Any], data: bytes, trusted: Any | None) -> list[str]:
    """Problems with the signature of the manifest bytes `data` (none: it holds for the trusted key, or for the
    key the bundle names when the verifier gave none)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519
    try:
        sig = base64.b64decode(str(sig_doc.get("signature", "")), validate=True)
    except ValueError:
        return [f"{SIGNATURE}: the signature is not base64"]
    problems = []
    try:
        embedded = load_public(str(sig_doc.get("public_key", "")).encode(), f"{SIGNATURE} public_key")
    except BundleError as exc:
        embedded = None
        if trusted is None:
            return [str(exc)]
    if trusted is not None and embedded is not None and public_pem(embedded) != public_pem(trusted):
        problems.append(f"{SIGNATURE}: signed by another key than the one given (the bundle names "
                        f"{fingerprint(embedded)}, --pubkey is {fingerprint(trusted)})")
    key = trusted if trusted is not None else embedded
    algorithm = str(sig_doc.get("algorithm", ""))
    try:
        if isinstance(key, ed25519.Ed25519PublicKey) and algorithm == "Ed25519":
            key.verify(sig, data)
        elif isinstance(key, ec.EllipticCurvePublicKey) and algorithm.startswith("ECDSA-"):
            h = ecdsa_hash(key.curve.key_size)()
            if algorithm != f"ECDSA-{h.name.upper()}":
                raise InvalidSignature
            key.verify(sig, data, ec.ECDSA(h))
        else:
            return problems + [f"{SIGNATURE}: algorithm {algorithm or '(none)'} does not fit a "
                               f"{type(key).__name__}"]
    except InvalidSignature:
        problems.append(f"{SIGNATURE}: bad signature: the manifest is not the one that was signed, or another "
                        "key signed it")
    return problems


def fingerprint(key: Any) -> str:
    """The first 16 hex digits of the sha256 of the key's DER SubjectPublicKeyInfo (what
    `openssl pkey -pubin -in KEY.pub -outform DER | sha256sum` prints)."""
    from cryptography.hazmat.primitives import serialization
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "sha256:" + hashlib.sha256(der).hexdigest()[:16]
