"""ISO 15118-20, EVSE (SECC) under test: the harness is the EV (fake EVCC). Ids follow the ISO 15118-4 grammar
(TC_SECC_<CMN|AC|DC>_VTB_<Topic>_<NNN>) with the -20 message names as topics; the purposes are vgitest's own
words. Each case picks its energy service (DC, AC, DC_BPT, AC_BPT) and control mode (Dynamic, Scheduled) for the
session it runs; the fake EVCC judges every response as it arrives (type, SessionID, response code, timing at the
socket, EVSE limits, phase budgets) and the case checks its purpose with the fake's rules."""

from __future__ import annotations

from typing import Any

import pytest

from vgitest.iso15118.iso20 import NAMESPACES
from vgitest.iso15118.params import rational
from vgitest.iso15118 import suite as v
from vgitest.iso15118.suite import VENDOR_NS, case
from vgitest.verdict import HarnessError, Inconclusive

pytestmark = pytest.mark.vgi_protocol("iso15118", "iso-20")
DIN = "urn:din:70121:2012:MsgDef"
UNKNOWN_SID = bytes.fromhex("5e55104d00000bad")


def _offer(ns: str, schema_id: int, priority: int, major: int = 1, minor: int = 0) -> dict[str, Any]:
    return {"ProtocolNamespace": ns, "VersionNumberMajor": major, "VersionNumberMinor": minor,
            "SchemaID": schema_id, "Priority": priority}


def _body(s: Any, name: str) -> dict[str, Any]:
    """The body of the first ``name`` response (INCONCLUSIVE when the session has none: the phase was not reached)."""
    res = s.response(name)
    if res is None:
        raise Inconclusive(f"the phase under test was not reached: the session has no {name} ({s.end_reason}; "
                           f"last requests {s.names()[-6:]})")
    return {k: x for k, x in res.body[name].items() if k != "Header"}


def _last(s: Any, name: str) -> dict[str, Any]:
    """The body of the last ``name`` response (INCONCLUSIVE when there is none)."""
    res = [r for q, r in s.exchanges if r is not None and r.name == name]
    if not res:
        raise Inconclusive(f"the phase under test was not reached: the session has no {name} ({s.end_reason})")
    return res[-1].body[name]


# --- SDP, SAP, V2GTP ---------------------------------------------------------------------------------------------
@case("TC_SECC_CMN_VTB_SDP_001", "Evse")
def test_TC_SECC_CMN_VTB_SDP_001(evcc):
    """An SDP request without TLS is answered with an address and a TCP port on which a -20 session runs."""
    s = evcc.charge(mode="DC")
    v.charged(evcc, s)
    v.sdp_answered(evcc, s)


@case("TC_SECC_CMN_VTB_SupportedAppProtocol_001", "Evse", "DC")
def test_TC_SECC_CMN_VTB_SupportedAppProtocol_001(evcc):
    """An offer of the -20 DC namespace is accepted with OK_SuccessfulNegotiation and the offered SchemaID."""
    s = evcc.charge(mode="DC")
    v.charged(evcc, s)
    v.negotiated(evcc, s, "iso-20")


@case("TC_SECC_CMN_VTB_SupportedAppProtocol_002", "Evse")
def test_TC_SECC_CMN_VTB_SupportedAppProtocol_002(evcc):
    """Only a namespace the EVSE cannot know is offered: Failed_NoNegotiation, then the EVSE closes the connection."""
    evcc.send("supportedAppProtocolReq", patch={"AppProtocol": [_offer(VENDOR_NS, 1, 1)]},
              expect_code="Failed_NoNegotiation")
    v.closed_after_refusal(evcc, evcc.charge(mode="DC"), "Failed_NoNegotiation")


@case("TC_SECC_CMN_VTB_SupportedAppProtocol_003", "Evse", "AC")
def test_TC_SECC_CMN_VTB_SupportedAppProtocol_003(evcc):
    """An AC EV offers the -20 AC namespace: the EVSE accepts it and the session runs in the AC grammar."""
    s = evcc.charge(mode="AC")
    v.charged(evcc, s)
    v.negotiated(evcc, s, "iso-20")
    v.reached(s, "AC_ChargeLoopReq")


