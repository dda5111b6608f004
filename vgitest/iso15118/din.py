"""DIN SPEC 70121 (DC charging, external payment): the EV's request sequence and the EVSE's answers.

Sequence: SessionSetup, ServiceDiscovery, ServicePaymentSelection, ContractAuthentication (repeated while the
EVSE says Ongoing), ChargeParameterDiscovery, CableCheck (repeated while Ongoing), PreCharge (until the EVSE's
voltage is near the battery's), PowerDelivery(start), CurrentDemand loop, PowerDelivery(stop),
WeldingDetection, SessionStop.
"""

from __future__ import annotations

import time
from typing import Any

from . import family, rules
from .family import EvLogic, EvseLogic, Msg
from .params import EvParams, EvseParams, from_physical, physical

NAMESPACE = "urn:din:70121:2012:MsgDef"

FOLLOWS: dict[str, set[str]] = {req: set(nxt) for req, nxt in rules.FOLLOWS["din"].items()}  # the one table


def ev_status(soc: float, ready: bool = True, error: str = "NO_ERROR") -> dict[str, Any]:
    return {"EVReady": ready, "EVErrorCode": error, "EVRESSSOC": max(0, min(100, int(soc)))}


def evse_status(isolation: str | None = "Valid", code: str = "EVSE_Ready") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isolation is not None:
        out["EVSEIsolationStatus"] = isolation
    out.update({"EVSEStatusCode": code, "NotificationMaxDelay": 0, "EVSENotification": "None"})
    return out


class DinEv(EvLogic):
    family = "din"

    def first(self) -> Msg:
        return "SessionSetupReq", {"EVCCID": self.p.evcc_id}

    def _status(self) -> dict[str, Any]:
        return ev_status(self.soc)

    def next(self, res_name: str, res: dict[str, Any]) -> Msg | None:
        p = self.p
        if res_name == "SessionSetupRes":
            return "ServiceDiscoveryReq", {}
        if res_name == "ServiceDiscoveryRes":
            return "ServicePaymentSelectionReq", {"SelectedPaymentOption": "ExternalPayment",
                                                  "SelectedServiceList": {"SelectedService": [{"ServiceID": 1}]}}
        if res_name == "ServicePaymentSelectionRes":
            return "ContractAuthenticationReq", {}
        if res_name == "ContractAuthenticationRes":
            if self.ongoing(res.get("EVSEProcessing")):
                return "ContractAuthenticationReq", {}
            return self._stop_or(self._cpd())
        if res_name == "ChargeParameterDiscoveryRes":
            if self.ongoing(res.get("EVSEProcessing")):
                return self._cpd()
            return self._stop_or(("CableCheckReq", {"DC_EVStatus": self._status()}))
        if res_name == "CableCheckRes":
            if self.ongoing(res.get("EVSEProcessing")):
                return "CableCheckReq", {"DC_EVStatus": self._status()}
            return self._stop_or(self._precharge())
        if res_name == "PreChargeRes":
            v = from_physical(res.get("EVSEPresentVoltage")) or 0.0
            if abs(v - p.battery_v) > p.precharge_tolerance_v and not self.power_early:
                self.rounds += 1
                if self.rounds > p.max_processing_rounds:
                    self.stop_reason = "pre-charge voltage never reached"
                    return "SessionStopReq", {}
                return self._precharge()
            self.rounds = 0
            return self._power_delivery(True)
        if res_name == "PowerDeliveryRes":
            if self.t_loop is None and not self.full:
                return self._current_demand()
            return "WeldingDetectionReq", {"DC_EVStatus": self._status()}
        if res_name == "CurrentDemandRes":
            if self.charge() >= p.target_soc:
                return self._power_delivery(False)
            return self._current_demand()
        if res_name == "WeldingDetectionRes":
            self.rounds += 1
            if self.rounds < p.welding_rounds:
                return "WeldingDetectionReq", {"DC_EVStatus": self._status()}
            return "SessionStopReq", {}
        if res_name == "SessionStopRes":
            return None
        return None

    def _stop_or(self, msg: Msg) -> Msg:
        return ("SessionStopReq", {}) if self.stop_reason else msg

    def _cpd(self) -> Msg:
        p = self.p
        return "ChargeParameterDiscoveryReq", {
            "EVRequestedEnergyTransferType": "DC_extended",
            "DC_EVChargeParameter": {
                "DC_EVStatus": self._status(),
                "EVMaximumCurrentLimit": physical(p.max_a, "A"),
                "EVMaximumPowerLimit": physical(p.max_w, "W"),
                "EVMaximumVoltageLimit": physical(p.max_v, "V"),
                "EVEnergyCapacity": physical(p.capacity_wh, "Wh"),
                "EVEnergyRequest": physical(p.capacity_wh * max(0.0, p.target_soc - self.soc) / 100, "Wh"),
                "FullSOC": 100, "BulkSOC": 80}}

    def _precharge(self) -> Msg:
        return "PreChargeReq", {"DC_EVStatus": self._status(), "EVTargetVoltage": physical(self.p.battery_v, "V"),
                                "EVTargetCurrent": physical(2, "A")}

    def _power_delivery(self, start: bool) -> Msg:
        return "PowerDeliveryReq", {"ReadyToChargeState": start, "DC_EVPowerDeliveryParameter": {
            "DC_EVStatus": self._status(), "BulkChargingComplete": False, "ChargingComplete": not start}}

    def _current_demand(self) -> Msg:
        p = self.p
        if self.t_loop is None:
            self.t_loop = time.monotonic()
        left_s = max(0, int((p.target_soc - self.soc) / max(p.soc_per_s, 1e-6)))
        return "CurrentDemandReq", {
            "DC_EVStatus": self._status(), "EVTargetCurrent": physical(min(p.max_a, p.max_w / p.battery_v), "A"),
            "EVMaximumVoltageLimit": physical(p.max_v, "V"), "EVMaximumCurrentLimit": physical(p.max_a, "A"),
            "EVMaximumPowerLimit": physical(p.max_w, "W"), "BulkChargingComplete": False,
            "ChargingComplete": False, "RemainingTimeToFullSoC": physical(left_s, "s"),
            "RemainingTimeToBulkSoC": physical(left_s, "s"), "EVTargetVoltage": physical(p.battery_v, "V")}


