"""TLS contexts of the XML-over-HTTP profiles (OpenADR 2.0b, IEEE 2030.5 / CSIP): TLS 1.2 with exactly the
profile's cipher suites, trust anchors from memory (`cadata`, test credentials) or a file (`cafile`, a lab's
own). A profile decides which suites, which certificates, whether host names are checked, and any check of
its own on the handshake (:func:`vgitest.tlsutil.add_handshake_check`)."""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from pathlib import Path

from ..tlsutil import tls12_only

PemPair = tuple[str | Path, str | Path]  # (certificate with its chain, key) files


def server_context(ciphers: str, chains: Sequence[PemPair], *, cadata: str | None = None,
                   cafile: str | Path | None = None, require_client_cert: bool = True) -> ssl.SSLContext:
    """A server presenting each of `chains` (OpenSSL picks the one the negotiated suite needs), client
    certificates verified against the anchors; without `require_client_cert` one is still requested and
    verified when sent, so the server can answer a missing one at application level."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls12_only(ctx, ciphers)
    for cert, key in chains:
        ctx.load_cert_chain(str(cert), str(key))
    ctx.verify_mode = ssl.CERT_REQUIRED if require_client_cert else ssl.CERT_OPTIONAL
    ctx.load_verify_locations(cafile=None if cafile is None else str(cafile), cadata=cadata)
    return ctx


def client_context(ciphers: str, *, cadata: str | None = None, cafile: str | Path | None = None,
                   check_hostname: bool, chain: PemPair | None = None, verify: bool = True) -> ssl.SSLContext:
    """A client verifying the server against the anchors (`verify=False`, for negative tests only: any server
    is trusted), presenting `chain` when given."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    tls12_only(ctx, ciphers)
    if verify:
        ctx.check_hostname = check_hostname
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cafile=None if cafile is None else str(cafile), cadata=cadata)
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if chain is not None:
        ctx.load_cert_chain(str(chain[0]), str(chain[1]))
    return ctx