@case("TC_SECC_CMN_VTB_SupportedAppProtocol_004", "Evse", "DC")
def test_TC_SECC_CMN_VTB_SupportedAppProtocol_004(evcc):
    """A vendor namespace at priority 1 before -20 DC at priority 2: the unknown entry is skipped, -20 is chosen."""
    evcc.send("supportedAppProtocolReq", patch={"AppProtocol": [_offer(VENDOR_NS, 2, 1),
                                                                 _offer(NAMESPACES["DC"], 1, 2)]})
    s = evcc.charge(mode="DC")
    v.charged(evcc, s)
    evcc.check_outcome(s.family == "iso-20", "V2G-SAP-CHOICE", f"the EVSE chose {s.family} ({s.sap_code}) from an "
                       f"offer of an unknown vendor namespace (priority 1) and ISO 15118-20 DC (priority 2); it must "
                       f"ignore the unknown one")


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
    v.charged(evcc, s)
    v.negotiated(evcc, s, "iso-20", " (the EVSE does not declare DIN)")


@case("TC_SECC_CMN_VTB_SupportedAppProtocol_006", "Evse", "DC")
def test_TC_SECC_CMN_VTB_SupportedAppProtocol_006(evcc):
    """-20 offered with a higher minor version than the EVSE's: OK_SuccessfulNegotiationWithMinorDeviation."""
    evcc.send("supportedAppProtocolReq", patch={"AppProtocol": [_offer(NAMESPACES["DC"], 1, 1, minor=7)]},
              expect_code="OK_SuccessfulNegotiationWithMinorDeviation")
    v.charged(evcc, evcc.charge(mode="DC"))


@case("TC_SECC_CMN_VTB_V2GTPSessionSetup_001", "Evse")
def test_TC_SECC_CMN_VTB_V2GTPSessionSetup_001(evcc):
    """Valid V2GTP headers: every answer has a valid header and the payload type of its -20 grammar."""
    v.charged(evcc, evcc.charge(mode="DC"))


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
    evcc.check_outcome(s.response("DC_CableCheckRes") is None, "V2G-HEADER-IGNORED", "the EVSE answered a "
                       "DC_CableCheckReq framed with the CommonMessages payload type (0x8002); it must not answer it")


@case("TC_SECC_AC_VTB_V2GTPSessionSetup_007", "Evse", "AC")
def test_TC_SECC_AC_VTB_V2GTPSessionSetup_007(evcc):
    """AC_ChargeParameterDiscoveryReq framed as DC (payload type 0x8004): the EVSE must not answer it."""
    evcc.send("AC_ChargeParameterDiscoveryReq", payload_type=0x8004, expect_ignored=True)
    s = evcc.charge(mode="AC")
    evcc.check_outcome(s.response("AC_ChargeParameterDiscoveryRes") is None, "V2G-HEADER-IGNORED", "the EVSE "
                       "answered an AC_ChargeParameterDiscoveryReq framed with the DC payload type (0x8004); it must "
                       "not answer it")


# --- SessionSetup ------------------------------------------------------------------------------------------------
@case("TC_SECC_CMN_VTB_SessionSetup_001", "Evse")
def test_TC_SECC_CMN_VTB_SessionSetup_001(evcc):
    """SessionID 0: OK_NewSessionEstablished with a new, non-zero SessionID and the EVSEID."""
    s = evcc.charge(mode="DC")
    v.charged(evcc, s)
    v.new_session(evcc, s)
    v.content(evcc, _body(s, "SessionSetupRes").get("EVSEID"), "SessionSetupRes", "carries no EVSEID")


@case("TC_SECC_CMN_VTB_SessionSetup_002", "Evse")
def test_TC_SECC_CMN_VTB_SessionSetup_002(evcc):
    """AuthorizationSetupReq where SessionSetupReq belongs: FAILED_SequenceError and the connection closed."""
    evcc.send("SessionSetupReq", nth=1, send_instead=("AuthorizationSetupReq", {}), expect_code="FAILED_SequenceError")
    v.closed_after_refusal(evcc, evcc.charge(mode="DC"), "FAILED_SequenceError")


