"""DIN SPEC 70121, EVSE (SECC) under test: the harness is the EV (fake EVCC). Ids follow ISO 15118-4's
TC_SECC_* naming; the purposes are vgitest's own words."""

from __future__ import annotations

import pytest

from vgitest.iso15118.suite import VENDOR_NS, assert_charged, case

pytestmark = pytest.mark.vgi_protocol("iso15118", "din")
DIN = "urn:din:70121:2012:MsgDef"


@case("TC_SECC_CMN_VTB_SDP_001", "Evse")
def test_TC_SECC_CMN_VTB_SDP_001(evcc):
    """SDP request without TLS: the EVSE answers with an address and TCP port that take the V2G session."""
    s = evcc.charge()
    assert s.sdp is not None, s.end_reason
    assert_charged(s)


@case("TC_SECC_CMN_VTB_SupportedAppProtocol_001", "Evse")
def test_TC_SECC_CMN_VTB_SupportedAppProtocol_001(evcc):
    """A DIN offer is accepted with OK_SuccessfulNegotiation and the offered SchemaID."""
    s = evcc.charge()
    assert s.sap_code == "OK_SuccessfulNegotiation" and s.family == "din", (s.sap_code, s.family, s.end_reason)
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
    """A vendor namespace at priority 1 next to DIN at priority 2: the EVSE ignores the unknown one and picks DIN."""
    evcc.send("supportedAppProtocolReq", patch={"AppProtocol": [
        {"ProtocolNamespace": VENDOR_NS, "VersionNumberMajor": 1, "VersionNumberMinor": 0, "SchemaID": 2,
         "Priority": 1},
        {"ProtocolNamespace": DIN, "VersionNumberMajor": 2, "VersionNumberMinor": 0, "SchemaID": 1, "Priority": 2}]})
    s = evcc.charge()
    assert s.family == "din", (s.sap_code, s.end_reason)
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
    assert "ExternalPayment" in body["PaymentOptions"]["PaymentOption"], body
    assert_charged(s)


@case("TC_SECC_CMN_VTB_ServiceDiscovery_002", "Evse")
def test_TC_SECC_CMN_VTB_ServiceDiscovery_002(evcc):
    """ServiceDiscoveryReq again where ServicePaymentSelectionReq belongs: FAILED_SequenceError."""
    evcc.send("ServicePaymentSelectionReq", send_instead=("ServiceDiscoveryReq", {}),
              expect_code="FAILED_SequenceError")
    s = evcc.charge()
    assert s.closed_by == "secc", s.end_reason


@case("TC_SECC_CMN_VTB_Authorization_001", "Evse")
def test_TC_SECC_CMN_VTB_Authorization_001(evcc):
    """ContractAuthentication with external payment ends Finished with OK."""
    s = evcc.charge()
    assert s.response("ContractAuthenticationRes") is not None, s.end_reason
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
    """An AC energy transfer type at a DC EVSE: FAILED_WrongEnergyTransferType."""
    evcc.send("ChargeParameterDiscoveryReq", patch={"EVRequestedEnergyTransferType": "AC_three_phase_core"},
              expect_code="FAILED_WrongEnergyTransferType")
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
