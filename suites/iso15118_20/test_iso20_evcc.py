"""ISO 15118-20, EV (EVCC) under test: the harness is the charger (fake SECC). Ids follow the ISO 15118-4 grammar
(TC_EVCC_<CMN|AC|DC>_VTB_<Topic>_<NNN>) with the -20 message names as topics; the purposes are vgitest's own
words. Each case plugs the EV in with the energy service and control mode it needs; the fake SECC judges every
request as it arrives (sequence, SessionID, headers, parameters, the -20 charge-loop timers, the reaction to
FAILED codes, to silence and to endless Ongoing answers)."""

from __future__ import annotations

from typing import Any

import pytest

from vgitest.iso15118 import suite as v
from vgitest.iso15118.suite import case, ev_gives_up, ev_session, ev_stops
from vgitest.verdict import Inconclusive

pytestmark = pytest.mark.vgi_protocol("iso15118", "iso-20")
DC = {"mode": "DC", "control_mode": "Dynamic"}  # how a case plugs the EV in (adapter action plug_in)
AC = {"mode": "AC", "control_mode": "Dynamic"}


def _plug(secc: Any, dut: Any, profile: Any, mode: str = "DC", control_mode: str = "Dynamic") -> Any:
    """Plug the EV in for one session in ``mode`` / ``control_mode`` and wait for that session."""
    return ev_session(secc, dut, profile, mode=mode, control_mode=control_mode)


def _charged(secc: Any, s: Any) -> None:
    v.ev_ended_with_stop(secc, s)


def _first(s: Any, name: str) -> Any:
    """The EV's first ``name`` request (INCONCLUSIVE when it never sent one)."""
    v.reached(s, name)
    return next(f for f in s.requests if f.name == name)


@case("TC_EVCC_CMN_VTB_SDP_001", "Ev")
def test_TC_EVCC_CMN_VTB_SDP_001(secc, dut, vgi_profile):
    """After plug-in the EV finds the SECC with a valid SDP request and opens a -20 session."""
    s = secc.next_session_or_finding(dut, vgi_profile)
    secc.check_outcome(s is not None, "V2G-NO-SESSION", "the EV started no V2G session after plug-in")
    _charged(secc, s)


@case("TC_EVCC_CMN_VTB_SupportedAppProtocol_001", "Ev", "DC")
def test_TC_EVCC_CMN_VTB_SupportedAppProtocol_001(secc, dut, vgi_profile):
    """The EV opens with supportedAppProtocolReq offering the -20 DC namespace, SchemaIDs and priorities distinct."""
    s = _plug(secc, dut, vgi_profile, "DC")
    _charged(secc, s)
    secc.check_outcome(s.sap_code == "OK_SuccessfulNegotiation" and s.family == "iso-20", "V2G-SAP-OFFER",
                       f"the fake SECC answered {s.sap_code} ({s.family}): the EV's supportedAppProtocolReq offers no "
                       f"ISO 15118-20 DC namespace it supports")


@case("TC_EVCC_CMN_VTB_SupportedAppProtocol_002", "Ev")
def test_TC_EVCC_CMN_VTB_SupportedAppProtocol_002(secc, dut, vgi_profile):
    """The SECC answers Failed_NoNegotiation: the EV sends nothing more and closes the connection."""
    ev_stops(secc, dut, vgi_profile, "supportedAppProtocolReq", code="Failed_NoNegotiation", patch={"SchemaID": None},
             plug=DC)


@case("TC_EVCC_AC_VTB_SupportedAppProtocol_003", "Ev", "AC")
def test_TC_EVCC_AC_VTB_SupportedAppProtocol_003(secc, dut, vgi_profile):
    """An AC session: the EV offers the -20 AC namespace and runs the AC messages in the AC grammar."""
    s = _plug(secc, dut, vgi_profile, "AC")
    _charged(secc, s)
    secc.check_outcome(s.family == "iso-20", "V2G-SAP-OFFER", f"the fake SECC answered {s.sap_code} ({s.family}): "
                       f"the EV's supportedAppProtocolReq offers no ISO 15118-20 AC namespace it supports")
    v.reached(s, "AC_ChargeLoopReq")


