"""OpenADR 2.0b transport security: fingerprints, the venID check, and real TLS 1.2 handshakes on 127.0.0.1
between `vtn_context` and `ven_context` (or a deliberately non-conforming client) for every refusal the
profile demands."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import ssl
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from vgitest import pki
from vgitest.openadr.security import (OPENADR_SUITES, FingerprintCheck, cipher_string, describe_handshake_error,
                                      describe_tls, fingerprint, normalise_fingerprint, peer_certificate,
                                      record_handshake_failures, ven_context, vtn_context)

WAIT = 5.0  # bound on every handshake and read; loopback handshakes take milliseconds


@dataclasses.dataclass(frozen=True)
class Pki:
    root: pki.Credential
    vtn_ecc: pki.Credential
    vtn_rsa: pki.Credential
    ven_ecc: pki.Credential
    ven_rsa: pki.Credential
    foreign_ven: pki.Credential  # issued by a root the VTN does not trust
    expired_ven: pki.Credential
    dir: Path


@pytest.fixture(scope="module")
def p(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """One PKI per module: key generation dominates the cost, handshakes are cheap."""
    root = pki.root_ca("vgitest OpenADR Root")
    foreign = pki.root_ca("Some Other Root")
    names = ["127.0.0.1", "localhost"]
    long_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30)
    return Pki(root=root,
               vtn_ecc=pki.issue(root, "vtn.test", server_names=names, key_type="ec-p256"),
               vtn_rsa=pki.issue(root, "vtn.test", server_names=names, key_type="rsa2048"),
               ven_ecc=pki.issue(root, "VEN-ECC", client=True, key_type="ec-p256"),
               ven_rsa=pki.issue(root, "VEN-RSA", client=True, key_type="rsa2048"),
               foreign_ven=pki.issue(foreign, "VEN-FOREIGN", client=True),
               expired_ven=pki.issue(root, "VEN-EXPIRED", client=True, not_before=long_ago, days=1),
               dir=tmp_path_factory.mktemp("oadr-pki"))


def _vtn(p: Pki, **kw) -> ssl.SSLContext:
    return vtn_context([p.vtn_ecc, p.vtn_rsa], p.root, p.dir, **kw)


def _ven(p: Pki, client: pki.Credential | None, **kw) -> ssl.SSLContext:
    return ven_context(p.root, p.dir, client=client, **kw)


def _rogue(p: Pki, *, ciphers: str | None = None, tls13_only: bool = False) -> ssl.SSLContext:
    """A client outside the profile (other suites or versions) but with a valid certificate, so the only
    thing the VTN can object to is the part under test."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cadata=p.root.cert_pem(with_chain=False).decode())
    cert, key = p.ven_ecc.write(p.dir, "rogue")
    ctx.load_cert_chain(cert, key)
    if tls13_only:
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    if ciphers:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(ciphers)
    return ctx


# ---------------------------------------------------------------- handshakes over asyncio

@dataclasses.dataclass
class Side:
    tls: dict | None = None
    error: BaseException | None = None
    peer_cert_fp: str | None = None


async def _handshake_async(server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext,
                           server_hostname: str) -> tuple[Side, Side]:
    server_side, client_side = Side(), Side()
    ready = asyncio.Event()  # set once the server's transport speaks TLS, see below
    done = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            # start_tls swaps the protocol before its first suspension point, so a ClientHello sent after
            # `ready` can never land in the plain-text reader buffer and get lost
            tls = asyncio.ensure_future(writer.start_tls(server_ctx, ssl_handshake_timeout=WAIT))
            await asyncio.sleep(0)
            ready.set()
            await tls
            server_side.tls = describe_tls(writer.get_extra_info("ssl_object"))
            writer.write(b"hello VEN\n")
            await writer.drain()
        except Exception as e:  # noqa: BLE001 - recorded and asserted by each test
            server_side.error = e
        finally:
            writer.close()
            done.set()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), WAIT)
        try:
            await asyncio.wait_for(ready.wait(), WAIT)
            await writer.start_tls(client_ctx, server_hostname=server_hostname, ssl_handshake_timeout=WAIT)
            ssl_object = writer.get_extra_info("ssl_object")
            client_side.tls = describe_tls(ssl_object)
            assert await asyncio.wait_for(reader.readline(), WAIT) == b"hello VEN\n"
        except (ssl.SSLError, ConnectionError) as e:
            client_side.error = e
        finally:
            writer.close()
        await asyncio.wait_for(done.wait(), WAIT)
    return server_side, client_side


