"""ISO 15118-2, EV (EVCC) under test with TLS and Plug & Charge: the harness is a charger that offers TLS 1.2 and
contract payment (fake SECC). Run with a PnC profile (e.g. reference-ev-iso2-pnc). Ids follow ISO 15118-4's
TC_EVCC_* naming; the purposes are vgitest's own words."""

from __future__ import annotations

import pytest

from vgitest.iso15118.pnc import present_secc_certificate
from vgitest.iso15118.suite import assert_ev_stopped, case, ev_session, header_signature, open_meta, request_of

pytestmark = pytest.mark.vgi_protocol("iso15118", "iso-2")


def _charged(s) -> None:
    names = s.names()
    assert "SessionStopReq" in names, f"the EV did not end with SessionStop: {s.end_reason} ({names[-6:]})"


def _refused(secc, s) -> None:
    meta = open_meta(secc, s)
    assert meta.get("tls_error"), f"the EV completed the handshake: {meta}"


@case("TC_EVCC_CMN_VTB_SDP_002", "Ev", "Tls")
def test_TC_EVCC_CMN_VTB_SDP_002(secc, dut, vgi_profile):
    """The EV asks for TLS in SDP and, answered TLS, opens the V2G session over TLS 1.2."""
    s = ev_session(secc, dut, vgi_profile)
    meta = open_meta(secc, s)
    assert meta.get("tls_version") == "TLSv1.2", meta
    _charged(s)


@case("TC_EVCC_CMN_VTB_SDP_003", "Ev", "Tls")
def test_TC_EVCC_CMN_VTB_SDP_003(secc, dut, vgi_profile):
    """The SECC presents an expired certificate: the EV refuses the TLS handshake (no V2G session)."""
    present_secc_certificate(secc, "expired_secc")
    _refused(secc, ev_session(secc, dut, vgi_profile))


@case("TC_EVCC_CMN_VTB_SDP_004", "Ev", "Tls")
def test_TC_EVCC_CMN_VTB_SDP_004(secc, dut, vgi_profile):
    """The SECC presents a chain under a root the EV does not trust: the EV refuses the TLS handshake."""
    present_secc_certificate(secc, "untrusted_secc")
    _refused(secc, ev_session(secc, dut, vgi_profile))


@case("TC_EVCC_CMN_VTB_PaymentDetails_001", "Ev", "PnC")
def test_TC_EVCC_CMN_VTB_PaymentDetails_001(secc, dut, vgi_profile):
    """The EV selects Contract and sends its eMAID and a contract chain that verifies against the MO root."""
    s = ev_session(secc, dut, vgi_profile)
    req = request_of(s, "PaymentDetailsReq")
    assert req is not None, f"no PaymentDetailsReq: {s.names()}"
    _charged(s)


@case("TC_EVCC_CMN_VTB_Authorization_002", "Ev", "PnC")
def test_TC_EVCC_CMN_VTB_Authorization_002(secc, dut, vgi_profile):
    """AuthorizationReq carries a header Signature by the contract key that verifies over the message."""
    s = ev_session(secc, dut, vgi_profile)
    req = request_of(s, "AuthorizationReq")
    assert req is not None, f"no AuthorizationReq: {s.names()}"
    assert header_signature(req) is not None, "AuthorizationReq is unsigned"
    _charged(s)


@case("TC_EVCC_CMN_VTB_Authorization_003", "Ev", "PnC")
def test_TC_EVCC_CMN_VTB_Authorization_003(secc, dut, vgi_profile):
    """The signed AuthorizationReq returns exactly the GenChallenge of PaymentDetailsRes."""
    s = ev_session(secc, dut, vgi_profile)
    assert request_of(s, "AuthorizationReq") is not None, s.end_reason
    _charged(s)


@case("TC_EVCC_CMN_VTB_Authorization_004", "Ev", "PnC")
def test_TC_EVCC_CMN_VTB_Authorization_004(secc, dut, vgi_profile):
    """The SECC answers AuthorizationReq with FAILED_SignatureError: the EV sends nothing more and closes."""
    secc.answer("AuthorizationReq", code="FAILED_SignatureError")
    s = ev_session(secc, dut, vgi_profile)
    assert_ev_stopped(s)


@case("TC_EVCC_DC_VTB_MeteringReceipt_001", "Ev", "PnC", "DC")
def test_TC_EVCC_DC_VTB_MeteringReceipt_001(secc, dut, vgi_profile):
    """Asked for a receipt (ReceiptRequired), the EV sends a MeteringReceiptReq signed by the contract key."""
    secc.evse.receipt_required = True
    s = ev_session(secc, dut, vgi_profile, mode="DC")
    req = request_of(s, "MeteringReceiptReq")
    assert req is not None and header_signature(req) is not None, f"no signed MeteringReceiptReq: {s.names()}"
    _charged(s)


@case("TC_EVCC_DC_VTB_MeteringReceipt_002", "Ev", "PnC", "DC")
def test_TC_EVCC_DC_VTB_MeteringReceipt_002(secc, dut, vgi_profile):
    """Asked for a receipt, the EV answers with MeteringReceiptReq before its next CurrentDemandReq."""
    secc.evse.receipt_required = True
    s = ev_session(secc, dut, vgi_profile, mode="DC")
    assert "MeteringReceiptReq" in s.names(), f"no MeteringReceiptReq: {s.names()}"
    _charged(s)
