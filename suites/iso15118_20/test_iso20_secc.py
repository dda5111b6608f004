"""ISO 15118-20, EVSE (SECC) under test: the harness is the EV (fake EVCC). Ids follow the ISO 15118-4 grammar
(TC_SECC_<CMN|AC|DC>_VTB_<Topic>_<NNN>) with the -20 message names as topics; the purposes are vgitest's own
words. Each case picks its energy service (DC, AC, DC_BPT, AC_BPT) and control mode (Dynamic, Scheduled) for the
session it runs; the fake EVCC judges every response as it arrives (type, SessionID, response code, timing at the
socket, EVSE limits, phase budgets) and the case adds the assertions of its purpose."""

from __future__ import annotations

from typing import Any

import pytest

from vgitest.iso15118.iso20 import NAMESPACES
from vgitest.iso15118.params import rational
from vgitest.iso15118.suite import VENDOR_NS, assert_charged, case
from vgitest.verdict import Inconclusive

pytestmark = pytest.mark.vgi_protocol("iso15118", "iso-20")
DIN = "urn:din:70121:2012:MsgDef"
UNKNOWN_SID = bytes.fromhex("5e55104d00000bad")


def _offer(ns: str, schema_id: int, priority: int, major: int = 1, minor: int = 0) -> dict[str, Any]:
    return {"ProtocolNamespace": ns, "VersionNumberMajor": major, "VersionNumberMinor": minor,
            "SchemaID": schema_id, "Priority": priority}


def _body(s: Any, name: str) -> dict[str, Any]:
    res = s.response(name)
    assert res is not None, f"no {name}: {s.end_reason} ({s.names()[-6:]})"
    return {k: v for k, v in res.body[name].items() if k != "Header"}


def _closed_after_failed(s: Any) -> None:
    assert s.closed_by == "secc", f"the EVSE did not close the connection after its FAILED answer: {s.end_reason}"


# --- SDP, SAP, V2GTP ---------------------------------------------------------------------------------------------
@case("TC_SECC_CMN_VTB_SDP_001", "Evse")
def test_TC_SECC_CMN_VTB_SDP_001(evcc):
    """An SDP request without TLS is answered with an address and a TCP port on which a -20 session runs."""
    s = evcc.charge(mode="DC")
    assert s.sdp is not None, s.end_reason
    assert_charged(s)


@case("TC_SECC_CMN_VTB_SupportedAppProtocol_001", "Evse", "DC")
def test_TC_SECC_CMN_VTB_SupportedAppProtocol_001(evcc):
    """An offer of the -20 DC namespace is accepted with OK_SuccessfulNegotiation and the offered SchemaID."""
    s = evcc.charge(mode="DC")
    assert s.sap_code == "OK_SuccessfulNegotiation" and s.family == "iso-20", (s.sap_code, s.family, s.end_reason)
    assert_charged(s)


@case("TC_SECC_CMN_VTB_SupportedAppProtocol_002", "Evse")
def test_TC_SECC_CMN_VTB_SupportedAppProtocol_002(evcc):
    """Only a namespace the EVSE cannot know is offered: Failed_NoNegotiation, then the EVSE closes the connection."""
    evcc.send("supportedAppProtocolReq", patch={"AppProtocol": [_offer(VENDOR_NS, 1, 1)]},
              expect_code="Failed_NoNegotiation")
    s = evcc.charge(mode="DC")
    _closed_after_failed(s)


@case("TC_SECC_CMN_VTB_SupportedAppProtocol_003", "Evse", "AC")
def test_TC_SECC_CMN_VTB_SupportedAppProtocol_003(evcc):
    """An AC EV offers the -20 AC namespace: the EVSE accepts it and the session runs in the AC grammar."""
    s = evcc.charge(mode="AC")
    assert s.sap_code == "OK_SuccessfulNegotiation" and s.family == "iso-20", (s.sap_code, s.end_reason)
    assert "AC_ChargeLoopReq" in s.names(), s.names()
    assert_charged(s)


