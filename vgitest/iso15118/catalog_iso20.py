"""ISO 15118-20 rows of the reference devices' fault catalogs: which suites/iso15118_20 test catches each fault
with which rule id, and the scripted part of the faults in -20 message names (DC_CableCheckReq, AC_ChargeLoopReq,
...). Faults that mean the same as a DIN fault keep its name; the rest are -20's own (payload types per grammar,
ServiceDetail/ServiceSelection codes, the 0.25 s / 0.5 s charge-loop timers, Scheduled schedules)."""

from __future__ import annotations

from typing import Any

from .catalog import ACTIONS, BAD_INVERSE, BAD_VERSION, register
from .params import rational
from .script import Action

V = "iso-20"
ISO20_TRUNCATED = bytes.fromhex("8098")  # an EXI document cut short after its first bits
_UNKNOWN_SID = bytes.fromhex("0badc0ffee000001")

# --- reference EVSE (caught by the fake EVCC, TC_SECC_* tests) --------------------------------------------------
_EVSE: list[tuple[str, str, str | tuple[str, ...], str]] = [
    ("no_sdp_answer", "never answers SDP requests", "TC_SECC_CMN_VTB_SDP_001", "V2G-SDP-ANSWER"),
    ("sdp_wrong_port", "announces a TCP port nothing listens on", "TC_SECC_CMN_VTB_SDP_001", "V2G-SDP-ANSWER"),
    ("sdp_bad_header", "answers SDP with a bad V2GTP version", "TC_SECC_CMN_VTB_SDP_001", "V2G-SDP-ANSWER"),
    ("sap_wrong_schema_id", "answers supportedAppProtocol with a SchemaID the EV did not offer",
     "TC_SECC_CMN_VTB_SupportedAppProtocol_001", "V2G-SAP-RESULT"),
    ("sap_no_negotiation", "answers Failed_NoNegotiation to an offer it supports",
     ("TC_SECC_CMN_VTB_SupportedAppProtocol_001", "TC_SECC_CMN_VTB_SupportedAppProtocol_003",
      "TC_SECC_CMN_VTB_SupportedAppProtocol_005", "TC_SECC_CMN_VTB_SupportedAppProtocol_006"), "V2G-SAP-CHOICE"),
    ("sap_rejects_unknown_namespace", "refuses an offer as soon as it lists a namespace it does not know",
     "TC_SECC_CMN_VTB_SupportedAppProtocol_004", "V2G-SAP-CHOICE"),
    ("zero_session_id", "gives SessionID 0 in SessionSetupRes", "TC_SECC_CMN_VTB_SessionSetup_001",
     "V2G-NEW-SESSION"),
    ("old_session_joined", "answers every SessionSetupReq with OK_OldSessionJoined, even for a SessionID it never "
     "gave", ("TC_SECC_CMN_VTB_SessionSetup_001", "TC_SECC_CMN_VTB_SessionSetup_004"), "V2G-NEW-SESSION"),
    ("no_sequence_error", "answers requests out of sequence as if they were in sequence",
     ("TC_SECC_CMN_VTB_SessionSetup_002", "TC_SECC_CMN_VTB_AuthorizationSetup_002",
      "TC_SECC_CMN_VTB_Authorization_003", "TC_SECC_CMN_VTB_ServiceDiscovery_002",
      "TC_SECC_CMN_VTB_ScheduleExchange_004", "TC_SECC_DC_VTB_DC_CableCheck_002",
      "TC_SECC_DC_VTB_DC_ChargeLoop_004"), "V2G-RESPONSE-CODE"),
    ("keeps_open_after_failed", "keeps the TCP connection open after a FAILED answer",
     ("TC_SECC_CMN_VTB_SupportedAppProtocol_002", "TC_SECC_CMN_VTB_SessionSetup_002",
      "TC_SECC_CMN_VTB_Authorization_004", "TC_SECC_CMN_VTB_ServiceDetail_002",
      "TC_SECC_CMN_VTB_ServiceSelection_002", "TC_SECC_DC_VTB_DC_ChargeParameterDiscovery_003"),
     "V2G-CLOSE-AFTER-FAILED"),
    ("ignores_sequence_timeout", "keeps waiting far beyond V2G_SECC_Sequence_Timeout for the next request (also the "
     "0.5 s after a charge-loop response)",
     ("TC_SECC_CMN_VTB_SessionSetup_003", "TC_SECC_DC_VTB_DC_ChargeLoop_005", "TC_SECC_AC_VTB_AC_ChargeLoop_004"),
     "V2G-SECC-SEQUENCE-CLOSE"),
    ("early_sequence_close", "closes the connection long before V2G_SECC_Sequence_Timeout",
     "TC_SECC_CMN_VTB_SessionSetup_003", "V2G-SECC-SEQUENCE-CLOSE"),
    ("bad_v2gtp_version", "sends its SessionSetupRes with protocol version 0x02",
     "TC_SECC_CMN_VTB_V2GTPSessionSetup_001", "V2G-V2GTP-HEADER"),
    ("answers_bad_header", "answers frames whose V2GTP header it must ignore",
     ("TC_SECC_CMN_VTB_V2GTPSessionSetup_003", "TC_SECC_CMN_VTB_V2GTPSessionSetup_004",
      "TC_SECC_CMN_VTB_V2GTPSessionSetup_005"), "V2G-HEADER-IGNORED"),
    ("ignores_payload_type", "ISO 15118-20: decodes a request with whichever grammar fits, whatever its V2GTP "
     "payload type (0x8002/0x8003/0x8004) names, and answers it",
     ("TC_SECC_DC_VTB_V2GTPSessionSetup_006", "TC_SECC_AC_VTB_V2GTPSessionSetup_007"), "V2G-HEADER-IGNORED"),
    ("late_response", "answers ServiceDiscoveryReq after 1.8 s (performance time 1.5 s)",
     "TC_SECC_CMN_VTB_ServiceDiscovery_001", "V2G-SECC-PERFORMANCE"),
    ("wrong_session_id", "answers with another SessionID than the one it assigned",
     "TC_SECC_CMN_VTB_ServiceDiscovery_001", "V2G-SESSION-ID"),
    ("wrong_response_type", "answers ServiceDiscoveryReq with a SessionSetupRes",
     "TC_SECC_CMN_VTB_ServiceDiscovery_001", "V2G-UNEXPECTED-RESPONSE"),
    ("bad_v2gtp_inverse", "sends ServiceDiscoveryRes with a wrong inverse protocol version",
     "TC_SECC_CMN_VTB_ServiceDiscovery_001", "V2G-V2GTP-HEADER"),
    ("authorization_setup_failed", "ISO 15118-20: answers a valid AuthorizationSetupReq with FAILED",
     "TC_SECC_CMN_VTB_AuthorizationSetup_001", "V2G-RESPONSE-CODE"),
    ("failed_response_code", "answers a valid ContractAuthentication/Authorization with FAILED",
     "TC_SECC_CMN_VTB_Authorization_001", "V2G-RESPONSE-CODE"),
    ("authorization_ongoing_forever", "ISO 15118-20: answers AuthorizationReq with EVSEProcessing=Ongoing for ever",
     "TC_SECC_CMN_VTB_Authorization_002", "V2G-PHASE-TIME"),
    ("accepts_unknown_session", "answers requests that carry an unknown SessionID",
     ("TC_SECC_CMN_VTB_Authorization_004", "TC_SECC_DC_VTB_DC_ChargeParameterDiscovery_003"), "V2G-RESPONSE-CODE"),
    ("service_detail_failed", "ISO 15118-20: answers a ServiceDetailReq for a service it offers with "
     "FAILED_ServiceIDInvalid", "TC_SECC_CMN_VTB_ServiceDetail_001", "V2G-RESPONSE-CODE"),
    ("accepts_invalid_service", "ISO 15118-20: answers OK to ServiceDetail/ServiceSelection requests for a service "
     "or parameter set it never offered",
     ("TC_SECC_CMN_VTB_ServiceDetail_002", "TC_SECC_CMN_VTB_ServiceSelection_002"), "V2G-RESPONSE-CODE"),
    ("service_selection_failed", "ISO 15118-20: answers a valid ServiceSelectionReq with "
     "FAILED_ServiceSelectionInvalid", "TC_SECC_CMN_VTB_ServiceSelection_001", "V2G-RESPONSE-CODE"),
    ("undecodable_response", "sends a ChargeParameterDiscoveryRes whose EXI is cut short",
     ("TC_SECC_AC_VTB_AC_ChargeParameterDiscovery_001", "TC_SECC_DC_VTB_DC_ChargeParameterDiscovery_001"),
     "V2G-EXI-DECODE"),
    ("no_response", "never answers ChargeParameterDiscoveryReq (keeps the connection open)",
     ("TC_SECC_AC_VTB_AC_ChargeParameterDiscovery_002", "TC_SECC_DC_VTB_DC_ChargeParameterDiscovery_002"),
     "V2G-NO-RESPONSE"),
    ("schedule_exchange_ongoing_forever", "ISO 15118-20: answers ScheduleExchangeReq with EVSEProcessing=Ongoing "
     "for ever", ("TC_SECC_CMN_VTB_ScheduleExchange_001", "TC_SECC_AC_VTB_ScheduleExchange_003"), "V2G-PHASE-TIME"),
    ("no_schedule_offered", "ISO 15118-20: answers a Scheduled ScheduleExchangeReq without a schedule tuple "
     "(Dynamic_SEResControlMode)", "TC_SECC_DC_VTB_ScheduleExchange_002", "V2G-PHASE-TIME"),
    ("cable_check_ongoing_forever", "answers CableCheck with EVSEProcessing=Ongoing for ever",
     "TC_SECC_DC_VTB_DC_CableCheck_001", "V2G-PHASE-TIME"),
    ("precharge_never_reached", "never raises its output voltage in PreCharge", "TC_SECC_DC_VTB_DC_PreCharge_001",
     "V2G-PRECHARGE"),
    ("unknown_payload_type", "sends PowerDeliveryRes with V2GTP payload type 0x7001",
     "TC_SECC_DC_VTB_PowerDelivery_001", "V2G-V2GTP-HEADER"),
    ("power_delivery_failed", "ISO 15118-20: answers PowerDeliveryReq(Start) with FAILED_PowerDeliveryNotApplied",
     ("TC_SECC_DC_VTB_PowerDelivery_002", "TC_SECC_AC_VTB_PowerDelivery_003"), "V2G-RESPONSE-CODE"),
    ("late_charge_loop", "ISO 15118-20: answers the 3rd DC_ChargeLoopReq/AC_ChargeLoopReq after 350 ms (performance "
     "time 250 ms, EVCC timeout 500 ms)",
     ("TC_SECC_DC_VTB_DC_ChargeLoop_001", "TC_SECC_DC_VTB_DC_ChargeLoop_003", "TC_SECC_AC_VTB_AC_ChargeLoop_001",
      "TC_SECC_AC_VTB_AC_ChargeLoop_002", "TC_SECC_AC_VTB_AC_ChargeLoop_003"), "V2G-SECC-PERFORMANCE"),
    ("exceeds_current", "delivers ten times the current the EV asks for", "TC_SECC_DC_VTB_DC_ChargeLoop_002",
     "V2G-EVSE-LIMITS"),
    ("silent_in_welding", "never answers WeldingDetectionReq", "TC_SECC_DC_VTB_DC_WeldingDetection_001",
     "V2G-NO-RESPONSE"),
    ("session_stop_failed", "answers SessionStopReq with FAILED", "TC_SECC_CMN_VTB_SessionStop_001",
     "V2G-RESPONSE-CODE"),
]


