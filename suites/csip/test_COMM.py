"""COMM: communication fundamentals of a DER client: discovery from the DeviceCapability URL, TLS 1.2 with the
CSIP suite and its device certificate, certificate chains of every allowed depth, and the chains it must
refuse (COMM-004 D-G)."""

from __future__ import annotations

import pytest

from vgitest.sep2 import rules as r
from vgitest.trace import Direction, Frame

pytestmark = pytest.mark.vgi_protocol("sep2", "2018")

STRAGGLER_S = 0.5  # how soon after the restart mark a request can still be one sent before it
CSIP_CIPHER = "ECDHE-ECDSA-AES128-CCM8"


@pytest.mark.vgi_case("COMM-002", feature="Discovery", requires=("DerClient",))
def test_COMM_002(der_client, dut, t) -> None:
    """Starting over, the client's first request is the DeviceCapability URL it was configured with, and from
    there it follows links: it never asks for a path the server did not give it."""
    trace = der_client.server.trace
    start = len(trace)
    dut.perform("reregister")
    mark = next((f for f in trace.since(start) if f.kind == "MARK" and str(f.name).startswith("DUT action")), None)
    cut = mark.index if mark is not None else start
    earlier = [f for f in trace.since(max(0, start - 200)) if f.kind == "REQUEST" and f.index < cut]
    before = {f.meta.get("path") for f in earlier}
    old_connections = {f.connection for f in earlier}
    # polls already on their way when the client was told to start over are not its first request of the new walk:
    # those on a connection it opened before (a busy server may read them seconds after the harness's mark), and
    # those for a path it had polled that arrive just after the mark
    limit_ns = (mark.t_ns if mark is not None else 0) + int(STRAGGLER_S * 1e9)
    der_client.cursor = cut + 1 if mark is not None else start

    def straggler(f: Frame) -> bool:
        return f.meta.get("path") != "/dcap" and (
            f.connection in old_connections or (f.t_ns <= limit_ns and f.meta.get("path") in before))

    first = der_client.expect("GET", "**", t.wait)
    while straggler(first):
        first = der_client.expect("GET", "**", t.wait)
    der_client.check(first.meta["path"] == "/dcap", r.EXPECTED_REQUEST,
                     f"the first request was {first.meta['method']} {first.meta['path']}, not GET /dcap", first)
    der_client.expect("GET", "/edev/*/fsa/1/derp", t.wait)
    unknown = [f for f in der_client.server.trace.since(start)
               if f.direction is Direction.OUT and f.meta.get("status") == 404]
    der_client.check(not unknown, r.EXPECTED_REQUEST, f"{len(unknown)} request(s) for paths the server never linked")


@pytest.mark.vgi_case("COMM-003", feature="Security", requires=("DerClient", "Tls"))
def test_COMM_003(der_client, dut, t) -> None:
    """Starting over, the client connects with TLS 1.2, TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 and its device
    certificate (its LFDI known to the server); a handshake the server had to refuse fails the test."""
    start = len(der_client.server.trace)
    dut.perform("reregister")
    first = der_client.server.trace.wait_for(lambda f: f.direction is Direction.IN and f.kind in ("REQUEST", "TLS"),
                                             start, t.wait)
    if first is None:
        der_client.fail(r.EXPECTED_REQUEST, f"the client made no connection within {t.wait:g} s")
    if first.kind == "TLS":
        der_client.fail(r.TLS_HANDSHAKE, f"the server refused the client's handshake: {first.meta.get('error')}",
                        first)
    frames = [first] + [der_client.expect("GET", "**", t.wait, fresh=True) for _ in range(2)]
    for f in frames:
        tls = f.meta.get("tls") or {}
        der_client.check(tls.get("version") == "TLSv1.2" and tls.get("cipher") == CSIP_CIPHER, r.TLS_HANDSHAKE,
                         f"{f.meta['path']} came over {tls.get('version')} {tls.get('cipher')}", f)
        der_client.check(f.meta.get("client_lfdi"), r.TLS_HANDSHAKE, "no client certificate", f)