@case("TC_SECC_CMN_VTB_SupportedAppProtocol_004", "Evse", "DC")
def test_TC_SECC_CMN_VTB_SupportedAppProtocol_004(evcc):
    """A vendor namespace at priority 1 before -20 DC at priority 2: the unknown entry is skipped, -20 is chosen."""
    evcc.send("supportedAppProtocolReq", patch={"AppProtocol": [_offer(VENDOR_NS, 2, 1),
                                                                 _offer(NAMESPACES["DC"], 1, 2)]})
    s = evcc.charge(mode="DC")
    assert s.family == "iso-20", (s.sap_code, s.end_reason)
    assert_charged(s)


@case("TC_SECC_CMN_VTB_SupportedAppProtocol_005", "Evse", "DC", "!Din")
def test_TC_SECC_CMN_VTB_SupportedAppProtocol_005(evcc):
    """DIN at priority 1 (the highest), -20 DC at priority 2: an EVSE that does not speak DIN settles on the -20
    entry. An EVSE that speaks DIN rightly picks it: the case needs PICS Din absent, and is INCONCLUSIVE when the
    EVSE picks DIN all the same (it speaks more than its profile says)."""
    evcc.send("supportedAppProtocolReq", patch={"AppProtocol": [_offer(DIN, 2, 1, major=2),
                                                                 _offer(NAMESPACES["DC"], 1, 2)]})
    s = evcc.charge(mode="DC")
    if s.family == "din":
        raise Inconclusive("the EVSE chose DIN SPEC 70121, offered at priority 1 (the highest): it speaks DIN, "
                           "which its profile does not declare (PICS Din, PIXIT families); this case needs an EVSE "
                           "that does not")
    assert s.family == "iso-20", (s.sap_code, s.family, s.end_reason)
    assert_charged(s)


@case("TC_SECC_CMN_VTB_SupportedAppProtocol_006", "Evse", "DC")
def test_TC_SECC_CMN_VTB_SupportedAppProtocol_006(evcc):
    """-20 offered with a higher minor version than the EVSE's: OK_SuccessfulNegotiationWithMinorDeviation."""
    evcc.send("supportedAppProtocolReq", patch={"AppProtocol": [_offer(NAMESPACES["DC"], 1, 1, minor=7)]},
              expect_code="OK_SuccessfulNegotiationWithMinorDeviation")
    s = evcc.charge(mode="DC")
    assert_charged(s)


@case("TC_SECC_CMN_VTB_V2GTPSessionSetup_001", "Evse")
def test_TC_SECC_CMN_VTB_V2GTPSessionSetup_001(evcc):
    """Valid V2GTP headers: every answer has a valid header and the payload type of its -20 grammar."""
    assert_charged(evcc.charge(mode="DC"))


@case("TC_SECC_CMN_VTB_V2GTPSessionSetup_003", "Evse")
def test_TC_SECC_CMN_VTB_V2GTPSessionSetup_003(evcc):
    """SessionSetupReq with the unknown payload type 0x7001: the EVSE does not answer it."""
    evcc.send("SessionSetupReq", payload_type=0x7001, expect_ignored=True)
    evcc.charge(mode="DC")


@case("TC_SECC_CMN_VTB_V2GTPSessionSetup_004", "Evse")
def test_TC_SECC_CMN_VTB_V2GTPSessionSetup_004(evcc):
    """SessionSetupReq with protocol version 0xFF: the EVSE does not answer it."""
    evcc.send("SessionSetupReq", header=bytes((0xFF, 0x00)), expect_ignored=True)
    evcc.charge(mode="DC")