@case("TC_SECC_CMN_VTB_SessionSetup_003", "Evse")
def test_TC_SECC_CMN_VTB_SessionSetup_003(evcc):
    """The EV goes silent after SAP: the EVSE closes the connection at V2G_SECC_Sequence_Timeout, not before."""
    evcc.send("SessionSetupReq", silence=True)
    v.evse_closed(evcc, evcc.charge(mode="DC"), "V2G-SECC-SEQUENCE-CLOSE", "the EV went silent after SAP")


@case("TC_SECC_CMN_VTB_SessionSetup_004", "Evse")
def test_TC_SECC_CMN_VTB_SessionSetup_004(evcc):
    """SessionSetupReq with a SessionID the EVSE never gave: it opens a new session (a new SessionID)."""
    evcc.send("SessionSetupReq", session_id=UNKNOWN_SID)
    s = evcc.charge(mode="DC")
    v.charged(evcc, s)
    evcc.check_outcome(s.session_id not in (None, UNKNOWN_SID, bytes(8)), "V2G-NEW-SESSION", f"SessionSetupReq with "
                       f"the SessionID {UNKNOWN_SID.hex()} the EVSE never gave was answered with SessionID "
                       f"{v._hex(s.session_id)}; a new, non-zero one was due")


# --- AuthorizationSetup / Authorization (EIM) ---------------------------------------------------------------------
@case("TC_SECC_CMN_VTB_AuthorizationSetup_001", "Evse")
def test_TC_SECC_CMN_VTB_AuthorizationSetup_001(evcc):
    """AuthorizationSetupRes offers EIM among its authorization services."""
    s = evcc.charge(mode="DC")
    v.charged(evcc, s)
    services = _body(s, "AuthorizationSetupRes").get("AuthorizationServices", [])
    v.content(evcc, "EIM" in services, "AuthorizationSetupRes", f"offers the authorization services {services}; EIM "
              "was due")


@case("TC_SECC_CMN_VTB_AuthorizationSetup_002", "Evse")
def test_TC_SECC_CMN_VTB_AuthorizationSetup_002(evcc):
    """ServiceDiscoveryReq where AuthorizationSetupReq belongs: FAILED_SequenceError and the connection closed."""
    evcc.send("AuthorizationSetupReq", nth=1, send_instead=("ServiceDiscoveryReq", {}),
              expect_code="FAILED_SequenceError")
    v.closed_after_refusal(evcc, evcc.charge(mode="DC"), "FAILED_SequenceError")


@case("TC_SECC_CMN_VTB_Authorization_001", "Evse")
def test_TC_SECC_CMN_VTB_Authorization_001(evcc):
    """EIM authorization ends with EVSEProcessing Finished and OK."""
    s = evcc.charge(mode="DC")
    v.charged(evcc, s)
    processing = _last(s, "AuthorizationRes").get("EVSEProcessing")
    v.content(evcc, processing == "Finished", "AuthorizationRes", f"the last answer to EIM authorization says "
              f"EVSEProcessing {processing}; Finished was due")


@case("TC_SECC_CMN_VTB_Authorization_002", "Evse")
def test_TC_SECC_CMN_VTB_Authorization_002(evcc):
    """While the EVSE answers Ongoing the EV repeats AuthorizationReq; the EVSE comes to Finished in time."""
    s = evcc.charge(mode="AC")
    v.charged(evcc, s)
    v.reached(s, "AuthorizationReq")


@case("TC_SECC_CMN_VTB_Authorization_003", "Evse")
def test_TC_SECC_CMN_VTB_Authorization_003(evcc):
    """ServiceDiscoveryReq where AuthorizationReq belongs: FAILED_SequenceError and the connection closed."""
    evcc.send("AuthorizationReq", nth=1, send_instead=("ServiceDiscoveryReq", {}),
              expect_code="FAILED_SequenceError")
    v.closed_after_refusal(evcc, evcc.charge(mode="DC"), "FAILED_SequenceError")