@case("TC_EVCC_CMN_VTB_SessionSetup_001", "Ev")
def test_TC_EVCC_CMN_VTB_SessionSetup_001(secc, dut, vgi_profile):
    """SessionSetup with SessionID 0 right after SAP; the assigned SessionID in every later header."""
    s = _plug(secc, dut, vgi_profile, "DC")
    _charged(secc, s)
    v.ev_opens_with_session_setup(secc, s, "SessionSetupReq,AuthorizationSetupReq")


@case("TC_EVCC_CMN_VTB_SessionSetup_004", "Ev")
def test_TC_EVCC_CMN_VTB_SessionSetup_004(secc, dut, vgi_profile):
    """SessionSetupRes with FAILED: the EV stops (no further request, connection closed)."""
    ev_stops(secc, dut, vgi_profile, "SessionSetupReq", code="FAILED", plug=DC)


@case("TC_EVCC_CMN_VTB_Authorization_001", "Ev")
def test_TC_EVCC_CMN_VTB_Authorization_001(secc, dut, vgi_profile):
    """AuthorizationSetup, then EIM Authorization; while the SECC answers Ongoing the EV repeats the request."""
    secc.evse.auth_rounds = 2
    s = _plug(secc, dut, vgi_profile, "AC")
    _charged(secc, s)
    v.repeated_while_ongoing(secc, s, "AuthorizationReq", 2, "ServiceDiscoveryReq")
    v.in_order(secc, s, "AuthorizationSetupReq", "AuthorizationReq", "ServiceDiscoveryReq")


@case("TC_EVCC_CMN_VTB_Authorization_003", "Ev")
def test_TC_EVCC_CMN_VTB_Authorization_003(secc, dut, vgi_profile):
    """Authorization stays Ongoing: the EV gives up once V2G_EVCC_Ongoing_Timeout has passed."""
    ev_stops(secc, dut, vgi_profile, "AuthorizationReq", processing="Ongoing", plug=DC)


@case("TC_EVCC_CMN_VTB_ServiceDiscovery_001", "Ev")
def test_TC_EVCC_CMN_VTB_ServiceDiscovery_001(secc, dut, vgi_profile):
    """ServiceDiscoveryReq with a valid V2GTP header (CommonMessages, 0x8002) and the session's SessionID."""
    s = _plug(secc, dut, vgi_profile, "DC")
    _charged(secc, s)
    v.reached(s, "ServiceDiscoveryReq")


@case("TC_EVCC_CMN_VTB_ServiceSelection_001", "Ev")
def test_TC_EVCC_CMN_VTB_ServiceSelection_001(secc, dut, vgi_profile):
    """ServiceDetail for the EV's energy service, then ServiceSelection of an offered parameter set (DC_BPT)."""
    s = _plug(secc, dut, vgi_profile, "DC_BPT")
    _charged(secc, s)
    v.in_order(secc, s, "ServiceDiscoveryReq", "ServiceDetailReq", "ServiceSelectionReq",
               "DC_ChargeParameterDiscoveryReq")


@case("TC_EVCC_CMN_VTB_ServiceSelection_002", "Ev")
def test_TC_EVCC_CMN_VTB_ServiceSelection_002(secc, dut, vgi_profile):
    """ServiceSelectionRes with FAILED_ServiceSelectionInvalid: the EV stops."""
    ev_stops(secc, dut, vgi_profile, "ServiceSelectionReq", code="FAILED_ServiceSelectionInvalid", plug=DC)


