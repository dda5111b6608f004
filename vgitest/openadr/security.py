"""OpenADR 2.0b transport security: the TLS contexts of the fake VTN and the reference VEN, the OpenADR
certificate fingerprint, and the venID-to-certificate check a VTN answers with response code 463.

The profile allows TLS 1.2 only, with exactly two suites, and mutual authentication:

* ``ecc`` — TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 (OpenSSL ``ECDHE-ECDSA-AES128-SHA256``), ECC P-256 cert;
* ``rsa`` — TLS_RSA_WITH_AES_128_CBC_SHA256 (OpenSSL ``AES128-SHA256``), RSA cert.

Verified with OpenSSL 3.0.19 (Python 3.11.7 ``ssl``, cryptography 50). What needed care, and why:

* One server context serves both suites: OpenSSL keeps one certificate per key type, so loading an ECC and an
  RSA credential into the same context lets it present the ECC certificate when ECDHE-ECDSA is negotiated and
  the RSA one for RSA key transport. A VEN offering both gets the first of ``suites`` (Python sets
  ``OP_CIPHER_SERVER_PREFERENCE`` on server contexts), so the order of ``suites`` is the VTN's preference.
* TLS 1.3 is kept out by ``maximum_version``, not by the cipher string: ``set_ciphers`` governs TLS <= 1.2
  suites only, the three TLS 1.3 suites stay enabled (Python 3.11 cannot set them), so without the cap a
  TLS 1.3 client would be served. ``OP_NO_TLSv1_3`` would do the same but raises a DeprecationWarning.
* ``@SECLEVEL=2`` is pinned in the cipher string so a distribution's default cannot change the outcome.
  Level 2 is the highest that still admits the profile: at level 3 OpenSSL refuses RSA-2048 keys
  (``EE_KEY_TOO_SMALL``) and drops AES128-SHA256 because RSA key transport has no forward secrecy
  (``NO_SHARED_CIPHER`` even with an RSA-3072 certificate). Level 2 already allows P-256 and RSA-2048, so
  nothing lower is needed; the distribution's default on this machine was 2 as well.
* A VTN on asyncio (so aiohttp) refuses a handshake without a TLS alert: asyncio's SSL transport closes the
  connection as soon as OpenSSL reports the failure and drops the alert OpenSSL had queued, so the VEN sees
  the connection end during the handshake (Python: ConnectionResetError), never "unknown_ca" or similar.
  asyncio also logs the reason only in debug mode, so `record_handshake_failures` hooks the context's
  ``sslobject_class`` to hand every refusal to the fake VTN for its trace.
* The ECDHE groups are left at OpenSSL's defaults (X25519, P-256, ...): the profile names the certificate
  curve, and a narrower list would only make handshakes with conforming VENs fail.
"""

from __future__ import annotations

import hashlib
import ssl
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ..pki import Credential
from ..tlsutil import (as_list as _as_list, describe_handshake_error, peer_certificate, record_handshake_failures,
                       trust_pem as _trust_pem)
from ..xmlhttp import tls

__all__ = ["FINGERPRINT_BYTES", "FINGERPRINT_MISMATCH_CODE", "OPENADR_SUITES", "FingerprintCheck", "cipher_string",
           "describe_handshake_error", "describe_tls", "fingerprint", "normalise_fingerprint", "peer_certificate",
           "record_handshake_failures", "ven_context", "vtn_context"]

OPENADR_SUITES: dict[str, str] = {"ecc": "ECDHE-ECDSA-AES128-SHA256", "rsa": "AES128-SHA256"}
FINGERPRINT_BYTES = 10  # the OpenADR fingerprint keeps the last 10 bytes of the certificate's SHA-256
FINGERPRINT_MISMATCH_CODE = 463  # OpenADR response code for a venID whose certificate does not match
SECURITY_LEVEL = 2  # see the module docstring: the highest OpenSSL level that still admits both suites


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


# ---------------------------------------------------------------- contexts

def cipher_string(suites: Iterable[str] = ("ecc", "rsa")) -> str:
    """The OpenSSL cipher string for the chosen OpenADR suites, in preference order, security level pinned."""
    names = _suite_keys(suites)
    return ":".join(OPENADR_SUITES[s] for s in names) + f":@SECLEVEL={SECURITY_LEVEL}"


def _suite_keys(suites: Iterable[str]) -> list[str]:
    if isinstance(suites, str):  # ("ecc") without the comma would otherwise iterate over letters
        suites = (suites,)
    out: list[str] = []
    for s in suites:
        if s not in OPENADR_SUITES:
            raise ValueError(f"unknown OpenADR suite {s!r}; choose from {sorted(OPENADR_SUITES)}")
        if s not in out:
            out.append(s)
    if not out:
        raise ValueError("at least one OpenADR suite is needed")
    return out


