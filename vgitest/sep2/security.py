"""IEEE 2030.5 / CSIP transport security: the TLS contexts of the fake 2030.5 server and the reference DER
client, the certificate-profile checks OpenSSL does not make (`verify_csip_chain`), and client
identification by LFDI.

The profile: TLS 1.2 only, exactly TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 (0xC0AE, OpenSSL
``ECDHE-ECDSA-AES128-CCM8``), ECDSA P-256 certificates, mutual authentication, chains of depth 2 to 4 under a
SERCA (see `vgitest.sep2.testpki`). Findings on OpenSSL 3.0.19 (Python 3.11.7 ``ssl``, cryptography 50):

* CCM-8 needs no ``@SECLEVEL`` lowering: a P-256 mutual handshake negotiates it at levels 0 to 3; level 2 (the
  distribution default here) is pinned in the cipher string so a different default cannot change the outcome.
  At level 4 OpenSSL drops every AES-128 suite (``NO_CIPHERS_AVAILABLE``: level 4 means 192-bit security).
  The suite is not in OpenSSL's ``DEFAULT`` list, so a client that does not name it never offers it.
* Clients do not check a host name: 2030.5 servers are identified by their certificate chain (device
  certificates have an empty subject and only a HardwareModuleName in the SAN), not by DNS.
* Plain OpenSSL verification (Python's default flags) accepts three of the four COMM-004 negative server
  chains: D (critical extendedKeyUsage on the MICA, listing serverAuth and clientAuth, so OpenSSL's purpose
  check passes), E (a non-critical nameConstraints on the MICA that the device does not violate) and F
  (policyMappings on the MICA). It refuses G (self-signed server certificate: "self-signed certificate",
  verify code 18). ``VERIFY_X509_STRICT`` changes none of these outcomes. OpenSSL's policy flags, which
  Python passes through ``verify_flags`` unchecked, do not help either: ``X509_V_FLAG_POLICY_CHECK`` (0x80),
  alone or with ``INHIBIT_MAP`` (0x400), still accepts F (the mapping itself is legal X.509), and adding
  ``EXPLICIT_POLICY`` (0x100) fails the *valid* chains too ("no explicit policy"), so none is used.
  `verify_csip_chain` refuses all four, and `client_context(strict=True)` runs it inside the handshake
  (`vgitest.tlsutil.add_handshake_check`), so the strict client closes the connection before any request;
  the server sees its handshake complete and then the TCP connection end without data.
* Case E is our reading of SunSpec COMM-004 E, whose text we could not obtain: a MICA with a name-related
  extension the profile does not allow. We chose a *non-critical* nameConstraints, which breaks both the
  2030.5 CA profile (no name constraints) and RFC 5280 4.2.1.10 (must be critical).
* Refusals on an asyncio server arrive without a TLS alert (see `vgitest.openadr.security`): the client sees
  its handshake end with a reset/EOF. A refusal by the blocking strict client is a plain TCP close.
* Python 3.11 has no public API for the chain a peer sent; `vgitest.tlsutil.peer_chain` reads it from
  ``_ssl`` (present since 3.10) and `describe_tls` reports None where it is missing.
"""

from __future__ import annotations

import ssl
from typing import Any
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtensionOID, SignatureAlgorithmOID

from .. import pki
from ..pki import Credential
from .identity import lfdi  # noqa: F401  (re-exported: the server names clients by LFDI)
from ..tlsutil import (add_handshake_check, as_list, describe_handshake_error, peer_certificate, peer_chain,
                       record_handshake_failures, trust_pem)
from ..xmlhttp import tls

__all__ = ["CSIP_CIPHER", "CsipChainError", "DEVICE_TYPE_ARC", "MAX_DEPTH", "POLICY", "cipher_string",
           "client_context", "client_lfdi", "describe_handshake_error", "describe_tls", "lfdi", "record_handshake_failures",
           "server_context", "verify_csip_chain"]