@case("TC_EVCC_DC_VTB_DC_ChargeParameterDiscovery_001", "Ev", "DC")
def test_TC_EVCC_DC_VTB_DC_ChargeParameterDiscovery_001(secc, dut, vgi_profile):
    """DC_ChargeParameterDiscoveryReq follows ServiceSelection with the EV's DC limits."""
    s = _plug(secc, dut, vgi_profile, "DC")
    _charged(secc, s)
    v.in_order(secc, s, "ServiceSelectionReq", "DC_ChargeParameterDiscoveryReq", "ScheduleExchangeReq")


@case("TC_EVCC_AC_VTB_AC_ChargeParameterDiscovery_001", "Ev", "AC", "BPT")
def test_TC_EVCC_AC_VTB_AC_ChargeParameterDiscovery_001(secc, dut, vgi_profile):
    """AC_BPT: AC_ChargeParameterDiscoveryReq follows ServiceSelection, with charge and discharge limits."""
    s = _plug(secc, dut, vgi_profile, "AC_BPT")
    _charged(secc, s)
    v.in_order(secc, s, "ServiceSelectionReq", "AC_ChargeParameterDiscoveryReq", "ScheduleExchangeReq")


@case("TC_EVCC_CMN_VTB_ScheduleExchange_001", "Ev")
def test_TC_EVCC_CMN_VTB_ScheduleExchange_001(secc, dut, vgi_profile):
    """Scheduled: the EV repeats ScheduleExchangeReq while the SECC answers Ongoing, then selects the offered
    schedule in PowerDelivery(Start)."""
    secc.evse.cpd_rounds = 2
    s = _plug(secc, dut, vgi_profile, "AC", "Scheduled")
    _charged(secc, s)
    v.repeated_while_ongoing(secc, s, "ScheduleExchangeReq", 2, "PowerDeliveryReq")


@case("TC_EVCC_CMN_VTB_ScheduleExchange_004", "Ev")
def test_TC_EVCC_CMN_VTB_ScheduleExchange_004(secc, dut, vgi_profile):
    """ScheduleExchange stays Ongoing: the EV gives up once its Ongoing timeout has passed."""
    ev_stops(secc, dut, vgi_profile, "ScheduleExchangeReq", processing="Ongoing", plug=DC)


@case("TC_EVCC_DC_VTB_DC_CableCheck_001", "Ev", "DC")
def test_TC_EVCC_DC_VTB_DC_CableCheck_001(secc, dut, vgi_profile):
    """The EV repeats DC_CableCheckReq (DC grammar, 0x8004) while the SECC answers Ongoing, then pre-charges."""
    secc.evse.cable_check_rounds = 3
    s = _plug(secc, dut, vgi_profile, "DC")
    _charged(secc, s)
    v.repeated_while_ongoing(secc, s, "DC_CableCheckReq", 3, "DC_PreChargeReq")


@case("TC_EVCC_DC_VTB_DC_CableCheck_006", "Ev", "DC")
def test_TC_EVCC_DC_VTB_DC_CableCheck_006(secc, dut, vgi_profile):
    """No DC_CableCheckRes: the EV stops after V2G_EVCC_Msg_Timeout (2 s) without retrying."""
    ev_stops(secc, dut, vgi_profile, "DC_CableCheckReq", silence=True, plug=DC)


@case("TC_EVCC_DC_VTB_DC_CableCheck_007", "Ev", "DC")
def test_TC_EVCC_DC_VTB_DC_CableCheck_007(secc, dut, vgi_profile):
    """DC_CableCheck stays Ongoing: the EV gives up when its cable-check timeout has passed."""
    ev_stops(secc, dut, vgi_profile, "DC_CableCheckReq", processing="Ongoing", plug=DC)


@case("TC_EVCC_DC_VTB_DC_PreCharge_001", "Ev", "DC")
def test_TC_EVCC_DC_VTB_DC_PreCharge_001(secc, dut, vgi_profile):
    """The EV pre-charges until the SECC's voltage is near its battery's, then asks for power."""
    secc.evse.precharge_step_v = 100
    s = _plug(secc, dut, vgi_profile, "DC")
    _charged(secc, s)
    v.precharged(secc, s, "DC_PreChargeReq")