@case("TC_SECC_CMN_VTB_V2GTPSessionSetup_005", "Evse")
def test_TC_SECC_CMN_VTB_V2GTPSessionSetup_005(evcc):
    """SessionSetupReq whose inverse protocol version is wrong: the EVSE does not answer it."""
    evcc.send("SessionSetupReq", header=bytes((0x01, 0xFF)), expect_ignored=True)
    evcc.charge(mode="DC")


@case("TC_SECC_DC_VTB_V2GTPSessionSetup_006", "Evse", "DC")
def test_TC_SECC_DC_VTB_V2GTPSessionSetup_006(evcc):
    """DC_CableCheckReq framed as CommonMessages (payload type 0x8002 instead of 0x8004): in -20 the payload type
    names the grammar, so the EVSE cannot take it for a valid request; it must not answer it (it may close)."""
    evcc.send("DC_CableCheckReq", payload_type=0x8002, expect_ignored=True)
    s = evcc.charge(mode="DC")
    assert s.response("DC_CableCheckRes") is None, s.end_reason


@case("TC_SECC_AC_VTB_V2GTPSessionSetup_007", "Evse", "AC")
def test_TC_SECC_AC_VTB_V2GTPSessionSetup_007(evcc):
    """AC_ChargeParameterDiscoveryReq framed as DC (payload type 0x8004): the EVSE must not answer it."""
    evcc.send("AC_ChargeParameterDiscoveryReq", payload_type=0x8004, expect_ignored=True)
    s = evcc.charge(mode="AC")
    assert s.response("AC_ChargeParameterDiscoveryRes") is None, s.end_reason


# --- SessionSetup ------------------------------------------------------------------------------------------------
@case("TC_SECC_CMN_VTB_SessionSetup_001", "Evse")
def test_TC_SECC_CMN_VTB_SessionSetup_001(evcc):
    """SessionID 0: OK_NewSessionEstablished with a new, non-zero SessionID and the EVSEID."""
    s = evcc.charge(mode="DC")
    assert s.session_id and any(s.session_id), s.session_id
    assert _body(s, "SessionSetupRes").get("EVSEID"), s.end_reason
    assert_charged(s)


@case("TC_SECC_CMN_VTB_SessionSetup_002", "Evse")
def test_TC_SECC_CMN_VTB_SessionSetup_002(evcc):
    """AuthorizationSetupReq where SessionSetupReq belongs: FAILED_SequenceError and the connection closed."""
    evcc.send("SessionSetupReq", nth=1, send_instead=("AuthorizationSetupReq", {}), expect_code="FAILED_SequenceError")
    _closed_after_failed(evcc.charge(mode="DC"))


@case("TC_SECC_CMN_VTB_SessionSetup_003", "Evse")
def test_TC_SECC_CMN_VTB_SessionSetup_003(evcc):
    """The EV goes silent after SAP: the EVSE closes the connection at V2G_SECC_Sequence_Timeout, not before."""
    evcc.send("SessionSetupReq", silence=True)
    s = evcc.charge(mode="DC")
    assert s.closed_by == "secc", s.end_reason


@case("TC_SECC_CMN_VTB_SessionSetup_004", "Evse")
def test_TC_SECC_CMN_VTB_SessionSetup_004(evcc):
    """SessionSetupReq with a SessionID the EVSE never gave: it opens a new session (a new SessionID)."""
    evcc.send("SessionSetupReq", session_id=UNKNOWN_SID)
    s = evcc.charge(mode="DC")
    assert s.session_id not in (None, UNKNOWN_SID, bytes(8)), s.session_id
    assert_charged(s)


# --- AuthorizationSetup / Authorization (EIM) ---------------------------------------------------------------------
@case("TC_SECC_CMN_VTB_AuthorizationSetup_001", "Evse")
def test_TC_SECC_CMN_VTB_AuthorizationSetup_001(evcc):
    """AuthorizationSetupRes offers EIM among its authorization services."""
    s = evcc.charge(mode="DC")
    assert "EIM" in _body(s, "AuthorizationSetupRes").get("AuthorizationServices", []), s.end_reason
    assert_charged(s)


