"""Fault catalogs of the reference EV and the reference EVSE: each fault, what it does, the suite test that must
catch it and the rule id that test must report (tests/test_fault_matrix.py runs every entry; docs/faults.md
lists them). Faults are mostly scripted deviations (:class:`Action`) of the device's own messages; the rest are
flags the engines read (``self.faults``)."""

from __future__ import annotations

from typing import Callable

from ..faults import FaultCatalog
from .script import Action

EV_FAULTS = FaultCatalog("ISO 15118 EV")
EVSE_FAULTS = FaultCatalog("ISO 15118 EVSE")
VERSIONS = ("din",)  # protocol families whose suites name these tests (ISO-2 and -20 follow)

BAD_VERSION = bytes((0x02, 0xFD))
BAD_INVERSE = bytes((0x01, 0xFF))
DIN_TRUNCATED = b"\x80"  # an EXI stream cut short after its header byte: no grammar can decode it

# --- reference EVSE (caught by the fake EVCC, TC_SECC_* tests) --------------------------------------------------
_EVSE: list[tuple[str, str, str | tuple[str, ...], str]] = [
    ("no_sdp_answer", "never answers SDP requests", "TC_SECC_CMN_VTB_SDP_001", "V2G-SDP-ANSWER"),
    ("sdp_wrong_port", "announces a TCP port nothing listens on", "TC_SECC_CMN_VTB_SDP_001", "V2G-SDP-ANSWER"),
    ("sdp_bad_header", "answers SDP with a bad V2GTP version", "TC_SECC_CMN_VTB_SDP_001", "V2G-SDP-ANSWER"),
    ("sap_wrong_schema_id", "answers supportedAppProtocol with a SchemaID the EV did not offer",
     "TC_SECC_CMN_VTB_SupportedAppProtocol_001", "V2G-SAP-RESULT"),
    ("sap_no_negotiation", "answers Failed_NoNegotiation to an offer it supports",
     "TC_SECC_CMN_VTB_SupportedAppProtocol_001", "V2G-SAP-CHOICE"),
    ("sap_rejects_unknown_namespace", "refuses an offer as soon as it lists a namespace it does not know",
     "TC_SECC_CMN_VTB_SupportedAppProtocol_004", "V2G-SAP-CHOICE"),
    ("zero_session_id", "gives SessionID 0 in SessionSetupRes", "TC_SECC_CMN_VTB_SessionSetup_001",
     "V2G-NEW-SESSION"),
    ("no_sequence_error", "answers requests out of sequence as if they were in sequence",
     ("TC_SECC_CMN_VTB_SessionSetup_002", "TC_SECC_CMN_VTB_ServiceDiscovery_002", "TC_SECC_DC_VTB_CurrentDemand_002"),
     "V2G-RESPONSE-CODE"),
    ("keeps_open_after_failed", "keeps the TCP connection open after a FAILED answer",
     ("TC_SECC_CMN_VTB_SessionSetup_002", "TC_SECC_CMN_VTB_SupportedAppProtocol_002"), "V2G-CLOSE-AFTER-FAILED"),
    ("ignores_sequence_timeout", "keeps waiting far beyond V2G_SECC_Sequence_Timeout for the next request",
     "TC_SECC_CMN_VTB_SessionSetup_003", "V2G-SECC-SEQUENCE-CLOSE"),
    ("early_sequence_close", "closes the connection long before V2G_SECC_Sequence_Timeout",
     "TC_SECC_CMN_VTB_SessionSetup_003", "V2G-SECC-SEQUENCE-CLOSE"),
    ("bad_v2gtp_version", "sends its SessionSetupRes with protocol version 0x02",
     "TC_SECC_CMN_VTB_V2GTPSessionSetup_001", "V2G-V2GTP-HEADER"),
    ("answers_bad_header", "answers frames whose V2GTP header it must ignore",
     ("TC_SECC_CMN_VTB_V2GTPSessionSetup_003", "TC_SECC_CMN_VTB_V2GTPSessionSetup_004",
      "TC_SECC_CMN_VTB_V2GTPSessionSetup_005"), "V2G-HEADER-IGNORED"),
    ("late_response", "answers ServiceDiscoveryReq after 1.8 s (performance time 1.5 s)",
     "TC_SECC_CMN_VTB_ServiceDiscovery_001", "V2G-SECC-PERFORMANCE"),
    ("wrong_session_id", "answers with another SessionID than the one it assigned",
     "TC_SECC_CMN_VTB_ServiceDiscovery_001", "V2G-SESSION-ID"),
    ("wrong_response_type", "answers ServiceDiscoveryReq with a SessionSetupRes",
     "TC_SECC_CMN_VTB_ServiceDiscovery_001", "V2G-UNEXPECTED-RESPONSE"),
    ("bad_v2gtp_inverse", "sends ServiceDiscoveryRes with a wrong inverse protocol version",
     "TC_SECC_CMN_VTB_ServiceDiscovery_001", "V2G-V2GTP-HEADER"),
    ("failed_response_code", "answers a valid ContractAuthentication/Authorization with FAILED",
     "TC_SECC_CMN_VTB_Authorization_001", "V2G-RESPONSE-CODE"),
    ("undecodable_response", "sends a ChargeParameterDiscoveryRes whose EXI is cut short",
     "TC_SECC_DC_VTB_ChargeParameterDiscovery_001", "V2G-EXI-DECODE"),
    ("no_response", "never answers ChargeParameterDiscoveryReq (keeps the connection open)",
     "TC_SECC_DC_VTB_ChargeParameterDiscovery_001", "V2G-NO-RESPONSE"),
    ("accepts_unknown_session", "answers requests that carry an unknown SessionID",
     "TC_SECC_DC_VTB_ChargeParameterDiscovery_002", "V2G-RESPONSE-CODE"),
    ("accepts_wrong_energy_transfer", "accepts an energy transfer type it does not offer",
     "TC_SECC_DC_VTB_ChargeParameterDiscovery_003", "V2G-RESPONSE-CODE"),
    ("cable_check_ongoing_forever", "answers CableCheck with EVSEProcessing=Ongoing for ever",
     "TC_SECC_DC_VTB_CableCheck_001", "V2G-PHASE-TIME"),
    ("precharge_never_reached", "never raises its output voltage in PreCharge", "TC_SECC_DC_VTB_PreCharge_001",
     "V2G-PRECHARGE"),
    ("unknown_payload_type", "sends PowerDeliveryRes with V2GTP payload type 0x7001",
     "TC_SECC_DC_VTB_PowerDelivery_001", "V2G-V2GTP-HEADER"),
    ("late_current_demand", "answers CurrentDemandReq after 150 ms (performance time 25 ms; the reference "
     "profiles allow 100 ms)",
     "TC_SECC_DC_VTB_CurrentDemand_001", "V2G-SECC-PERFORMANCE"),
    ("exceeds_current", "delivers ten times the current the EV asks for", "TC_SECC_DC_VTB_CurrentDemand_001",
     "V2G-EVSE-LIMITS"),
    ("silent_in_welding", "never answers WeldingDetectionReq", "TC_SECC_DC_VTB_WeldingDetection_001",
     "V2G-NO-RESPONSE"),
    ("session_stop_failed", "answers SessionStopReq with FAILED", "TC_SECC_DC_VTB_SessionStop_001",
     "V2G-RESPONSE-CODE"),
]