def handshake(server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext,
              server_hostname: str = "127.0.0.1") -> tuple[Side, Side]:
    return asyncio.run(_handshake_async(server_ctx, client_ctx, server_hostname))


def _reason(side: Side) -> str | None:
    return getattr(side.error, "reason", None)


def assert_refused(server: Side, client: Side, reason: str) -> None:
    """The VTN failed the handshake for `reason` and the VEN never got a TLS session.

    The VEN does not see a TLS alert: asyncio's SSL transport (hence aiohttp) drops the alert OpenSSL
    queued and just closes, so the VEN's handshake ends with an EOF, which Python reports as a reset.
    """
    assert server.tls is None and client.tls is None
    assert _reason(server) == reason or getattr(server.error, "verify_message", None) == reason, server.error
    assert isinstance(client.error, ConnectionResetError), client.error


# ---------------------------------------------------------------- fingerprints

def test_fingerprint_is_last_ten_bytes_of_sha256_over_der(p: Pki) -> None:
    der = p.ven_ecc.cert.public_bytes(serialization.Encoding.DER)
    tail = hashlib.sha256(der).hexdigest()[-20:].upper()
    expected = ":".join(tail[i:i + 2] for i in range(0, 20, 2))
    assert fingerprint(p.ven_ecc.cert) == expected
    assert fingerprint(der) == expected
    assert fingerprint(p.ven_rsa.cert) != expected


def test_fingerprint_known_answer() -> None:
    # SHA-256("abc") is the FIPS 180-2 example ba7816bf...f20015ad; the fingerprint keeps its last 10 bytes
    assert fingerprint(b"abc") == "7A:9C:B4:10:FF:61:F2:00:15:AD"


def test_fingerprint_refuses_pem_and_other_types(p: Pki) -> None:
    with pytest.raises(ValueError, match="not PEM"):
        fingerprint(p.ven_ecc.cert_pem(with_chain=False))
    with pytest.raises(TypeError, match="str"):
        fingerprint("AB:CD")  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["7a:9c:b4:10:ff:61:f2:00:15:ad", "7A9CB410FF61F20015AD",
                                  " 7a 9c b4 10 ff 61 f2 00 15 ad\n", "7A:9C:B4:10:FF:61:F2:00:15:AD"])
def test_normalise_fingerprint_accepts_vendor_spellings(text: str) -> None:
    assert normalise_fingerprint(text) == "7A:9C:B4:10:FF:61:F2:00:15:AD"


def test_normalise_fingerprint_rejects_wrong_length_and_non_hex() -> None:
    with pytest.raises(ValueError, match="has 9 bytes"):
        normalise_fingerprint("9C:B4:10:FF:61:F2:00:15:AD")
    with pytest.raises(ValueError, match="not hexadecimal"):
        normalise_fingerprint("ZZ:9C:B4:10:FF:61:F2:00:15:AD")
    with pytest.raises(ValueError, match="not hexadecimal"):
        normalise_fingerprint("7A9CB410FF61F20015A")  # odd number of digits


def test_full_sha256_fingerprint_gets_a_hint_with_the_openadr_part() -> None:
    full = hashlib.sha256(b"abc").hexdigest()
    with pytest.raises(ValueError, match="full SHA-256.*7A:9C:B4:10:FF:61:F2:00:15:AD"):
        normalise_fingerprint(full)


# ---------------------------------------------------------------- context configuration

def test_contexts_allow_tls12_and_the_openadr_suites_only(p: Pki) -> None:
    for ctx in (_vtn(p), _ven(p, p.ven_ecc)):
        assert ctx.minimum_version == ctx.maximum_version == ssl.TLSVersion.TLSv1_2
        tls12 = [c["name"] for c in ctx.get_ciphers() if c["protocol"] == "TLSv1.2"]
        assert tls12 == ["ECDHE-ECDSA-AES128-SHA256", "AES128-SHA256"]
    vtn, ven = _vtn(p), _ven(p, None)
    assert vtn.verify_mode == ssl.CERT_REQUIRED
    assert ven.verify_mode == ssl.CERT_REQUIRED and ven.check_hostname
    assert _vtn(p, require_client_cert=False).verify_mode == ssl.CERT_OPTIONAL