CSIP_CIPHER = "ECDHE-ECDSA-AES128-CCM8"  # TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, the only CSIP suite
SECURITY_LEVEL = 2  # see the module docstring: CCM-8 with P-256 works at 0-3, level 4 drops AES-128
MAX_DEPTH = 4  # SERCA -> MCA -> MICA -> device, trust anchor included
DEVICE_TYPE_ARC = "1.3.6.1.4.1.40732.1."  # IEEE 2030.5 6.11.7.2 device types (.1 generic, .2 mobile, .3 post-mfg)
POLICY = {"generic": "1.3.6.1.4.1.40732.1.1", "mobile": "1.3.6.1.4.1.40732.1.2",
          "post-manufacture": "1.3.6.1.4.1.40732.1.3",
          # IEEE 2030.5 6.11.7.3 policy assignments
          "test": "1.3.6.1.4.1.40732.2.1", "self-signed": "1.3.6.1.4.1.40732.2.2",
          "service-provider": "1.3.6.1.4.1.40732.2.3", "bulk": "1.3.6.1.4.1.40732.2.4"}


def cipher_string(ciphers: str = CSIP_CIPHER) -> str:
    return f"{ciphers}:@SECLEVEL={SECURITY_LEVEL}"


# ---------------------------------------------------------------- identity

def client_lfdi(ssl_object: ssl.SSLObject | ssl.SSLSocket | None) -> str | None:
    """The LFDI of the certificate the peer presented (on the server: the client's), None without one.
    2030.5 servers identify the client by this, not by any name in the certificate."""
    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    return lfdi(der) if der else None


def describe_tls(ssl_object: ssl.SSLObject | ssl.SSLSocket | None) -> dict[str, str | int | None]:
    """What a trace frame stores about a connection, as plain JSON: version, cipher, the peer's LFDI and how
    many certificates the peer sent (None when unknown, see `vgitest.tlsutil.peer_chain`)."""
    if ssl_object is None:
        return {"version": None, "cipher": None, "peer_lfdi": None, "peer_chain_length": None}
    cipher = ssl_object.cipher()
    chain = peer_chain(ssl_object)
    return {"version": ssl_object.version(), "cipher": cipher[0] if cipher else None,
            "peer_lfdi": client_lfdi(ssl_object), "peer_chain_length": len(chain) if chain else None}


# ---------------------------------------------------------------- contexts

def server_context(server: Credential, client_ca: Credential | Sequence[Credential], tmp: Path, *,
                   require_client_cert: bool = True, ciphers: str = CSIP_CIPHER) -> ssl.SSLContext:
    """The fake 2030.5 server: TLS 1.2, only CCM-8, presenting `server` with its whole chain (so the depth the
    client sees is the depth built), client certificates verified against `client_ca` (SERCAs, without their
    chains). ``require_client_cert=False`` still verifies a certificate when sent, so the server can answer a
    missing one at HTTP level; `ciphers` exists for negative tests (a server offering a non-CSIP suite).
    `tmp` receives the PEM files OpenSSL loads (it has no API for in-memory keys)."""
    anchors = as_list(client_ca)
    if not anchors:
        raise ValueError("client_ca: at least one SERCA is needed to verify client certificates")
    return tls.server_context(cipher_string(ciphers), [server.write(tmp, "sep2-server")], cadata=trust_pem(anchors),
                              require_client_cert=require_client_cert)


def client_context(trust: Credential | Sequence[Credential], tmp: Path, *, client: Credential | None,
                   strict: bool = True, ciphers: str = CSIP_CIPHER) -> ssl.SSLContext:
    """The reference DER client: TLS 1.2, only CCM-8, the server chain verified by OpenSSL against `trust`
    (SERCAs) and, with `strict`, by `verify_csip_chain` inside the handshake, so a chain breaking the profile
    is refused before any request. No host name check (see the module docstring). `client` is presented when
    given; None, ``strict=False`` and `ciphers` exist for negative tests."""
    anchors = as_list(trust)
    if not anchors:
        raise ValueError("trust: at least one SERCA is needed to verify the server")
    ctx = tls.client_context(cipher_string(ciphers), cadata=trust_pem(anchors), check_hostname=False,
                             chain=None if client is None else client.write(tmp, "sep2-client"))
    if strict:
        add_handshake_check(ctx, _profile_check([a.cert for a in anchors]))
    return ctx


def _profile_check(anchors: list[x509.Certificate]) -> Any:
    """The check a strict client runs inside the handshake: the server's chain against the CSIP profile."""
    def check(conn: ssl.SSLObject | ssl.SSLSocket) -> None:
        chain = peer_chain(conn, verified=True) or peer_chain(conn)
        if chain is None:
            leaf = peer_certificate(conn)
            chain = [leaf] if leaf is not None else []
        problems = verify_csip_chain(chain, anchors)
        if problems:
            raise CsipChainError(problems)
    return check