@case("TC_SECC_CMN_VTB_Authorization_004", "Evse")
def test_TC_SECC_CMN_VTB_Authorization_004(evcc):
    """AuthorizationReq with an unknown SessionID: FAILED_UnknownSession and the connection closed."""
    evcc.send("AuthorizationReq", session_id=UNKNOWN_SID, expect_code="FAILED_UnknownSession")
    v.closed_after_refusal(evcc, evcc.charge(mode="DC"), "FAILED_UnknownSession")


# --- ServiceDiscovery / ServiceDetail / ServiceSelection ----------------------------------------------------------
@case("TC_SECC_CMN_VTB_ServiceDiscovery_001", "Evse")
def test_TC_SECC_CMN_VTB_ServiceDiscovery_001(evcc):
    """ServiceDiscoveryRes in time, for this session, listing the DC energy service (ServiceID 2)."""
    s = evcc.charge(mode="DC")
    v.charged(evcc, s)
    services = _body(s, "ServiceDiscoveryRes")["EnergyTransferServiceList"]["Service"]
    services = services if isinstance(services, list) else [services]
    ids = [x.get("ServiceID") for x in services]
    v.content(evcc, 2 in ids, "ServiceDiscoveryRes", f"lists the energy services {ids}; the DC service (ServiceID 2) "
              "was due")


@case("TC_SECC_CMN_VTB_ServiceDiscovery_002", "Evse")
def test_TC_SECC_CMN_VTB_ServiceDiscovery_002(evcc):
    """ServiceDiscoveryReq again where ServiceSelectionReq belongs (after ServiceDetail): FAILED_SequenceError."""
    evcc.send("ServiceSelectionReq", nth=1, send_instead=("ServiceDiscoveryReq", {}),
              expect_code="FAILED_SequenceError")
    v.closed_after_refusal(evcc, evcc.charge(mode="DC"), "FAILED_SequenceError")


@case("TC_SECC_CMN_VTB_ServiceDetail_001", "Evse")
def test_TC_SECC_CMN_VTB_ServiceDetail_001(evcc):
    """ServiceDetailRes for the AC_BPT service: parameter sets the EV can select (control mode, BPT channel)."""
    s = evcc.charge(mode="AC_BPT")
    v.charged(evcc, s)
    sid = _body(s, "ServiceDetailRes").get("ServiceID")
    v.content(evcc, sid == 5, "ServiceDetailRes", f"to a request for the AC_BPT service describes ServiceID {sid}; 5 "
              "was due")


@case("TC_SECC_CMN_VTB_ServiceDetail_002", "Evse")
def test_TC_SECC_CMN_VTB_ServiceDetail_002(evcc):
    """ServiceDetailReq for a ServiceID nobody offered: FAILED_ServiceIDInvalid and the connection closed."""
    evcc.send("ServiceDetailReq", patch={"ServiceID": 4711}, expect_code="FAILED_ServiceIDInvalid")
    v.closed_after_refusal(evcc, evcc.charge(mode="DC"), "FAILED_ServiceIDInvalid")


@case("TC_SECC_CMN_VTB_ServiceSelection_001", "Evse")
def test_TC_SECC_CMN_VTB_ServiceSelection_001(evcc):
    """Selecting the DC service with a parameter set the EVSE offered is answered OK."""
    s = evcc.charge(mode="DC", control_mode="Dynamic")
    v.charged(evcc, s)
    code = _body(s, "ServiceSelectionRes").get("ResponseCode")
    evcc.check_outcome(code == "OK", "V2G-RESPONSE-CODE", f"ServiceSelectionRes {code} to an offered service and "
                       "parameter set; OK was due")


@case("TC_SECC_CMN_VTB_ServiceSelection_002", "Evse")
def test_TC_SECC_CMN_VTB_ServiceSelection_002(evcc):
    """A ParameterSetID the EVSE did not offer: FAILED_ServiceSelectionInvalid and the connection closed."""
    evcc.send("ServiceSelectionReq", patch={"SelectedEnergyTransferService": {"ServiceID": 2, "ParameterSetID": 99}},
              expect_code="FAILED_ServiceSelectionInvalid")
    v.closed_after_refusal(evcc, evcc.charge(mode="DC"), "FAILED_ServiceSelectionInvalid")