def evse_actions(faults: frozenset[str]) -> list[Action]:
    """The scripted part of the reference EVSE's -20 faults (the rest are flags the SECC engine reads)."""
    a: list[Action] = []
    f = faults
    if "bad_v2gtp_version" in f:
        a.append(Action("SessionSetupReq", header=BAD_VERSION))
    if "old_session_joined" in f:
        a.append(Action("SessionSetupReq", code="OK_OldSessionJoined"))
    if "late_response" in f:
        a.append(Action("ServiceDiscoveryReq", delay_s=1.8))
    if "wrong_session_id" in f:
        a.append(Action("ServiceDiscoveryReq", session_id=_UNKNOWN_SID))
    if "wrong_response_type" in f:
        a.append(Action("ServiceDiscoveryReq", send_instead=("SessionSetupRes", {
            "ResponseCode": "OK", "EVSEID": "DE*VGI*E1234567"})))
    if "bad_v2gtp_inverse" in f:
        a.append(Action("ServiceDiscoveryReq", header=BAD_INVERSE))
    if "authorization_setup_failed" in f:
        a.append(Action("AuthorizationSetupReq", code="FAILED"))
    if "failed_response_code" in f:
        a.append(Action("AuthorizationReq", code="FAILED"))
    if "authorization_ongoing_forever" in f:
        a.append(Action("AuthorizationReq", processing="Ongoing"))
    if "service_detail_failed" in f:
        a.append(Action("ServiceDetailReq", code="FAILED_ServiceIDInvalid"))
    if "accepts_invalid_service" in f:
        a.append(Action("ServiceDetailReq", code="OK"))
        a.append(Action("ServiceSelectionReq", code="OK"))
    if "service_selection_failed" in f:
        a.append(Action("ServiceSelectionReq", code="FAILED_ServiceSelectionInvalid"))
    if "undecodable_response" in f:
        for name in ("AC_ChargeParameterDiscoveryReq", "DC_ChargeParameterDiscoveryReq"):
            a.append(Action(name, payload=ISO20_TRUNCATED))
    if "no_response" in f:
        for name in ("AC_ChargeParameterDiscoveryReq", "DC_ChargeParameterDiscoveryReq"):
            a.append(Action(name, silence=True))
    if "schedule_exchange_ongoing_forever" in f:
        a.append(Action("ScheduleExchangeReq", processing="Ongoing"))
    if "no_schedule_offered" in f:
        a.append(Action("ScheduleExchangeReq", patch=_without_schedule))
    if "unknown_payload_type" in f:
        a.append(Action("PowerDeliveryReq", payload_type=0x7001))
    if "power_delivery_failed" in f:
        a.append(Action("PowerDeliveryReq", nth=1, code="FAILED_PowerDeliveryNotApplied"))
    if "late_charge_loop" in f:
        for name in ("AC_ChargeLoopReq", "DC_ChargeLoopReq"):
            a.append(Action(name, nth=3, delay_s=0.35))
    if "silent_in_welding" in f:
        a.append(Action("DC_WeldingDetectionReq", silence=True))
    if "session_stop_failed" in f:
        a.append(Action("SessionStopReq", code="FAILED"))
    return a


