"""A test PKI shared by every protocol: root and intermediate CAs, server and client certificates, made
with `cryptography` on the fly (nothing secret is ever committed). Protocol packages add their profile's
extensions (OCPP CN = serial number, CSIP policies, ISO 15118 V2G roots) through `issue(..., extensions=)`.

Builders for extensions `cryptography` has no class for, or encodes only from raw DER, live here too so every
profile shares one implementation: `hardware_module_name` (RFC 4108 otherName, IEEE 2030.5 device identity),
`certificate_policies`, `policy_mappings` (RFC 5280 4.2.1.5, for negative tests) and `NO_EXPIRY` (the
GeneralizedTime 99991231235959Z that RFC 5280 4.1.2.5 reserves for "no well-defined expiration date")."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import ipaddress
import ssl
from pathlib import Path
from typing import Iterable

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

KeyType = str  # "ec-p256", "ec-p384", "ec-p521", "rsa2048", "rsa3072", "ed448"

NO_EXPIRY = _dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=_dt.timezone.utc)  # RFC 5280 4.1.2.5
HARDWARE_MODULE_NAME_OID = ObjectIdentifier("1.3.6.1.5.5.7.8.4")  # id-on-hardwareModuleName, RFC 4108
POLICY_MAPPINGS_OID = ObjectIdentifier("2.5.29.33")  # cryptography has no class for policyMappings


def new_key(kind: KeyType = "ec-p256"):  # noqa: ANN201 - cryptography key types
    if kind.startswith("ec-p"):
        curve = {"256": ec.SECP256R1(), "384": ec.SECP384R1(), "521": ec.SECP521R1()}[kind[4:]]
        return ec.generate_private_key(curve)
    if kind.startswith("rsa"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(kind[3:]))
    if kind == "ed448":
        return ed448.Ed448PrivateKey.generate()
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


def _name(cn: str | None, org: str | None = None) -> x509.Name:
    """`cn=None` gives an empty subject (IEEE 2030.5 device certificates identify by SAN, not by name)."""
    if cn is None:
        return x509.Name([])
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    return x509.Name(attrs)


def _hash_for(key: object) -> hashes.HashAlgorithm | None:
    """The signature hash for `key`; None for EdDSA, which hashes internally (and must be given None)."""
    if isinstance(key, ed448.Ed448PrivateKey):
        return None
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size > 384:
        return hashes.SHA512()
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size > 256:
        return hashes.SHA384()
    return hashes.SHA256()


def root_ca(cn: str = "vgitest Test Root CA", *, key_type: KeyType = "ec-p256", org: str | None = "vgitest",
            days: int = 3650, not_after: _dt.datetime | None = None,
            extensions: Iterable[tuple[x509.ExtensionType, bool]] = (), subject: x509.Name | None = None,
            path_length: int | None = None) -> Credential:
    """A self-signed CA; `not_after` (e.g. `NO_EXPIRY`) overrides `days`, `extensions` adds profile extensions,
    `subject` replaces the name made of `cn`/`org` (profiles with more attributes, e.g. ISO 15118's DC)."""
    key = new_key(key_type)
    now = _dt.datetime.now(_dt.timezone.utc)
    name = subject if subject is not None else _name(cn, org)
    b = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - _dt.timedelta(minutes=5))
         .not_valid_after(not_after or now + _dt.timedelta(days=days))
         .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
         .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    for ext, critical in extensions:
        b = b.add_extension(ext, critical=critical)
    return Credential(b.sign(key, _hash_for(key)), key)  # type: ignore[arg-type]


def issue(issuer: Credential | None, cn: str | None, *, ca: bool = False, path_length: int | None = None,
          server_names: Iterable[str] = (), client: bool = False, server: bool = False, org: str | None = None,
          key_type: KeyType = "ec-p256", days: int = 365, not_before: _dt.datetime | None = None,
          not_after: _dt.datetime | None = None,
          extensions: Iterable[tuple[x509.ExtensionType, bool]] = (), subject: x509.Name | None = None,
          key_usage: x509.KeyUsage | None = None) -> Credential:
    """A certificate signed by `issuer`; `not_before`/`days` make expired or not-yet-valid ones for negative tests.

    `issuer=None` makes the certificate sign itself (a self-signed end entity, which a verifier must refuse);
    `cn=None` leaves the subject empty; `not_after` (e.g. `NO_EXPIRY`) overrides `days`; `subject` replaces
    the name made of `cn`/`org`; `key_usage` replaces the default (critical) keyUsage.
    """
    key = new_key(key_type)
    start = not_before or (_dt.datetime.now(_dt.timezone.utc) - _dt.timedelta(minutes=5))
    subject = subject if subject is not None else _name(cn, org)
    signer_key = key if issuer is None else issuer.key
    b = (x509.CertificateBuilder().subject_name(subject)
         .issuer_name(subject if issuer is None else issuer.cert.subject)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(start).not_valid_after(not_after or start + _dt.timedelta(days=days))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length if ca else None), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    if issuer is not None:
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.cert.public_key()),  # type: ignore
                            critical=False)
    if key_usage is not None:
        b = b.add_extension(key_usage, critical=True)
    elif ca:
        b = b.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
    if not ca:
        if key_usage is None:
            ec_key = isinstance(key, ec.EllipticCurvePrivateKey)  # EdDSA: signatures only, no key exchange
            b = b.add_extension(x509.KeyUsage(True, False, isinstance(key, rsa.RSAPrivateKey), False, ec_key,
                                              False, False, False, False), critical=True)
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
    cert = b.sign(signer_key, _hash_for(signer_key))  # type: ignore[arg-type]
    return Credential(cert, key, [] if issuer is None else [issuer.cert] + issuer.chain)


