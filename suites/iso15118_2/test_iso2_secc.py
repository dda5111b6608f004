"""ISO 15118-2, EVSE (SECC) under test: the harness is the EV (fake EVCC). Ids follow ISO 15118-4's
TC_SECC_* naming; the purposes are vgitest's own words."""

from __future__ import annotations

import pytest

from vgitest.iso15118.suite import VENDOR_NS, assert_charged, case

pytestmark = pytest.mark.vgi_protocol("iso15118", "iso-2")
ISO2 = "urn:iso:15118:2:2013:MsgDef"


@case("TC_SECC_CMN_VTB_SDP_001", "Evse")
def test_TC_SECC_CMN_VTB_SDP_001(evcc):
    """SDP request without TLS: the EVSE answers with an address and TCP port that take the V2G session."""
    s = evcc.charge()
    assert s.sdp is not None, s.end_reason
    assert_charged(s)


@case("TC_SECC_CMN_VTB_SupportedAppProtocol_001", "Evse")
def test_TC_SECC_CMN_VTB_SupportedAppProtocol_001(evcc):
    """An ISO 15118-2 offer is accepted with OK_SuccessfulNegotiation and the offered SchemaID."""
    s = evcc.charge()
    assert s.sap_code == "OK_SuccessfulNegotiation" and s.family == "iso-2", (s.sap_code, s.family, s.end_reason)
    assert_charged(s)


@case("TC_SECC_CMN_VTB_SupportedAppProtocol_002", "Evse")
def test_TC_SECC_CMN_VTB_SupportedAppProtocol_002(evcc):
    """An offer with only an unknown namespace: Failed_NoNegotiation, then the EVSE closes the connection."""
    evcc.send("supportedAppProtocolReq", patch={"AppProtocol": [
        {"ProtocolNamespace": VENDOR_NS, "VersionNumberMajor": 1, "VersionNumberMinor": 0, "SchemaID": 1,
         "Priority": 1}]}, expect_code="Failed_NoNegotiation")
    s = evcc.charge()
    assert s.closed_by == "secc", s.end_reason


@case("TC_SECC_CMN_VTB_SupportedAppProtocol_004", "Evse")
def test_TC_SECC_CMN_VTB_SupportedAppProtocol_004(evcc):
    """A vendor namespace at priority 1 next to ISO 15118-2 at priority 2: the unknown one is ignored."""
    evcc.send("supportedAppProtocolReq", patch={"AppProtocol": [
        {"ProtocolNamespace": VENDOR_NS, "VersionNumberMajor": 1, "VersionNumberMinor": 0, "SchemaID": 2,
         "Priority": 1},
        {"ProtocolNamespace": ISO2, "VersionNumberMajor": 2, "VersionNumberMinor": 0, "SchemaID": 1, "Priority": 2}]})
    s = evcc.charge()
    assert s.family == "iso-2", (s.sap_code, s.end_reason)
    assert_charged(s)


@case("TC_SECC_CMN_VTB_SessionSetup_001", "Evse")
def test_TC_SECC_CMN_VTB_SessionSetup_001(evcc):
    """SessionID 0: a new, non-zero SessionID with OK_NewSessionEstablished."""
    s = evcc.charge()
    assert s.session_id and any(s.session_id), s.session_id
    assert_charged(s)


@case("TC_SECC_CMN_VTB_SessionSetup_002", "Evse")
def test_TC_SECC_CMN_VTB_SessionSetup_002(evcc):
    """ServiceDiscoveryReq where SessionSetupReq belongs: FAILED_SequenceError and the connection closed."""
    evcc.send("SessionSetupReq", send_instead=("ServiceDiscoveryReq", {}), expect_code="FAILED_SequenceError")
    s = evcc.charge()
    assert s.closed_by == "secc", s.end_reason


@case("TC_SECC_CMN_VTB_SessionSetup_003", "Evse")
def test_TC_SECC_CMN_VTB_SessionSetup_003(evcc):
    """The EV goes silent after SAP: the EVSE closes the connection at V2G_SECC_Sequence_Timeout, not before."""
    evcc.send("SessionSetupReq", silence=True)
    s = evcc.charge()
    assert s.closed_by == "secc", s.end_reason