@case("TC_SECC_CMN_VTB_AuthorizationSetup_002", "Evse")
def test_TC_SECC_CMN_VTB_AuthorizationSetup_002(evcc):
    """ServiceDiscoveryReq where AuthorizationSetupReq belongs: FAILED_SequenceError and the connection closed."""
    evcc.send("AuthorizationSetupReq", nth=1, send_instead=("ServiceDiscoveryReq", {}),
              expect_code="FAILED_SequenceError")
    _closed_after_failed(evcc.charge(mode="DC"))


@case("TC_SECC_CMN_VTB_Authorization_001", "Evse")
def test_TC_SECC_CMN_VTB_Authorization_001(evcc):
    """EIM authorization ends with EVSEProcessing Finished and OK."""
    s = evcc.charge(mode="DC")
    res = [r for q, r in s.exchanges if r is not None and r.name == "AuthorizationRes"]
    assert res and res[-1].body["AuthorizationRes"].get("EVSEProcessing") == "Finished", s.end_reason
    assert_charged(s)


@case("TC_SECC_CMN_VTB_Authorization_002", "Evse")
def test_TC_SECC_CMN_VTB_Authorization_002(evcc):
    """While the EVSE answers Ongoing the EV repeats AuthorizationReq; the EVSE comes to Finished in time."""
    s = evcc.charge(mode="AC")
    assert s.names().count("AuthorizationReq") >= 1, s.names()
    assert_charged(s)


@case("TC_SECC_CMN_VTB_Authorization_003", "Evse")
def test_TC_SECC_CMN_VTB_Authorization_003(evcc):
    """ServiceDiscoveryReq where AuthorizationReq belongs: FAILED_SequenceError and the connection closed."""
    evcc.send("AuthorizationReq", nth=1, send_instead=("ServiceDiscoveryReq", {}),
              expect_code="FAILED_SequenceError")
    _closed_after_failed(evcc.charge(mode="DC"))


@case("TC_SECC_CMN_VTB_Authorization_004", "Evse")
def test_TC_SECC_CMN_VTB_Authorization_004(evcc):
    """AuthorizationReq with an unknown SessionID: FAILED_UnknownSession and the connection closed."""
    evcc.send("AuthorizationReq", session_id=UNKNOWN_SID, expect_code="FAILED_UnknownSession")
    _closed_after_failed(evcc.charge(mode="DC"))


# --- ServiceDiscovery / ServiceDetail / ServiceSelection ----------------------------------------------------------
@case("TC_SECC_CMN_VTB_ServiceDiscovery_001", "Evse")
def test_TC_SECC_CMN_VTB_ServiceDiscovery_001(evcc):
    """ServiceDiscoveryRes in time, for this session, listing the DC energy service (ServiceID 2)."""
    s = evcc.charge(mode="DC")
    services = _body(s, "ServiceDiscoveryRes")["EnergyTransferServiceList"]["Service"]
    services = services if isinstance(services, list) else [services]
    assert 2 in [x.get("ServiceID") for x in services], services
    assert_charged(s)


@case("TC_SECC_CMN_VTB_ServiceDiscovery_002", "Evse")
def test_TC_SECC_CMN_VTB_ServiceDiscovery_002(evcc):
    """ServiceDiscoveryReq again where ServiceSelectionReq belongs (after ServiceDetail): FAILED_SequenceError."""
    evcc.send("ServiceSelectionReq", nth=1, send_instead=("ServiceDiscoveryReq", {}),
              expect_code="FAILED_SequenceError")
    _closed_after_failed(evcc.charge(mode="DC"))


@case("TC_SECC_CMN_VTB_ServiceDetail_001", "Evse")
def test_TC_SECC_CMN_VTB_ServiceDetail_001(evcc):
    """ServiceDetailRes for the AC_BPT service: parameter sets the EV can select (control mode, BPT channel)."""
    s = evcc.charge(mode="AC_BPT")
    assert _body(s, "ServiceDetailRes").get("ServiceID") == 5, s.end_reason
    assert_charged(s)