# ---------------------------------------------------------------- profile extensions

def certificate_policies(*oids: str) -> x509.CertificatePolicies:
    """A certificatePolicies value of bare policy OIDs (no qualifiers, as RFC 5280 recommends)."""
    return x509.CertificatePolicies([x509.PolicyInformation(ObjectIdentifier(o), None) for o in oids])


def hardware_module_name(hw_type: str, serial: bytes | str) -> x509.OtherName:
    """The RFC 4108 otherName HardwareModuleName ::= SEQUENCE { hwType OBJECT IDENTIFIER, hwSerialNum OCTET STRING }
    (`cryptography` takes an otherName's value as DER, so it is encoded here)."""
    raw = serial.encode() if isinstance(serial, str) else bytes(serial)
    return x509.OtherName(HARDWARE_MODULE_NAME_OID, _tlv(0x30, _der_oid(hw_type) + _tlv(0x04, raw)))


def parse_hardware_module_name(name: x509.OtherName) -> tuple[str, bytes]:
    """(hwType, hwSerialNum) of a HardwareModuleName otherName; ValueError when it is not one or malformed."""
    if name.type_id != HARDWARE_MODULE_NAME_OID:
        raise ValueError(f"otherName {name.type_id.dotted_string} is not a HardwareModuleName")
    tag, body, rest = _read_tlv(name.value)
    if tag != 0x30 or rest:
        raise ValueError("HardwareModuleName is not a single SEQUENCE")
    tag, oid, body = _read_tlv(body)
    if tag != 0x06:
        raise ValueError("HardwareModuleName hwType is not an OBJECT IDENTIFIER")
    tag, serial, body = _read_tlv(body)
    if tag != 0x04 or body:
        raise ValueError("HardwareModuleName hwSerialNum is not a single OCTET STRING")
    return _oid_from_der(oid), serial


def policy_mappings(pairs: Iterable[tuple[str, str]]) -> x509.UnrecognizedExtension:
    """policyMappings ::= SEQUENCE OF SEQUENCE { issuerDomainPolicy, subjectDomainPolicy } (RFC 5280 4.2.1.5),
    raw because `cryptography` has no class for it. Profiles that forbid it need it for negative tests."""
    body = b"".join(_tlv(0x30, _der_oid(a) + _der_oid(b)) for a, b in pairs)
    return x509.UnrecognizedExtension(POLICY_MAPPINGS_OID, _tlv(0x30, body))


def _tlv(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    length = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def _read_tlv(data: bytes) -> tuple[int, bytes, bytes]:
    """(tag, content, remainder) of the first DER element; ValueError on truncation."""
    if len(data) < 2:
        raise ValueError("truncated DER")
    tag, n, i = data[0], data[1], 2
    if n & 0x80:
        k = n & 0x7F
        if k == 0 or len(data) < 2 + k:
            raise ValueError("bad DER length")
        n, i = int.from_bytes(data[2:2 + k], "big"), 2 + k
    if len(data) < i + n:
        raise ValueError("truncated DER")
    return tag, data[i:i + n], data[i + n:]


def _der_oid(dotted: str) -> bytes:
    arcs = [int(a) for a in dotted.split(".")]
    out = bytearray()
    for arc in [arcs[0] * 40 + arcs[1]] + arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out += bytes(reversed(chunk))
    return _tlv(0x06, bytes(out))


def _oid_from_der(content: bytes) -> str:
    arcs, value = [], 0
    for byte in content:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    if not arcs or value:
        raise ValueError("bad OBJECT IDENTIFIER")
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in [first, arcs[0] - 40 * first] + arcs[1:])


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


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether `issuer` names and signed `cert` (its subject is cert's issuer, its key verifies cert's
    signature): one link of a chain, for every check that walks one (CSIP's profile, an evidence bundle's
    signer)."""
    from cryptography.exceptions import InvalidSignature
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True