# --- Charge parameters, schedules ---------------------------------------------------------------------------------
@case("TC_SECC_AC_VTB_AC_ChargeParameterDiscovery_001", "Evse", "AC")
def test_TC_SECC_AC_VTB_AC_ChargeParameterDiscovery_001(evcc):
    """AC_ChargeParameterDiscoveryRes carries the EVSE's AC limits (maximum power, nominal frequency)."""
    s = evcc.charge(mode="AC")
    v.charged(evcc, s)
    body = _body(s, "AC_ChargeParameterDiscoveryRes")
    v.content(evcc, "AC_CPDResEnergyTransferMode" in body, "AC_ChargeParameterDiscoveryRes", f"to a AC request carries {sorted(body)}; "
              "AC_CPDResEnergyTransferMode was due")


@case("TC_SECC_AC_VTB_AC_ChargeParameterDiscovery_002", "Evse", "AC", "BPT")
def test_TC_SECC_AC_VTB_AC_ChargeParameterDiscovery_002(evcc):
    """AC_BPT: the answer carries the discharge limits as well (BPT_AC_CPDResEnergyTransferMode)."""
    s = evcc.charge(mode="AC_BPT")
    v.charged(evcc, s)
    body = _body(s, "AC_ChargeParameterDiscoveryRes")
    v.content(evcc, "BPT_AC_CPDResEnergyTransferMode" in body, "AC_ChargeParameterDiscoveryRes", f"to a AC_BPT request carries {sorted(body)}; "
              "BPT_AC_CPDResEnergyTransferMode was due")


@case("TC_SECC_DC_VTB_DC_ChargeParameterDiscovery_001", "Evse", "DC")
def test_TC_SECC_DC_VTB_DC_ChargeParameterDiscovery_001(evcc):
    """DC_ChargeParameterDiscoveryRes carries the EVSE's DC limits."""
    s = evcc.charge(mode="DC")
    v.charged(evcc, s)
    body = _body(s, "DC_ChargeParameterDiscoveryRes")
    v.content(evcc, "DC_CPDResEnergyTransferMode" in body, "DC_ChargeParameterDiscoveryRes", f"to a DC request carries {sorted(body)}; "
              "DC_CPDResEnergyTransferMode was due")


@case("TC_SECC_DC_VTB_DC_ChargeParameterDiscovery_002", "Evse", "DC", "BPT")
def test_TC_SECC_DC_VTB_DC_ChargeParameterDiscovery_002(evcc):
    """DC_BPT: the answer carries the discharge limits as well (BPT_DC_CPDResEnergyTransferMode)."""
    s = evcc.charge(mode="DC_BPT")
    v.charged(evcc, s)
    body = _body(s, "DC_ChargeParameterDiscoveryRes")
    v.content(evcc, "BPT_DC_CPDResEnergyTransferMode" in body, "DC_ChargeParameterDiscoveryRes", f"to a DC_BPT request carries {sorted(body)}; "
              "BPT_DC_CPDResEnergyTransferMode was due")


@case("TC_SECC_DC_VTB_DC_ChargeParameterDiscovery_003", "Evse", "DC")
def test_TC_SECC_DC_VTB_DC_ChargeParameterDiscovery_003(evcc):
    """DC_ChargeParameterDiscoveryReq with an unknown SessionID: FAILED_UnknownSession and the connection closed."""
    evcc.send("DC_ChargeParameterDiscoveryReq", session_id=UNKNOWN_SID, expect_code="FAILED_UnknownSession")
    v.closed_after_refusal(evcc, evcc.charge(mode="DC"), "FAILED_UnknownSession")