@case("TC_SECC_CMN_VTB_ServiceDetail_002", "Evse")
def test_TC_SECC_CMN_VTB_ServiceDetail_002(evcc):
    """ServiceDetailReq for a ServiceID nobody offered: FAILED_ServiceIDInvalid and the connection closed."""
    evcc.send("ServiceDetailReq", patch={"ServiceID": 4711}, expect_code="FAILED_ServiceIDInvalid")
    _closed_after_failed(evcc.charge(mode="DC"))


@case("TC_SECC_CMN_VTB_ServiceSelection_001", "Evse")
def test_TC_SECC_CMN_VTB_ServiceSelection_001(evcc):
    """Selecting the DC service with a parameter set the EVSE offered is answered OK."""
    s = evcc.charge(mode="DC", control_mode="Dynamic")
    assert _body(s, "ServiceSelectionRes").get("ResponseCode") == "OK", s.end_reason
    assert_charged(s)


@case("TC_SECC_CMN_VTB_ServiceSelection_002", "Evse")
def test_TC_SECC_CMN_VTB_ServiceSelection_002(evcc):
    """A ParameterSetID the EVSE did not offer: FAILED_ServiceSelectionInvalid and the connection closed."""
    evcc.send("ServiceSelectionReq", patch={"SelectedEnergyTransferService": {"ServiceID": 2, "ParameterSetID": 99}},
              expect_code="FAILED_ServiceSelectionInvalid")
    _closed_after_failed(evcc.charge(mode="DC"))


# --- Charge parameters, schedules ---------------------------------------------------------------------------------
@case("TC_SECC_AC_VTB_AC_ChargeParameterDiscovery_001", "Evse", "AC")
def test_TC_SECC_AC_VTB_AC_ChargeParameterDiscovery_001(evcc):
    """AC_ChargeParameterDiscoveryRes carries the EVSE's AC limits (maximum power, nominal frequency)."""
    s = evcc.charge(mode="AC")
    assert "AC_CPDResEnergyTransferMode" in _body(s, "AC_ChargeParameterDiscoveryRes"), s.end_reason
    assert_charged(s)


@case("TC_SECC_AC_VTB_AC_ChargeParameterDiscovery_002", "Evse", "AC", "BPT")
def test_TC_SECC_AC_VTB_AC_ChargeParameterDiscovery_002(evcc):
    """AC_BPT: the answer carries the discharge limits as well (BPT_AC_CPDResEnergyTransferMode)."""
    s = evcc.charge(mode="AC_BPT")
    assert "BPT_AC_CPDResEnergyTransferMode" in _body(s, "AC_ChargeParameterDiscoveryRes"), s.end_reason
    assert_charged(s)


@case("TC_SECC_DC_VTB_DC_ChargeParameterDiscovery_001", "Evse", "DC")
def test_TC_SECC_DC_VTB_DC_ChargeParameterDiscovery_001(evcc):
    """DC_ChargeParameterDiscoveryRes carries the EVSE's DC limits."""
    s = evcc.charge(mode="DC")
    assert "DC_CPDResEnergyTransferMode" in _body(s, "DC_ChargeParameterDiscoveryRes"), s.end_reason
    assert_charged(s)


@case("TC_SECC_DC_VTB_DC_ChargeParameterDiscovery_002", "Evse", "DC", "BPT")
def test_TC_SECC_DC_VTB_DC_ChargeParameterDiscovery_002(evcc):
    """DC_BPT: the answer carries the discharge limits as well (BPT_DC_CPDResEnergyTransferMode)."""
    s = evcc.charge(mode="DC_BPT")
    assert "BPT_DC_CPDResEnergyTransferMode" in _body(s, "DC_ChargeParameterDiscoveryRes"), s.end_reason
    assert_charged(s)


