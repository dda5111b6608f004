"""TLS helpers shared by the protocol profiles (OpenADR 2.0b, IEEE 2030.5 / CSIP): trust anchors from test
credentials, the TLS 1.2-only pin, what a peer presented, and hooks on the handshake of memory-BIO
connections (asyncio, aiohttp) — where Python gives the application no other place to see a refusal or to
refuse a certificate chain for reasons OpenSSL does not check.

Python 3.11's ``ssl`` has no public way to read the chain a peer sent (``get_unverified_chain`` became
public in 3.13); its ``_ssl`` layer has had it since 3.10, so `peer_chain` uses that and returns None
where it is missing rather than guessing.
"""

from __future__ import annotations

import _ssl  # the chain methods and their DER constant are not public before Python 3.13
import ssl
from collections.abc import Callable, Sequence
from typing import Any

from cryptography import x509

from .pki import Credential

__all__ = ["HandshakeCheck", "add_handshake_check", "as_list", "describe_handshake_error", "peer_certificate",
           "peer_chain", "record_handshake_failures", "tls12_only", "trust_pem"]

SslConn = ssl.SSLObject | ssl.SSLSocket
HandshakeCheck = Callable[[SslConn], None]  # raises ssl.SSLError to refuse the connection


def as_list(creds: Credential | Sequence[Credential]) -> list[Credential]:
    return [creds] if isinstance(creds, Credential) else list(creds)


def trust_pem(anchors: Sequence[Credential]) -> str:
    """Only each anchor's own certificate: a chain sent along would widen trust beyond what was asked for."""
    return "".join(a.cert_pem(with_chain=False).decode() for a in anchors)


def tls12_only(ctx: ssl.SSLContext, ciphers: str) -> None:
    """TLS 1.2 and exactly `ciphers`. TLS 1.3 is kept out by ``maximum_version``: ``set_ciphers`` governs only
    TLS <= 1.2 suites and Python 3.11 cannot narrow the TLS 1.3 ones, so without the cap a TLS 1.3 peer would
    be served (``OP_NO_TLSv1_3`` would do the same but raises a DeprecationWarning)."""
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(ciphers)


# ---------------------------------------------------------------- after the handshake

def peer_certificate(ssl_object: SslConn | None) -> x509.Certificate | None:
    """The certificate the peer presented, or None (no TLS at all, or no certificate sent).

    Uses the binary form because the dict form is empty for certificates the context did not verify.
    """
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    return None if der is None else x509.load_der_x509_certificate(der)


def peer_chain(ssl_object: SslConn | None, *, verified: bool = False) -> list[x509.Certificate] | None:
    """The certificates the peer sent, leaf first (`verified=True`: the path OpenSSL built, up to the trust
    anchor). None when unknown: no TLS, no certificate, or a Python without the ``_ssl`` chain methods."""
    raw = getattr(ssl_object, "_sslobj", None)
    method = getattr(raw, "get_verified_chain" if verified else "get_unverified_chain", None)
    if method is None:
        return None
    try:
        certs = method()
    except (ValueError, ssl.SSLError):  # e.g. the connection is already closed
        return None
    if not certs:
        return None
    return [x509.load_der_x509_certificate(c.public_bytes(_ssl.ENCODING_DER)) for c in certs]


def describe_handshake_error(exc: ssl.SSLError) -> dict[str, str | int | None]:
    """A refused handshake as plain JSON for a trace frame: OpenSSL's reason code and, for certificate
    problems, the X.509 verification result, which says *why* the certificate was refused."""
    return {"reason": exc.reason,
            "library": exc.library,
            "verify_code": getattr(exc, "verify_code", None),
            "verify_message": getattr(exc, "verify_message", None)}


# ---------------------------------------------------------------- handshake hooks

def _subclass(base: type, name: str, do_handshake: Callable[..., Any]) -> type:
    return type(name, (base,), {"do_handshake": do_handshake})


def record_handshake_failures(ctx: ssl.SSLContext, sink: Callable[[ssl.SSLError], None]) -> ssl.SSLContext:
    """Have `sink` called with every handshake error of connections made through `ctx` with memory BIOs
    (asyncio, aiohttp), which otherwise disappear: asyncio logs them only in debug mode and the application
    never sees a connection. Returns `ctx` (changed in place) for chaining.

    Uses ``SSLContext.sslobject_class``, the documented hook for custom ``SSLObject`` subclasses; blocking
    ``SSLSocket`` servers raise the error to their caller anyway. It wraps whatever class the context already
    has, so install it *after* `add_handshake_check` to also record the refusals such a check raises; a
    second call replaces the first sink (a context reused by a restarted server must not report to both).
    The sink runs inside the event loop's I/O callback, so it must be quick and must not raise.
    """

    def do_handshake(self: ssl.SSLObject) -> None:
        try:
            super(cls, self).do_handshake()
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            raise  # not a failure: the handshake waits for more bytes
        except ssl.SSLError as exc:
            sink(exc)
            raise

    base = ctx.sslobject_class
    if getattr(base, "_vgi_recorder", False):
        base = base.__bases__[0]
    cls = _subclass(base, "_Recorded", do_handshake)
    cls._vgi_recorder = True  # type: ignore[attr-defined]
    ctx.sslobject_class = cls
    return ctx


def add_handshake_check(ctx: ssl.SSLContext, check: HandshakeCheck) -> ssl.SSLContext:
    """Run `check` on every connection of `ctx` right after OpenSSL completed the handshake, before the
    application sees the connection; an ``ssl.SSLError`` it raises fails the handshake like an OpenSSL refusal
    would (asyncio closes the transport, a blocking socket raises), so no application data is ever exchanged.

    This is where a client refuses a chain for profile rules OpenSSL does not know: Python has no verify
    callback, and after the handshake is too late for an HTTP library that sends its request at once. The
    peer sees the TCP connection close instead of a TLS alert. Hooks both memory-BIO and socket connections.
    Returns `ctx` (changed in place).
    """

    def object_handshake(self: ssl.SSLObject) -> None:
        super(obj_cls, self).do_handshake()  # want-read/write propagate untouched: not finished yet
        _run(check, self)

    def socket_handshake(self: ssl.SSLSocket, *args: Any, **kwargs: Any) -> None:
        super(sock_cls, self).do_handshake(*args, **kwargs)
        try:
            _run(check, self)
        except ssl.SSLError:
            self.close()
            raise

    obj_cls = _subclass(ctx.sslobject_class, "_Checked", object_handshake)
    sock_cls = _subclass(ctx.sslsocket_class, "_CheckedSocket", socket_handshake)
    ctx.sslobject_class = obj_cls
    ctx.sslsocket_class = sock_cls
    return ctx


def _run(check: HandshakeCheck, conn: SslConn) -> None:
    """Fail closed: a check that crashes refuses the connection (as an SSLError naming the crash) instead of
    letting it through or killing the event loop's transport with a non-TLS exception."""
    try:
        check(conn)
    except ssl.SSLError:
        raise
    except Exception as exc:  # noqa: BLE001 - re-raised as the refusal
        err = ssl.SSLError(1, f"handshake check failed: {exc!r}")
        err.reason, err.library = "HANDSHAKE_CHECK_CRASHED", "vgitest"
        raise err from exc
