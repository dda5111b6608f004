"""DIN SPEC 70121, EVSE (SECC) under test: the harness is the EV (fake EVCC). Ids follow ISO 15118-4's
TC_SECC_* naming; the purposes are vgitest's own words. The case bodies are shared with the ISO 15118-2 suite
(vgitest/iso15118/suite.py)."""

from __future__ import annotations

import pytest

from vgitest.iso15118 import suite as v
from vgitest.iso15118.suite import case

pytestmark = pytest.mark.vgi_protocol("iso15118", "din")
DIN = "urn:din:70121:2012:MsgDef"


@case("TC_SECC_CMN_VTB_SDP_001", "Evse")
def test_TC_SECC_CMN_VTB_SDP_001(evcc):
    """SDP request without TLS: the EVSE answers with an address and TCP port that take the V2G session."""
    v.sdp_answered(evcc, v.charges(evcc))


@case("TC_SECC_CMN_VTB_SupportedAppProtocol_001", "Evse")
def test_TC_SECC_CMN_VTB_SupportedAppProtocol_001(evcc):
    """A DIN offer is accepted with OK_SuccessfulNegotiation and the offered SchemaID."""
    s = v.charges(evcc)
    v.negotiated(evcc, s, "din")


@case("TC_SECC_CMN_VTB_SupportedAppProtocol_002", "Evse")
def test_TC_SECC_CMN_VTB_SupportedAppProtocol_002(evcc):
    """An offer with only an unknown namespace: Failed_NoNegotiation, then the EVSE closes the connection."""
    v.no_negotiation(evcc)


@case("TC_SECC_CMN_VTB_SupportedAppProtocol_004", "Evse")
def test_TC_SECC_CMN_VTB_SupportedAppProtocol_004(evcc):
    """A vendor namespace at priority 1 next to DIN at priority 2: the EVSE ignores the unknown one and picks DIN."""
    v.vendor_first(evcc, DIN, 2, "din")


@case("TC_SECC_CMN_VTB_SessionSetup_001", "Evse")
def test_TC_SECC_CMN_VTB_SessionSetup_001(evcc):
    """SessionID 0: a new, non-zero SessionID with OK_NewSessionEstablished."""
    s = v.charges(evcc)
    v.new_session(evcc, s)


@case("TC_SECC_CMN_VTB_SessionSetup_002", "Evse")
def test_TC_SECC_CMN_VTB_SessionSetup_002(evcc):
    """ServiceDiscoveryReq where SessionSetupReq belongs: FAILED_SequenceError and the connection closed."""
    v.out_of_sequence(evcc, "SessionSetupReq")


@case("TC_SECC_CMN_VTB_SessionSetup_003", "Evse")
def test_TC_SECC_CMN_VTB_SessionSetup_003(evcc):
    """The EV goes silent after SAP: the EVSE closes the connection at V2G_SECC_Sequence_Timeout, not before."""
    v.silent_after_sap(evcc)


@case("TC_SECC_CMN_VTB_V2GTPSessionSetup_001", "Evse")
def test_TC_SECC_CMN_VTB_V2GTPSessionSetup_001(evcc):
    """Valid V2GTP headers from the EV: every answer carries a valid header (version, inverse, type, length)."""
    v.charges(evcc)


@case("TC_SECC_CMN_VTB_V2GTPSessionSetup_003", "Evse")
def test_TC_SECC_CMN_VTB_V2GTPSessionSetup_003(evcc):
    """SessionSetupReq with an unknown payload type: the EVSE ignores it."""
    v.ignored_header(evcc, payload_type=0x7001)


@case("TC_SECC_CMN_VTB_V2GTPSessionSetup_004", "Evse")
def test_TC_SECC_CMN_VTB_V2GTPSessionSetup_004(evcc):
    """SessionSetupReq with protocol version 0xFF: the EVSE ignores it."""
    v.ignored_header(evcc, header=bytes((0xFF, 0xFE)))


@case("TC_SECC_CMN_VTB_V2GTPSessionSetup_005", "Evse")
def test_TC_SECC_CMN_VTB_V2GTPSessionSetup_005(evcc):
    """SessionSetupReq whose inverse protocol version is 0xFF: the EVSE ignores it."""
    v.ignored_header(evcc, header=bytes((0x01, 0xFF)))


@case("TC_SECC_CMN_VTB_ServiceDiscovery_001", "Evse")
def test_TC_SECC_CMN_VTB_ServiceDiscovery_001(evcc):
    """ServiceDiscoveryRes in time, for this session, offering DC charging with external payment."""
    body = v.answers(evcc, "ServiceDiscoveryRes")
    options = body["PaymentOptions"]["PaymentOption"]
    v.content(evcc, "ExternalPayment" in options, "ServiceDiscoveryRes", f"offers the payment options {options}; "
              "ExternalPayment was due")