def server_context_files(cert_file: str | Path, key_file: str | Path, ca_file: str | Path) -> ssl.SSLContext:
    """`server_context` from PEM files: a lab's own server certificate (with its chain in the same file) and
    the SERCA(s) its clients' chains end at."""
    return tls.server_context(cipher_string(CSIP_CIPHER), [(cert_file, key_file)], cafile=ca_file)


def client_context_files(ca_file: str | Path, cert_file: str | Path | None, key_file: str | Path | None, *,
                         strict: bool = True, ciphers: str = CSIP_CIPHER) -> ssl.SSLContext:
    """`client_context` from PEM files (a client program configured with paths): the SERCA, its device
    certificate followed by its chain, its key. `strict=False` and `ciphers` exist for negative tests."""
    anchors = x509.load_pem_x509_certificates(Path(ca_file).read_bytes())
    ctx = tls.client_context(cipher_string(ciphers), cafile=ca_file, check_hostname=False,
                             chain=None if cert_file is None or key_file is None else (cert_file, key_file))
    if strict:
        add_handshake_check(ctx, _profile_check(anchors))
    return ctx


class CsipChainError(ssl.SSLCertVerificationError):
    """A server chain OpenSSL accepted but the CSIP profile does not; shaped like OpenSSL's own verification
    errors so `describe_handshake_error` and callers catching ``ssl.SSLCertVerificationError`` treat it alike."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(1, "CSIP certificate profile: " + "; ".join(problems))
        self.problems = problems
        self.reason = "CSIP_PROFILE_VIOLATION"
        self.library = "vgitest"
        self.verify_code = None
        self.verify_message = "; ".join(problems)


# ---------------------------------------------------------------- profile checks

def verify_csip_chain(chain: Sequence[x509.Certificate],
                      trust: x509.Certificate | Credential | Sequence[x509.Certificate | Credential]) -> list[str]:
    """The CSIP/2030.5 certificate-profile problems of `chain` (leaf first, as sent or as verified; the trust
    anchor may be included), [] when it conforms. Meant to run *in addition to* OpenSSL's verification: it
    checks the links and signatures again so it can stand alone, and adds what OpenSSL does not enforce
    (extendedKeyUsage, policyMappings and nameConstraints on CAs; the required policies, HardwareModuleName,
    key usage, P-256/ecdsa-with-SHA256 and the 9999 notAfter)."""
    anchors = [t.cert if isinstance(t, Credential) else t
               for t in ([trust] if isinstance(trust, (x509.Certificate, Credential)) else trust)]
    if not chain:
        return ["no certificate presented"]
    certs = list(chain)
    if certs[-1] in anchors:
        certs = certs[:-1]  # the anchor's own extensions are not part of the path (RFC 5280 6.1)
    if not certs:
        return ["the trust anchor itself was presented as the end-entity certificate"]
    problems: list[str] = []
    problems += _path_problems(certs, anchors)
    for i, cert in enumerate(certs):
        role = "device" if i == 0 else _ca_role(i, len(certs))
        problems += [f"{role}: {p}" for p in _common_problems(cert)]
        problems += [f"{role}: {p}" for p in (_leaf_problems(cert) if i == 0 else _ca_problems(cert))]
    return problems


def _ca_role(i: int, n: int) -> str:
    return "MICA" if i == 1 else "MCA" if i == 2 and n == 3 else f"CA #{i}"


def _path_problems(certs: list[x509.Certificate], anchors: list[x509.Certificate]) -> list[str]:
    problems = []
    depth = len(certs) + 1
    if depth > MAX_DEPTH:
        problems.append(f"chain depth {depth} exceeds the 2030.5 maximum of {MAX_DEPTH} (SERCA, MCA, MICA, device)")
    leaf = certs[0]
    if leaf.issuer == leaf.subject and pki.issued_by(leaf, leaf):
        problems.append("device: self-signed certificate")
    for child, parent in zip(certs, certs[1:]):
        if not pki.issued_by(child, parent):
            problems.append(f"certificate {child.issuer.rfc4514_string()!r} in the chain does not sign its "
                            "predecessor")
    top = certs[-1]
    if not any(pki.issued_by(top, a) for a in anchors):
        problems.append("chain does not lead to a trusted SERCA")
    return problems


def _ext(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> x509.Extension | None:
    try:
        return cert.extensions.get_extension_for_oid(oid)
    except x509.ExtensionNotFound:
        return None


def _common_problems(cert: x509.Certificate) -> list[str]:
    problems = []
    key = cert.public_key()
    if not (isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1)):
        problems.append("public key is not ECDSA P-256")
    if cert.signature_algorithm_oid != SignatureAlgorithmOID.ECDSA_WITH_SHA256:
        problems.append(f"signature algorithm is {cert.signature_algorithm_oid._name}, not ecdsa-with-SHA256")
    if cert.not_valid_after_utc != pki.NO_EXPIRY:
        problems.append(f"notAfter is {cert.not_valid_after_utc:%Y-%m-%d %H:%M:%S}, not 99991231235959Z "
                        "(2030.5 certificates have no well-defined expiration)")
    if _ext(cert, ExtensionOID.POLICY_MAPPINGS) is not None:
        problems.append("policyMappings extension present (not allowed in the 2030.5 profile)")
    return problems


def _policies(cert: x509.Certificate) -> tuple[list[str], str | None]:
    ext = _ext(cert, ExtensionOID.CERTIFICATE_POLICIES)
    if ext is None:
        return [], "certificatePolicies missing"
    oids = [p.policy_identifier.dotted_string for p in ext.value]  # type: ignore[attr-defined]
    return oids, None if ext.critical else "certificatePolicies not marked critical"


def _ca_problems(cert: x509.Certificate) -> list[str]:
    problems = []
    bc = _ext(cert, ExtensionOID.BASIC_CONSTRAINTS)
    if bc is None or not bc.value.ca or not bc.critical:  # type: ignore[attr-defined]
        problems.append("basicConstraints cA=TRUE missing or not critical")
    ku = _ext(cert, ExtensionOID.KEY_USAGE)
    if ku is None or not ku.critical or not ku.value.key_cert_sign:  # type: ignore[attr-defined]
        problems.append("critical keyUsage with keyCertSign missing")
    eku = _ext(cert, ExtensionOID.EXTENDED_KEY_USAGE)
    if eku is not None:
        problems.append(f"extendedKeyUsage on a CA certificate{' marked critical' if eku.critical else ''} "
                        "(not allowed in the 2030.5 profile)")
    nc = _ext(cert, ExtensionOID.NAME_CONSTRAINTS)
    if nc is not None:
        problems.append("nameConstraints on a CA certificate (not allowed in the 2030.5 profile)"
                        + ("" if nc.critical else "; also not critical, as RFC 5280 4.2.1.10 requires"))
    oids, bad = _policies(cert)
    if bad:
        problems.append(bad)
    elif not any(o.startswith(DEVICE_TYPE_ARC) for o in oids):
        problems.append("certificatePolicies names no 2030.5 device type (1.3.6.1.4.1.40732.1.x)")
    return problems


def _leaf_problems(cert: x509.Certificate) -> list[str]:
    problems = []
    bc = _ext(cert, ExtensionOID.BASIC_CONSTRAINTS)
    if bc is not None and bc.value.ca:  # type: ignore[attr-defined]
        problems.append("end-entity certificate is a CA")
    ku = _ext(cert, ExtensionOID.KEY_USAGE)
    if ku is None or not ku.critical or not ku.value.digital_signature:  # type: ignore[attr-defined]
        problems.append("critical keyUsage with digitalSignature missing (ECDHE-ECDSA signs with it)")
    oids, bad = _policies(cert)
    if bad:
        problems.append(bad)
    elif not any(o.startswith(DEVICE_TYPE_ARC) for o in oids):
        problems.append("certificatePolicies names no 2030.5 device type (1.3.6.1.4.1.40732.1.x)")
    san = _ext(cert, ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    hmn = []
    if san is not None:
        for other in san.value.get_values_for_type(x509.OtherName):  # type: ignore[attr-defined]
            if other.type_id == pki.HARDWARE_MODULE_NAME_OID:
                try:
                    hmn.append(pki.parse_hardware_module_name(other))
                except ValueError as e:
                    problems.append(f"malformed HardwareModuleName: {e}")
    if not hmn:
        problems.append("subjectAltName with a HardwareModuleName otherName (RFC 4108) missing")
    elif len(cert.subject) == 0 and not san.critical:  # type: ignore[union-attr]
        problems.append("subject is empty but subjectAltName is not critical (RFC 5280 4.2.1.6)")
    return problems