@case("TC_SECC_CMN_VTB_ScheduleExchange_001", "Evse", "DC")
def test_TC_SECC_CMN_VTB_ScheduleExchange_001(evcc):
    """Dynamic control mode: ScheduleExchangeRes answers in the Dynamic mode and ends Finished."""
    s = evcc.charge(mode="DC", control_mode="Dynamic")
    v.charged(evcc, s)
    body = _body(s, "ScheduleExchangeRes")
    v.content(evcc, "Dynamic_SEResControlMode" in body, "ScheduleExchangeRes", f"in the Dynamic control mode carries "
              f"{sorted(body)}; Dynamic_SEResControlMode was due")


@case("TC_SECC_DC_VTB_ScheduleExchange_002", "Evse", "DC")
def test_TC_SECC_DC_VTB_ScheduleExchange_002(evcc):
    """Scheduled control mode (DC): the answer offers a schedule tuple the EV selects in PowerDelivery."""
    s = evcc.charge(mode="DC", control_mode="Scheduled")
    v.charged(evcc, s)
    body = _last(s, "ScheduleExchangeRes")
    v.content(evcc, "Scheduled_SEResControlMode" in body, "ScheduleExchangeRes", f"in the Scheduled control mode "
              f"carries {sorted(body)} in its last answer; Scheduled_SEResControlMode was due")


@case("TC_SECC_AC_VTB_ScheduleExchange_003", "Evse", "AC")
def test_TC_SECC_AC_VTB_ScheduleExchange_003(evcc):
    """Scheduled (AC): while the EVSE answers Ongoing the EV repeats ScheduleExchangeReq; it ends Finished in time."""
    s = evcc.charge(mode="AC", control_mode="Scheduled")
    v.charged(evcc, s)
    v.reached(s, "ScheduleExchangeReq")


@case("TC_SECC_CMN_VTB_ScheduleExchange_004", "Evse", "DC")
def test_TC_SECC_CMN_VTB_ScheduleExchange_004(evcc):
    """ServiceDiscoveryReq where ScheduleExchangeReq belongs: FAILED_SequenceError and the connection closed."""
    evcc.send("ScheduleExchangeReq", nth=1, send_instead=("ServiceDiscoveryReq", {}),
              expect_code="FAILED_SequenceError")
    v.closed_after_refusal(evcc, evcc.charge(mode="DC"), "FAILED_SequenceError")


# --- DC: cable check, pre-charge ----------------------------------------------------------------------------------
@case("TC_SECC_DC_VTB_DC_CableCheck_001", "Evse", "DC")
def test_TC_SECC_DC_VTB_DC_CableCheck_001(evcc):
    """DC_CableCheck ends Finished within the EVSE's cable-check budget."""
    s = evcc.charge(mode="DC")
    v.charged(evcc, s)
    _body(s, "DC_CableCheckRes")


@case("TC_SECC_DC_VTB_DC_CableCheck_002", "Evse", "DC")
def test_TC_SECC_DC_VTB_DC_CableCheck_002(evcc):
    """DC_PreChargeReq where DC_CableCheckReq belongs: FAILED_SequenceError and the connection closed."""
    evcc.send("DC_CableCheckReq", nth=1, send_instead=("DC_PreChargeReq", {
        "EVProcessing": "Ongoing", "EVPresentVoltage": rational(380), "EVTargetVoltage": rational(380)}),
        expect_code="FAILED_SequenceError")
    v.closed_after_refusal(evcc, evcc.charge(mode="DC"), "FAILED_SequenceError")


@case("TC_SECC_DC_VTB_DC_PreCharge_001", "Evse", "DC")
def test_TC_SECC_DC_VTB_DC_PreCharge_001(evcc):
    """DC_PreCharge: the EVSE's output reaches the EV's target voltage within the pre-charge budget."""
    s = evcc.charge(mode="DC")
    v.charged(evcc, s)
    v.reached(s, "DC_PreChargeReq", 2, "a pre-charge of 2 DC_PreChargeReq")