@case("TC_SECC_CMN_VTB_ServiceDiscovery_002", "Evse")
def test_TC_SECC_CMN_VTB_ServiceDiscovery_002(evcc):
    """ServiceDiscoveryReq again where ServicePaymentSelectionReq belongs: FAILED_SequenceError."""
    v.out_of_sequence(evcc, "ServicePaymentSelectionReq")


@case("TC_SECC_CMN_VTB_Authorization_001", "Evse")
def test_TC_SECC_CMN_VTB_Authorization_001(evcc):
    """ContractAuthentication with external payment ends Finished with OK."""
    processing = v.answers(evcc, "ContractAuthenticationRes")["EVSEProcessing"]
    v.content(evcc, processing == "Finished", "ContractAuthenticationRes", f"the first answer to external payment "
              f"says EVSEProcessing {processing}; Finished was due")


@case("TC_SECC_DC_VTB_ChargeParameterDiscovery_001", "Evse", "DC")
def test_TC_SECC_DC_VTB_ChargeParameterDiscovery_001(evcc):
    """ChargeParameterDiscoveryRes with the EVSE's DC limits and a schedule."""
    body = v.answers(evcc, "ChargeParameterDiscoveryRes")
    v.content(evcc, "DC_EVSEChargeParameter" in body, "ChargeParameterDiscoveryRes", f"carries {sorted(body)} to a "
              "DC request; DC_EVSEChargeParameter was due")


@case("TC_SECC_DC_VTB_ChargeParameterDiscovery_002", "Evse", "DC")
def test_TC_SECC_DC_VTB_ChargeParameterDiscovery_002(evcc):
    """ChargeParameterDiscoveryReq with an unknown SessionID: FAILED_UnknownSession and the connection closed."""
    v.unknown_session(evcc, "ChargeParameterDiscoveryReq")


@case("TC_SECC_DC_VTB_ChargeParameterDiscovery_003", "Evse", "DC")
def test_TC_SECC_DC_VTB_ChargeParameterDiscovery_003(evcc):
    """An AC energy transfer type at a DC EVSE: FAILED_WrongEnergyTransferType."""
    v.refused(evcc, "ChargeParameterDiscoveryReq", "FAILED_WrongEnergyTransferType",
              patch={"EVRequestedEnergyTransferType": "AC_three_phase_core"})


@case("TC_SECC_DC_VTB_CableCheck_001", "Evse", "DC")
def test_TC_SECC_DC_VTB_CableCheck_001(evcc):
    """CableCheck ends Finished with a valid isolation within the EVSE's cable-check budget."""
    v.answers(evcc, "CableCheckRes")


@case("TC_SECC_DC_VTB_PreCharge_001", "Evse", "DC")
def test_TC_SECC_DC_VTB_PreCharge_001(evcc):
    """PreCharge: the EVSE's output voltage reaches the EV's battery voltage within the pre-charge budget."""
    v.charges(evcc)


@case("TC_SECC_DC_VTB_PowerDelivery_001", "Evse", "DC")
def test_TC_SECC_DC_VTB_PowerDelivery_001(evcc):
    """PowerDelivery start and stop are answered OK."""
    v.reached(v.charges(evcc), "PowerDeliveryReq", 2, "PowerDelivery start and stop")


@case("TC_SECC_DC_VTB_CurrentDemand_001", "Evse", "DC")
def test_TC_SECC_DC_VTB_CurrentDemand_001(evcc):
    """The charge loop: every CurrentDemandRes within its performance time and within the asked current."""
    v.reached(v.charges(evcc), "CurrentDemandReq", 3, "a charge loop of 3 CurrentDemandReq")


@case("TC_SECC_DC_VTB_CurrentDemand_002", "Evse", "DC")
def test_TC_SECC_DC_VTB_CurrentDemand_002(evcc):
    """ServiceDiscoveryReq in the charge loop: FAILED_SequenceError and the connection closed."""
    v.out_of_sequence(evcc, "CurrentDemandReq", nth=3)


@case("TC_SECC_DC_VTB_WeldingDetection_001", "Evse", "DC")
def test_TC_SECC_DC_VTB_WeldingDetection_001(evcc):
    """WeldingDetection after the charge is answered with the EVSE's present voltage."""
    body = v.answers(evcc, "WeldingDetectionRes")
    v.content(evcc, "EVSEPresentVoltage" in body, "WeldingDetectionRes", f"carries {sorted(body)}; "
              "EVSEPresentVoltage was due")


@case("TC_SECC_DC_VTB_SessionStop_001", "Evse", "DC")
def test_TC_SECC_DC_VTB_SessionStop_001(evcc):
    """SessionStop is answered OK and the session ends."""
    v.answers(evcc, "SessionStopRes")