@case("TC_SECC_DC_VTB_DC_ChargeParameterDiscovery_003", "Evse", "DC")
def test_TC_SECC_DC_VTB_DC_ChargeParameterDiscovery_003(evcc):
    """DC_ChargeParameterDiscoveryReq with an unknown SessionID: FAILED_UnknownSession and the connection closed."""
    evcc.send("DC_ChargeParameterDiscoveryReq", session_id=UNKNOWN_SID, expect_code="FAILED_UnknownSession")
    _closed_after_failed(evcc.charge(mode="DC"))


@case("TC_SECC_CMN_VTB_ScheduleExchange_001", "Evse", "DC")
def test_TC_SECC_CMN_VTB_ScheduleExchange_001(evcc):
    """Dynamic control mode: ScheduleExchangeRes answers in the Dynamic mode and ends Finished."""
    s = evcc.charge(mode="DC", control_mode="Dynamic")
    assert "Dynamic_SEResControlMode" in _body(s, "ScheduleExchangeRes"), s.end_reason
    assert_charged(s)


@case("TC_SECC_DC_VTB_ScheduleExchange_002", "Evse", "DC")
def test_TC_SECC_DC_VTB_ScheduleExchange_002(evcc):
    """Scheduled control mode (DC): the answer offers a schedule tuple the EV selects in PowerDelivery."""
    s = evcc.charge(mode="DC", control_mode="Scheduled")
    res = [r for q, r in s.exchanges if r is not None and r.name == "ScheduleExchangeRes"]
    assert res and "Scheduled_SEResControlMode" in res[-1].body["ScheduleExchangeRes"], s.end_reason
    assert_charged(s)


@case("TC_SECC_AC_VTB_ScheduleExchange_003", "Evse", "AC")
def test_TC_SECC_AC_VTB_ScheduleExchange_003(evcc):
    """Scheduled (AC): while the EVSE answers Ongoing the EV repeats ScheduleExchangeReq; it ends Finished in time."""
    s = evcc.charge(mode="AC", control_mode="Scheduled")
    assert s.names().count("ScheduleExchangeReq") >= 1, s.names()
    assert_charged(s)


@case("TC_SECC_CMN_VTB_ScheduleExchange_004", "Evse", "DC")
def test_TC_SECC_CMN_VTB_ScheduleExchange_004(evcc):
    """ServiceDiscoveryReq where ScheduleExchangeReq belongs: FAILED_SequenceError and the connection closed."""
    evcc.send("ScheduleExchangeReq", nth=1, send_instead=("ServiceDiscoveryReq", {}),
              expect_code="FAILED_SequenceError")
    _closed_after_failed(evcc.charge(mode="DC"))


# --- DC: cable check, pre-charge ----------------------------------------------------------------------------------
@case("TC_SECC_DC_VTB_DC_CableCheck_001", "Evse", "DC")
def test_TC_SECC_DC_VTB_DC_CableCheck_001(evcc):
    """DC_CableCheck ends Finished within the EVSE's cable-check budget."""
    s = evcc.charge(mode="DC")
    assert s.response("DC_CableCheckRes") is not None, s.end_reason
    assert_charged(s)


@case("TC_SECC_DC_VTB_DC_CableCheck_002", "Evse", "DC")
def test_TC_SECC_DC_VTB_DC_CableCheck_002(evcc):
    """DC_PreChargeReq where DC_CableCheckReq belongs: FAILED_SequenceError and the connection closed."""
    evcc.send("DC_CableCheckReq", nth=1, send_instead=("DC_PreChargeReq", {
        "EVProcessing": "Ongoing", "EVPresentVoltage": rational(380), "EVTargetVoltage": rational(380)}),
        expect_code="FAILED_SequenceError")
    _closed_after_failed(evcc.charge(mode="DC"))