# --- reference EV (caught by the fake SECC, TC_EVCC_* tests) ----------------------------------------------------
_EV: list[tuple[str, str, str | tuple[str, ...], str]] = [
    ("sdp_bad_request", "sends SDP requests with out-of-range security/transport bytes and never connects",
     "TC_EVCC_CMN_VTB_SDP_001", "V2G-SDP-REQUEST"),
    ("never_connects", "does not start SDP or a V2G session when plugged in", "TC_EVCC_CMN_VTB_SDP_001",
     "V2G-NO-SESSION"),
    ("no_sap", "starts with SessionSetupReq instead of supportedAppProtocolReq",
     "TC_EVCC_CMN_VTB_SupportedAppProtocol_001", "V2G-SAP-FIRST"),
    ("sap_duplicate_ids", "offers two protocols with the same SchemaID and priority",
     "TC_EVCC_CMN_VTB_SupportedAppProtocol_001", "V2G-SAP-OFFER"),
    ("repeats_session_setup", "sends SessionSetupReq again after ServiceDiscoveryRes",
     "TC_EVCC_CMN_VTB_SessionSetup_001", "V2G-SEQUENCE"),
    ("wrong_session_id", "uses another SessionID than the one the SECC assigned",
     "TC_EVCC_CMN_VTB_ServiceDiscovery_001", "V2G-SESSION-ID"),
    ("zero_session_id_midway", "sends SessionID 0 in ChargeParameterDiscoveryReq",
     "TC_EVCC_DC_VTB_ChargeParameterDiscovery_001", "V2G-SESSION-ID"),
    ("sequence_error", "sends ServiceDiscoveryReq where ChargeParameterDiscoveryReq belongs",
     "TC_EVCC_DC_VTB_ChargeParameterDiscovery_001", "V2G-SEQUENCE"),
    ("skips_cable_check", "goes from ChargeParameterDiscovery straight to PreCharge",
     "TC_EVCC_DC_VTB_CableCheck_001", "V2G-SEQUENCE"),
    ("bad_v2gtp_version", "sends ServiceDiscoveryReq with protocol version 0x02",
     "TC_EVCC_CMN_VTB_ServiceDiscovery_001", "V2G-V2GTP-HEADER"),
    ("bad_v2gtp_inverse", "sends ServiceDiscoveryReq with a wrong inverse protocol version",
     "TC_EVCC_CMN_VTB_ServiceDiscovery_001", "V2G-V2GTP-HEADER"),
    ("unknown_payload_type", "sends CableCheckReq with V2GTP payload type 0x7001", "TC_EVCC_DC_VTB_CableCheck_001",
     "V2G-V2GTP-HEADER"),
    ("undecodable_request", "sends a PreChargeReq whose EXI is cut short", "TC_EVCC_DC_VTB_PreCharge_001",
     "V2G-EXI-DECODE"),
    ("power_before_precharge_done", "asks for power before the EVSE's voltage reached its target",
     "TC_EVCC_DC_VTB_PreCharge_001", "V2G-EV-PARAMETERS"),
    ("target_above_max", "asks for more current than its own maximum current limit",
     "TC_EVCC_DC_VTB_CurrentDemand_001", "V2G-EV-PARAMETERS"),
    ("slow_charge_loop", "pauses before its 3rd charge-loop request for longer than the SECC's sequence timeout "
     "(4 s with the reference profiles; ISO 15118-20: 0.9 s)",
     "TC_EVCC_DC_VTB_CurrentDemand_001", "V2G-SEQUENCE-TIMEOUT"),
    ("no_power_delivery_stop", "sends WeldingDetectionReq right after the charge loop, without PowerDelivery(stop)",
     "TC_EVCC_DC_VTB_PowerDelivery_001", "V2G-SEQUENCE"),
    ("closes_during_charge_loop", "drops the TCP connection in the charge loop", "TC_EVCC_DC_VTB_CurrentDemand_001",
     "V2G-SESSION-STOP"),
    ("no_session_stop", "closes the connection after WeldingDetection without SessionStop",
     "TC_EVCC_DC_VTB_SessionStop_001", "V2G-SESSION-STOP"),
    ("requests_after_stop", "sends another request after SessionStopRes", "TC_EVCC_DC_VTB_SessionStop_001",
     "V2G-SEQUENCE"),
    ("lingers_after_stop", "keeps the TCP connection open after SessionStopRes until the SECC closes it",
     "TC_EVCC_DC_VTB_SessionStop_001", "V2G-CLOSE-AFTER-STOP"),
    ("ignores_failed", "carries on with the next request after a FAILED response code",
     ("TC_EVCC_CMN_VTB_SessionSetup_004", "TC_EVCC_DC_VTB_CurrentDemand_002"), "V2G-STOP-AFTER-FAILED"),
    ("ignores_msg_timeout", "keeps waiting for a response far beyond V2G_EVCC_Msg_Timeout",
     ("TC_EVCC_DC_VTB_CableCheck_006", "TC_EVCC_DC_VTB_CurrentDemand_005"), "V2G-EVCC-TIMEOUT"),
    ("retries_after_timeout", "sends the unanswered request again after its timeout",
     "TC_EVCC_DC_VTB_CableCheck_006", "V2G-EVCC-TIMEOUT"),
    ("ignores_phase_timeouts", "repeats CableCheck/PreCharge for ever while the EVSE is not ready",
     ("TC_EVCC_DC_VTB_CableCheck_007", "TC_EVCC_DC_VTB_PreCharge_006"), "V2G-ONGOING-TIMEOUT"),
    ("stops_after_failed_sap", "ignores Failed_NoNegotiation and sends SessionSetupReq",
     "TC_EVCC_CMN_VTB_SupportedAppProtocol_002", "V2G-STOP-AFTER-FAILED"),
]