@case("TC_EVCC_DC_VTB_DC_PreCharge_006", "Ev", "DC")
def test_TC_EVCC_DC_VTB_DC_PreCharge_006(secc, dut, vgi_profile):
    """The SECC's voltage never rises: the EV gives up when its pre-charge timeout has passed."""
    secc.evse.precharge_step_v = 0
    ev_gives_up(secc, dut, vgi_profile, "DC_PreChargeReq", **DC)


@case("TC_EVCC_DC_VTB_PowerDelivery_001", "Ev", "DC")
def test_TC_EVCC_DC_VTB_PowerDelivery_001(secc, dut, vgi_profile):
    """PowerDelivery(Start) opens the DC charge loop and PowerDelivery(Stop) closes it before welding detection. An
    EV may send PowerDelivery(Start) with EVProcessing Ongoing first and repeat it until it is Finished."""
    s = _plug(secc, dut, vgi_profile, "DC")
    _charged(secc, s)
    pd = [f.body["PowerDeliveryReq"] for f in s.requests if f.name == "PowerDeliveryReq"]
    starts = [b for b in pd if b.get("ChargeProgress") == "Start"]
    stops = [b for b in pd if b.get("ChargeProgress") == "Stop"]
    if not starts:
        raise Inconclusive(f"the phase under test was not reached: no PowerDeliveryReq(Start) ({s.names()[-6:]})")
    secc.check_outcome(stops and all(b.get("EVProcessing") == "Ongoing" for b in starts[:-1])
                       and starts[-1].get("EVProcessing") != "Ongoing", "V2G-SEQUENCE",
                       f"PowerDeliveryReq (ChargeProgress, EVProcessing) "
                       f"{[(b.get('ChargeProgress'), b.get('EVProcessing')) for b in pd]}: Start (repeated only while "
                       f"Ongoing, the last one not Ongoing) before the charge loop and Stop after it were due")


@case("TC_EVCC_DC_VTB_PowerDelivery_002", "Ev", "DC", "BPT")
def test_TC_EVCC_DC_VTB_PowerDelivery_002(secc, dut, vgi_profile):
    """DC_BPT, Scheduled: PowerDelivery(Start) names the offered schedule tuple and a BPT channel."""
    s = _plug(secc, dut, vgi_profile, "DC_BPT", "Scheduled")
    _charged(secc, s)
    start = _first(s, "PowerDeliveryReq")
    channel = start.body["PowerDeliveryReq"].get("BPT_ChannelSelection")
    secc.check(channel in ("Charge", "Discharge"), "V2G-EV-PARAMETERS", f"PowerDeliveryReq(Start) of a DC_BPT "
               f"session names the BPT channel {channel!r}; Charge or Discharge was due", start)


@case("TC_EVCC_DC_VTB_DC_ChargeLoop_001", "Ev", "DC")
def test_TC_EVCC_DC_VTB_DC_ChargeLoop_001(secc, dut, vgi_profile):
    """Dynamic DC charge loop: each request within 0.5 s of the last response (the SECC's charge-loop sequence
    timeout), to the end of the session."""
    s = _plug(secc, dut, vgi_profile, "DC", "Dynamic")
    _charged(secc, s)
    v.reached(s, "DC_ChargeLoopReq", 3, "a charge loop of 3 DC_ChargeLoopReq")


@case("TC_EVCC_DC_VTB_DC_ChargeLoop_002", "Ev", "DC")
def test_TC_EVCC_DC_VTB_DC_ChargeLoop_002(secc, dut, vgi_profile):
    """Scheduled DC charge loop: the EV's target current stays within its own maximum current."""
    s = _plug(secc, dut, vgi_profile, "DC", "Scheduled")
    _charged(secc, s)
    v.reached(s, "DC_ChargeLoopReq", 3, "a charge loop of 3 DC_ChargeLoopReq")