def _without_schedule(body: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in body.items() if k != "Scheduled_SEResControlMode"}
    out.setdefault("Dynamic_SEResControlMode", {})
    return out


register("evse", V, _EVSE)
ACTIONS[("evse", V)] = evse_actions

# --- reference EV (caught by the fake SECC, TC_EVCC_* tests) ----------------------------------------------------
_EV: list[tuple[str, str, str | tuple[str, ...], str]] = [
    ("sdp_bad_request", "sends SDP requests with out-of-range security/transport bytes and never connects",
     "TC_EVCC_CMN_VTB_SDP_001", "V2G-SDP-REQUEST"),
    ("never_connects", "does not start SDP or a V2G session when plugged in", "TC_EVCC_CMN_VTB_SDP_001",
     "V2G-NO-SESSION"),
    ("no_sap", "starts with SessionSetupReq instead of supportedAppProtocolReq",
     ("TC_EVCC_CMN_VTB_SupportedAppProtocol_001", "TC_EVCC_AC_VTB_SupportedAppProtocol_003"), "V2G-SAP-FIRST"),
    ("sap_duplicate_ids", "offers two protocols with the same SchemaID and priority",
     "TC_EVCC_CMN_VTB_SupportedAppProtocol_001", "V2G-SAP-OFFER"),
    ("stops_after_failed_sap", "ignores Failed_NoNegotiation and sends SessionSetupReq",
     "TC_EVCC_CMN_VTB_SupportedAppProtocol_002", "V2G-STOP-AFTER-FAILED"),
    ("repeats_session_setup", "sends SessionSetupReq again after ServiceDiscoveryRes",
     "TC_EVCC_CMN_VTB_SessionSetup_001", "V2G-SEQUENCE"),
    ("ignores_failed", "carries on with the next request after a FAILED response code",
     ("TC_EVCC_CMN_VTB_SessionSetup_004", "TC_EVCC_CMN_VTB_ServiceSelection_002", "TC_EVCC_DC_VTB_DC_ChargeLoop_003"),
     "V2G-STOP-AFTER-FAILED"),
    ("ongoing_not_repeated", "ISO 15118-20: after an Ongoing answer sends another request instead of repeating "
     "AuthorizationReq / ScheduleExchangeReq",
     ("TC_EVCC_CMN_VTB_Authorization_001", "TC_EVCC_CMN_VTB_ScheduleExchange_001"), "V2G-SEQUENCE"),
    ("ignores_phase_timeouts", "repeats CableCheck/PreCharge for ever while the EVSE is not ready",
     ("TC_EVCC_CMN_VTB_Authorization_003", "TC_EVCC_CMN_VTB_ScheduleExchange_004", "TC_EVCC_DC_VTB_DC_CableCheck_007",
      "TC_EVCC_DC_VTB_DC_PreCharge_006"), "V2G-ONGOING-TIMEOUT"),
    ("wrong_session_id", "uses another SessionID than the one the SECC assigned",
     "TC_EVCC_CMN_VTB_ServiceDiscovery_001", "V2G-SESSION-ID"),
    ("bad_v2gtp_version", "sends ServiceDiscoveryReq with protocol version 0x02",
     "TC_EVCC_CMN_VTB_ServiceDiscovery_001", "V2G-V2GTP-HEADER"),
    ("bad_v2gtp_inverse", "sends ServiceDiscoveryReq with a wrong inverse protocol version",
     "TC_EVCC_CMN_VTB_ServiceDiscovery_001", "V2G-V2GTP-HEADER"),
    ("selects_before_discovery", "ISO 15118-20: sends ServiceSelectionReq where ServiceDiscoveryReq belongs",
     "TC_EVCC_CMN_VTB_ServiceSelection_001", "V2G-SEQUENCE"),
    ("zero_session_id_midway", "sends SessionID 0 in ChargeParameterDiscoveryReq",
     ("TC_EVCC_DC_VTB_DC_ChargeParameterDiscovery_001", "TC_EVCC_AC_VTB_AC_ChargeParameterDiscovery_001"),
     "V2G-SESSION-ID"),
    ("sequence_error", "sends ServiceDiscoveryReq where ChargeParameterDiscoveryReq belongs",
     ("TC_EVCC_DC_VTB_DC_ChargeParameterDiscovery_001", "TC_EVCC_AC_VTB_AC_ChargeParameterDiscovery_001"),
     "V2G-SEQUENCE"),
    ("wrong_payload_type", "ISO 15118-20: frames DC_CableCheckReq as CommonMessages (0x8002) and "
     "AC_ChargeParameterDiscoveryReq as DC (0x8004), so the SECC decodes them with the wrong grammar",
     ("TC_EVCC_DC_VTB_DC_CableCheck_001", "TC_EVCC_AC_VTB_AC_ChargeParameterDiscovery_001"), "V2G-EXI-DECODE"),
    ("unknown_payload_type", "sends CableCheckReq with V2GTP payload type 0x7001", "TC_EVCC_DC_VTB_DC_CableCheck_001",
     "V2G-V2GTP-HEADER"),
    ("skips_cable_check", "goes from ChargeParameterDiscovery straight to PreCharge",
     "TC_EVCC_DC_VTB_DC_CableCheck_001", "V2G-SEQUENCE"),
    ("ignores_msg_timeout", "keeps waiting for a response far beyond V2G_EVCC_Msg_Timeout",
     ("TC_EVCC_DC_VTB_DC_CableCheck_006", "TC_EVCC_DC_VTB_DC_ChargeLoop_005", "TC_EVCC_AC_VTB_AC_ChargeLoop_005"),
     "V2G-EVCC-TIMEOUT"),
    ("retries_after_timeout", "sends the unanswered request again after its timeout",
     ("TC_EVCC_DC_VTB_DC_CableCheck_006", "TC_EVCC_DC_VTB_DC_ChargeLoop_005"), "V2G-EVCC-TIMEOUT"),
    ("undecodable_request", "sends a PreChargeReq whose EXI is cut short", "TC_EVCC_DC_VTB_DC_PreCharge_001",
     "V2G-EXI-DECODE"),
    ("no_power_delivery_stop", "sends WeldingDetectionReq right after the charge loop, without PowerDelivery(stop)",
     ("TC_EVCC_DC_VTB_PowerDelivery_001", "TC_EVCC_DC_VTB_PowerDelivery_002"), "V2G-SEQUENCE"),
    ("slow_charge_loop", "pauses 4 s before its 3rd CurrentDemandReq (beyond the SECC's sequence timeout)",
     ("TC_EVCC_DC_VTB_DC_ChargeLoop_001", "TC_EVCC_AC_VTB_AC_ChargeLoop_001", "TC_EVCC_AC_VTB_AC_ChargeLoop_002"),
     "V2G-SEQUENCE-TIMEOUT"),
    ("closes_during_charge_loop", "drops the TCP connection in the charge loop",
     ("TC_EVCC_DC_VTB_DC_ChargeLoop_001", "TC_EVCC_AC_VTB_AC_ChargeLoop_001"), "V2G-SESSION-STOP"),
    ("target_above_max", "asks for more current than its own maximum current limit",
     "TC_EVCC_DC_VTB_DC_ChargeLoop_002", "V2G-EV-PARAMETERS"),
    ("no_session_stop", "closes the connection after WeldingDetection without SessionStop",
     ("TC_EVCC_DC_VTB_DC_WeldingDetection_001", "TC_EVCC_CMN_VTB_SessionStop_001"), "V2G-SESSION-STOP"),
    ("requests_after_stop", "sends another request after SessionStopRes", "TC_EVCC_CMN_VTB_SessionStop_001",
     "V2G-SEQUENCE"),
    ("lingers_after_stop", "keeps the TCP connection open after SessionStopRes until the SECC closes it",
     "TC_EVCC_CMN_VTB_SessionStop_001", "V2G-CLOSE-AFTER-STOP"),
]