# --- PowerDelivery --------------------------------------------------------------------------------------------------
@case("TC_SECC_DC_VTB_PowerDelivery_001", "Evse", "DC")
def test_TC_SECC_DC_VTB_PowerDelivery_001(evcc):
    """PowerDelivery Start and Stop around the DC charge loop are answered OK."""
    s = evcc.charge(mode="DC")
    v.charged(evcc, s)
    v.reached(s, "PowerDeliveryReq", 2, "PowerDelivery Start and Stop")


@case("TC_SECC_DC_VTB_PowerDelivery_002", "Evse", "DC", "BPT")
def test_TC_SECC_DC_VTB_PowerDelivery_002(evcc):
    """DC_BPT, Scheduled: PowerDelivery(Start) with the selected schedule tuple and the BPT channel is accepted."""
    s = evcc.charge(mode="DC_BPT", control_mode="Scheduled")
    v.charged(evcc, s)
    v.reached(s, "PowerDeliveryReq")
    start = next(q for q, r in s.exchanges if q.name == "PowerDeliveryReq")
    if start.body["PowerDeliveryReq"].get("BPT_ChannelSelection") != "Charge":  # the fake EV's own request
        raise HarnessError(f"the fake EV's PowerDeliveryReq(Start) does not ask for the Charge channel: {start.body}")


@case("TC_SECC_AC_VTB_PowerDelivery_003", "Evse", "AC", "BPT")
def test_TC_SECC_AC_VTB_PowerDelivery_003(evcc):
    """AC_BPT, Dynamic: PowerDelivery(Start) asking for the discharge channel is accepted as well."""
    evcc.send("PowerDeliveryReq", nth=1, patch={"BPT_ChannelSelection": "Discharge"})
    s = evcc.charge(mode="AC_BPT", control_mode="Dynamic")
    v.charged(evcc, s)
    v.reached(s, "AC_ChargeLoopReq")


# --- charge loops -----------------------------------------------------------------------------------------------
@case("TC_SECC_DC_VTB_DC_ChargeLoop_001", "Evse", "DC")
def test_TC_SECC_DC_VTB_DC_ChargeLoop_001(evcc):
    """Dynamic DC charge loop: every DC_ChargeLoopRes within 0.25 s (the -20 charge-loop performance time)."""
    s = evcc.charge(mode="DC", control_mode="Dynamic")
    v.charged(evcc, s)
    v.reached(s, "DC_ChargeLoopReq", 3, "a charge loop of 3 DC_ChargeLoopReq")


@case("TC_SECC_DC_VTB_DC_ChargeLoop_002", "Evse", "DC")
def test_TC_SECC_DC_VTB_DC_ChargeLoop_002(evcc):
    """Scheduled DC charge loop: the present current never exceeds the EV's target current."""
    s = evcc.charge(mode="DC", control_mode="Scheduled")
    v.charged(evcc, s)
    v.reached(s, "DC_ChargeLoopReq", 3, "a charge loop of 3 DC_ChargeLoopReq")


@case("TC_SECC_DC_VTB_DC_ChargeLoop_003", "Evse", "DC", "BPT")
def test_TC_SECC_DC_VTB_DC_ChargeLoop_003(evcc):
    """DC_BPT charge loop (Dynamic): BPT answers in time, within the EV's limits."""
    s = evcc.charge(mode="DC_BPT", control_mode="Dynamic")
    v.charged(evcc, s)
    body = _body(s, "DC_ChargeLoopRes")
    v.content(evcc, "BPT_Dynamic_DC_CLResControlMode" in body, "DC_ChargeLoopRes", f"of a DC_BPT Dynamic session carries {sorted(body)}; "
              "BPT_Dynamic_DC_CLResControlMode was due")


@case("TC_SECC_DC_VTB_DC_ChargeLoop_004", "Evse", "DC")
def test_TC_SECC_DC_VTB_DC_ChargeLoop_004(evcc):
    """ServiceDiscoveryReq in the DC charge loop: FAILED_SequenceError and the connection closed."""
    evcc.send("DC_ChargeLoopReq", nth=3, send_instead=("ServiceDiscoveryReq", {}),
              expect_code="FAILED_SequenceError")
    v.closed_after_refusal(evcc, evcc.charge(mode="DC"), "FAILED_SequenceError")


