"""ISO 15118-20 (AC and DC, each with and without BPT; Scheduled and Dynamic control mode, EIM): the EV's request
sequence and the EVSE's answers.

Sequence: SessionSetup, AuthorizationSetup, Authorization (EIM, repeated while the EVSE says Ongoing),
ServiceDiscovery, ServiceDetail (of the energy service the mode names), ServiceSelection (the first parameter
set whose ControlMode matches), AC_/DC_ChargeParameterDiscovery, ScheduleExchange (repeated while Ongoing);
DC only: DC_CableCheck (repeated while Ongoing), DC_PreCharge (until the EVSE's voltage is near the battery's,
then once more with EVProcessing Finished); PowerDelivery(Start), AC_/DC_ChargeLoop until the battery is at its
target, PowerDelivery(Stop); DC only: DC_WeldingDetection; SessionStop(Terminate, or Pause).

Unlike DIN and ISO-2, every -20 message is a root element carrying its own Header (SessionID, TimeStamp); AC
messages travel in the -20 AC grammar (V2GTP payload type 0x8003), DC ones in the DC grammar (0x8004) and all
others in CommonMessages (0x8002). Values are RationalNumbers (Exponent, Value).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from . import family
from .family import EvLogic, EvseLogic, Msg
from .params import EvParams, EvseParams, from_rational, rational

NAMESPACES = {"DC": "urn:iso:std:iso:15118:-20:DC", "AC": "urn:iso:std:iso:15118:-20:AC"}
NAMESPACE = NAMESPACES["DC"]

# Energy transfer services (ISO 15118-20 service IDs) per mode, and ControlMode parameter values.
SERVICE_IDS = {"AC": 1, "DC": 2, "AC_BPT": 5, "DC_BPT": 6}
MODE_OF_SERVICE = {v: k for k, v in SERVICE_IDS.items()}
CONTROL_MODES = {"Scheduled": 1, "Dynamic": 2}
PRICE_ALGORITHM_POWER = "urn:iso:std:iso:15118:-20:PriceAlgorithm:1-Power"  # an AbsolutePriceSchedule's algorithm
CONTROL_MODE_NAMES = {v: k for k, v in CONTROL_MODES.items()}
ONGOING = ("Ongoing", "Ongoing_WaitingForCustomerInteraction")

# Request names without "Req": which request may come next (the EVCC's state machine; repeats while Ongoing).
# [V2G20-2644]/[V2G20-2645]: from SessionSetup on until PowerDelivery(Start) the EV may stop with SessionStopReq
FOLLOWS: dict[str, set[str]] = {
    "SessionSetup": {"AuthorizationSetup", "SessionStop"},
    "AuthorizationSetup": {"Authorization", "CertificateInstallation", "SessionStop"},
    "CertificateInstallation": {"Authorization", "SessionStop"},
    "Authorization": {"Authorization", "ServiceDiscovery", "SessionStop"},
    "ServiceDiscovery": {"ServiceDetail", "ServiceSelection", "SessionStop"},
    "ServiceDetail": {"ServiceDetail", "ServiceSelection", "SessionStop"},
    "ServiceSelection": {"AC_ChargeParameterDiscovery", "DC_ChargeParameterDiscovery",
                         "WPT_ChargeParameterDiscovery", "ACDP_ChargeParameterDiscovery", "SessionStop"},
    "AC_ChargeParameterDiscovery": {"ScheduleExchange", "SessionStop"},
    "DC_ChargeParameterDiscovery": {"ScheduleExchange", "SessionStop"},
    "WPT_ChargeParameterDiscovery": {"ScheduleExchange", "SessionStop"},
    "ACDP_ChargeParameterDiscovery": {"ScheduleExchange", "SessionStop"},
    "ScheduleExchange": {"ScheduleExchange", "PowerDelivery", "DC_CableCheck", "SessionStop"},
    "DC_CableCheck": {"DC_CableCheck", "DC_PreCharge", "SessionStop"},
    "DC_PreCharge": {"DC_PreCharge", "PowerDelivery", "SessionStop"},
    "PowerDelivery": {"AC_ChargeLoop", "DC_ChargeLoop", "WPT_ChargeLoop", "PowerDelivery", "ScheduleExchange",
                      "DC_WeldingDetection", "SessionStop", "MeteringConfirmation"},
    "AC_ChargeLoop": {"AC_ChargeLoop", "PowerDelivery", "MeteringConfirmation"},
    "DC_ChargeLoop": {"DC_ChargeLoop", "PowerDelivery", "MeteringConfirmation"},
    "WPT_ChargeLoop": {"WPT_ChargeLoop", "PowerDelivery", "MeteringConfirmation"},
    "MeteringConfirmation": {"AC_ChargeLoop", "DC_ChargeLoop", "WPT_ChargeLoop", "PowerDelivery", "SessionStop"},
    "DC_WeldingDetection": {"DC_WeldingDetection", "SessionStop"},
    "SessionStop": set(),
}


def schema_of(name: str) -> str:
    if name.startswith("AC_"):
        return "iso-20-ac"
    if name.startswith("DC_"):
        return "iso-20-dc"
    return "iso-20-common"


def payload_type_of(name: str) -> int:
    if name.startswith("AC_"):
        return 0x8003
    if name.startswith("DC_"):
        return 0x8004
    return 0x8002


def wrap(name: str, body: dict[str, Any], sid: bytes) -> dict[str, Any]:
    """A -20 message: the root element with the Header (SessionID, TimeStamp in Unix seconds) first."""
    return {name: {"Header": {"SessionID": sid, "TimeStamp": int(time.time())}, **body}}


def unwrap(msg: dict[str, Any]) -> tuple[str, dict[str, Any], bytes | None]:
    name = next(iter(msg), "?")
    root = msg.get(name)
    if not isinstance(root, dict):
        return name, {}, None
    header = root.get("Header")
    sid = header.get("SessionID") if isinstance(header, dict) else None
    body = {k: v for k, v in root.items() if k != "Header"}
    return name, body, sid if isinstance(sid, bytes) else None


def _rn(value: Any) -> float | None:
    try:
        return from_rational(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [value] if isinstance(value, dict) else []


def _pct(value: float) -> int:
    return max(0, min(100, int(value)))


def _failed(res: dict[str, Any]) -> bool:
    code = res.get("ResponseCode")
    return isinstance(code, str) and code.startswith("FAILED")


def _control_key(body: dict[str, Any], suffix: str) -> str | None:
    """The name of the (substituted) control-mode element in a charge-loop message, e.g. BPT_Dynamic_DC_CL..."""
    return next((k for k in body if k.endswith(suffix)), None)


def parameter_sets(res: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """ServiceDetailRes parameter sets as (ParameterSetID, {Name: value})."""
    out = []
    for ps in _list((res.get("ServiceParameterList") or {}).get("ParameterSet")):
        if not isinstance(ps, dict) or not isinstance(ps.get("ParameterSetID"), int):
            continue
        values: dict[str, Any] = {}
        for prm in _list(ps.get("Parameter")):
            if not isinstance(prm, dict) or "Name" not in prm:
                continue
            for key in ("intValue", "shortValue", "byteValue", "boolValue", "finiteString", "rationalNumber"):
                if key in prm:
                    values.setdefault(prm["Name"], prm[key])
                    break
        out.append((ps["ParameterSetID"], values))
    return out


class Iso20Ev(EvLogic):
    family = "iso-20"

    def __init__(self, params: EvParams, mode: str) -> None:
        super().__init__(params, mode)
        self.control_mode = "Dynamic"  # or "Scheduled"; set before the session starts
        self.dc = mode.startswith("DC")
        self.bpt = mode.endswith("_BPT")
        self.service_id = SERVICE_IDS.get(mode, 2)
        self.parameter_set_id: int | None = None
        self.schedule_tuple_id: int | None = None
        self.schedule_w: float | None = None  # Scheduled: the power of the selected schedule's first entry
        self.present_w = 0.0  # AC: the active power the EV draws (follows the EVSE's target)
        self.last_req = ""
        self.precharged = False  # the EVSE's voltage reached the battery's; the next PreChargeReq says Finished
        self.stopping = False  # PowerDelivery(Stop) sent
        self.welding = 0

    # --- sequence -------------------------------------------------------------------------------------------
    def first(self) -> Msg:
        return self._send("SessionSetupReq", {"EVCCID": self.p.vehicle_id})

    def next(self, res_name: str, res: dict[str, Any]) -> Msg | None:
        msg = self._next(res_name, res)
        return None if msg is None else self._send(*msg)

    def _send(self, name: str, body: dict[str, Any]) -> Msg:
        self.last_req = name
        return name, body

    def _next(self, res_name: str, res: dict[str, Any]) -> Msg | None:
        if res_name == "SessionStopRes":
            return None
        if _failed(res):
            self.stop_reason = f"{res_name} {res.get('ResponseCode')}"
            return None
        if res_name == "SessionSetupRes":
            return "AuthorizationSetupReq", {}
        if res_name == "AuthorizationSetupRes":
            return self._authorization()
        if res_name == "AuthorizationRes":
            if self.ongoing(res.get("EVSEProcessing")):
                return self._authorization()
            return self._stop_or(("ServiceDiscoveryReq", {}))
        if res_name == "ServiceDiscoveryRes":
            offered = [s.get("ServiceID") for s in _list((res.get("EnergyTransferServiceList") or {}).get("Service"))]
            if self.service_id not in offered:
                self.stop_reason = f"EVSE does not offer service {self.service_id} ({self.mode})"
                return self._stop_or(None)
            return "ServiceDetailReq", {"ServiceID": self.service_id}
        if res_name == "ServiceDetailRes":
            return self._stop_or(self._service_selection(res))
        if res_name == "ServiceSelectionRes":
            return self._cpd()
        if res_name in ("AC_ChargeParameterDiscoveryRes", "DC_ChargeParameterDiscoveryRes"):
            return self._schedule_exchange()
        if res_name == "ScheduleExchangeRes":
            if self.ongoing(res.get("EVSEProcessing")):
                return self._schedule_exchange()
            if not self.stop_reason:
                self._take_schedule(res)
            if self.dc:
                return self._stop_or(("DC_CableCheckReq", {}))
            return self._stop_or(self._power_delivery(True))
        if res_name == "DC_CableCheckRes":
            if self.ongoing(res.get("EVSEProcessing")):
                return "DC_CableCheckReq", {}
            return self._stop_or(self._precharge())
        if res_name == "DC_PreChargeRes":
            return self._after_precharge(res)
        if res_name == "PowerDeliveryRes":
            if not self.stopping:
                return self._charge_loop()
            if self.dc:
                return self._welding()
            return self._session_stop()
        if res_name in ("AC_ChargeLoopRes", "DC_ChargeLoopRes"):
            return self._after_loop(res)
        if res_name == "DC_WeldingDetectionRes":
            if self.welding < self.p.welding_rounds:
                return self._welding()
            return self._session_stop()
        return None

    def _stop_or(self, msg: Msg | None) -> Msg | None:
        """``msg``, or once the EV has given up: SessionStop where the sequence allows it, else the end."""
        if not self.stop_reason and msg is not None:
            return msg
        if "SessionStop" in FOLLOWS.get(family.base(self.last_req), set()):
            return self._session_stop()
        return None

    def _session_stop(self) -> Msg:
        body: dict[str, Any] = {"ChargingSession": "Pause" if self.pause else "Terminate"}
        if self.stop_reason:
            body["EVTerminationExplanation"] = self.stop_reason[:160]
        return "SessionStopReq", body

    def _authorization(self) -> Msg:
        return "AuthorizationReq", {"SelectedAuthorizationService": "EIM", "EIM_AReqAuthorizationMode": {}}

    def _service_selection(self, res: dict[str, Any]) -> Msg | None:
        sets = parameter_sets(res)
        if not sets:
            self.stop_reason = f"ServiceDetailRes offers no parameter set for service {self.service_id}"
            return None
        want = CONTROL_MODES.get(self.control_mode)
        chosen = next((s for s in sets if s[1].get("ControlMode") == want), sets[0])
        self.parameter_set_id = chosen[0]
        mode = CONTROL_MODE_NAMES.get(chosen[1].get("ControlMode"))  # type: ignore[arg-type]
        if mode is not None:
            self.control_mode = mode
        return "ServiceSelectionReq", {"SelectedEnergyTransferService": {
            "ServiceID": self.service_id, "ParameterSetID": self.parameter_set_id}}

    # --- limits -----------------------------------------------------------------------------------------------
    def _ac_w(self, amps: float) -> float:
        return amps * self.p.ac_v * self.p.ac_phases

    def _max_w(self) -> float:
        return self.p.max_w if self.dc else self._ac_w(self.p.ac_max_a)

    def _energy(self, to_soc: float) -> dict[str, int]:
        return rational(self.p.capacity_wh * max(0.0, to_soc - self.soc) / 100)

    def _energy_requests(self) -> dict[str, Any]:
        return {"EVTargetEnergyRequest": self._energy(self.p.target_soc),
                "EVMaximumEnergyRequest": self._energy(100.0), "EVMinimumEnergyRequest": rational(0)}

    def _cpd(self) -> Msg:
        p = self.p
        if self.dc:
            mode = {"EVMaximumChargePower": rational(p.max_w), "EVMinimumChargePower": rational(p.min_a * p.battery_v),
                    "EVMaximumChargeCurrent": rational(p.max_a), "EVMinimumChargeCurrent": rational(p.min_a),
                    "EVMaximumVoltage": rational(p.max_v), "EVMinimumVoltage": rational(p.min_v),
                    "TargetSOC": _pct(p.target_soc)}
            if self.bpt:
                mode.update({"EVMaximumDischargePower": rational(p.max_discharge_w),
                             "EVMinimumDischargePower": rational(0),
                             "EVMaximumDischargeCurrent": rational(p.max_discharge_w / p.battery_v),
                             "EVMinimumDischargeCurrent": rational(0)})
            key = "BPT_DC_CPDReqEnergyTransferMode" if self.bpt else "DC_CPDReqEnergyTransferMode"
            return "DC_ChargeParameterDiscoveryReq", {key: mode}
        mode = {"EVMaximumChargePower": rational(self._ac_w(p.ac_max_a)),
                "EVMinimumChargePower": rational(self._ac_w(p.ac_min_a))}
        if self.bpt:
            mode.update({"EVMaximumDischargePower": rational(p.max_discharge_w),
                         "EVMinimumDischargePower": rational(0)})
        key = "BPT_AC_CPDReqEnergyTransferMode" if self.bpt else "AC_CPDReqEnergyTransferMode"
        return "AC_ChargeParameterDiscoveryReq", {key: mode}

    def _schedule_exchange(self) -> Msg:
        if self.control_mode == "Scheduled":
            mode = {"DepartureTime": self.p.departure_s, **self._energy_requests()}
            return "ScheduleExchangeReq", {"MaximumSupportingPoints": 1024, "Scheduled_SEReqControlMode": mode}
        mode = {"DepartureTime": self.p.departure_s, "TargetSOC": _pct(self.p.target_soc), **self._energy_requests()}
        return "ScheduleExchangeReq", {"MaximumSupportingPoints": 1024, "Dynamic_SEReqControlMode": mode}

    def _take_schedule(self, res: dict[str, Any]) -> None:
        if self.control_mode != "Scheduled":
            return
        tuples = _list((res.get("Scheduled_SEResControlMode") or {}).get("ScheduleTuple"))
        if not tuples or not isinstance(tuples[0].get("ScheduleTupleID"), int):
            self.stop_reason = "ScheduleExchangeRes offers no schedule"
            return
        self.schedule_tuple_id = tuples[0]["ScheduleTupleID"]
        schedule = (tuples[0].get("ChargingSchedule") or {}).get("PowerSchedule") or {}
        entries = _list((schedule.get("PowerScheduleEntries") or {}).get("PowerScheduleEntry"))
        self.schedule_w = _rn(entries[0].get("Power")) if entries else None

    def _precharge(self) -> Msg:
        return "DC_PreChargeReq", {"EVProcessing": "Finished" if self.precharged else "Ongoing",
                                   "EVPresentVoltage": rational(self.p.battery_v),
                                   "EVTargetVoltage": rational(self.p.battery_v)}

    def _after_precharge(self, res: dict[str, Any]) -> Msg | None:
        if self.precharged:  # the answer to the request that said Finished
            self.rounds = 0
            return self._power_delivery(True)
        v = _rn(res.get("EVSEPresentVoltage")) or 0.0
        if abs(v - self.p.battery_v) <= self.p.precharge_tolerance_v:
            self.precharged = True
            self.rounds = 0
            return self._precharge()
        self.rounds += 1
        if self.rounds > self.p.max_processing_rounds:
            self.stop_reason = "pre-charge voltage never reached"
            return None  # no SessionStop after DC_PreCharge: the EV closes the connection
        return self._precharge()

    def _power_delivery(self, start: bool) -> Msg:
        body: dict[str, Any] = {"EVProcessing": "Finished", "ChargeProgress": "Start" if start else "Stop"}
        profile = self.p.iso20_power_profile
        scheduled = self.control_mode == "Scheduled" and self.schedule_tuple_id is not None
        if start and profile != "never" and (scheduled or profile == "always"):
            power = min(self._max_w(), self.schedule_w if self.schedule_w is not None else self._max_w())
            if scheduled:
                mode: dict[str, Any] = {"SelectedScheduleTupleID": self.schedule_tuple_id}
                if self.p.iso20_power_tolerance_acceptance:
                    mode["PowerToleranceAcceptance"] = self.p.iso20_power_tolerance_acceptance
                control = {"Scheduled_EVPPTControlMode": mode}
            else:
                control = {"Dynamic_EVPPTControlMode": {}}
            body["EVPowerProfile"] = {
                "TimeAnchor": 0, **control,
                "EVPowerProfileEntries": {"EVPowerProfileEntry": [
                    {"Duration": self.p.departure_s, "Power": rational(max(0.0, power))}]}}
        if start and self.bpt:
            body["BPT_ChannelSelection"] = "Charge"
        self.stopping = not start
        return "PowerDeliveryReq", body

    def _welding(self) -> Msg:
        self.welding += 1
        return "DC_WeldingDetectionReq", {
            "EVProcessing": "Finished" if self.welding >= self.p.welding_rounds else "Ongoing"}

    # --- charge loop --------------------------------------------------------------------------------------------
    def _after_loop(self, res: dict[str, Any]) -> Msg:
        key = _control_key(res, "CLResControlMode")
        ctl = res.get(key) if key else None
        if isinstance(ctl, dict):  # AC: draw what the EVSE targets (or, without a target, what it measures)
            target = _rn(ctl.get("EVSETargetActivePower"))
            if target is None:
                target = _rn(ctl.get("EVSEPresentActivePower"))
            self.present_w = max(0.0, min(self._max_w(), self.present_w if target is None else target))
        notification = (res.get("EVSEStatus") or {}).get("EVSENotification")
        if notification in ("Terminate", "Pause"):
            self.pause = self.pause or notification == "Pause"
            self.stop_reason = self.stop_reason or f"EVSE notified {notification}"
            return self._power_delivery(False)
        if self.charge() >= self.p.target_soc:
            return self._power_delivery(False)
        return self._charge_loop()

    def _display(self) -> dict[str, Any]:
        p = self.p
        left_s = max(0, int((p.target_soc - self.soc) / max(p.soc_per_s, 1e-6)))
        return {"PresentSOC": _pct(self.soc), "TargetSOC": _pct(p.target_soc),
                "RemainingTimeToTargetSOC": left_s, "ChargingComplete": self.full}

    def _charge_loop(self) -> Msg:
        if self.t_loop is None:
            self.t_loop = time.monotonic()
        p = self.p
        scheduled = self.control_mode == "Scheduled"
        prefix = ("BPT_" if self.bpt else "") + ("Scheduled_" if scheduled else "Dynamic_")
        energy = self._energy_requests()
        if self.dc:
            limit_w = min(p.max_w, self.schedule_w) if scheduled and self.schedule_w else p.max_w
            limits = {"EVMaximumChargePower": rational(p.max_w),
                      "EVMinimumChargePower": rational(p.min_a * p.battery_v),
                      "EVMaximumChargeCurrent": rational(p.max_a), "EVMaximumVoltage": rational(p.max_v),
                      "EVMinimumVoltage": rational(p.min_v)}
            if scheduled:
                ctl = {**energy, "EVTargetCurrent": rational(max(0.0, min(p.max_a, limit_w / p.battery_v))),
                       "EVTargetVoltage": rational(p.battery_v), **limits}
            else:
                ctl = {"DepartureTime": p.departure_s, **energy, **limits}
            if self.bpt:
                ctl.update({"EVMaximumDischargePower": rational(p.max_discharge_w),
                            "EVMinimumDischargePower": rational(0),
                            "EVMaximumDischargeCurrent": rational(p.max_discharge_w / p.battery_v)})
            return "DC_ChargeLoopReq", {"DisplayParameters": self._display(), "MeterInfoRequested": False,
                                        "EVPresentVoltage": rational(p.battery_v),
                                        prefix + "DC_CLReqControlMode": ctl}
        limits = {"EVMaximumChargePower": rational(self._ac_w(p.ac_max_a)),
                  "EVMinimumChargePower": rational(self._ac_w(p.ac_min_a)),
                  "EVPresentActivePower": rational(self.present_w)}
        if scheduled:
            ctl = {**energy, **limits}
        else:
            ctl = {"DepartureTime": p.departure_s, **energy, **limits, "EVPresentReactivePower": rational(0)}
        if self.bpt:
            ctl.update({"EVMaximumDischargePower": rational(p.max_discharge_w),
                        "EVMinimumDischargePower": rational(0)})
        return "AC_ChargeLoopReq", {"DisplayParameters": self._display(), "MeterInfoRequested": False,
                                    prefix + "AC_CLReqControlMode": ctl}


class Iso20Evse(EvseLogic):
    family = "iso-20"

    def __init__(self, params: EvseParams) -> None:
        super().__init__(params)
        self.modes = ("DC", "AC", "DC_BPT", "AC_BPT")
        self.service_id: int | None = None  # from ServiceSelection
        self.control_mode = params.iso20_control_modes[0] if params.iso20_control_modes else "Dynamic"
        self.schedule_tuple_id = 1
        self.isolation_checked = False
        self.target_v = 0.0
        self.present_w = 0.0  # AC active power
        self.energy_wh = 0.0
        self.t_meter: float | None = None
        self._builders: dict[str, Callable[[], Msg]] = {
            "SessionSetupReq": lambda: ("SessionSetupRes", {"EVSEID": self.p.evse_id}),
            "AuthorizationSetupReq": self._authorization_setup,
            "AuthorizationReq": lambda: ("AuthorizationRes", {"EVSEProcessing": "Finished"}),
            "ServiceDiscoveryReq": lambda: self._service_discovery(None),
            "ServiceDetailReq": lambda: self._service_detail(self._service()),
            "ServiceSelectionReq": lambda: ("ServiceSelectionRes", {}),
            "ScheduleExchangeReq": lambda: self._schedule_exchange("Finished"),
            "PowerDeliveryReq": lambda: ("PowerDeliveryRes", {}),
            "MeteringConfirmationReq": lambda: ("MeteringConfirmationRes", {}),
            "SessionStopReq": lambda: ("SessionStopRes", {}),
            "CertificateInstallationReq": self._certificate_installation,
            "VehicleCheckInReq": lambda: ("VehicleCheckInRes", {}),
            "VehicleCheckOutReq": lambda: ("VehicleCheckOutRes", {"EVSECheckOutStatus": "Completed"}),
            "AC_ChargeParameterDiscoveryReq": lambda: self._ac_cpd(self._bpt()),
            "AC_ChargeLoopReq": lambda: self._ac_loop(self._bpt(), self.control_mode, False),
            "DC_ChargeParameterDiscoveryReq": lambda: self._dc_cpd(self._bpt()),
            "DC_CableCheckReq": lambda: ("DC_CableCheckRes", {"EVSEProcessing": "Finished"}),
            "DC_PreChargeReq": lambda: ("DC_PreChargeRes", {"EVSEPresentVoltage": rational(self.present_v)}),
            "DC_ChargeLoopReq": lambda: self._dc_loop(self._bpt(), self.control_mode, False),
            "DC_WeldingDetectionReq": lambda: ("DC_WeldingDetectionRes",
                                               {"EVSEPresentVoltage": rational(self.present_v)}),
        }

    # --- helpers --------------------------------------------------------------------------------------------------
    def _offered(self) -> tuple[int, ...]:
        return tuple(s for s in self.p.iso20_services if s in MODE_OF_SERVICE) or (2,)

    def _service(self) -> int:
        return self.service_id if self.service_id is not None else self._offered()[0]

    def _bpt(self) -> bool:
        return MODE_OF_SERVICE.get(self._service(), "").endswith("_BPT")

    def _ac_w(self) -> float:
        return self.p.ac_max_a * self.p.ac_v * self.p.ac_phases

    def _parameter_sets(self, service_id: int) -> list[dict[str, Any]]:
        mode = MODE_OF_SERVICE.get(service_id, "DC")
        ac = mode.startswith("AC")
        out = []
        for i, cm in enumerate(self.p.iso20_control_modes or ("Dynamic",), start=1):
            prm: list[tuple[str, int]] = [("Connector", (2 if self.p.ac_phases == 3 else 1) if ac else 2),
                                          ("ControlMode", CONTROL_MODES.get(cm, 2))]
            if ac:
                prm.append(("EVSENominalVoltage", int(self.p.ac_v)))
            prm += [("MobilityNeedsMode", 1), ("Pricing", 0)]
            if mode.endswith("_BPT"):
                prm += [("BPTChannel", 1), ("GeneratorMode", 1)]
            out.append({"ParameterSetID": i, "Parameter": [{"Name": n, "intValue": v} for n, v in prm]})
        return out

    def _control_mode_of_set(self, set_id: int) -> str | None:
        modes = self.p.iso20_control_modes or ("Dynamic",)
        return modes[set_id - 1] if 1 <= set_id <= len(modes) else None

    # --- response bodies ------------------------------------------------------------------------------------------
    def _authorization_setup(self) -> Msg:
        body: dict[str, Any] = {"AuthorizationServices": ["EIM"], "CertificateInstallationService": False}
        if "Contract" in self.p.payment_options:
            body["AuthorizationServices"] = ["EIM", "PnC"]
            body["PnC_ASResAuthorizationMode"] = {"GenChallenge": os.urandom(16)}
        else:
            body["EIM_ASResAuthorizationMode"] = {}
        return "AuthorizationSetupRes", body

    def _service_discovery(self, wanted: Any) -> Msg:
        services = self._offered()
        if isinstance(wanted, list) and wanted:
            services = tuple(s for s in services if s in wanted) or services
        return "ServiceDiscoveryRes", {"ServiceRenegotiationSupported": False, "EnergyTransferServiceList": {
            "Service": [{"ServiceID": s, "FreeService": False} for s in services[:8]]}}

    def _service_detail(self, service_id: int) -> Msg:
        return "ServiceDetailRes", {"ServiceID": service_id,
                                    "ServiceParameterList": {"ParameterSet": self._parameter_sets(service_id)}}

    def _schedule(self, power_w: float) -> dict[str, Any]:
        now = int(time.time())
        out: dict[str, Any] = {"PowerSchedule": {"TimeAnchor": now, "PowerScheduleEntries": {
            "PowerScheduleEntry": [{"Duration": 86400, "Power": rational(power_w)}]}}}
        price = self.p.iso20_price_schedule
        if price == "absolute":  # one energy fee per kWh for the whole schedule (price algorithm "power")
            out["AbsolutePriceSchedule"] = {
                "TimeAnchor": now, "PriceScheduleID": 1, "Currency": self.p.iso20_currency, "Language": "eng",
                "PriceAlgorithm": PRICE_ALGORITHM_POWER,
                "PriceRuleStacks": {"PriceRuleStack": [{"Duration": 0, "PriceRule": [
                    {"EnergyFee": rational(self.p.iso20_energy_fee), "PowerRangeStart": rational(0)}]}]}}
        elif price == "levels":
            out["PriceLevelSchedule"] = {
                "TimeAnchor": now, "PriceScheduleID": 1, "NumberOfPriceLevels": 3,
                "PriceLevelScheduleEntries": {"PriceLevelScheduleEntry": [{"Duration": 86400, "PriceLevel": 1}]}}
        return out

    def _schedule_exchange(self, processing: str) -> Msg:
        body: dict[str, Any] = {"EVSEProcessing": processing}
        if self.control_mode == "Scheduled":
            ac = MODE_OF_SERVICE.get(self._service(), "DC").startswith("AC")
            tup: dict[str, Any] = {"ScheduleTupleID": self.schedule_tuple_id,
                                   "ChargingSchedule": self._schedule(self._ac_w() if ac else self.p.max_w)}
            if self._bpt():
                tup["DischargingSchedule"] = self._schedule(-self.p.max_discharge_w)
            body["Scheduled_SEResControlMode"] = {"ScheduleTuple": [tup]}
        else:
            body["Dynamic_SEResControlMode"] = {}
        return "ScheduleExchangeRes", body

    def _certificate_installation(self) -> Msg:
        chain = {"Certificate": b"\x30\x00", "SubCertificates": {"Certificate": [b"\x30\x00"]}}
        return "CertificateInstallationRes", {
            "EVSEProcessing": "Finished", "CPSCertificateChain": {"Certificate": b"\x30\x00"},
            "SignedInstallationData": {"Id": "ID1", "ContractCertificateChain": chain, "ECDHCurve": "SECP521",
                                       "DHPublicKey": bytes(133), "SECP521_EncryptedPrivateKey": bytes(94)},
            "RemainingContractCertificateChains": 0}

    def _ac_cpd(self, bpt: bool) -> Msg:
        p = self.p
        mode = {"EVSEMaximumChargePower": rational(self._ac_w()), "EVSEMinimumChargePower": rational(0),
                "EVSENominalFrequency": rational(50)}
        if bpt:
            mode.update({"EVSEMaximumDischargePower": rational(p.max_discharge_w),
                         "EVSEMinimumDischargePower": rational(0)})
        key = "BPT_AC_CPDResEnergyTransferMode" if bpt else "AC_CPDResEnergyTransferMode"
        return "AC_ChargeParameterDiscoveryRes", {key: mode}

    def _dc_limits(self) -> dict[str, Any]:
        p = self.p
        return {"EVSEMaximumChargePower": rational(p.max_w), "EVSEMinimumChargePower": rational(p.min_a * p.min_v),
                "EVSEMaximumChargeCurrent": rational(p.max_a), "EVSEMaximumVoltage": rational(p.max_v)}

    def _dc_discharge_limits(self) -> dict[str, Any]:
        p = self.p
        return {"EVSEMaximumDischargePower": rational(p.max_discharge_w), "EVSEMinimumDischargePower": rational(0),
                "EVSEMaximumDischargeCurrent": rational(min(p.max_a, p.max_discharge_w / max(p.min_v, 1.0)))}

    def _dc_cpd(self, bpt: bool) -> Msg:
        p = self.p
        mode = {**self._dc_limits(), "EVSEMinimumChargeCurrent": rational(p.min_a),
                "EVSEMinimumVoltage": rational(p.min_v)}
        if bpt:
            mode.update({**self._dc_discharge_limits(), "EVSEMinimumDischargeCurrent": rational(0)})
        key = "BPT_DC_CPDResEnergyTransferMode" if bpt else "DC_CPDResEnergyTransferMode"
        return "DC_ChargeParameterDiscoveryRes", {key: mode}

    def _meter(self) -> dict[str, Any]:
        return {"MeterID": "VGI-METER-1", "ChargedEnergyReadingWh": int(self.energy_wh)}

    def _dc_loop(self, bpt: bool, control_mode: str, meter: bool, limited: tuple[bool, bool, bool] = (
            False, False, False)) -> Msg:
        ctl = dict(self._dc_limits())
        if bpt:
            ctl.update({**self._dc_discharge_limits(), "EVSEMinimumVoltage": rational(self.p.min_v)})
        prefix = ("BPT_" if bpt else "") + ("Scheduled_" if control_mode == "Scheduled" else "Dynamic_")
        body: dict[str, Any] = {"EVSEPresentCurrent": rational(self.present_a),
                                "EVSEPresentVoltage": rational(self.present_v),
                                "EVSEPowerLimitAchieved": limited[0], "EVSECurrentLimitAchieved": limited[1],
                                "EVSEVoltageLimitAchieved": limited[2], prefix + "DC_CLResControlMode": ctl}
        if meter:
            body["MeterInfo"] = self._meter()
        return "DC_ChargeLoopRes", body

    def _ac_loop(self, bpt: bool, control_mode: str, meter: bool) -> Msg:
        prefix = ("BPT_" if bpt else "") + ("Scheduled_" if control_mode == "Scheduled" else "Dynamic_")
        ctl = {"EVSETargetActivePower": rational(self.present_w), "EVSEPresentActivePower": rational(self.present_w)}
        body: dict[str, Any] = {"EVSETargetFrequency": rational(50), prefix + "AC_CLResControlMode": ctl}
        if meter:
            body["MeterInfo"] = self._meter()
        return "AC_ChargeLoopRes", body

    def skeleton(self, req_name: str) -> Msg:
        build = self._builders.get(req_name, self._builders["SessionStopReq"])
        name, body = build()
        return name, {"ResponseCode": "OK", **body}

    # --- answers --------------------------------------------------------------------------------------------------
    def respond(self, req_name: str, req: dict[str, Any]) -> Msg:
        n = self.count(req_name)
        p = self.p
        if req_name == "SessionSetupReq":
            name, body = self.skeleton(req_name)
            body["ResponseCode"] = "OK_NewSessionEstablished"
            return name, body
        if req_name == "AuthorizationReq":
            name, body = self.skeleton(req_name)
            body["EVSEProcessing"] = "Ongoing" if n <= p.auth_rounds else "Finished"
            return name, body
        if req_name == "ServiceDiscoveryReq":
            return self._ok(self._service_discovery((req.get("SupportedServiceIDs") or {}).get("ServiceID")))
        if req_name == "ServiceDetailReq":
            sid = req.get("ServiceID")
            if sid not in self._offered():
                return self.failed(req_name, "FAILED_ServiceIDInvalid")
            return self._ok(self._service_detail(sid))
        if req_name == "ServiceSelectionReq":
            sel = req.get("SelectedEnergyTransferService") or {}
            sid, set_id = sel.get("ServiceID"), sel.get("ParameterSetID")
            cm = self._control_mode_of_set(set_id) if isinstance(set_id, int) else None
            if sid not in self._offered() or cm is None:
                return self.failed(req_name, "FAILED_ServiceSelectionInvalid")
            self.service_id, self.control_mode = sid, cm
            return self.skeleton(req_name)
        if req_name == "AC_ChargeParameterDiscoveryReq":
            return self._ok(self._ac_cpd("BPT_AC_CPDReqEnergyTransferMode" in req or self._bpt()))
        if req_name == "DC_ChargeParameterDiscoveryReq":
            return self._ok(self._dc_cpd("BPT_DC_CPDReqEnergyTransferMode" in req or self._bpt()))
        if req_name == "ScheduleExchangeReq":
            if "Scheduled_SEReqControlMode" in req:
                self.control_mode = "Scheduled"
            elif "Dynamic_SEReqControlMode" in req:
                self.control_mode = "Dynamic"
            return self._ok(self._schedule_exchange("Ongoing" if n <= p.cpd_rounds else "Finished"))
        if req_name == "DC_CableCheckReq":
            done = n > p.cable_check_rounds
            self.isolation_checked = self.isolation_checked or done
            name, body = self.skeleton(req_name)
            body["EVSEProcessing"] = "Finished" if done else "Ongoing"
            return name, body
        if req_name == "DC_PreChargeReq":
            target = _rn(req.get("EVTargetVoltage")) or 0.0
            self.target_v = max(0.0, min(target, p.max_v))
            step = p.precharge_step_v
            self.present_v += max(-step, min(step, self.target_v - self.present_v))
            return self.skeleton(req_name)
        if req_name == "PowerDeliveryReq":
            return self._power_delivery(req)
        if req_name == "DC_ChargeLoopReq":
            return self._dc_charge(req)
        if req_name == "AC_ChargeLoopReq":
            return self._ac_charge(req)
        if req_name == "DC_WeldingDetectionReq":
            self.present_v = max(0.0, self.present_v - 200)
            self.present_a = 0.0
            return self.skeleton(req_name)
        return self.skeleton(req_name)

    def _ok(self, msg: Msg) -> Msg:
        return msg[0], {"ResponseCode": "OK", **msg[1]}

    def _power_delivery(self, req: dict[str, Any]) -> Msg:
        progress = req.get("ChargeProgress")
        if progress == "Start" and self.control_mode == "Scheduled":
            ppt = (req.get("EVPowerProfile") or {}).get("Scheduled_EVPPTControlMode")
            if isinstance(ppt, dict) and ppt.get("SelectedScheduleTupleID") != self.schedule_tuple_id:
                return self.failed("PowerDeliveryReq", "FAILED_ScheduleSelectionInvalid")
        if progress != "Start":
            self.present_a = 0.0
            self.present_w = 0.0
            self.t_meter = None
        return self.skeleton("PowerDeliveryReq")

    def _meter_tick(self, watts: float) -> None:
        now = time.monotonic()
        if self.t_meter is not None:
            self.energy_wh += max(0.0, watts) * (now - self.t_meter) / 3600
        self.t_meter = now

    def _loop_mode(self, req: dict[str, Any], suffix: str) -> tuple[dict[str, Any], bool, str]:
        key = _control_key(req, suffix)
        ctl = req.get(key) if key else None
        if not isinstance(ctl, dict) or key is None:
            return {}, self._bpt(), self.control_mode
        return ctl, key.startswith("BPT_"), "Scheduled" if "Scheduled_" in key else "Dynamic"

    def _dc_charge(self, req: dict[str, Any]) -> Msg:
        p = self.p
        ctl, bpt, cm = self._loop_mode(req, "CLReqControlMode")
        if cm == "Scheduled":
            voltage = _rn(ctl.get("EVTargetVoltage"))
            want_a = _rn(ctl.get("EVTargetCurrent")) or 0.0
        else:
            voltage = _rn(req.get("EVPresentVoltage"))
            want_a = _rn(ctl.get("EVMaximumChargeCurrent")) or 0.0
            ev_w = _rn(ctl.get("EVMaximumChargePower"))
            if ev_w is not None and voltage:
                want_a = min(want_a, ev_w / voltage)
        self.present_v = max(0.0, min(voltage if voltage is not None else self.present_v, p.max_v))
        power_a = p.max_w / max(self.present_v, 1.0)
        self.present_a = max(0.0, min(want_a, p.max_a, power_a))
        limited = (self.present_a < want_a and self.present_a == power_a,
                   self.present_a < want_a and self.present_a == p.max_a, voltage is not None and voltage > p.max_v)
        self._meter_tick(self.present_v * self.present_a)
        return self._ok(self._dc_loop(bpt, cm, req.get("MeterInfoRequested") is True, limited))

    def _ac_charge(self, req: dict[str, Any]) -> Msg:
        ctl, bpt, cm = self._loop_mode(req, "CLReqControlMode")
        ev_max = _rn(ctl.get("EVMaximumChargePower"))
        self.present_w = max(0.0, min(ev_max if ev_max is not None else self._ac_w(), self._ac_w()))
        self._meter_tick(self.present_w)
        return self._ok(self._ac_loop(bpt, cm, req.get("MeterInfoRequested") is True))


FAMILY = family.register(family.Family(
    name="iso-20", namespace=NAMESPACE, namespaces=tuple(NAMESPACES.values()), major=1, minor=0,
    ev=Iso20Ev, evse=Iso20Evse, schema_of=schema_of, payload_type_of=payload_type_of, wrap=wrap, unwrap=unwrap,
    follows=FOLLOWS, modes=("DC", "AC", "DC_BPT", "AC_BPT")))

__all__ = ["CONTROL_MODES", "FAMILY", "FOLLOWS", "NAMESPACE", "NAMESPACES", "SERVICE_IDS", "EvParams", "EvseParams",
           "Iso20Ev", "Iso20Evse", "parameter_sets"]