@case("TC_SECC_CMN_VTB_V2GTPSessionSetup_001", "Evse")
def test_TC_SECC_CMN_VTB_V2GTPSessionSetup_001(evcc):
    """Valid V2GTP headers from the EV: every answer carries a valid header (version, inverse, type, length)."""
    assert_charged(evcc.charge())


@case("TC_SECC_CMN_VTB_V2GTPSessionSetup_003", "Evse")
def test_TC_SECC_CMN_VTB_V2GTPSessionSetup_003(evcc):
    """SessionSetupReq with an unknown payload type: the EVSE ignores it."""
    evcc.send("SessionSetupReq", payload_type=0x7001, expect_ignored=True)
    evcc.charge()


@case("TC_SECC_CMN_VTB_V2GTPSessionSetup_004", "Evse")
def test_TC_SECC_CMN_VTB_V2GTPSessionSetup_004(evcc):
    """SessionSetupReq with protocol version 0xFF: the EVSE ignores it."""
    evcc.send("SessionSetupReq", header=bytes((0xFF, 0xFE)), expect_ignored=True)
    evcc.charge()


@case("TC_SECC_CMN_VTB_V2GTPSessionSetup_005", "Evse")
def test_TC_SECC_CMN_VTB_V2GTPSessionSetup_005(evcc):
    """SessionSetupReq whose inverse protocol version is 0xFF: the EVSE ignores it."""
    evcc.send("SessionSetupReq", header=bytes((0x01, 0xFF)), expect_ignored=True)
    evcc.charge()


@case("TC_SECC_CMN_VTB_ServiceDiscovery_001", "Evse")
def test_TC_SECC_CMN_VTB_ServiceDiscovery_001(evcc):
    """ServiceDiscoveryRes in time, for this session, offering DC charging with external payment."""
    s = evcc.charge()
    res = s.response("ServiceDiscoveryRes")
    assert res is not None, s.end_reason
    body = res.body["V2G_Message"]["Body"]["ServiceDiscoveryRes"]
    assert "ExternalPayment" in body["PaymentOptionList"]["PaymentOption"], body
    assert_charged(s)


@case("TC_SECC_CMN_VTB_ServiceDiscovery_002", "Evse")
def test_TC_SECC_CMN_VTB_ServiceDiscovery_002(evcc):
    """ServiceDiscoveryReq again where PaymentServiceSelectionReq belongs: FAILED_SequenceError."""
    evcc.send("PaymentServiceSelectionReq", send_instead=("ServiceDiscoveryReq", {}),
              expect_code="FAILED_SequenceError")
    s = evcc.charge()
    assert s.closed_by == "secc", s.end_reason


@case("TC_SECC_CMN_VTB_Authorization_001", "Evse")
def test_TC_SECC_CMN_VTB_Authorization_001(evcc):
    """Authorization with external payment (EIM) ends Finished with OK."""
    s = evcc.charge()
    assert s.response("AuthorizationRes") is not None, s.end_reason
    assert_charged(s)


@case("TC_SECC_DC_VTB_ChargeParameterDiscovery_001", "Evse", "DC")
def test_TC_SECC_DC_VTB_ChargeParameterDiscovery_001(evcc):
    """ChargeParameterDiscoveryRes with the EVSE's DC limits and a schedule."""
    s = evcc.charge()
    res = s.response("ChargeParameterDiscoveryRes")
    assert res is not None, s.end_reason
    assert "DC_EVSEChargeParameter" in res.body["V2G_Message"]["Body"]["ChargeParameterDiscoveryRes"]
    assert_charged(s)


@case("TC_SECC_DC_VTB_ChargeParameterDiscovery_002", "Evse", "DC")
def test_TC_SECC_DC_VTB_ChargeParameterDiscovery_002(evcc):
    """ChargeParameterDiscoveryReq with an unknown SessionID: FAILED_UnknownSession and the connection closed."""
    evcc.send("ChargeParameterDiscoveryReq", session_id=bytes.fromhex("5e55104d00000bad"),
              expect_code="FAILED_UnknownSession")
    s = evcc.charge()
    assert s.closed_by == "secc", s.end_reason