@case("TC_EVCC_DC_VTB_DC_ChargeLoop_003", "Ev", "DC")
def test_TC_EVCC_DC_VTB_DC_ChargeLoop_003(secc, dut, vgi_profile):
    """DC_ChargeLoopRes with FAILED: the EV stops."""
    ev_stops(secc, dut, vgi_profile, "DC_ChargeLoopReq", nth=2, code="FAILED", plug=DC)


@case("TC_EVCC_DC_VTB_DC_ChargeLoop_005", "Ev", "DC")
def test_TC_EVCC_DC_VTB_DC_ChargeLoop_005(secc, dut, vgi_profile):
    """No DC_ChargeLoopRes: the EV stops after its 0.5 s charge-loop message timeout."""
    ev_stops(secc, dut, vgi_profile, "DC_ChargeLoopReq", nth=2, silence=True, plug=DC)


@case("TC_EVCC_AC_VTB_AC_ChargeLoop_001", "Ev", "AC")
def test_TC_EVCC_AC_VTB_AC_ChargeLoop_001(secc, dut, vgi_profile):
    """Dynamic AC charge loop, sequence-correct to PowerDelivery(Stop) and SessionStop (no welding detection)."""
    s = _plug(secc, dut, vgi_profile, "AC", "Dynamic")
    _charged(secc, s)
    v.reached(s, "AC_ChargeLoopReq", 3, "a charge loop of 3 AC_ChargeLoopReq")
    secc.check_outcome("DC_WeldingDetectionReq" not in s.names(), "V2G-SEQUENCE", "the EV sent "
                       "DC_WeldingDetectionReq in an AC session")


@case("TC_EVCC_AC_VTB_AC_ChargeLoop_002", "Ev", "AC", "BPT")
def test_TC_EVCC_AC_VTB_AC_ChargeLoop_002(secc, dut, vgi_profile):
    """AC_BPT, Scheduled charge loop: each request in time, in the BPT Scheduled control mode."""
    s = _plug(secc, dut, vgi_profile, "AC_BPT", "Scheduled")
    _charged(secc, s)
    loop = _first(s, "AC_ChargeLoopReq")
    secc.check("BPT_Scheduled_AC_CLReqControlMode" in loop.body["AC_ChargeLoopReq"], "V2G-EV-PARAMETERS",
               f"AC_ChargeLoopReq of an AC_BPT Scheduled session carries {sorted(loop.body['AC_ChargeLoopReq'])}; "
               f"BPT_Scheduled_AC_CLReqControlMode was due", loop)


@case("TC_EVCC_AC_VTB_AC_ChargeLoop_005", "Ev", "AC")
def test_TC_EVCC_AC_VTB_AC_ChargeLoop_005(secc, dut, vgi_profile):
    """No AC_ChargeLoopRes: the EV stops after its 0.5 s charge-loop message timeout."""
    ev_stops(secc, dut, vgi_profile, "AC_ChargeLoopReq", nth=2, silence=True, plug=AC)


@case("TC_EVCC_DC_VTB_DC_WeldingDetection_001", "Ev", "DC")
def test_TC_EVCC_DC_VTB_DC_WeldingDetection_001(secc, dut, vgi_profile):
    """After PowerDelivery(Stop) the EV runs DC_WeldingDetection, then SessionStop."""
    s = _plug(secc, dut, vgi_profile, "DC")
    _charged(secc, s)
    v.in_order(secc, s, "DC_WeldingDetectionReq", "SessionStopReq")


@case("TC_EVCC_CMN_VTB_SessionStop_001", "Ev")
def test_TC_EVCC_CMN_VTB_SessionStop_001(secc, dut, vgi_profile):
    """The session ends with SessionStopReq, and the EV closes the connection after SessionStopRes."""
    s = _plug(secc, dut, vgi_profile, "DC_BPT", "Dynamic")
    _charged(secc, s)
    v.ev_closed_after_stop(secc, s)
