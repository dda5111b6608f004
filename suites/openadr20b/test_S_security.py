"""Security: TLS 1.2 with the two OpenADR suites, mutual authentication, the certificate of the venID, a VEN
that refuses a VTN it must not trust (unknown CA, expired certificate), and XML signatures."""

from __future__ import annotations

import pytest

from helpers20b import answered, deliver, event_id, simple_event
from vgitest.openadr import rules as r
from vgitest.openadr.security import OPENADR_SUITES
from vgitest.trace import Direction
from vgitest.verdict import Inconclusive

pytestmark = pytest.mark.vgi_protocol("openadr", "2.0b")


def _refused(frames) -> list:  # noqa: ANN001
    return [f for f in frames if f.kind == "TLS"]


def _requests(frames) -> list:  # noqa: ANN001
    """The VEN's complete requests: one a restart cut short ("(aborted)") is evidence only, never judged."""
    return [f for f in frames if f.direction is Direction.IN and f.kind == "REQUEST" and f.name != "(aborted)"]


@pytest.mark.vgi_case("TC_VGI_SEC_01", feature="Security", requires=("HttpPull", "Tls"))
def test_TC_VGI_SEC_01(ven, dut, t) -> None:
    """Registering from scratch, the VEN completes TLS 1.2 handshakes with one of the two OpenADR suites and
    its client certificate; no handshake is refused."""
    start = len(ven.vtn.trace)
    dut.perform("reregister")
    first = ven.vtn.trace.wait_for(lambda f: f.kind == "TLS" or f.name == "oadrCreatePartyRegistration", start,
                                   t.wait)
    refused = _refused(ven.vtn.trace.since(start))
    if refused:
        ven.fail(r.TLS_HANDSHAKE, f"the VTN refused the VEN's handshake: {refused[0].meta.get('error')}", refused[0])
    ven.check(first is not None, r.EXPECTED_MESSAGE, "the VEN did not register within the wait")
    for f in _requests(ven.vtn.trace.since(start)):
        tls = f.meta.get("tls") or {}
        ven.check(tls.get("version") == "TLSv1.2" and tls.get("cipher") in OPENADR_SUITES.values(), r.TLS_HANDSHAKE,
                  f"{f.name} came over {tls.get('version')} {tls.get('cipher')}", f)


@pytest.mark.vgi_case("TC_VGI_SEC_02", feature="Security", requires=("HttpPull", "Tls"))
def test_TC_VGI_SEC_02(ven, dut, t) -> None:
    """The certificate the VEN presents is the one registered for its venID (a mismatch is answered 463 and
    reported on the request)."""
    start = len(ven.vtn.trace)
    dut.perform("reregister")
    ven.cursor = start
    ven.expect("oadrQueryRegistration", t.wait)
    ven.expect("oadrPoll", t.wait)
    fps = {(f.meta.get("tls") or {}).get("peer_fingerprint") for f in _requests(ven.vtn.trace.since(start))}
    ven.check(None not in fps, r.TLS_HANDSHAKE, "a request came without a client certificate")


def _must_refuse(ven, dut, t, oadr_pki, which: str) -> None:  # noqa: ANN001
    start = len(ven.vtn.trace)
    ven.vtn.set_tls(oadr_pki.vtn_context(which))
    attempts = ven.vtn.connection_attempts
    try:
        dut.perform("reregister")
        sent = ven.vtn.trace.wait_for(lambda f: f.direction is Direction.IN and f.kind == "REQUEST", start, t.quiet)
        if sent is not None:
            what = "an expired" if which == "expired" else "an untrusted (unknown CA)"
            ven.fail(r.TLS_UNTRUSTED_VTN, f"the VEN sent {sent.name} to a VTN with {what} certificate", sent)
        if ven.vtn.connection_attempts == attempts:
            raise Inconclusive("the VEN made no connection attempt while the VTN showed the bad certificate")
    finally:
        ven.vtn.set_tls(oadr_pki.vtn_context("good"))


@pytest.mark.vgi_case("TC_VGI_SEC_03", feature="Security", requires=("HttpPull", "Tls"))
def test_TC_VGI_SEC_03(ven, dut, t, oadr_pki) -> None:
    """A VTN whose certificate comes from a CA the VEN does not trust gets no request: the VEN ends the
    handshake."""
    _must_refuse(ven, dut, t, oadr_pki, "rogue")


@pytest.mark.vgi_case("TC_VGI_SEC_04", feature="Security", requires=("HttpPull", "Tls"))
def test_TC_VGI_SEC_04(ven, dut, t, oadr_pki) -> None:
    """A VTN with an expired certificate (of the right CA) gets no request either."""
    _must_refuse(ven, dut, t, oadr_pki, "expired")


@pytest.mark.vgi_case("G1_4011_TH_VTN_1", feature="Security", requires=("HttpPull", "Tls", "XmlSignature"))
def test_G1_4011_TH_VTN_1(ven, dut, t) -> None:
    """A VEN that declares XML signatures signs every payload of a registration and an event: each signature
    verifies with the VEN's own certificate, covers the oadrSignedObject, and carries a ReplayProtect that is
    fresh and never reused (the fake VTN judges every signed frame; here, that every request was signed)."""
    start = len(ven.vtn.trace)
    dut.perform("reregister")
    ven.cursor = start
    ven.expect("oadrCreatePartyRegistration", t.wait)
    ven.expect("oadrPoll", t.wait)
    ev = simple_event(ven)
    deliver(ven, t, [(ev, "always")])
    answered(ven, t, event_id(ev))
    requests = _requests(ven.vtn.trace.since(start))
    ven.check(requests, r.EXPECTED_MESSAGE, "the VEN sent nothing")
    for f in requests:
        sig = f.meta.get("signature")
        ven.check(sig is not None, r.SIGNATURE_MISSING, f"{f.name} is not signed", f)
        if sig is not None:
            ven.check(sig.get("verified") and sig.get("authenticated"), r.SIGNATURE,
                      f"{f.name}: the signature was not verified with the VEN's certificate", f)