@case("TC_SECC_DC_VTB_DC_PreCharge_001", "Evse", "DC")
def test_TC_SECC_DC_VTB_DC_PreCharge_001(evcc):
    """DC_PreCharge: the EVSE's output reaches the EV's target voltage within the pre-charge budget."""
    s = evcc.charge(mode="DC")
    assert s.names().count("DC_PreChargeReq") >= 2, s.names()
    assert_charged(s)


# --- PowerDelivery --------------------------------------------------------------------------------------------------
@case("TC_SECC_DC_VTB_PowerDelivery_001", "Evse", "DC")
def test_TC_SECC_DC_VTB_PowerDelivery_001(evcc):
    """PowerDelivery Start and Stop around the DC charge loop are answered OK."""
    s = evcc.charge(mode="DC")
    assert s.names().count("PowerDeliveryReq") == 2, s.names()
    assert_charged(s)


@case("TC_SECC_DC_VTB_PowerDelivery_002", "Evse", "DC", "BPT")
def test_TC_SECC_DC_VTB_PowerDelivery_002(evcc):
    """DC_BPT, Scheduled: PowerDelivery(Start) with the selected schedule tuple and the BPT channel is accepted."""
    s = evcc.charge(mode="DC_BPT", control_mode="Scheduled")
    start = next(q for q, r in s.exchanges if q.name == "PowerDeliveryReq")
    assert start.body["PowerDeliveryReq"].get("BPT_ChannelSelection") == "Charge", start.body
    assert_charged(s)


@case("TC_SECC_AC_VTB_PowerDelivery_003", "Evse", "AC", "BPT")
def test_TC_SECC_AC_VTB_PowerDelivery_003(evcc):
    """AC_BPT, Dynamic: PowerDelivery(Start) asking for the discharge channel is accepted as well."""
    evcc.send("PowerDeliveryReq", nth=1, patch={"BPT_ChannelSelection": "Discharge"})
    s = evcc.charge(mode="AC_BPT", control_mode="Dynamic")
    assert s.names().count("AC_ChargeLoopReq") >= 1, s.names()
    assert_charged(s)


# --- charge loops -----------------------------------------------------------------------------------------------
@case("TC_SECC_DC_VTB_DC_ChargeLoop_001", "Evse", "DC")
def test_TC_SECC_DC_VTB_DC_ChargeLoop_001(evcc):
    """Dynamic DC charge loop: every DC_ChargeLoopRes within 0.25 s (the -20 charge-loop performance time)."""
    s = evcc.charge(mode="DC", control_mode="Dynamic")
    assert s.names().count("DC_ChargeLoopReq") >= 3, s.names()
    assert_charged(s)


@case("TC_SECC_DC_VTB_DC_ChargeLoop_002", "Evse", "DC")
def test_TC_SECC_DC_VTB_DC_ChargeLoop_002(evcc):
    """Scheduled DC charge loop: the present current never exceeds the EV's target current."""
    s = evcc.charge(mode="DC", control_mode="Scheduled")
    assert s.names().count("DC_ChargeLoopReq") >= 3, s.names()
    assert_charged(s)


@case("TC_SECC_DC_VTB_DC_ChargeLoop_003", "Evse", "DC", "BPT")
def test_TC_SECC_DC_VTB_DC_ChargeLoop_003(evcc):
    """DC_BPT charge loop (Dynamic): BPT answers in time, within the EV's limits."""
    s = evcc.charge(mode="DC_BPT", control_mode="Dynamic")
    res = s.response("DC_ChargeLoopRes")
    assert res is not None and "BPT_Dynamic_DC_CLResControlMode" in res.body["DC_ChargeLoopRes"], s.end_reason
    assert_charged(s)