def register(role: str, version: str, table: list[tuple[str, str, str | tuple[str, ...], str]]) -> None:
    """Register one suite's detections: (fault, description, test id(s) without ``test_``, rule id) per row.
    ``role`` is "ev" or "evse"; each protocol family's suite registers its own table (ids differ per family)."""
    cat = EV_FAULTS if role == "ev" else EVSE_FAULTS
    for name, desc, tests, rule in table:
        names = (tests,) if isinstance(tests, str) else tests
        cat.fault(name, desc, version=version, tests=tuple(f"test_{t}" for t in names), rule=rule)


# The scripted part of each fault, per protocol family (message names differ); din's also serves as default.
ACTIONS: dict[tuple[str, str], Callable[[frozenset[str]], list[Action]]] = {}


def actions_for(role: str, version: str, faults: frozenset[str]) -> list[Action]:
    fn = ACTIONS.get((role, version)) or ACTIONS[(role, "din")]
    return fn(faults)


for _v in VERSIONS:
    register("evse", _v, _EVSE)
    register("ev", _v, _EV)


def evse_actions(faults: frozenset[str]) -> list[Action]:
    """The scripted part of the reference EVSE's faults (the rest are flags the SECC engine reads)."""
    a: list[Action] = []
    f = faults
    if "bad_v2gtp_version" in f:
        a.append(Action("SessionSetupReq", header=BAD_VERSION))
    if "late_response" in f:
        a.append(Action("ServiceDiscoveryReq", delay_s=1.8))
    if "wrong_session_id" in f:
        a.append(Action("ServiceDiscoveryReq", session_id=bytes.fromhex("0badc0ffee000001")))
    if "wrong_response_type" in f:
        a.append(Action("ServiceDiscoveryReq", send_instead=("SessionSetupRes", {"ResponseCode": "OK",
                                                                                 "EVSEID": b"\x00"})))
    if "bad_v2gtp_inverse" in f:
        a.append(Action("ServiceDiscoveryReq", header=BAD_INVERSE))
    if "failed_response_code" in f:
        for name in ("ContractAuthenticationReq", "AuthorizationReq"):
            a.append(Action(name, code="FAILED"))
    if "undecodable_response" in f:
        a.append(Action("ChargeParameterDiscoveryReq", payload=DIN_TRUNCATED))
    if "no_response" in f:
        a.append(Action("ChargeParameterDiscoveryReq", silence=True))
    if "unknown_payload_type" in f:
        a.append(Action("PowerDeliveryReq", payload_type=0x7001))
    if "late_current_demand" in f:
        a.append(Action("CurrentDemandReq", delay_s=0.15))
    if "silent_in_welding" in f:
        a.append(Action("WeldingDetectionReq", silence=True))
    if "session_stop_failed" in f:
        a.append(Action("SessionStopReq", code="FAILED"))
    return a


