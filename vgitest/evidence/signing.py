"""Signing an evidence bundle's manifest with a lab key (Ed25519 or ECDSA, through `cryptography`) and checking
such a signature: the only thing that catches someone who rewrites the manifest along with a member."""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from .bundleformat import SIGNATURE, BundleError


class Signer:
    """A lab key and, optionally, its certificate chain (leaf first), ready to sign a manifest."""

    def __init__(self, key: Any, chain: list[Any] | None = None, key_path: Path | None = None) -> None:
        self.key = key
        self.chain = list(chain or [])
        self.key_path = key_path

    @property
    def cert_pem(self) -> bytes | None:
        """The chain as PEM, leaf first: only the certificates, whatever else the file held (comments, a key)."""
        from cryptography.hazmat.primitives import serialization
        if not self.chain:
            return None
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in self.chain)

    @classmethod
    def load(cls, key_path: Path, cert_path: Path | None) -> "Signer":
        """Read and check the key (and that the certificate file's first certificate is the key's), so that a
        wrong file or passphrase is one line before anything is written."""
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
        chain: list[Any] = []
        if cert_path is not None:
            try:
                pem = Path(cert_path).read_bytes()
            except OSError as exc:
                raise BundleError(f"certificate {cert_path}: {exc}") from None
            chain = load_certificates(pem, f"certificate {cert_path}")
            mine = public_pem(key.public_key())
            if public_pem(chain[0].public_key()) != mine:
                at = next((i for i, c in enumerate(chain) if public_pem(c.public_key()) == mine), None)
                if at is not None:
                    raise BundleError(f"certificate {cert_path}: the key's certificate is number {at + 1} in the "
                                      "file; put it first (leaf first, then the intermediates that issued it)")
                raise BundleError(f"certificate {cert_path} is not the certificate of the key {key_path}")
        return cls(key, chain, Path(key_path))

    def warnings(self, now: datetime.datetime | None = None) -> list[str]:
        """Certificates of the chain outside their validity now: the signature is made, but a verifier with
        trust anchors (`verify --ca`) will reject it."""
        now = now or datetime.datetime.now(datetime.timezone.utc)
        out = []
        for i, c in enumerate(self.chain):
            if not c.not_valid_before_utc <= now <= c.not_valid_after_utc:
                role = "leaf" if i == 0 else f"number {i + 1} of the file"
                out.append(f"certificate {describe(c, role)} is valid from "
                           f"{c.not_valid_before_utc:%Y-%m-%d %H:%M} to {c.not_valid_after_utc:%Y-%m-%d %H:%M} UTC, "
                           "not now: `vgitest report verify --ca` will reject what it signs")
        return out

    def describe(self) -> str:
        """Which key signs, for a summary line."""
        who = f", certificate {self.chain[0].subject.rfc4514_string()}" if self.chain else ""
        return f"{self.key_path} ({fingerprint(self.key.public_key())}{who})"

    def sign(self, data: bytes) -> bytes:
        from cryptography.hazmat.primitives.asymmetric import ec
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            algorithm = f"ECDSA-{ecdsa_hash(self.key.curve.key_size)().name.upper()}"
            sig = self.key.sign(data, ec.ECDSA(ecdsa_hash(self.key.curve.key_size)()))
        else:
            algorithm, sig = "Ed25519", self.key.sign(data)
        cert_pem = self.cert_pem
        doc = {"algorithm": algorithm, "manifest_sha256": hashlib.sha256(data).hexdigest(),
               "signature": base64.b64encode(sig).decode(), "public_key": public_pem(self.key.public_key()),
               "certificate": cert_pem.decode() if cert_pem else None,
               "signed_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
        return (json.dumps(doc, indent=2) + "\n").encode()


def load_certificates(pem: bytes, what: str) -> list[Any]:
    """Every certificate of a PEM file, in file order (one, or a chain)."""
    from cryptography import x509
    try:
        return list(x509.load_pem_x509_certificates(pem))
    except ValueError as exc:
        raise BundleError(f"{what}: no PEM certificate could be read ({exc})") from None


def describe(cert: Any, role: str) -> str:
    """A certificate's subject and its role (leaf, intermediate, trust anchor), for one line of a message."""
    return f"'{cert.subject.rfc4514_string() or '(empty subject)'}' ({role})"


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


def check_signature(sig_doc: dict[str, Any], data: bytes, trusted: Any | None, given: str = "--pubkey") -> list[str]:
    """Problems with the signature of the manifest bytes `data` (none: it holds for the trusted key, or for the
    key the bundle names when the verifier gave none). `given` names where the trusted key came from."""
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
                        f"{fingerprint(embedded)}, {given} is {fingerprint(trusted)})")
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