@case("TC_SECC_DC_VTB_ChargeParameterDiscovery_003", "Evse", "DC")
def test_TC_SECC_DC_VTB_ChargeParameterDiscovery_003(evcc):
    """An energy transfer mode the EVSE did not offer (DC_core): FAILED_WrongEnergyTransferMode."""
    evcc.send("ChargeParameterDiscoveryReq", patch={"RequestedEnergyTransferMode": "DC_core"},
              expect_code="FAILED_WrongEnergyTransferMode")
    s = evcc.charge()
    assert s.closed_by == "secc", s.end_reason


@case("TC_SECC_DC_VTB_CableCheck_001", "Evse", "DC")
def test_TC_SECC_DC_VTB_CableCheck_001(evcc):
    """CableCheck ends Finished with a valid isolation within the EVSE's cable-check budget."""
    s = evcc.charge()
    assert s.response("CableCheckRes") is not None, s.end_reason
    assert_charged(s)


@case("TC_SECC_DC_VTB_PreCharge_001", "Evse", "DC")
def test_TC_SECC_DC_VTB_PreCharge_001(evcc):
    """PreCharge: the EVSE's output voltage reaches the EV's battery voltage within the pre-charge budget."""
    assert_charged(evcc.charge())


@case("TC_SECC_DC_VTB_PowerDelivery_001", "Evse", "DC")
def test_TC_SECC_DC_VTB_PowerDelivery_001(evcc):
    """PowerDelivery start and stop are answered OK."""
    s = evcc.charge()
    assert len([n for n in s.names() if n == "PowerDeliveryReq"]) == 2, s.names()
    assert_charged(s)


@case("TC_SECC_DC_VTB_CurrentDemand_001", "Evse", "DC")
def test_TC_SECC_DC_VTB_CurrentDemand_001(evcc):
    """The charge loop: every CurrentDemandRes within its performance time and within the asked current."""
    s = evcc.charge()
    assert s.names().count("CurrentDemandReq") >= 3, s.names()
    assert_charged(s)


@case("TC_SECC_DC_VTB_CurrentDemand_002", "Evse", "DC")
def test_TC_SECC_DC_VTB_CurrentDemand_002(evcc):
    """ServiceDiscoveryReq in the charge loop: FAILED_SequenceError and the connection closed."""
    evcc.send("CurrentDemandReq", nth=3, send_instead=("ServiceDiscoveryReq", {}), expect_code="FAILED_SequenceError")
    s = evcc.charge()
    assert s.closed_by == "secc", s.end_reason


@case("TC_SECC_DC_VTB_WeldingDetection_001", "Evse", "DC")
def test_TC_SECC_DC_VTB_WeldingDetection_001(evcc):
    """WeldingDetection after the charge is answered with the EVSE's present voltage."""
    s = evcc.charge()
    assert s.response("WeldingDetectionRes") is not None, s.end_reason
    assert_charged(s)


@case("TC_SECC_DC_VTB_SessionStop_001", "Evse", "DC")
def test_TC_SECC_DC_VTB_SessionStop_001(evcc):
    """SessionStop is answered OK and the session ends."""
    s = evcc.charge()
    assert s.response("SessionStopRes") is not None, s.end_reason
    assert_charged(s)


@case("TC_SECC_CMN_VTB_PaymentServiceSelection_001", "Evse")
def test_TC_SECC_CMN_VTB_PaymentServiceSelection_001(evcc):
    """External payment and the charge service selected: OK."""
    s = evcc.charge()
    assert s.response("PaymentServiceSelectionRes") is not None, s.end_reason
    assert_charged(s)


@case("TC_SECC_CMN_VTB_PaymentServiceSelection_002", "Evse", "!PnC")  # an EVSE offering only external payment
def test_TC_SECC_CMN_VTB_PaymentServiceSelection_002(evcc):
    """A payment option the EVSE did not offer: FAILED_PaymentSelectionInvalid."""
    evcc.send("PaymentServiceSelectionReq", patch={"SelectedPaymentOption": "Contract"},
              expect_code="FAILED_PaymentSelectionInvalid")
    s = evcc.charge()
    assert s.closed_by == "secc", s.end_reason


