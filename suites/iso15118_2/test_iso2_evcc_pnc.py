"""ISO 15118-2, EV (EVCC) under test with TLS and Plug & Charge: the harness is a charger that offers TLS 1.2 and
contract payment (fake SECC). Run with a PnC profile (e.g. reference-ev-iso2-pnc). Ids follow ISO 15118-4's
TC_EVCC_* naming; the purposes are vgitest's own words."""

from __future__ import annotations

import pytest

from vgitest.iso15118.pnc import present_secc_certificate
from vgitest.iso15118 import suite as v
from vgitest.iso15118.suite import case, ev_session, header_signature, open_meta, request_of

pytestmark = pytest.mark.vgi_protocol("iso15118", "iso-2")


def _refused(secc, s, certificate: str) -> None:
    meta = open_meta(secc, s)
    secc.check_outcome(meta.get("tls_error"), "V2G-TLS", f"the EV completed the TLS handshake with an SECC that "
                       f"presented {certificate} ({meta.get('tls_version')}); it must refuse it")


def _receipt(secc, s):
    """The MeteringReceiptReq the EV owed the SECC's ReceiptRequired (V2G-PNC-RECEIPT), once the charge loop ran."""
    v.reached(s, "CurrentDemandReq")
    req = request_of(s, "MeteringReceiptReq")
    secc.check_outcome(req is not None, "V2G-PNC-RECEIPT", f"the EV sent no MeteringReceiptReq although the SECC "
                       f"asked for a receipt (ReceiptRequired); requests {s.names()}")
    return req


@case("TC_EVCC_CMN_VTB_SDP_002", "Ev", "Tls")
def test_TC_EVCC_CMN_VTB_SDP_002(secc, dut, vgi_profile):
    """The EV asks for TLS in SDP and, answered TLS, opens the V2G session over TLS 1.2."""
    s = ev_session(secc, dut, vgi_profile)
    meta = open_meta(secc, s)
    secc.check_outcome(meta.get("tls_version") == "TLSv1.2", "V2G-TLS", f"the EV opened the V2G session over "
                       f"{meta.get('tls_version') or 'no TLS'} ({meta.get('tls_error') or 'no TLS error'}); TLS 1.2 "
                       f"was due after an SDP answer offering TLS")
    v.ev_ended_with_stop(secc, s)


@case("TC_EVCC_CMN_VTB_SDP_003", "Ev", "Tls")
def test_TC_EVCC_CMN_VTB_SDP_003(secc, dut, vgi_profile):
    """The SECC presents an expired certificate: the EV refuses the TLS handshake (no V2G session)."""
    present_secc_certificate(secc, "expired_secc")
    _refused(secc, ev_session(secc, dut, vgi_profile), "an expired certificate")


@case("TC_EVCC_CMN_VTB_SDP_004", "Ev", "Tls")
def test_TC_EVCC_CMN_VTB_SDP_004(secc, dut, vgi_profile):
    """The SECC presents a chain under a root the EV does not trust: the EV refuses the TLS handshake."""
    present_secc_certificate(secc, "untrusted_secc")
    _refused(secc, ev_session(secc, dut, vgi_profile), "a chain under a root the EV does not trust")


@case("TC_EVCC_CMN_VTB_PaymentDetails_001", "Ev", "PnC")
def test_TC_EVCC_CMN_VTB_PaymentDetails_001(secc, dut, vgi_profile):
    """The EV selects Contract and sends its eMAID and a contract chain that verifies against the MO root."""
    s = ev_session(secc, dut, vgi_profile)
    v.reached(s, "PaymentDetailsReq", what="a PaymentDetailsReq (Contract payment)")
    v.ev_ended_with_stop(secc, s)


@case("TC_EVCC_CMN_VTB_Authorization_002", "Ev", "PnC")
def test_TC_EVCC_CMN_VTB_Authorization_002(secc, dut, vgi_profile):
    """AuthorizationReq carries a header Signature by the contract key that verifies over the message."""
    s = ev_session(secc, dut, vgi_profile)
    v.reached(s, "AuthorizationReq")
    req = request_of(s, "AuthorizationReq")
    secc.check_outcome(header_signature(req) is not None, "V2G-PNC-SIGNATURE", "the EV's AuthorizationReq after "
                       "Contract payment carries no header Signature by the contract key", req)
    v.ev_ended_with_stop(secc, s)


@case("TC_EVCC_CMN_VTB_Authorization_003", "Ev", "PnC")
def test_TC_EVCC_CMN_VTB_Authorization_003(secc, dut, vgi_profile):
    """The signed AuthorizationReq returns exactly the GenChallenge of PaymentDetailsRes."""
    s = ev_session(secc, dut, vgi_profile)
    v.reached(s, "AuthorizationReq")
    v.ev_ended_with_stop(secc, s)


@case("TC_EVCC_CMN_VTB_Authorization_004", "Ev", "PnC")
def test_TC_EVCC_CMN_VTB_Authorization_004(secc, dut, vgi_profile):
    """The SECC answers AuthorizationReq with FAILED_SignatureError: the EV sends nothing more and closes."""
    v.ev_stops(secc, dut, vgi_profile, "AuthorizationReq", code="FAILED_SignatureError")


@case("TC_EVCC_DC_VTB_MeteringReceipt_001", "Ev", "PnC", "DC")
def test_TC_EVCC_DC_VTB_MeteringReceipt_001(secc, dut, vgi_profile):
    """Asked for a receipt (ReceiptRequired), the EV sends a MeteringReceiptReq signed by the contract key."""
    secc.evse.receipt_required = True
    s = ev_session(secc, dut, vgi_profile, mode="DC")
    req = _receipt(secc, s)
    secc.check_outcome(header_signature(req) is not None, "V2G-PNC-SIGNATURE", "the EV's MeteringReceiptReq "
                       "carries no header Signature by the contract key", req)
    v.ev_ended_with_stop(secc, s)


@case("TC_EVCC_DC_VTB_MeteringReceipt_002", "Ev", "PnC", "DC")
def test_TC_EVCC_DC_VTB_MeteringReceipt_002(secc, dut, vgi_profile):
    """Asked for a receipt, the EV answers with MeteringReceiptReq before its next CurrentDemandReq."""
    secc.evse.receipt_required = True
    s = ev_session(secc, dut, vgi_profile, mode="DC")
    _receipt(secc, s)
    v.ev_ended_with_stop(secc, s)