class DinEvse(EvseLogic):
    family = "din"

    def __init__(self, params: EvseParams) -> None:
        super().__init__(params)
        self.modes = ("DC",)
        self.target_v = 0.0
        self.isolation = "Invalid"

    def _limits(self) -> dict[str, Any]:
        p = self.p
        return {"EVSEMaximumVoltageLimit": physical(p.max_v, "V"), "EVSEMaximumCurrentLimit": physical(p.max_a, "A"),
                "EVSEMaximumPowerLimit": physical(p.max_w, "W")}

    def skeleton(self, req_name: str) -> Msg:
        st = evse_status(self.isolation)
        pv, pa = physical(self.present_v, "V"), physical(self.present_a, "A")
        bodies: dict[str, dict[str, Any]] = {
            "SessionSetupReq": {"EVSEID": self.evse_id_bytes()},
            "ServiceDiscoveryReq": {"PaymentOptions": {"PaymentOption": ["ExternalPayment"]},
                                    "ChargeService": {"ServiceTag": {"ServiceID": 1, "ServiceCategory": "EVCharging"},
                                                      "FreeService": False, "EnergyTransferType": "DC_extended"}},
            "ServicePaymentSelectionReq": {},
            "ContractAuthenticationReq": {"EVSEProcessing": "Finished"},
            "ChargeParameterDiscoveryReq": {"EVSEProcessing": "Finished", "SAScheduleList": self._schedules(),
                                            "DC_EVSEChargeParameter": self._charge_parameter()},
            "CableCheckReq": {"DC_EVSEStatus": st, "EVSEProcessing": "Finished"},
            "PreChargeReq": {"DC_EVSEStatus": st, "EVSEPresentVoltage": pv},
            "PowerDeliveryReq": {"DC_EVSEStatus": st},
            "CurrentDemandReq": {"DC_EVSEStatus": st, "EVSEPresentVoltage": pv, "EVSEPresentCurrent": pa,
                                 "EVSECurrentLimitAchieved": False, "EVSEVoltageLimitAchieved": False,
                                 "EVSEPowerLimitAchieved": False, **self._limits()},
            "WeldingDetectionReq": {"DC_EVSEStatus": st, "EVSEPresentVoltage": pv},
            "SessionStopReq": {},
        }
        req = req_name if req_name in bodies else "SessionStopReq"
        return req[:-3] + "Res", {"ResponseCode": "OK", **bodies[req]}

    def evse_id_bytes(self) -> bytes:
        """DIN carries the EVSEID as hexBinary (the corpus shows a single 0x00 byte where none is configured)."""
        return self.p.evse_id.encode()[:32]

    def _schedules(self) -> dict[str, Any]:
        pmax = int(min(self.p.max_w / 10, 32767))
        return {"SAScheduleTuple": [{"SAScheduleTupleID": 1, "PMaxSchedule": {"PMaxScheduleID": 1, "PMaxScheduleEntry": [
            {"RelativeTimeInterval": {"start": 0, "duration": 86400}, "PMax": pmax}]}}]}

    def _charge_parameter(self) -> dict[str, Any]:
        p = self.p
        return {"DC_EVSEStatus": evse_status(self.isolation), **self._limits(),
                "EVSEMinimumCurrentLimit": physical(p.min_a, "A"), "EVSEMinimumVoltageLimit": physical(p.min_v, "V"),
                "EVSEPeakCurrentRipple": physical(1, "A")}

    def respond(self, req_name: str, req: dict[str, Any]) -> Msg:
        n = self.count(req_name)
        p = self.p
        if req_name == "SessionSetupReq":
            name, body = self.skeleton(req_name)
            body["ResponseCode"] = "OK_NewSessionEstablished"
            return name, body
        if req_name == "ContractAuthenticationReq":
            name, body = self.skeleton(req_name)
            body["EVSEProcessing"] = "Ongoing" if n <= p.auth_rounds else "Finished"
            return name, body
        if req_name == "ChargeParameterDiscoveryReq":
            name, body = self.skeleton(req_name)
            if req.get("EVRequestedEnergyTransferType") != "DC_extended" or "DC_EVChargeParameter" not in req:
                body["ResponseCode"] = "FAILED_WrongEnergyTransferType"
                return name, body
            body["EVSEProcessing"] = "Ongoing" if n <= p.cpd_rounds else "Finished"
            return name, body
        if req_name == "CableCheckReq":
            done = n > p.cable_check_rounds
            if done:
                self.isolation = "Valid"
            name, body = self.skeleton(req_name)
            body["EVSEProcessing"] = "Finished" if done else "Ongoing"
            return name, body
        if req_name == "PreChargeReq":
            target = from_physical(req.get("EVTargetVoltage")) or 0.0
            self.target_v = min(target, p.max_v)
            step = p.precharge_step_v
            self.present_v += max(-step, min(step, self.target_v - self.present_v))
            return self.skeleton(req_name)
        if req_name == "PowerDeliveryReq":
            if not req.get("ReadyToChargeState", False):
                self.present_a = 0.0
            return self.skeleton(req_name)
        if req_name == "CurrentDemandReq":
            target_a = from_physical(req.get("EVTargetCurrent")) or 0.0
            self.present_v = from_physical(req.get("EVTargetVoltage")) or self.present_v
            self.present_a = max(0.0, min(target_a, p.max_a, p.max_w / max(self.present_v, 1.0)))
            return self.skeleton(req_name)
        if req_name == "WeldingDetectionReq":
            self.present_v = max(0.0, self.present_v - 200)
            self.present_a = 0.0
            return self.skeleton(req_name)
        return self.skeleton(req_name)


FAMILY = family.register(family.Family(
    name="din", namespace=NAMESPACE, major=2, minor=0, ev=DinEv, evse=DinEvse,
    schema_of=lambda name: "din", payload_type_of=lambda name: 0x8001,
    wrap=family.v2g_wrap, unwrap=family.v2g_unwrap, follows=FOLLOWS, modes=("DC",)))

__all__ = ["DinEv", "DinEvse", "FAMILY", "NAMESPACE", "EvParams", "EvseParams"]
