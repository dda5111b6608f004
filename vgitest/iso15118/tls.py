"""TLS contexts for ISO 15118 sessions, made from a test PKI (`vgitest.iso15118.testpki`), with key-log export.

ISO 15118-2: TLS 1.2 only, server authentication only (the EVCC sends no certificate), cipher suites
TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 and TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256 on secp256r1.
OpenSSL 1.1.0 removed the static-ECDH suites, so only the ECDHE one can ever be negotiated here;
`iso2_ciphers()` says what this OpenSSL has.

ISO 15118-20: TLS 1.3 only with mutual authentication: the SECC requires a vehicle certificate from the OEM
chain. Python 3.11 cannot narrow the TLS 1.3 cipher suites nor the key-exchange groups (it has no
``set_ciphersuites`` and ``set_ecdh_curve`` takes one EC curve, not X448), so OpenSSL's defaults apply:
TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256, TLS_AES_128_GCM_SHA256 with X25519, P-256, X448,
P-521, P-384 offered.

Server names: V2G runs over IPv6 link-local addresses and the SECC certificate names the EVSE, not a host,
so hostname checking is off; the chain is always verified against the V2G root.

Key log: `set_keylog(ctx, path)` makes OpenSSL append the session secrets of every connection of `ctx` to
`path` in the NSS key log format (``CLIENT_RANDOM`` for TLS 1.2, ``CLIENT_HANDSHAKE_TRAFFIC_SECRET`` ... for
TLS 1.3) that Wireshark reads (Preferences -> Protocols -> TLS -> (Pre)-Master-Secret log filename).
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from ..pki import Credential
from ..tlsutil import tls12_only, trust_pem
from .testpki import V2gPki

__all__ = ["ISO2_CIPHERS", "KeylogEntry", "evcc_context", "iso2_ciphers", "read_keylog", "secc_context",
           "set_keylog"]

ISO2_CIPHERS = ("ECDHE-ECDSA-AES128-SHA256", "ECDH-ECDSA-AES128-SHA256")  # OpenSSL names, ISO 15118-2 order
ISO2_CURVE = "prime256v1"  # secp256r1, the only ISO 15118-2 curve
TLS12_LABELS = ("CLIENT_RANDOM",)
TLS13_LABELS = ("CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0",
                "SERVER_TRAFFIC_SECRET_0", "EXPORTER_SECRET")

KeylogEntry = tuple[str, bytes, bytes]  # (label, client random, secret)


def iso2_ciphers() -> list[str]:
    """The ISO 15118-2 cipher suites this OpenSSL can negotiate (OpenSSL 3: only the ECDHE one)."""
    out = []
    for name in ISO2_CIPHERS:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        try:
            ctx.set_ciphers(name)
        except ssl.SSLError:
            continue
        if any(c["name"] == name for c in ctx.get_ciphers()):
            out.append(name)
    return out


def set_keylog(ctx: ssl.SSLContext, path: Path | str | None) -> ssl.SSLContext:
    """Export the secrets of `ctx`'s connections to `path` (appended, NSS key log format), or stop with None.

    The file is opened when this is called, so a harness chooses it per run (or per test) by calling this on
    the run's contexts; the parent folder is created. Returns `ctx` for chaining."""
    if path is None:
        ctx.keylog_filename = None  # type: ignore[assignment]
        return ctx
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ctx.keylog_filename = str(path)
    return ctx


def read_keylog(path: Path | str) -> list[KeylogEntry]:
    """The entries of an NSS key log file (comments and malformed lines skipped)."""
    out: list[KeylogEntry] = []
    for line in Path(path).read_text(encoding="ascii", errors="replace").splitlines():
        parts = line.split()
        if len(parts) != 3 or line.startswith("#"):
            continue
        try:
            out.append((parts[0], bytes.fromhex(parts[1]), bytes.fromhex(parts[2])))
        except ValueError:
            continue
    return out


def _versions(ctx: ssl.SSLContext, iso20: bool) -> None:
    if iso20:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    else:
        ciphers = iso2_ciphers()
        if not ciphers:
            raise ssl.SSLError("this OpenSSL has none of the ISO 15118-2 cipher suites " + ", ".join(ISO2_CIPHERS))
        tls12_only(ctx, ":".join(ciphers))
        ctx.set_ecdh_curve(ISO2_CURVE)


def _load_chain(ctx: ssl.SSLContext, cred: Credential, folder: Path, name: str) -> None:
    """Present `cred` with its Sub-CAs (never the root: the peer has it as its anchor)."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{name}-{cred.cert.serial_number:x}"  # one file pair per credential: contexts may differ per test
    cert, key = folder / f"{stem}.pem", folder / f"{stem}.key"
    cert.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM)
                              for c in [cred.cert] + [c for c in cred.chain if c.issuer != c.subject]))
    key.write_bytes(cred.key_pem())
    key.chmod(0o600)
    ctx.load_cert_chain(cert, key)


def secc_context(pki: V2gPki, *, iso20: bool, keylog: Path | str | None = None, secc: Credential | None = None,
                 client_trust: Sequence[Credential] | None = None,
                 require_client_cert: bool | None = None) -> ssl.SSLContext:
    """The SECC (TLS server) context: presents the SECC chain (or `secc`, e.g. ``pki.expired_secc`` for a
    negative test). ISO-2: TLS 1.2, ISO 15118-2 suites, no client certificate. ISO-20: TLS 1.3 and a client
    (vehicle) certificate verified against the OEM root (`client_trust` overrides; `require_client_cert=False`
    turns the requirement off for a negative test)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    _versions(ctx, iso20)
    _load_chain(ctx, secc or pki.secc, pki.folder / "tls", "secc-server")
    if require_client_cert is None:
        require_client_cert = iso20
    if require_client_cert:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cadata=trust_pem(list(client_trust or [pki.oem_root])))
    set_keylog(ctx, keylog)
    return ctx


def evcc_context(pki: V2gPki, *, iso20: bool, keylog: Path | str | None = None,
                 trust: Sequence[Credential] | None = None, client: Credential | None = None,
                 send_client_cert: bool | None = None) -> ssl.SSLContext:
    """The EVCC (TLS client) context: verifies the SECC chain against the V2G root (`trust` overrides), no
    hostname check (link-local addresses). ISO-20 presents the OEM provisioning certificate chain as the
    vehicle certificate (`client` overrides, e.g. ``pki.untrusted_contract`` for a negative test;
    `send_client_cert=False` sends none)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_REQUIRED
    _versions(ctx, iso20)
    ctx.load_verify_locations(cadata=trust_pem(list(trust or [pki.v2g_root])))
    if send_client_cert is None:
        send_client_cert = iso20 or client is not None
    if send_client_cert:
        _load_chain(ctx, client or pki.oem_prov, pki.folder / "tls", "evcc-client")
    set_keylog(ctx, keylog)
    return ctx
