"""ISO 15118-2 (EIM, AC and DC): which suites/iso15118_2 case catches each reference-device fault, and the
faults' scripted actions with ISO 15118-2 message names. Most faults mean the same as in DIN SPEC 70121 and are
caught by the case of the same ISO 15118-4 id; the AC, pause/resume and payment cases add their own rows."""

from __future__ import annotations

from .catalog import ACTIONS, _EV, _EVSE, ev_actions, evse_actions, register
from .script import Action

VERSION = "iso-2"

_EVSE_EXTRA: list[tuple[str, str, str | tuple[str, ...], str]] = [
    ("no_session_resume", "starts a new session when the EV asks to join its paused one",
     ("TC_SECC_DC_VTB_SessionSetup_003", "TC_SECC_AC_VTB_SessionSetup_003"), "V2G-NEW-SESSION"),
    ("accepts_invalid_payment", "accepts a payment option it did not offer",
     "TC_SECC_CMN_VTB_PaymentServiceSelection_002", "V2G-RESPONSE-CODE"),
    ("payment_selection_failed", "answers a valid PaymentServiceSelectionReq with FAILED",
     "TC_SECC_CMN_VTB_PaymentServiceSelection_001", "V2G-RESPONSE-CODE"),
    ("late_charging_status", "answers ChargingStatusReq after 1.8 s (performance time 1.5 s)",
     "TC_SECC_AC_VTB_ChargingStatus_001", "V2G-SECC-PERFORMANCE"),
    ("sap_ignores_priority", "chooses its own preferred protocol in supportedAppProtocol, not the EV's priority",
     "TC_SECC_CMN_VTB_SupportedAppProtocol_003", "V2G-SAP-CHOICE"),
    ("renegotiation_refused", "answers PowerDeliveryReq(Renegotiate) with FAILED",
     ("TC_SECC_DC_VTB_PowerDelivery_002", "TC_SECC_AC_VTB_PowerDelivery_002"), "V2G-RESPONSE-CODE"),
]
_EV_EXTRA: list[tuple[str, str, str | tuple[str, ...], str]] = [
    ("skips_ongoing", "goes on to the next step although the EVSE answered EVSEProcessing=Ongoing",
     "TC_EVCC_CMN_VTB_Authorization_001", "V2G-SEQUENCE"),
    ("no_session_resume", "starts a new session (SessionID 0) instead of joining its paused one",
     "TC_EVCC_DC_VTB_SessionStop_002", "V2G-SESSION-RESUME"),
    ("ignores_notifications", "stays in the charge loop when the EVSE notifies StopCharging or ReNegotiation",
     ("TC_EVCC_DC_VTB_PowerDelivery_002", "TC_EVCC_DC_VTB_CurrentDemand_003", "TC_EVCC_AC_VTB_ChargingStatus_004"),
     "V2G-EVSE-NOTIFICATION"),
]
# DIN rows whose ISO 15118-2 twin needs more (or other) cases to be caught
_MORE = {
    "undecodable_response": ("TC_SECC_AC_VTB_ChargeParameterDiscovery_001",),
    "accepts_unknown_session": ("TC_SECC_AC_VTB_ChargeParameterDiscovery_002",),
    "unknown_payload_type@evse": ("TC_SECC_AC_VTB_PowerDelivery_001",),
    "no_sequence_error": ("TC_SECC_CMN_VTB_Authorization_002", "TC_SECC_AC_VTB_ChargingStatus_002"),
    "session_stop_failed": ("TC_SECC_AC_VTB_SessionStop_001",),
    "no_power_delivery_stop": ("TC_EVCC_AC_VTB_PowerDelivery_001",),
    "slow_charge_loop": ("TC_EVCC_AC_VTB_ChargingStatus_001",),
    "ignores_failed": ("TC_EVCC_AC_VTB_ChargingStatus_002",),
    "ignores_msg_timeout": ("TC_EVCC_AC_VTB_ChargingStatus_003",),
}


def _extend(table: list, role: str) -> list:
    """The DIN rows with this suite's extra cases ("name@role" keys name one role's fault of that name)."""
    out = []
    for name, desc, tests, rule in table:
        names = (tests,) if isinstance(tests, str) else tuple(tests)
        out.append((name, desc, names + tuple(_MORE.get(f"{name}@{role}", _MORE.get(name, ()))), rule))
    return out


register("evse", VERSION, _extend(_EVSE, "evse") + _EVSE_EXTRA)
register("ev", VERSION, _extend(_EV, "ev") + _EV_EXTRA)

_RENAME = {"ServicePaymentSelectionReq": "PaymentServiceSelectionReq", "ContractAuthenticationReq": "AuthorizationReq"}


def _renamed(actions: list[Action]) -> list[Action]:
    for a in actions:
        a.match = _RENAME.get(a.match, a.match)
    return actions


def iso2_evse_actions(faults: frozenset[str]) -> list[Action]:
    a = [x for x in evse_actions(faults) if not (x.send_instead and x.send_instead[0] == "SessionSetupRes")]
    if "wrong_response_type" in faults:
        a.append(Action("ServiceDiscoveryReq", send_instead=("SessionSetupRes", {"ResponseCode": "OK",
                                                                                 "EVSEID": "DE*VGI*E1234567"})))
    if "payment_selection_failed" in faults:
        a.append(Action("PaymentServiceSelectionReq", code="FAILED"))
    if "late_charging_status" in faults:
        a.append(Action("ChargingStatusReq", delay_s=1.8))
    return _renamed(a)


def iso2_ev_actions(faults: frozenset[str]) -> list[Action]:
    a = ev_actions(faults)
    if "slow_charge_loop" in faults:
        a.append(Action("ChargingStatusReq", nth=3, delay_s=4.0))
    if "closes_during_charge_loop" in faults:
        a.append(Action("ChargingStatusReq", nth=3, close=True))
    return _renamed(a)


ACTIONS[("evse", VERSION)] = iso2_evse_actions
ACTIONS[("ev", VERSION)] = iso2_ev_actions


def _robustness_rows(role: str, version: str = VERSION) -> list[tuple[str, str, str, str]]:
    """The robustness and life-cycle faults of issue 15 (vgitest/iso15118/robustness.py), caught by the fuzz cases of
    suites/iso15118_2_fuzz and, but for those a family has no room for (``NOT_IN``), suites/din70121_fuzz and
    suites/iso15118_20_fuzz (flags the engines read, no scripted actions)."""
    from .robustness import CAUGHT_BY, EV_FAULTS, EVSE_FAULTS, NOT_IN
    faults = EVSE_FAULTS if role == "evse" else EV_FAULTS
    return [(name, desc, *CAUGHT_BY[f"{role}:{name}"]) for name, desc in faults.items()
            if name not in NOT_IN.get(version, ()) and f"{role}:{name}" not in NOT_IN.get(version, ())]


register("evse", VERSION, _robustness_rows("evse"))
register("ev", VERSION, _robustness_rows("ev"))
for _family in ("din", "iso-20"):  # the same faults in the reference DIN and -20 EVSE and EV
    register("evse", _family, _robustness_rows("evse", _family))
    register("ev", _family, _robustness_rows("ev", _family))
