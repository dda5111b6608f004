"""The reference station's side of security profiles 2 and 3: the TLS client context it dials the CSMS with, how
it names a refused handshake as a security event, and the TLS faults of its catalog (each weakens one check a
conforming station makes, so that a negative TLS case can be shown to fail)."""

from __future__ import annotations

import ssl
import warnings
from typing import Any, Callable

from ..testpki import OCPP_TLS12_SUITES, WEAK_SUITE

X509_V_FLAG_NO_CHECK_TIME = 0x200000  # OpenSSL: skip the validity-period check (the accepts_expired fault)

# security event type per refusal kind and version (1.6 security extension / 2.0.1 SecurityEventEnumType)
EVENTS = {"certificate": {"1.6": "InvalidCentralSystemCertificate", "2.0.1": "InvalidCsmsCertificate"},
          "version": {"1.6": "InvalidTLSVersion", "2.0.1": "InvalidTLSVersion"},
          "cipher": {"1.6": "InvalidTLSCipherSuite", "2.0.1": "InvalidTLSCipherSuite"}}
for _kind in EVENTS.values():
    _kind["2.1"] = _kind["2.0.1"]  # 2.1 keeps these security event names
_VERSION_REASONS = ("UNSUPPORTED_PROTOCOL", "TLSV1_ALERT_PROTOCOL_VERSION", "WRONG_SSL_VERSION",
                    "NO_PROTOCOLS_AVAILABLE")
_CIPHER_REASONS = ("NO_CIPHERS_AVAILABLE", "NO_SHARED_CIPHER", "SSLV3_ALERT_HANDSHAKE_FAILURE", "WRONG_CIPHER_RETURNED")


def client_context(params: dict[str, Any], has: Callable[[str], bool]) -> ssl.SSLContext:
    """TLS 1.2 or later, the OCPP TLS 1.2 suites, the CSMS root from `params["tls_ca"]`, host-name check, and
    (profile 3) the station's certificate; `has(fault)` weakens one of these for the catalogued faults."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ca = params.get("tls_ca")
    if has("wrong_csms_root"):  # trusts another root than the CSMS's: refuses even a valid CSMS
        from ... import pki
        ctx.load_verify_locations(cadata=pki.root_ca("not the CSMS root").cert_pem(with_chain=False).decode())
    elif ca:
        ctx.load_verify_locations(str(ca))
    if has("trusts_any_csms_cert"):
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    elif has("no_hostname_check"):
        ctx.check_hostname = False
    if has("accepts_expired_csms_cert"):
        ctx.verify_flags = ctx.verify_flags | X509_V_FLAG_NO_CHECK_TIME
    if has("accepts_old_tls"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(OCPP_TLS12_SUITES + (":" + WEAK_SUITE if has("accepts_weak_cipher") else ""))
    if int(params.get("security_profile", 0)) >= 3 and params.get("tls_cert") and not has("no_client_certificate"):
        ctx.load_cert_chain(str(params["tls_cert"]), str(params["tls_key"]))
    return ctx


def refusal_kind(exc: BaseException) -> str | None:
    """What a failed TLS handshake was about (a key of EVENTS), or None when it was no TLS refusal."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return "certificate"
    if isinstance(exc, ssl.SSLError):
        reason = str(getattr(exc, "reason", "") or "")
        if reason in _VERSION_REASONS:
            return "version"
        if reason in _CIPHER_REASONS:
            return "cipher"
    return None