def _serve_chain(client, dut, t, pki, **which) -> object:  # noqa: ANN001
    """Serve with another chain and make the client start over; the first request it then makes (or None)."""
    client.server.set_tls(pki.server_context(**which))
    start, generation = len(client.server.trace), client.server.tls_generation
    dut.perform("reregister")
    return client.server.trace.wait_for(lambda f: f.direction is Direction.IN and f.kind == "REQUEST"
                                        and f.meta.get("tls_generation") == generation, start, t.wait)


def _chain_accepted(client, dut, t, pki, depth: int) -> None:  # noqa: ANN001
    try:
        first = _serve_chain(client, dut, t, pki, depth=depth)
        client.check(first is not None, r.TLS_HANDSHAKE, f"the client made no request to a server presenting a valid "
                     f"chain of depth {depth}")
    finally:
        client.server.set_tls(pki.server_context(depth=3))


@pytest.mark.vgi_case("COMM-004A", feature="Security", requires=("DerClient", "Tls"))
def test_COMM_004A(der_client, dut, t, csip_pki) -> None:
    """A server chain of depth 2 (SERCA, server certificate) is accepted."""
    _chain_accepted(der_client, dut, t, csip_pki, 2)


@pytest.mark.vgi_case("COMM-004B", feature="Security", requires=("DerClient", "Tls"))
def test_COMM_004B(der_client, dut, t, csip_pki) -> None:
    """A server chain of depth 3 (SERCA, MICA, server certificate) is accepted."""
    _chain_accepted(der_client, dut, t, csip_pki, 3)


@pytest.mark.vgi_case("COMM-004C", feature="Security", requires=("DerClient", "Tls"))
def test_COMM_004C(der_client, dut, t, csip_pki) -> None:
    """A server chain of depth 4 (SERCA, MCA, MICA, server certificate) is accepted."""
    _chain_accepted(der_client, dut, t, csip_pki, 4)


def _chain_refused(client, dut, t, pki, case: str, what: str) -> None:  # noqa: ANN001
    try:
        first = _serve_chain(client, dut, t, pki, negative=case)
        if first is not None:
            client.fail(r.TLS_BAD_CHAIN, f"the client sent {first.meta.get('method')} {first.meta.get('path')} to a "
                        f"server whose chain {what}", first)
    finally:
        client.server.set_tls(pki.server_context(depth=3))


@pytest.mark.vgi_case("COMM-004D", feature="Security", requires=("DerClient", "Tls"))
def test_COMM_004D(der_client, dut, t, csip_pki) -> None:
    """A chain whose MICA marks its extended key usage critical is refused: no request reaches that server."""
    _chain_refused(der_client, dut, t, csip_pki, "D", "has a MICA with a critical extended key usage")


@pytest.mark.vgi_case("COMM-004E", feature="Security", requires=("DerClient", "Tls"))
def test_COMM_004E(der_client, dut, t, csip_pki) -> None:
    """A chain whose MICA carries name constraints the profile does not allow is refused."""
    _chain_refused(der_client, dut, t, csip_pki, "E", "has a MICA with name constraints")


@pytest.mark.vgi_case("COMM-004F", feature="Security", requires=("DerClient", "Tls"))
def test_COMM_004F(der_client, dut, t, csip_pki) -> None:
    """A chain whose MICA maps certificate policies is refused."""
    _chain_refused(der_client, dut, t, csip_pki, "F", "has a MICA with policy mappings")


@pytest.mark.vgi_case("COMM-004G", feature="Security", requires=("DerClient", "Tls"))
def test_COMM_004G(der_client, dut, t, csip_pki) -> None:
    """A self-signed server certificate is refused."""
    _chain_refused(der_client, dut, t, csip_pki, "G", "is a self-signed certificate")