def _suite_for_key(cred: Credential) -> str:
    """Which OpenADR suite a server credential can serve, refusing keys the profile does not allow."""
    key = cred.key
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise ValueError(f"OpenADR ECC certificates use P-256, {_cn(cred.cert)!r} has {key.curve.name}")
        return "ecc"
    if isinstance(key, rsa.RSAPrivateKey):
        return "rsa"
    raise ValueError(f"OpenADR server certificates are ECC P-256 or RSA, {_cn(cred.cert)!r} has "
                     f"{type(key).__name__}")


def vtn_context(server: Credential | Sequence[Credential], client_ca: Credential | Sequence[Credential],
                tmp: Path, *, suites: Iterable[str] = ("ecc", "rsa"),
                require_client_cert: bool = True) -> ssl.SSLContext:
    """A server context for the fake VTN: TLS 1.2, only the chosen OpenADR suites, client certificates
    verified against `client_ca` (the trust anchors, not their chains).

    `server` needs one credential per chosen suite (ECC P-256 for ``ecc``, RSA for ``rsa``); both go into
    the one context and OpenSSL presents the one the negotiated suite needs. A credential for a suite not
    chosen is left out so the VTN never shows it. With ``require_client_cert=False`` a certificate is
    still requested and verified when sent, so the VTN can answer a missing one at application level.
    `tmp` receives the PEM files OpenSSL loads (it has no API for in-memory keys).
    """
    keys = _suite_keys(suites)
    by_suite: dict[str, Credential] = {}
    for cred in _as_list(server):
        suite = _suite_for_key(cred)
        if suite in by_suite:
            raise ValueError(f"two {suite} server certificates: OpenSSL keeps one per key type, "
                             "the second would silently replace the first")
        by_suite[suite] = cred
    missing = [s for s in keys if s not in by_suite]
    if missing:
        raise ValueError(f"no server certificate for suite(s) {missing}: "
                         "ecc needs an ECC P-256 certificate, rsa an RSA one")
    anchors = _as_list(client_ca)
    if not anchors:
        raise ValueError("client_ca: at least one trust anchor is needed to verify VEN certificates")
    chains = [by_suite[suite].write(tmp, f"vtn-{suite}") for suite in keys]
    return tls.server_context(cipher_string(keys), chains, cadata=_trust_pem(anchors),
                              require_client_cert=require_client_cert)


def ven_context(trust: Credential | Sequence[Credential], tmp: Path, *, client: Credential | None,
                suites: Iterable[str] = ("ecc", "rsa")) -> ssl.SSLContext:
    """A client context for the reference VEN: TLS 1.2, only the chosen OpenADR suites, the VTN's
    certificate verified against `trust` with hostname checking, and `client` presented when given
    (``None`` exists for negative tests: a VEN without a certificate must be refused by the VTN)."""
    anchors = _as_list(trust)
    if not anchors:
        raise ValueError("trust: at least one trust anchor is needed to verify the VTN")
    return tls.client_context(cipher_string(suites), cadata=_trust_pem(anchors), check_hostname=True,
                              chain=None if client is None else client.write(tmp, "ven-client"))


def vtn_context_files(cert_file: str | Path, key_file: str | Path, ca_file: str | Path, *,
                      suites: Iterable[str] = ("ecc", "rsa")) -> ssl.SSLContext:
    """`vtn_context` from PEM files (a lab's own VTN certificate, and the CA that signs its VENs). One
    certificate serves the suite of its key type; give the suites it can serve. A push VEN's endpoint is
    the same kind of server (its certificate; the VTN's verified as the client's)."""
    return tls.server_context(cipher_string(suites), [(cert_file, key_file)], cafile=ca_file)


def ven_context_files(ca_file: str | Path, cert_file: str | Path | None, key_file: str | Path | None, *,
                      suites: Iterable[str] = ("ecc", "rsa"), verify: bool = True,
                      ciphers: str | None = None) -> ssl.SSLContext:
    """`ven_context` from PEM files, for a VEN program configured with paths. `verify=False` and `ciphers`
    exist for negative tests only (a VEN that trusts any VTN, or offers a suite outside the profile)."""
    ctx = tls.client_context(cipher_string(suites), cafile=ca_file, check_hostname=True, verify=verify,
                             chain=None if cert_file is None or key_file is None else (cert_file, key_file))
    if ciphers is not None:
        ctx.set_ciphers(ciphers)
    return ctx


# ---------------------------------------------------------------- after the handshake

def describe_tls(ssl_object: ssl.SSLObject | ssl.SSLSocket | None) -> dict[str, str | None]:
    """What the fake VTN stores in a trace frame about a connection: plain JSON values, None when absent."""
    cert = peer_certificate(ssl_object)
    cipher = ssl_object.cipher() if ssl_object is not None else None
    return {"version": ssl_object.version() if ssl_object is not None else None,
            "cipher": cipher[0] if cipher else None,
            "peer_fingerprint": fingerprint(cert) if cert is not None else None,
            "peer_cn": _cn(cert) if cert is not None else None}


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