def test_cipher_string_follows_suite_order_and_pins_the_security_level() -> None:
    assert cipher_string(("rsa", "ecc")) == "AES128-SHA256:ECDHE-ECDSA-AES128-SHA256:@SECLEVEL=2"
    assert cipher_string("ecc") == "ECDHE-ECDSA-AES128-SHA256:@SECLEVEL=2"
    with pytest.raises(ValueError, match="unknown OpenADR suite 'dhe'"):
        cipher_string(("ecc", "dhe"))
    with pytest.raises(ValueError, match="at least one"):
        cipher_string(())


def test_vtn_context_needs_a_matching_certificate_per_suite(p: Pki) -> None:
    with pytest.raises(ValueError, match=r"no server certificate for suite\(s\) \['ecc'\]"):
        vtn_context(p.vtn_rsa, p.root, p.dir)
    with pytest.raises(ValueError, match="two ecc server certificates"):
        vtn_context([p.vtn_ecc, p.ven_ecc], p.root, p.dir, suites=("ecc",))
    p384 = pki.issue(p.root, "vtn.test", server_names=["127.0.0.1"], key_type="ec-p384")
    with pytest.raises(ValueError, match="P-256.*secp384r1"):
        vtn_context(p384, p.root, p.dir, suites=("ecc",))
    with pytest.raises(ValueError, match="trust anchor"):
        vtn_context(p.vtn_ecc, [], p.dir, suites=("ecc",))


# ---------------------------------------------------------------- handshakes that must succeed

@pytest.mark.parametrize("suite,ven", [("ecc", "ven_ecc"), ("rsa", "ven_rsa"), ("ecc", "ven_rsa")])
def test_mutual_tls12_handshake_per_suite_with_one_vtn_context(p: Pki, suite: str, ven: str) -> None:
    client_cred = getattr(p, ven)
    server, client = handshake(_vtn(p), _ven(p, client_cred, suites=(suite,)))
    assert server.error is None and client.error is None, (server.error, client.error)
    for side in (server, client):
        assert side.tls is not None
        assert side.tls["version"] == "TLSv1.2"
        assert side.tls["cipher"] == OPENADR_SUITES[suite]
    # the VTN saw the VEN's certificate, the VEN saw the VTN certificate of the negotiated suite's key type
    assert server.tls["peer_fingerprint"] == fingerprint(client_cred.cert)
    assert server.tls["peer_cn"] == client_cred.cert.subject.rfc4514_string().removeprefix("CN=")
    vtn_cert = p.vtn_ecc if suite == "ecc" else p.vtn_rsa
    assert client.tls["peer_fingerprint"] == fingerprint(vtn_cert.cert)


@pytest.mark.parametrize("order,expected", [(("ecc", "rsa"), "ECDHE-ECDSA-AES128-SHA256"),
                                            (("rsa", "ecc"), "AES128-SHA256")])
def test_vtn_suite_order_decides_when_the_ven_offers_both(p: Pki, order: tuple[str, str], expected: str) -> None:
    ven_both = _ven(p, p.ven_ecc, suites=tuple(reversed(order)))  # the VEN prefers the other one
    server, client = handshake(_vtn(p, suites=order), ven_both)
    assert server.error is None and client.error is None, (server.error, client.error)
    assert server.tls["cipher"] == client.tls["cipher"] == expected


def test_optional_client_certificate_lets_the_vtn_answer_at_application_level(p: Pki) -> None:
    server, client = handshake(_vtn(p, require_client_cert=False), _ven(p, None))
    assert server.error is None and client.error is None, (server.error, client.error)
    assert server.tls["peer_fingerprint"] is None and server.tls["peer_cn"] is None
    assert FingerprintCheck({"ven1": fingerprint(p.ven_ecc.cert)}).check("ven1", None) is not None


# ---------------------------------------------------------------- handshakes that must be refused

def test_client_without_certificate_is_refused(p: Pki) -> None:
    server, client = handshake(_vtn(p), _ven(p, None))
    assert_refused(server, client, "PEER_DID_NOT_RETURN_A_CERTIFICATE")