@case("TC_SECC_CMN_VTB_Authorization_002", "Evse")
def test_TC_SECC_CMN_VTB_Authorization_002(evcc):
    """ServiceDiscoveryReq where AuthorizationReq belongs: FAILED_SequenceError."""
    evcc.send("AuthorizationReq", send_instead=("ServiceDiscoveryReq", {}), expect_code="FAILED_SequenceError")
    s = evcc.charge()
    assert s.closed_by == "secc", s.end_reason


@case("TC_SECC_DC_VTB_SessionSetup_003", "Evse", "DC")
def test_TC_SECC_DC_VTB_SessionSetup_003(evcc):
    """A DC session paused with SessionStop(Pause) is joined again with the old SessionID: OK_OldSessionJoined."""
    first = evcc.charge(pause=True)
    assert_charged(first)
    again = evcc.charge(resume=True)
    assert again.session_id == first.session_id, (first.session_id, again.session_id)
    assert_charged(again)


@case("TC_SECC_AC_VTB_ChargeParameterDiscovery_001", "Evse", "AC")
def test_TC_SECC_AC_VTB_ChargeParameterDiscovery_001(evcc):
    """AC three-phase: ChargeParameterDiscoveryRes with the EVSE's AC parameters and a schedule."""
    s = evcc.charge(mode="AC")
    res = s.response("ChargeParameterDiscoveryRes")
    assert res is not None, s.end_reason
    assert "AC_EVSEChargeParameter" in res.body["V2G_Message"]["Body"]["ChargeParameterDiscoveryRes"]
    assert_charged(s)


@case("TC_SECC_AC_VTB_ChargeParameterDiscovery_002", "Evse", "AC")
def test_TC_SECC_AC_VTB_ChargeParameterDiscovery_002(evcc):
    """AC ChargeParameterDiscoveryReq with an unknown SessionID: FAILED_UnknownSession."""
    evcc.send("ChargeParameterDiscoveryReq", session_id=bytes.fromhex("5e55104d00000bad"),
              expect_code="FAILED_UnknownSession")
    s = evcc.charge(mode="AC")
    assert s.closed_by == "secc", s.end_reason


@case("TC_SECC_AC_VTB_PowerDelivery_001", "Evse", "AC")
def test_TC_SECC_AC_VTB_PowerDelivery_001(evcc):
    """AC: PowerDelivery start and stop are answered OK."""
    s = evcc.charge(mode="AC")
    assert s.names().count("PowerDeliveryReq") == 2, s.names()
    assert_charged(s)


@case("TC_SECC_AC_VTB_ChargingStatus_001", "Evse", "AC")
def test_TC_SECC_AC_VTB_ChargingStatus_001(evcc):
    """AC charge loop: ChargingStatusRes in time, with the EVSE's maximum current and its EVSEID."""
    s = evcc.charge(mode="AC")
    assert s.names().count("ChargingStatusReq") >= 3, s.names()
    assert_charged(s)


@case("TC_SECC_AC_VTB_ChargingStatus_002", "Evse", "AC")
def test_TC_SECC_AC_VTB_ChargingStatus_002(evcc):
    """ServiceDiscoveryReq in the AC charge loop: FAILED_SequenceError."""
    evcc.send("ChargingStatusReq", nth=3, send_instead=("ServiceDiscoveryReq", {}), expect_code="FAILED_SequenceError")
    s = evcc.charge(mode="AC")
    assert s.closed_by == "secc", s.end_reason


@case("TC_SECC_AC_VTB_SessionStop_001", "Evse", "AC")
def test_TC_SECC_AC_VTB_SessionStop_001(evcc):
    """AC: SessionStop(Terminate) is answered OK and the session ends."""
    s = evcc.charge(mode="AC")
    assert s.response("SessionStopRes") is not None, s.end_reason
    assert_charged(s)


@case("TC_SECC_AC_VTB_SessionSetup_003", "Evse", "AC")
def test_TC_SECC_AC_VTB_SessionSetup_003(evcc):
    """An AC session paused and joined again with the old SessionID."""
    first = evcc.charge(mode="AC", pause=True)
    assert_charged(first)
    again = evcc.charge(mode="AC", resume=True)
    assert again.session_id == first.session_id, (first.session_id, again.session_id)
    assert_charged(again)