def ev_actions(faults: frozenset[str]) -> list[Action]:
    """The scripted part of the reference EV's faults."""
    a: list[Action] = []
    f = faults
    if "repeats_session_setup" in f:
        a.append(Action("ServicePaymentSelectionReq", send_instead=("SessionSetupReq", {"EVCCID": b"\x02\0\0\0\0\1"})))
    if "wrong_session_id" in f:
        a.append(Action("ServiceDiscoveryReq", session_id=bytes.fromhex("0badc0ffee000002")))
    if "zero_session_id_midway" in f:
        a.append(Action("ChargeParameterDiscoveryReq", session_id=bytes(8)))
    if "sequence_error" in f:
        a.append(Action("ChargeParameterDiscoveryReq", nth=1, send_instead=("ServiceDiscoveryReq", {})))
    if "bad_v2gtp_version" in f:
        a.append(Action("ServiceDiscoveryReq", header=BAD_VERSION))
    if "bad_v2gtp_inverse" in f:
        a.append(Action("ServiceDiscoveryReq", header=BAD_INVERSE))
    if "target_above_max" in f:
        a.append(Action("CurrentDemandReq", patch=lambda b: {**b, "EVTargetCurrent": {
            "Multiplier": 0, "Unit": "A", "Value": 900}}))
    if "no_power_delivery_stop" in f:
        a.append(Action("PowerDeliveryReq", nth=2, send_instead=("WeldingDetectionReq", {"DC_EVStatus": {
            "EVReady": True, "EVErrorCode": "NO_ERROR", "EVRESSSOC": 80}})))
    if "no_session_stop" in f:
        a.append(Action("SessionStopReq", close=True))
    if "unknown_payload_type" in f:
        a.append(Action("CableCheckReq", nth=1, payload_type=0x7001))
    if "skips_cable_check" in f:
        a.append(Action("CableCheckReq", nth=1, send_instead=("PreChargeReq", {
            "DC_EVStatus": {"EVReady": True, "EVErrorCode": "NO_ERROR", "EVRESSSOC": 30},
            "EVTargetVoltage": {"Multiplier": 0, "Unit": "V", "Value": 380},
            "EVTargetCurrent": {"Multiplier": 0, "Unit": "A", "Value": 2}})))
    if "undecodable_request" in f:
        a.append(Action("PreChargeReq", nth=1, payload=DIN_TRUNCATED))
    if "slow_charge_loop" in f:
        a.append(Action("CurrentDemandReq", nth=3, delay_s=4.0))
    if "closes_during_charge_loop" in f:
        a.append(Action("CurrentDemandReq", nth=3, close=True))
    return a


ACTIONS[("evse", "din")] = evse_actions
ACTIONS[("ev", "din")] = ev_actions


def _load_families() -> None:
    """Import the other families' catalog tables (each registers its suite's detections and actions)."""
    import importlib
    for module in ("catalog_iso2", "catalog_iso20", "catalog_iso2_pnc"):
        try:
            importlib.import_module(f"{__package__}.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.{module}":
                raise


_load_families()