def test_client_certificate_from_an_untrusted_ca_is_refused(p: Pki) -> None:
    server, client = handshake(_vtn(p), _ven(p, p.foreign_ven))
    assert isinstance(server.error, ssl.SSLCertVerificationError)
    # the VEN sends its chain up to its own (foreign) root, which OpenSSL reports as an untrusted self-signed CA
    assert_refused(server, client, "self-signed certificate in certificate chain")


def test_expired_client_certificate_is_refused(p: Pki) -> None:
    server, client = handshake(_vtn(p), _ven(p, p.expired_ven))
    assert isinstance(server.error, ssl.SSLCertVerificationError)
    assert_refused(server, client, "certificate has expired")


def test_client_offering_only_a_non_openadr_suite_is_refused(p: Pki) -> None:
    server, client = handshake(_vtn(p), _rogue(p, ciphers="ECDHE-RSA-AES256-GCM-SHA384"))
    assert_refused(server, client, "NO_SHARED_CIPHER")


def test_client_offering_only_tls13_is_refused(p: Pki) -> None:
    server, client = handshake(_vtn(p), _rogue(p, tls13_only=True))
    assert_refused(server, client, "UNSUPPORTED_PROTOCOL")


def test_vtn_limited_to_rsa_refuses_a_ven_offering_only_ecc(p: Pki) -> None:
    server, client = handshake(vtn_context(p.vtn_rsa, p.root, p.dir, suites=("rsa",)),
                               _ven(p, p.ven_ecc, suites=("ecc",)))
    assert_refused(server, client, "NO_SHARED_CIPHER")


def test_reference_ven_checks_the_vtn_hostname(p: Pki) -> None:
    server, client = handshake(_vtn(p), _ven(p, p.ven_ecc), server_hostname="other-vtn.test")
    assert isinstance(client.error, ssl.SSLCertVerificationError)
    assert "Hostname mismatch" in client.error.verify_message
    assert server.tls is None and server.error is not None  # the VEN aborted, the VTN never finished


# ---------------------------------------------------------------- the same contexts under aiohttp

def test_aiohttp_vtn_serves_both_suites_and_sees_the_ven_certificate(p: Pki) -> None:
    aiohttp = pytest.importorskip("aiohttp")
    from aiohttp import web

    async def run() -> list[dict]:
        async def event(request: web.Request) -> web.Response:
            return web.json_response(describe_tls(request.transport.get_extra_info("ssl_object")))

        app = web.Application()
        app.router.add_post("/OpenADR2/Simple/2.0b/EiEvent", event)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=_vtn(p))
        await site.start()
        try:
            port = runner.addresses[0][1]
            out = []
            for suite, cred in (("ecc", p.ven_ecc), ("rsa", p.ven_rsa)):
                connector = aiohttp.TCPConnector(ssl=_ven(p, cred, suites=(suite,)))
                async with aiohttp.ClientSession(connector=connector,
                                                 timeout=aiohttp.ClientTimeout(total=WAIT)) as session:
                    async with session.post(f"https://127.0.0.1:{port}/OpenADR2/Simple/2.0b/EiEvent",
                                            data=b"<oadrPayload/>") as resp:
                        assert resp.status == 200
                        out.append(await resp.json())
            return out
        finally:
            await runner.cleanup()

    ecc_vtn, rsa_vtn = asyncio.run(run())
    assert ecc_vtn == {"version": "TLSv1.2", "cipher": "ECDHE-ECDSA-AES128-SHA256",
                       "peer_fingerprint": fingerprint(p.ven_ecc.cert), "peer_cn": "VEN-ECC"}
    assert rsa_vtn == {"version": "TLSv1.2", "cipher": "AES128-SHA256",
                       "peer_fingerprint": fingerprint(p.ven_rsa.cert), "peer_cn": "VEN-RSA"}


