"""ISO 15118-2, EVSE (SECC) under test with TLS and Plug & Charge: the harness is a contract-holding EV (fake
EVCC). Run with a PnC profile (e.g. reference-evse-iso2-pnc): PICS Tls/PnC, a V2G test PKI per run. Ids follow
ISO 15118-4's TC_SECC_* naming; the purposes are vgitest's own words."""

from __future__ import annotations

import pytest

from vgitest.iso15118 import suite as v
from vgitest.iso15118.suite import case, ev_pnc, open_meta

pytestmark = pytest.mark.vgi_protocol("iso15118", "iso-2")


@case("TC_SECC_CMN_VTB_SDP_002", "Evse", "Tls")
def test_TC_SECC_CMN_VTB_SDP_002(evcc):
    """The EV asks for TLS in SDP: the EVSE answers security TLS and the session runs over TLS 1.2 with an
    ISO 15118-2 cipher suite."""
    s = evcc.charge()
    evcc.check_outcome(s.sdp is not None and s.sdp.security == 0x00, "V2G-TLS", f"the EV asked for TLS in SDP; the "
                       f"EVSE's SDP answer offers security {s.sdp and s.sdp.security} (0x00, TLS, was due)")
    meta = open_meta(evcc, s)
    evcc.check_outcome(meta.get("tls_version") == "TLSv1.2", "V2G-TLS", f"the EVSE ran the session over "
                       f"{meta.get('tls_version') or 'no TLS'} ({meta.get('tls_error') or s.end_reason}); TLS 1.2 "
                       f"was due")
    evcc.check("ECDHE-ECDSA" in str(meta.get("tls_cipher")), "V2G-TLS", f"the EVSE chose the cipher suite "
               f"{meta.get('tls_cipher')}; ISO 15118-2 allows only ECDHE-ECDSA suites")
    v.charged(evcc, s)


@case("TC_SECC_CMN_VTB_SDP_003", "Evse", "Tls")
def test_TC_SECC_CMN_VTB_SDP_003(evcc):
    """The EVSE's TLS certificate is valid and chains to the V2G root the EV trusts (the handshake verifies)."""
    s = evcc.charge()
    meta = open_meta(evcc, s)
    evcc.check_outcome(meta.get("tls") is True, "V2G-TLS", f"no TLS session with the EVSE: "
                       f"{meta.get('tls_error') or s.end_reason}")
    v.charged(evcc, s)


@case("TC_SECC_CMN_VTB_PaymentDetails_001", "Evse", "PnC")
def test_TC_SECC_CMN_VTB_PaymentDetails_001(evcc):
    """A valid contract chain in PaymentDetailsReq: OK with a 16-byte GenChallenge, a fresh one every session."""
    ev_pnc(evcc)
    first, second = evcc.charge(), evcc.charge()
    for s in (first, second):
        v.charged(evcc, s)
        v.body_of(s, "PaymentDetailsRes")


@case("TC_SECC_CMN_VTB_PaymentDetails_002", "Evse", "PnC")
def test_TC_SECC_CMN_VTB_PaymentDetails_002(evcc):
    """A contract chain under an MO root the EVSE does not trust: FAILED_CertChainError, then the EVSE closes."""
    pnc = ev_pnc(evcc)
    if pnc.untrusted_contract is None:
        pytest.skip("no untrusted contract chain in this run's material")
    pnc.contract = pnc.untrusted_contract
    evcc.send("PaymentDetailsReq", expect_code="FAILED_CertChainError")
    s = evcc.charge()
    v.closed_after_refusal(evcc, s, "FAILED_CertChainError")


@case("TC_SECC_CMN_VTB_Authorization_003", "Evse", "PnC")
def test_TC_SECC_CMN_VTB_Authorization_003(evcc):
    """AuthorizationReq signed with the contract key over the issued GenChallenge: OK, and the session charges."""
    ev_pnc(evcc)
    s = evcc.charge()
    v.charged(evcc, s)
    v.body_of(s, "AuthorizationRes")