@case("TC_SECC_DC_VTB_DC_ChargeLoop_005", "Evse", "DC")
def test_TC_SECC_DC_VTB_DC_ChargeLoop_005(evcc):
    """The EV goes silent after a DC_ChargeLoopRes: the EVSE closes within the -20 charge-loop sequence timeout
    (0.5 s), not 60 s."""
    evcc.send("DC_ChargeLoopReq", nth=3, silence=True)
    v.evse_closed(evcc, evcc.charge(mode="DC"), "V2G-SECC-SEQUENCE-CLOSE", "the EV went silent in the charge loop")


@case("TC_SECC_AC_VTB_AC_ChargeLoop_001", "Evse", "AC")
def test_TC_SECC_AC_VTB_AC_ChargeLoop_001(evcc):
    """Dynamic AC charge loop: every AC_ChargeLoopRes within 0.25 s, to the end of the session."""
    s = evcc.charge(mode="AC", control_mode="Dynamic")
    v.charged(evcc, s)
    v.reached(s, "AC_ChargeLoopReq", 3, "a charge loop of 3 AC_ChargeLoopReq")


@case("TC_SECC_AC_VTB_AC_ChargeLoop_002", "Evse", "AC")
def test_TC_SECC_AC_VTB_AC_ChargeLoop_002(evcc):
    """Scheduled AC charge loop: answers in time, in the Scheduled control mode."""
    s = evcc.charge(mode="AC", control_mode="Scheduled")
    v.charged(evcc, s)
    body = _body(s, "AC_ChargeLoopRes")
    v.content(evcc, "Scheduled_AC_CLResControlMode" in body, "AC_ChargeLoopRes", f"of a AC Scheduled session carries {sorted(body)}; "
              "Scheduled_AC_CLResControlMode was due")


@case("TC_SECC_AC_VTB_AC_ChargeLoop_003", "Evse", "AC", "BPT")
def test_TC_SECC_AC_VTB_AC_ChargeLoop_003(evcc):
    """AC_BPT charge loop (Scheduled): BPT answers in time."""
    s = evcc.charge(mode="AC_BPT", control_mode="Scheduled")
    v.charged(evcc, s)
    body = _body(s, "AC_ChargeLoopRes")
    v.content(evcc, "BPT_Scheduled_AC_CLResControlMode" in body, "AC_ChargeLoopRes", f"of a AC_BPT Scheduled session carries {sorted(body)}; "
              "BPT_Scheduled_AC_CLResControlMode was due")


@case("TC_SECC_AC_VTB_AC_ChargeLoop_004", "Evse", "AC")
def test_TC_SECC_AC_VTB_AC_ChargeLoop_004(evcc):
    """The EV goes silent after an AC_ChargeLoopRes: the EVSE closes within the 0.5 s charge-loop sequence
    timeout."""
    evcc.send("AC_ChargeLoopReq", nth=3, silence=True)
    v.evse_closed(evcc, evcc.charge(mode="AC"), "V2G-SECC-SEQUENCE-CLOSE", "the EV went silent in the charge loop")


# --- end of session -------------------------------------------------------------------------------------------------
@case("TC_SECC_DC_VTB_DC_WeldingDetection_001", "Evse", "DC")
def test_TC_SECC_DC_VTB_DC_WeldingDetection_001(evcc):
    """DC_WeldingDetection after PowerDelivery(Stop) is answered with the EVSE's present voltage."""
    s = evcc.charge(mode="DC")
    v.charged(evcc, s)
    body = _body(s, "DC_WeldingDetectionRes")
    v.content(evcc, "EVSEPresentVoltage" in body, "DC_WeldingDetectionRes", f"carries {sorted(body)}; "
              "EVSEPresentVoltage was due")


@case("TC_SECC_CMN_VTB_SessionStop_001", "Evse")
def test_TC_SECC_CMN_VTB_SessionStop_001(evcc):
    """SessionStop(Terminate) is answered OK and the session ends."""
    s = evcc.charge(mode="AC")
    v.charged(evcc, s)
    _body(s, "SessionStopRes")