def test_aiohttp_vtn_records_the_refusal_of_a_ven_without_certificate(p: Pki) -> None:
    aiohttp = pytest.importorskip("aiohttp")
    from aiohttp import web

    refused: list[ssl.SSLError] = []
    handled: list[str] = []

    async def run() -> BaseException | None:
        async def event(request: web.Request) -> web.Response:
            handled.append(request.path)
            return web.Response(text="should not be reached")

        app = web.Application()
        app.router.add_post("/OpenADR2/Simple/2.0b/EiEvent", event)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=record_handshake_failures(_vtn(p), refused.append))
        await site.start()
        try:
            port = runner.addresses[0][1]
            connector = aiohttp.TCPConnector(ssl=_ven(p, None))
            async with aiohttp.ClientSession(connector=connector,
                                             timeout=aiohttp.ClientTimeout(total=WAIT)) as session:
                try:
                    await session.post(f"https://127.0.0.1:{port}/OpenADR2/Simple/2.0b/EiEvent", data=b"<x/>")
                except aiohttp.ClientError as e:
                    return e
            return None
        finally:
            await runner.cleanup()

    ven_error = asyncio.run(run())
    # no alert reaches the VEN (see assert_refused): aiohttp reports a connection reset while connecting
    assert isinstance(ven_error, aiohttp.ClientConnectorError), ven_error
    assert isinstance(ven_error.os_error, ConnectionResetError), ven_error.os_error
    assert handled == []
    assert [describe_handshake_error(e) for e in refused] == [
        {"reason": "PEER_DID_NOT_RETURN_A_CERTIFICATE", "library": "SSL", "verify_code": None,
         "verify_message": None}]


def test_recorded_certificate_refusal_carries_the_verification_result(p: Pki) -> None:
    refused: list[ssl.SSLError] = []
    server, client = handshake(record_handshake_failures(_vtn(p), refused.append), _ven(p, p.expired_ven))
    assert_refused(server, client, "certificate has expired")
    assert [describe_handshake_error(e) for e in refused] == [
        {"reason": "CERTIFICATE_VERIFY_FAILED", "library": "SSL", "verify_code": 10,
         "verify_message": "certificate has expired"}]


def test_recording_ignores_successful_handshakes(p: Pki) -> None:
    refused: list[ssl.SSLError] = []
    server, client = handshake(record_handshake_failures(_vtn(p), refused.append), _ven(p, p.ven_ecc))
    assert server.error is None and client.error is None
    assert refused == []


# ---------------------------------------------------------------- peer certificate and describe_tls edges

def test_describe_tls_without_tls_is_all_none() -> None:
    assert peer_certificate(None) is None
    assert describe_tls(None) == {"version": None, "cipher": None, "peer_fingerprint": None, "peer_cn": None}


# ---------------------------------------------------------------- FingerprintCheck

def test_fingerprint_check_accepts_the_registered_certificate(p: Pki) -> None:
    check = FingerprintCheck({"ven1": fingerprint(p.ven_ecc.cert).lower().replace(":", "")})
    assert check.expected("ven1") == fingerprint(p.ven_ecc.cert)
    assert check.check("ven1", p.ven_ecc.cert) is None
    assert check.check("ven1", p.ven_ecc.cert.public_bytes(serialization.Encoding.DER)) is None
    assert "ven1" in check and len(check) == 1


def test_fingerprint_check_reports_a_mismatch_with_both_fingerprints(p: Pki) -> None:
    check = FingerprintCheck({"ven1": fingerprint(p.ven_ecc.cert)})
    for presented in (p.ven_rsa.cert, p.ven_rsa.cert.public_bytes(serialization.Encoding.DER)):
        reason = check.check("ven1", presented)
        assert reason is not None
        assert fingerprint(p.ven_rsa.cert) in reason and fingerprint(p.ven_ecc.cert) in reason
        assert "'VEN-RSA'" in reason and "'ven1'" in reason


def test_fingerprint_check_reports_unknown_ven_and_missing_certificate(p: Pki) -> None:
    check = FingerprintCheck()
    check.register("ven1", fingerprint(p.ven_ecc.cert))
    reason = check.check("ven2", p.ven_ecc.cert)
    assert reason is not None and "'ven2' is not registered" in reason and "'ven1'" in reason
    reason = check.check("ven1", None)
    assert reason is not None and "no client certificate" in reason and fingerprint(p.ven_ecc.cert) in reason


def test_fingerprint_check_refuses_a_malformed_registration() -> None:
    with pytest.raises(ValueError, match="has 2 bytes"):
        FingerprintCheck({"ven1": "AB:CD"})