@case("TC_SECC_CMN_VTB_Authorization_004", "Evse", "PnC")
def test_TC_SECC_CMN_VTB_Authorization_004(evcc):
    """An AuthorizationReq whose signature does not verify: FAILED_SignatureError, then the EVSE closes."""
    ev_pnc(evcc).tamper.add("AuthorizationReq")
    evcc.send("AuthorizationReq", expect_code="FAILED_SignatureError")
    s = evcc.charge()
    v.closed_after_refusal(evcc, s, "FAILED_SignatureError")


@case("TC_SECC_CMN_VTB_Authorization_005", "Evse", "PnC")
def test_TC_SECC_CMN_VTB_Authorization_005(evcc):
    """A validly signed AuthorizationReq over another GenChallenge: FAILED_ChallengeInvalid, then the EVSE closes."""
    ev_pnc(evcc).wrong_challenge = True
    evcc.send("AuthorizationReq", expect_code="FAILED_ChallengeInvalid")
    s = evcc.charge()
    v.closed_after_refusal(evcc, s, "FAILED_ChallengeInvalid")


@case("TC_SECC_CMN_VTB_Authorization_006", "Evse", "PnC")
def test_TC_SECC_CMN_VTB_Authorization_006(evcc):
    """An unsigned AuthorizationReq in a Contract session: FAILED_SignatureError, then the EVSE closes."""
    ev_pnc(evcc).unsigned.add("AuthorizationReq")
    evcc.send("AuthorizationReq", expect_code="FAILED_SignatureError")
    s = evcc.charge()
    v.closed_after_refusal(evcc, s, "FAILED_SignatureError")


@case("TC_SECC_DC_VTB_MeteringReceipt_001", "Evse", "PnC", "DC")
def test_TC_SECC_DC_VTB_MeteringReceipt_001(evcc):
    """The EVSE asks for a receipt (ReceiptRequired) and accepts the EV's signed MeteringReceiptReq with OK."""
    ev_pnc(evcc)
    s = evcc.charge()
    if s.response("MeteringReceiptRes") is None and s.completed:
        pytest.skip("the EVSE asked for no MeteringReceipt in this session (PIXIT evse_receipt_required)")
    v.charged(evcc, s)
    v.body_of(s, "MeteringReceiptRes")


@case("TC_SECC_DC_VTB_MeteringReceipt_002", "Evse", "PnC", "DC")
def test_TC_SECC_DC_VTB_MeteringReceipt_002(evcc):
    """A MeteringReceiptReq whose signature does not verify: FAILED_MeteringSignatureNotValid, then the EVSE
    closes."""
    ev_pnc(evcc).tamper.add("MeteringReceiptReq")
    evcc.send("MeteringReceiptReq", expect_code="FAILED_MeteringSignatureNotValid")
    s = evcc.charge()
    if "MeteringReceiptReq" not in s.names() and s.completed:
        pytest.skip("the EVSE asked for no MeteringReceipt in this session (PIXIT evse_receipt_required)")
    v.closed_after_refusal(evcc, s, "FAILED_MeteringSignatureNotValid")


@case("TC_SECC_CMN_VTB_CertificateInstallation_001", "Evse", "PnC")
def test_TC_SECC_CMN_VTB_CertificateInstallation_001(evcc):
    """CertificateInstallationReq signed with the OEM provisioning key: OK with a provisioning chain to the V2G
    root, a contract chain to the MO root, and a CPS-leaf signature over the contract chain, the encrypted key and
    the DH public key (the eMAID element's digest is not checked: the codec cannot encode its fragment)."""
    pnc = ev_pnc(evcc)
    if pnc.oem is None:
        pytest.skip("no OEM provisioning certificate in this run's material")
    pnc.install = True
    s = evcc.charge()
    v.charged(evcc, s)
    v.body_of(s, "CertificateInstallationRes")
