"""A test PKI shared by every protocol: root and intermediate CAs, server and client certificates, made
with `cryptography` on the fly (nothing secret is ever committed). Protocol packages add their profile's
extensions (OCPP CN = serial number, CSIP policies, ISO 15118 V2G roots) through `issue(..., extensions=)`."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import ipaddress
import ssl
from pathlib import Path
from typing import Iterable

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KeyType = str  # "ec-p256", "ec-p384", "ec-p521", "rsa2048", "rsa3072"


def new_key(kind: KeyType = "ec-p256"):  # noqa: ANN201 - cryptography key types
    if kind.startswith("ec-p"):
        curve = {"256": ec.SECP256R1(), "384": ec.SECP384R1(), "521": ec.SECP521R1()}[kind[4:]]
        return ec.generate_private_key(curve)
    if kind.startswith("rsa"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(kind[3:]))
    raise ValueError(f"unknown key type {kind!r}")


@dataclasses.dataclass
class Credential:
    cert: x509.Certificate
    key: object
    chain: list[x509.Certificate] = dataclasses.field(default_factory=list)  # issuers, nearest first

    def cert_pem(self, with_chain: bool = True) -> bytes:
        certs = [self.cert] + (self.chain if with_chain else [])
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,  # type: ignore
                                      serialization.NoEncryption())

    def write(self, directory: Path, name: str) -> tuple[Path, Path]:
        directory.mkdir(parents=True, exist_ok=True)
        cert, key = directory / f"{name}.pem", directory / f"{name}.key"
        cert.write_bytes(self.cert_pem())
        key.write_bytes(self.key_pem())
        key.chmod(0o600)
        return cert, key


def _name(cn: str, org: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    return x509.Name(attrs)


def _hash_for(key: object) -> hashes.HashAlgorithm:
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size > 384:
        return hashes.SHA512()
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size > 256:
        return hashes.SHA384()
    return hashes.SHA256()


def root_ca(cn: str = "vgitest Test Root CA", *, key_type: KeyType = "ec-p256", org: str | None = "vgitest",
            days: int = 3650) -> Credential:
    key = new_key(key_type)
    now = _dt.datetime.now(_dt.timezone.utc)
    b = (x509.CertificateBuilder().subject_name(_name(cn, org)).issuer_name(_name(cn, org))
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - _dt.timedelta(minutes=5)).not_valid_after(now + _dt.timedelta(days=days))
         .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
         .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    return Credential(b.sign(key, _hash_for(key)), key)


def issue(issuer: Credential, cn: str, *, ca: bool = False, path_length: int | None = None,
          server_names: Iterable[str] = (), client: bool = False, server: bool = False, org: str | None = None,
          key_type: KeyType = "ec-p256", days: int = 365, not_before: _dt.datetime | None = None,
          extensions: Iterable[tuple[x509.ExtensionType, bool]] = ()) -> Credential:
    """A certificate signed by `issuer`; `not_before`/`days` make expired or not-yet-valid ones for negative tests."""
    key = new_key(key_type)
    start = not_before or (_dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(minutes=5))
    b = (x509.CertificateBuilder().subject_name(_name(cn, org)).issuer_name(issuer.cert.subject)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(start).not_valid_after(start + _dt.timedelta(days=days))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length if ca else None), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.cert.public_key()),  # type: ignore
                        critical=False))
    if ca:
        b = b.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
    else:
        b = b.add_extension(x509.KeyUsage(True, False, not isinstance(key, ec.EllipticCurvePrivateKey), False,
                                          isinstance(key, ec.EllipticCurvePrivateKey), False, False, False, False),
                            critical=True)
        usages = ([ExtendedKeyUsageOID.SERVER_AUTH] if server or server_names else []) + \
            ([ExtendedKeyUsageOID.CLIENT_AUTH] if client else [])
        if usages:
            b = b.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    names = list(server_names)
    if names:
        sans: list[x509.GeneralName] = []
        for n in names:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(n)))
            except ValueError:
                sans.append(x509.DNSName(n))
        b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    for ext, critical in extensions:
        b = b.add_extension(ext, critical=critical)
    cert = b.sign(issuer.key, _hash_for(issuer.key))  # type: ignore[arg-type]
    return Credential(cert, key, [issuer.cert] + issuer.chain)


def server_context(cred: Credential, tmp: Path, *, client_ca: Credential | None = None,
                   minimum: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = minimum
    cert, key = cred.write(tmp, "server")
    ctx.load_cert_chain(cert, key)
    if client_ca is not None:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cadata=client_ca.cert_pem(with_chain=False).decode())
    return ctx


def client_context(trust: Credential, tmp: Path, *, cred: Credential | None = None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cadata=trust.cert_pem(with_chain=False).decode())
    if cred is not None:
        cert, key = cred.write(tmp, "client")
        ctx.load_cert_chain(cert, key)
    return ctx