def ev_actions(faults: frozenset[str]) -> list[Action]:
    """The scripted part of the reference EV's -20 faults."""
    a: list[Action] = []
    f = faults
    if "repeats_session_setup" in f:
        a.append(Action("AuthorizationSetupReq", send_instead=("SessionSetupReq", {"EVCCID": "WVGIZZZ0TEST00002"})))
    if "ongoing_not_repeated" in f:
        a.append(Action("AuthorizationReq", nth=2, send_instead=("ServiceSelectionReq", {
            "SelectedEnergyTransferService": {"ServiceID": 2, "ParameterSetID": 1}})))
        a.append(Action("ScheduleExchangeReq", nth=2, send_instead=("ServiceDiscoveryReq", {})))
    if "wrong_session_id" in f:
        a.append(Action("ServiceDiscoveryReq", session_id=bytes.fromhex("0badc0ffee000002")))
    if "bad_v2gtp_version" in f:
        a.append(Action("ServiceDiscoveryReq", header=BAD_VERSION))
    if "bad_v2gtp_inverse" in f:
        a.append(Action("ServiceDiscoveryReq", header=BAD_INVERSE))
    if "selects_before_discovery" in f:
        a.append(Action("ServiceDiscoveryReq", send_instead=("ServiceSelectionReq", {
            "SelectedEnergyTransferService": {"ServiceID": 2, "ParameterSetID": 1}})))
    for name in ("AC_ChargeParameterDiscoveryReq", "DC_ChargeParameterDiscoveryReq"):
        if "zero_session_id_midway" in f:
            a.append(Action(name, session_id=bytes(8)))
        if "sequence_error" in f:
            a.append(Action(name, nth=1, send_instead=("ServiceDiscoveryReq", {})))
    if "wrong_payload_type" in f:
        a.append(Action("DC_CableCheckReq", nth=1, payload_type=0x8002))
        a.append(Action("AC_ChargeParameterDiscoveryReq", nth=1, payload_type=0x8004))
    if "unknown_payload_type" in f:
        a.append(Action("DC_CableCheckReq", nth=1, payload_type=0x7001))
    if "skips_cable_check" in f:
        a.append(Action("DC_CableCheckReq", nth=1, send_instead=("DC_PreChargeReq", {
            "EVProcessing": "Ongoing", "EVPresentVoltage": rational(380), "EVTargetVoltage": rational(380)})))
    if "undecodable_request" in f:
        a.append(Action("DC_PreChargeReq", nth=1, payload=ISO20_TRUNCATED))
    if "no_power_delivery_stop" in f:
        a.append(Action("PowerDeliveryReq", nth=2, send_instead=("DC_WeldingDetectionReq", {
            "EVProcessing": "Finished"})))
    for name in ("AC_ChargeLoopReq", "DC_ChargeLoopReq"):
        if "slow_charge_loop" in f:  # -20: the SECC waits only 0.5 s after a charge-loop response
            a.append(Action(name, nth=3, delay_s=0.9))
        if "closes_during_charge_loop" in f:
            a.append(Action(name, nth=3, close=True))
    if "target_above_max" in f:
        a.append(Action("DC_ChargeLoopReq", patch=_target_above_max))
    if "no_session_stop" in f:
        a.append(Action("SessionStopReq", close=True))
    return a


def _target_above_max(body: dict[str, Any]) -> dict[str, Any]:
    """Scheduled DC charge loop: EVTargetCurrent 900 A, above the EV's own EVMaximumChargeCurrent."""
    out = dict(body)
    for key, ctl in body.items():
        if key.endswith("CLReqControlMode") and isinstance(ctl, dict) and "EVTargetCurrent" in ctl:
            out[key] = {**ctl, "EVTargetCurrent": rational(900)}
    return out


register("ev", V, _EV)
ACTIONS[("ev", V)] = ev_actions