@case("TC_SECC_DC_VTB_DC_ChargeLoop_004", "Evse", "DC")
def test_TC_SECC_DC_VTB_DC_ChargeLoop_004(evcc):
    """ServiceDiscoveryReq in the DC charge loop: FAILED_SequenceError and the connection closed."""
    evcc.send("DC_ChargeLoopReq", nth=3, send_instead=("ServiceDiscoveryReq", {}),
              expect_code="FAILED_SequenceError")
    _closed_after_failed(evcc.charge(mode="DC"))


@case("TC_SECC_DC_VTB_DC_ChargeLoop_005", "Evse", "DC")
def test_TC_SECC_DC_VTB_DC_ChargeLoop_005(evcc):
    """The EV goes silent after a DC_ChargeLoopRes: the EVSE closes within the -20 charge-loop sequence timeout
    (0.5 s), not 60 s."""
    evcc.send("DC_ChargeLoopReq", nth=3, silence=True)
    s = evcc.charge(mode="DC")
    assert s.closed_by == "secc", s.end_reason


@case("TC_SECC_AC_VTB_AC_ChargeLoop_001", "Evse", "AC")
def test_TC_SECC_AC_VTB_AC_ChargeLoop_001(evcc):
    """Dynamic AC charge loop: every AC_ChargeLoopRes within 0.25 s, to the end of the session."""
    s = evcc.charge(mode="AC", control_mode="Dynamic")
    assert s.names().count("AC_ChargeLoopReq") >= 3, s.names()
    assert_charged(s)


@case("TC_SECC_AC_VTB_AC_ChargeLoop_002", "Evse", "AC")
def test_TC_SECC_AC_VTB_AC_ChargeLoop_002(evcc):
    """Scheduled AC charge loop: answers in time, in the Scheduled control mode."""
    s = evcc.charge(mode="AC", control_mode="Scheduled")
    res = s.response("AC_ChargeLoopRes")
    assert res is not None and "Scheduled_AC_CLResControlMode" in res.body["AC_ChargeLoopRes"], s.end_reason
    assert_charged(s)


@case("TC_SECC_AC_VTB_AC_ChargeLoop_003", "Evse", "AC", "BPT")
def test_TC_SECC_AC_VTB_AC_ChargeLoop_003(evcc):
    """AC_BPT charge loop (Scheduled): BPT answers in time."""
    s = evcc.charge(mode="AC_BPT", control_mode="Scheduled")
    res = s.response("AC_ChargeLoopRes")
    assert res is not None and "BPT_Scheduled_AC_CLResControlMode" in res.body["AC_ChargeLoopRes"], s.end_reason
    assert_charged(s)


@case("TC_SECC_AC_VTB_AC_ChargeLoop_004", "Evse", "AC")
def test_TC_SECC_AC_VTB_AC_ChargeLoop_004(evcc):
    """The EV goes silent after an AC_ChargeLoopRes: the EVSE closes within the 0.5 s charge-loop sequence
    timeout."""
    evcc.send("AC_ChargeLoopReq", nth=3, silence=True)
    s = evcc.charge(mode="AC")
    assert s.closed_by == "secc", s.end_reason


# --- end of session -------------------------------------------------------------------------------------------------
@case("TC_SECC_DC_VTB_DC_WeldingDetection_001", "Evse", "DC")
def test_TC_SECC_DC_VTB_DC_WeldingDetection_001(evcc):
    """DC_WeldingDetection after PowerDelivery(Stop) is answered with the EVSE's present voltage."""
    s = evcc.charge(mode="DC")
    assert "EVSEPresentVoltage" in _body(s, "DC_WeldingDetectionRes"), s.end_reason
    assert_charged(s)


@case("TC_SECC_CMN_VTB_SessionStop_001", "Evse")
def test_TC_SECC_CMN_VTB_SessionStop_001(evcc):
    """SessionStop(Terminate) is answered OK and the session ends."""
    s = evcc.charge(mode="AC")
    assert s.response("SessionStopRes") is not None, s.end_reason
    assert_charged(s)
