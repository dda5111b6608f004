"""ISO 15118-2:2013 (AC and DC, external payment and Plug & Charge): the EV's request sequence and the EVSE's
answers.

Sequence: SessionSetup, ServiceDiscovery, PaymentServiceSelection, [PaymentDetails (Contract)], Authorization
(repeated while the EVSE says Ongoing), ChargeParameterDiscovery (repeated while Ongoing), DC: CableCheck
(repeated while Ongoing) and PreCharge (until the EVSE's voltage is near the battery's), PowerDelivery(Start),
the charge loop (DC CurrentDemand, AC ChargingStatus) with a MeteringReceipt whenever a Plug & Charge EVSE asks
for one, PowerDelivery(Stop), DC: WeldingDetection, SessionStop(Terminate or Pause).

Renegotiation: when the EVSE's status says "ReNegotiation" (or the EV sets ``renegotiate``), the EV leaves the
loop with PowerDelivery(Renegotiate), runs ChargeParameterDiscovery again and restarts with PowerDelivery(Start)
(no second CableCheck/PreCharge: the output is already live).

Signatures: Plug & Charge messages that carry an ``Id`` (AuthorizationReq, MeteringReceiptReq) go through
:meth:`Iso2Ev.sign`, which returns None here; a role that holds keys overrides it and reads
:attr:`Iso2Ev.signature` (the header Signature for the request just produced) when it wraps the message.
"""

from __future__ import annotations

import os
import time
from typing import Any

from . import family, rules
from .family import EvLogic, EvseLogic, Msg
from .params import EvParams, EvseParams, from_physical, physical, placeholder_der

NAMESPACE = "urn:iso:15118:2:2013:MsgDef"

# The analyser's reading of the sequence (rules.py), plus SessionStop wherever this EV may give up before power
# flows (an EVSE that stays "Ongoing", a pre-charge that never converges). Every order the analyser accepts is
# accepted here; inside the charge loop the way out stays PowerDelivery(Stop).
FOLLOWS: dict[str, set[str]] = {req: set(nxt) for req, nxt in rules.FOLLOWS["iso-2"].items()}  # the one table

REQUESTS: tuple[str, ...] = (
    "SessionSetupReq", "ServiceDiscoveryReq", "ServiceDetailReq", "PaymentServiceSelectionReq",
    "CertificateInstallationReq", "CertificateUpdateReq", "PaymentDetailsReq", "AuthorizationReq",
    "ChargeParameterDiscoveryReq", "PowerDeliveryReq", "MeteringReceiptReq", "SessionStopReq",
    "ChargingStatusReq", "CableCheckReq", "PreChargeReq", "CurrentDemandReq", "WeldingDetectionReq")
DC_ONLY = frozenset({"CableCheckReq", "PreChargeReq", "CurrentDemandReq", "WeldingDetectionReq"})
AC_ONLY = frozenset({"ChargingStatusReq"})
SIGNED = frozenset({"AuthorizationReq", "MeteringReceiptReq", "CertificateInstallationReq", "CertificateUpdateReq"})

CHARGE_SERVICE_ID = 1
CERT_SERVICE_ID = 2  # the contract-certificate service a Plug & Charge EVSE lists
DC_MODES = ("DC_extended",)
AC_MODES = ("AC_three_phase_core", "AC_single_phase_core")
_EVSE_STOP_CODES = frozenset({"EVSE_Shutdown", "EVSE_EmergencyShutdown", "EVSE_Malfunction",
                              "EVSE_UtilityInterruptEvent"})


def kind_of(mode: Any) -> str | None:
    """The kind ("AC" or "DC") of an EnergyTransferMode value; None for anything else."""
    if isinstance(mode, str) and mode.startswith("AC_"):
        return "AC"
    if isinstance(mode, str) and mode.startswith("DC_"):
        return "DC"
    return None


def ev_status(soc: float, ready: bool = True, error: str = "NO_ERROR") -> dict[str, Any]:
    return {"EVReady": ready, "EVErrorCode": error, "EVRESSSOC": max(0, min(100, int(soc)))}


def evse_status_of(res: dict[str, Any]) -> dict[str, Any]:
    """The EVSE status of a response, AC or DC (also inside a charge parameter); {} when absent."""
    for key in ("DC_EVSEStatus", "AC_EVSEStatus"):
        if isinstance(res.get(key), dict):
            return res[key]
    for key in ("DC_EVSEChargeParameter", "AC_EVSEChargeParameter"):
        inner = res.get(key)
        if isinstance(inner, dict):
            return evse_status_of(inner)
    return {}


class Iso2Ev(EvLogic):
    family = "iso-2"

    def __init__(self, params: EvParams, mode: str, *, resume: bool = False) -> None:
        super().__init__(params, mode)
        self.resume = resume  # the role sends SessionSetupReq with the old SessionID; the logic is the same
        self.session_id = bytes(8)  # the role sets the SessionID it got (MeteringReceiptReq carries it)
        self.payment = params.payment  # what PaymentServiceSelectionReq selected
        self.service_id = CHARGE_SERVICE_ID
        self.sa_id = 1  # SAScheduleTupleID chosen from the last ChargeParameterDiscoveryRes
        self.pmax_w: float | None = None  # first PMax of that schedule
        self.gen_challenge: bytes | None = None
        self.progress = ""  # ChargeProgress of the last PowerDeliveryReq
        self.renegotiate = False  # the EV asks to renegotiate at the next charge-loop answer (the role sets it)
        self.renegotiating = False
        self.renegotiations = 0
        self.precharge_rounds = 0
        self.welding_done = 0
        self.receipts = 0
        self.signature: dict[str, Any] | None = None  # header Signature for the request just produced

    # ---- hooks ---------------------------------------------------------------------------------------------

    def sign(self, name: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """The xmldsig Signature for the header of a Plug & Charge request; None = send unsigned."""
        return None

    def _out(self, name: str, body: dict[str, Any]) -> Msg:
        signed = name in SIGNED and self.payment == "Contract" and "Id" in body
        self.signature = self.sign(name, body) if signed else None
        return name, body

    # ---- sequence ------------------------------------------------------------------------------------------

    def first(self) -> Msg:
        return self._out("SessionSetupReq", {"EVCCID": self.p.evcc_id})

    def _status(self, ready: bool = True) -> dict[str, Any]:
        return ev_status(self.soc, ready)

    def next(self, res_name: str, res: dict[str, Any]) -> Msg | None:
        code = res.get("ResponseCode")
        if isinstance(code, str) and code.startswith("FAILED"):
            # the EVCC ends the communication session on a FAILED response code (no SessionStopReq)
            self.stop_reason = f"{res_name}: {code}"
            return None
        msg = self._after(res_name, res)
        return self._out(*msg) if msg is not None else None

    def _after(self, res_name: str, res: dict[str, Any]) -> Msg | None:
        p = self.p
        if res_name == "SessionSetupRes":
            return "ServiceDiscoveryReq", {}
        if res_name == "ServiceDiscoveryRes":
            return self._payment_selection(res)
        if res_name == "ServiceDetailRes":
            return self._payment_selection({})
        if res_name == "PaymentServiceSelectionRes":
            if self.payment == "Contract":
                return self._payment_details()
            return "AuthorizationReq", {}
        if res_name == "PaymentDetailsRes":
            gc = res.get("GenChallenge")
            self.gen_challenge = gc if isinstance(gc, bytes) else None
            return self._authorization()
        if res_name == "AuthorizationRes":
            if self.ongoing(res.get("EVSEProcessing")):
                return self._authorization()
            return self._stop_or(self._cpd())
        if res_name == "ChargeParameterDiscoveryRes":
            if self.ongoing(res.get("EVSEProcessing")):
                return self._cpd()
            if self.stop_reason:
                return self._session_stop()
            self._take_schedule(res)
            if self.renegotiating or self.mode == "AC":
                return self._power_delivery("Start")
            return "CableCheckReq", {"DC_EVStatus": self._status()}
        if res_name == "CableCheckRes":
            if self.ongoing(res.get("EVSEProcessing")):
                return "CableCheckReq", {"DC_EVStatus": self._status()}
            return self._stop_or(self._precharge())
        if res_name == "PreChargeRes":
            v = from_physical(res.get("EVSEPresentVoltage")) or 0.0
            if abs(v - p.battery_v) > p.precharge_tolerance_v and not self.power_early:
                self.precharge_rounds += 1
                if self.precharge_rounds > p.max_processing_rounds:
                    self.stop_reason = "pre-charge voltage never reached"
                    return self._session_stop()
                return self._precharge()
            self.precharge_rounds = 0
            return self._power_delivery("Start")
        if res_name == "PowerDeliveryRes":
            if self.progress == "Start":
                self.renegotiating = False
                return self._loop_or_stop(res, entering=True)
            if self.progress == "Renegotiate":
                self.renegotiating = True
                self.renegotiations += 1
                return self._cpd()
            if self.mode == "DC":
                return "WeldingDetectionReq", {"DC_EVStatus": self._status(ready=False)}
            return self._session_stop()
        if res_name in ("CurrentDemandRes", "ChargingStatusRes"):
            self.charge()
            if res.get("ReceiptRequired") is True and self.payment == "Contract":
                return self._metering_receipt(res)
            return self._loop_or_stop(res)
        if res_name == "MeteringReceiptRes":
            self.receipts += 1
            return self._loop_or_stop(res)
        if res_name == "WeldingDetectionRes":
            self.welding_done += 1
            if self.welding_done < p.welding_rounds:
                return "WeldingDetectionReq", {"DC_EVStatus": self._status(ready=False)}
            return self._session_stop()
        return None  # SessionStopRes, or nothing this EV asked for

    # ---- messages ------------------------------------------------------------------------------------------

    def _stop_or(self, msg: Msg) -> Msg:
        return self._session_stop() if self.stop_reason else msg

    def _session_stop(self) -> Msg:
        return "SessionStopReq", {"ChargingSession": "Pause" if self.pause else "Terminate"}

    def _payment_selection(self, res: dict[str, Any]) -> Msg:
        offered = (res.get("PaymentOptionList") or {}).get("PaymentOption") or []
        if offered and self.p.payment not in offered:
            self.payment = "ExternalPayment" if "ExternalPayment" in offered else str(offered[0])
        service = res.get("ChargeService") or {}
        if isinstance(service.get("ServiceID"), int):
            self.service_id = service["ServiceID"]
        selected = {"SelectedService": [{"ServiceID": self.service_id}]}
        return "PaymentServiceSelectionReq", {"SelectedPaymentOption": self.payment, "SelectedServiceList": selected}

    def _payment_details(self) -> Msg:
        p = self.p
        chain: dict[str, Any] = {"Certificate": p.contract_cert}
        subs = [c for c in (p.contract_sub_ca2_cert, p.contract_sub_ca1_cert) if c]
        if subs:
            chain["SubCertificates"] = {"Certificate": subs}
        return "PaymentDetailsReq", {"eMAID": p.emaid, "ContractSignatureCertChain": chain}

    def _authorization(self) -> Msg:
        if self.payment != "Contract":
            return "AuthorizationReq", {}
        body: dict[str, Any] = {"Id": "id1"}
        if self.gen_challenge is not None:
            body["GenChallenge"] = self.gen_challenge
        return "AuthorizationReq", body

    def _energy_request_wh(self) -> float:
        return self.p.capacity_wh * max(0.0, self.p.target_soc - self.soc) / 100

    def _ac_mode(self) -> str:
        return "AC_single_phase_core" if self.p.ac_phases == 1 else "AC_three_phase_core"

    def _cpd(self) -> Msg:
        p = self.p
        if self.mode == "AC":
            return "ChargeParameterDiscoveryReq", {
                "RequestedEnergyTransferMode": self._ac_mode(),
                "AC_EVChargeParameter": {
                    "DepartureTime": p.departure_s,
                    "EAmount": physical(self._energy_request_wh(), "Wh"),
                    "EVMaxVoltage": physical(p.ac_v, "V"),
                    "EVMaxCurrent": physical(p.ac_max_a, "A"),
                    "EVMinCurrent": physical(p.ac_min_a, "A")}}
        return "ChargeParameterDiscoveryReq", {
            "RequestedEnergyTransferMode": "DC_extended",
            "DC_EVChargeParameter": {
                "DepartureTime": p.departure_s,
                "DC_EVStatus": self._status(ready=self.renegotiating),
                "EVMaximumCurrentLimit": physical(p.max_a, "A"),
                "EVMaximumPowerLimit": physical(p.max_w, "W"),
                "EVMaximumVoltageLimit": physical(p.max_v, "V"),
                "EVEnergyCapacity": physical(p.capacity_wh, "Wh"),
                "EVEnergyRequest": physical(self._energy_request_wh(), "Wh"),
                "FullSOC": 100, "BulkSOC": 80}}

    def _take_schedule(self, res: dict[str, Any]) -> None:
        tuples = (res.get("SAScheduleList") or {}).get("SAScheduleTuple") or []
        first = tuples[0] if tuples and isinstance(tuples[0], dict) else {}
        sa_id = first.get("SAScheduleTupleID")
        self.sa_id = sa_id if isinstance(sa_id, int) and 1 <= sa_id <= 255 else 1
        entries = (first.get("PMaxSchedule") or {}).get("PMaxScheduleEntry") or []
        self.pmax_w = from_physical(entries[0].get("PMax")) if entries and isinstance(entries[0], dict) else None

    def _ev_max_w(self) -> float:
        p = self.p
        return p.ac_max_a * p.ac_v * max(1, p.ac_phases) if self.mode == "AC" else p.max_w

    def _profile(self) -> dict[str, Any]:
        limit = self._ev_max_w() if self.pmax_w is None else min(self._ev_max_w(), self.pmax_w)
        entry: dict[str, Any] = {"ChargingProfileEntryStart": 0, "ChargingProfileEntryMaxPower": physical(limit, "W")}
        if self.mode == "AC":
            entry["ChargingProfileEntryMaxNumberOfPhasesInUse"] = max(1, min(3, self.p.ac_phases))
        return {"ProfileEntry": [entry]}

    def _power_delivery(self, progress: str) -> Msg:
        self.progress = progress
        body: dict[str, Any] = {"ChargeProgress": progress, "SAScheduleTupleID": self.sa_id}
        if progress == "Start" and self.p.iso2_charging_profile:
            body["ChargingProfile"] = self._profile()
        if self.mode == "DC":
            body["DC_EVPowerDeliveryParameter"] = {
                "DC_EVStatus": self._status(), "BulkChargingComplete": self.soc >= 80,
                "ChargingComplete": progress == "Stop"}
        return "PowerDeliveryReq", body

    def _loop_or_stop(self, res: dict[str, Any], *, entering: bool = False) -> Msg:
        """The next charge-loop request, or the PowerDeliveryReq that leaves the loop. A renegotiation (asked for
        by the EV, or by the EVSE's ReNegotiation notification) starts at a charge-loop answer: right after
        PowerDeliveryRes(Start) the EV first enters the loop (``entering``), as EVSE state machines expect."""
        status = evse_status_of(res)
        if status.get("EVSEStatusCode") in _EVSE_STOP_CODES and not self.stop_reason:
            self.stop_reason = f"EVSE status {status['EVSEStatusCode']}"
        if self.full or self.stop_reason or status.get("EVSENotification") == "StopCharging":
            return self._power_delivery("Stop")
        if not entering and (self.renegotiate or status.get("EVSENotification") == "ReNegotiation"):
            self.renegotiate = False
            return self._power_delivery("Renegotiate")
        if self.t_loop is None:
            self.t_loop = time.monotonic()
        if self.mode == "AC":
            return "ChargingStatusReq", {}
        return self._current_demand()

    def _metering_receipt(self, res: dict[str, Any]) -> Msg:
        meter = res.get("MeterInfo") if isinstance(res.get("MeterInfo"), dict) else {"MeterID": "unknown"}
        sa_id = res.get("SAScheduleTupleID")
        return "MeteringReceiptReq", {"Id": "id1", "SessionID": self.session_id,
                                      "SAScheduleTupleID": sa_id if isinstance(sa_id, int) else self.sa_id,
                                      "MeterInfo": meter}

    def _precharge(self) -> Msg:
        return "PreChargeReq", {"DC_EVStatus": self._status(), "EVTargetVoltage": physical(self.p.battery_v, "V"),
                                "EVTargetCurrent": physical(2, "A")}

    def _current_demand(self) -> Msg:
        p = self.p
        left_s = max(0, min(32767 * 1000, int((p.target_soc - self.soc) / max(p.soc_per_s, 1e-6))))
        bulk_s = max(0, min(32767 * 1000, int((min(80.0, p.target_soc) - self.soc) / max(p.soc_per_s, 1e-6))))
        return "CurrentDemandReq", {
            "DC_EVStatus": self._status(), "EVTargetCurrent": physical(min(p.max_a, p.max_w / p.battery_v), "A"),
            "EVMaximumVoltageLimit": physical(p.max_v, "V"), "EVMaximumCurrentLimit": physical(p.max_a, "A"),
            "EVMaximumPowerLimit": physical(p.max_w, "W"), "BulkChargingComplete": self.soc >= 80,
            "ChargingComplete": False, "RemainingTimeToFullSoC": physical(left_s, "s"),
            "RemainingTimeToBulkSoC": physical(bulk_s, "s"), "EVTargetVoltage": physical(p.battery_v, "V")}


# ---- EVSE ----------------------------------------------------------------------------------------------------

SA_PROVISIONING_CERT = placeholder_der("vgitest SA provisioning certificate")
EVSE_CONTRACT_CERT = placeholder_der("vgitest installed contract certificate")


class Iso2Evse(EvseLogic):
    family = "iso-2"

    def __init__(self, params: EvseParams) -> None:
        super().__init__(params)
        self.modes = ("DC", "AC")
        self.mode: str | None = None  # "AC"/"DC" once ChargeParameterDiscoveryReq chose an energy transfer mode
        self.transfer_mode: str | None = None
        self.payment: str | None = None
        self.isolation = "Invalid"
        self.target_v = 0.0
        self.notification = "None"  # the role sets "StopCharging" / "ReNegotiation"; sent in charge-loop answers
        self.in_loop = False  # answering CurrentDemandReq / ChargingStatusReq (the notification goes there only)
        self.status_code = "EVSE_Ready"  # DC_EVSEStatusCode
        self.gen_challenge = os.urandom(16)
        self.sa_id = 1
        self.receipt_pending = False
        self.energy_wh = 0.0
        self.t_meter: float | None = None
        self.charging = False
        self.stopped_with: str | None = None  # ChargingSession of the SessionStopReq ("Terminate"/"Pause")

    # ---- building blocks -----------------------------------------------------------------------------------

    def energy_transfer_modes(self) -> list[str]:
        out: list[str] = []
        for m in self.modes:
            if m == "DC":
                out += DC_MODES
            elif m == "AC":
                out += AC_MODES if self.p.ac_phases >= 3 else ("AC_single_phase_core",)
        return out

    def _kind(self) -> str:
        return self.mode or (self.modes[0] if self.modes else "DC")

    def evse_id(self) -> str:
        """evseIDType is a string of 7..37 characters; "ZZ00000" is the value for "no ID"."""
        s = self.p.evse_id[:37]
        return s if len(s) >= 7 else "ZZ00000"

    def _notice(self) -> str:
        """The EVSENotification of the current answer: a test's notice goes into charge-loop answers only, where
        the cases that use it look for the EV's reaction."""
        return self.notification if self.in_loop else "None"

    def dc_status(self) -> dict[str, Any]:
        return {"NotificationMaxDelay": 0, "EVSENotification": self._notice(),
                "EVSEIsolationStatus": self.isolation, "EVSEStatusCode": self.status_code}

    def ac_status(self) -> dict[str, Any]:
        return {"NotificationMaxDelay": 0, "EVSENotification": self._notice(), "RCD": False}

    def _status_entry(self, kind: str | None = None) -> dict[str, Any]:
        if (kind or self._kind()) == "AC":
            return {"AC_EVSEStatus": self.ac_status()}
        return {"DC_EVSEStatus": self.dc_status()}

    def _dc_limits(self) -> dict[str, Any]:
        p = self.p
        return {"EVSEMaximumVoltageLimit": physical(p.max_v, "V"), "EVSEMaximumCurrentLimit": physical(p.max_a, "A"),
                "EVSEMaximumPowerLimit": physical(p.max_w, "W")}

    def _pmax_w(self, kind: str) -> float:
        p = self.p
        return p.ac_max_a * p.ac_v * max(1, p.ac_phases) if kind == "AC" else p.max_w

    def _schedules(self, kind: str) -> dict[str, Any]:
        return {"SAScheduleTuple": [{"SAScheduleTupleID": self.sa_id, "PMaxSchedule": {"PMaxScheduleEntry": [
            {"RelativeTimeInterval": {"start": 0, "duration": 86400}, "PMax": physical(self._pmax_w(kind), "W")}]}}]}

    def _charge_parameter(self, kind: str) -> dict[str, Any]:
        p = self.p
        if kind == "AC":
            return {"AC_EVSEChargeParameter": {"AC_EVSEStatus": self.ac_status(),
                                               "EVSENominalVoltage": physical(p.ac_v, "V"),
                                               "EVSEMaxCurrent": physical(p.ac_max_a, "A")}}
        return {"DC_EVSEChargeParameter": {"DC_EVSEStatus": self.dc_status(), **self._dc_limits(),
                                           "EVSEMinimumCurrentLimit": physical(p.min_a, "A"),
                                           "EVSEMinimumVoltageLimit": physical(p.min_v, "V"),
                                           "EVSEPeakCurrentRipple": physical(1, "A")}}

    def _meter(self) -> dict[str, Any]:
        return {"MeterID": "VGITEST-METER-1", "MeterReading": int(self.energy_wh), "TMeter": int(time.time())}

    def _cert_chain(self, cert: bytes, id_: str | None = None) -> dict[str, Any]:
        chain: dict[str, Any] = {"Certificate": cert}
        if id_ is not None:
            chain["Id"] = id_
        return chain

    def _certificate_result(self) -> dict[str, Any]:
        return {"SAProvisioningCertificateChain": self._cert_chain(SA_PROVISIONING_CERT),
                "ContractSignatureCertChain": self._cert_chain(EVSE_CONTRACT_CERT, "id1"),
                "ContractSignatureEncryptedPrivateKey": {"Id": "id2", "#value": bytes(48)},
                "DHpublickey": {"Id": "id3", "#value": b"\x04" + bytes(64)},
                "eMAID": {"Id": "id4", "#value": "DEVGIC000000001"}}

    def _service_list(self) -> dict[str, Any]:
        if "Contract" not in self.p.payment_options:
            return {}
        return {"ServiceList": {"Service": [{"ServiceID": CERT_SERVICE_ID, "ServiceName": "Certificate",
                                             "ServiceCategory": "ContractCertificate", "FreeService": True}]}}

    # ---- answers -------------------------------------------------------------------------------------------

    def skeleton(self, req_name: str) -> Msg:
        kind = self._kind()
        pv, pa = physical(self.present_v, "V"), physical(self.present_a, "A")
        dc = {"DC_EVSEStatus": self.dc_status()}
        loop_tail: dict[str, Any] = {"EVSEID": self.evse_id(), "SAScheduleTupleID": self.sa_id,
                                     "MeterInfo": self._meter()}
        if self.p.receipt_required:
            loop_tail["ReceiptRequired"] = self.receipt_pending
        options = [o for o in self.p.payment_options if o in ("Contract", "ExternalPayment")][:2] or ["ExternalPayment"]
        bodies: dict[str, dict[str, Any]] = {
            "SessionSetupReq": {"EVSEID": self.evse_id(), "EVSETimeStamp": int(time.time())},
            "ServiceDiscoveryReq": {
                "PaymentOptionList": {"PaymentOption": options},
                "ChargeService": {"ServiceID": CHARGE_SERVICE_ID, "ServiceCategory": "EVCharging", "FreeService": False,
                                  "SupportedEnergyTransferMode": {
                                      "EnergyTransferMode": self.energy_transfer_modes()[:6] or list(DC_MODES)}},
                **self._service_list()},
            "ServiceDetailReq": {"ServiceID": CHARGE_SERVICE_ID},
            "PaymentServiceSelectionReq": {},
            "CertificateInstallationReq": self._certificate_result(),
            "CertificateUpdateReq": self._certificate_result(),
            "PaymentDetailsReq": {"GenChallenge": self.gen_challenge, "EVSETimeStamp": int(time.time())},
            "AuthorizationReq": {"EVSEProcessing": "Finished"},
            "ChargeParameterDiscoveryReq": {"EVSEProcessing": "Finished", "SAScheduleList": self._schedules(kind),
                                            **self._charge_parameter(kind)},
            "PowerDeliveryReq": self._status_entry(kind),
            "MeteringReceiptReq": self._status_entry(kind),
            "SessionStopReq": {},
            "ChargingStatusReq": {"EVSEMaxCurrent": physical(self.p.ac_max_a, "A"), **loop_tail,
                                  "AC_EVSEStatus": self.ac_status()},
            "CableCheckReq": {**dc, "EVSEProcessing": "Finished"},
            "PreChargeReq": {**dc, "EVSEPresentVoltage": pv},
            "CurrentDemandReq": {**dc, "EVSEPresentVoltage": pv, "EVSEPresentCurrent": pa,
                                 "EVSECurrentLimitAchieved": False, "EVSEVoltageLimitAchieved": False,
                                 "EVSEPowerLimitAchieved": False, **self._dc_limits(), **loop_tail},
            "WeldingDetectionReq": {**dc, "EVSEPresentVoltage": pv},
        }
        req = req_name if req_name in bodies else "SessionStopReq"
        return req[:-3] + "Res", {"ResponseCode": "OK", **bodies[req]}

    def _meter_tick(self) -> None:
        now = time.monotonic()
        if self.t_meter is not None and self.charging:
            phases = max(1, self.p.ac_phases) if self.mode == "AC" else 1
            self.energy_wh += self.present_v * self.present_a * phases * (now - self.t_meter) / 3600
        self.t_meter = now

    def respond(self, req_name: str, req: dict[str, Any]) -> Msg:
        n = self.count(req_name)
        p = self.p
        self.in_loop = req_name in ("CurrentDemandReq", "ChargingStatusReq")
        if self.mode is not None and ((req_name in DC_ONLY and self.mode != "DC")
                                      or (req_name in AC_ONLY and self.mode != "AC")):
            return self.failed(req_name, "FAILED_WrongEnergyTransferMode")
        if req_name == "SessionSetupReq":
            name, body = self.skeleton(req_name)
            body["ResponseCode"] = "OK_NewSessionEstablished"
            return name, body
        if req_name == "ServiceDetailReq":
            sid = req.get("ServiceID")
            if sid == CHARGE_SERVICE_ID:
                return "ServiceDetailRes", {"ResponseCode": "OK", "ServiceID": sid}
            if sid == CERT_SERVICE_ID and "Contract" in p.payment_options:
                return "ServiceDetailRes", {"ResponseCode": "OK", "ServiceID": sid, "ServiceParameterList": {
                    "ParameterSet": [
                        {"ParameterSetID": 1, "Parameter": [{"Name": "Service", "stringValue": "Installation"}]},
                        {"ParameterSetID": 2, "Parameter": [{"Name": "Service", "stringValue": "Update"}]}]}}
            name, body = self.failed(req_name, "FAILED_ServiceIDInvalid")
            if isinstance(sid, int) and 0 <= sid <= 65535:
                body["ServiceID"] = sid
            return name, body
        if req_name == "PaymentServiceSelectionReq":
            option = req.get("SelectedPaymentOption")
            ids = [s.get("ServiceID") for s in (req.get("SelectedServiceList") or {}).get("SelectedService") or []
                   if isinstance(s, dict)]
            if option not in p.payment_options:
                return self.failed(req_name, "FAILED_PaymentSelectionInvalid")
            if any(i not in (CHARGE_SERVICE_ID, CERT_SERVICE_ID) for i in ids):
                return self.failed(req_name, "FAILED_ServiceSelectionInvalid")
            if CHARGE_SERVICE_ID not in ids:
                return self.failed(req_name, "FAILED_NoChargeServiceSelected")
            self.payment = option
            return self.skeleton(req_name)
        if req_name == "PaymentDetailsReq":
            self.gen_challenge = os.urandom(16)
            return self.skeleton(req_name)
        if req_name == "AuthorizationReq":
            if self.payment == "Contract" and req.get("GenChallenge") != self.gen_challenge:
                return self.failed(req_name, "FAILED_ChallengeInvalid")
            name, body = self.skeleton(req_name)
            body["EVSEProcessing"] = "Ongoing" if n <= p.auth_rounds else "Finished"
            return name, body
        if req_name == "ChargeParameterDiscoveryReq":
            return self._cpd(req, n)
        if req_name == "CableCheckReq":
            done = n > p.cable_check_rounds
            if done:
                self.isolation = "Valid"
            name, body = self.skeleton(req_name)
            body["EVSEProcessing"] = "Finished" if done else "Ongoing"
            return name, body
        if req_name == "PreChargeReq":
            self.target_v = min(from_physical(req.get("EVTargetVoltage")) or 0.0, p.max_v)
            step = p.precharge_step_v
            self.present_v += max(-step, min(step, self.target_v - self.present_v))
            return self.skeleton(req_name)
        if req_name == "PowerDeliveryReq":
            return self._power_delivery(req)
        if req_name == "CurrentDemandReq":
            self._meter_tick()
            target_a = from_physical(req.get("EVTargetCurrent")) or 0.0
            target_v = from_physical(req.get("EVTargetVoltage")) or self.present_v
            self.present_v = min(target_v, p.max_v)
            self.present_a = max(0.0, min(target_a, p.max_a, p.max_w / max(self.present_v, 1.0)))
            name, body = self.skeleton(req_name)
            body["EVSEVoltageLimitAchieved"] = target_v >= p.max_v
            body["EVSECurrentLimitAchieved"] = target_a >= p.max_a
            body["EVSEPowerLimitAchieved"] = target_a * self.present_v >= p.max_w
            return name, body
        if req_name == "ChargingStatusReq":
            self._meter_tick()
            self.present_v, self.present_a = p.ac_v, p.ac_max_a  # per phase
            return self.skeleton(req_name)
        if req_name == "MeteringReceiptReq":
            self.receipt_pending = False
            return self.skeleton(req_name)
        if req_name == "WeldingDetectionReq":
            self.present_v = max(0.0, self.present_v - 200)
            self.present_a = 0.0
            return self.skeleton(req_name)
        if req_name == "SessionStopReq":
            cs = req.get("ChargingSession")
            self.stopped_with = cs if isinstance(cs, str) else None
            self.charging = False
            return self.skeleton(req_name)
        return self.skeleton(req_name)

    def _cpd(self, req: dict[str, Any], n: int) -> Msg:
        p = self.p
        requested = req.get("RequestedEnergyTransferMode")
        kind = kind_of(requested)
        if requested not in self.energy_transfer_modes() or kind is None:
            return self.failed("ChargeParameterDiscoveryReq", "FAILED_WrongEnergyTransferMode")
        self.mode, self.transfer_mode = kind, requested
        if not isinstance(req.get(f"{kind}_EVChargeParameter"), dict):
            return self.failed("ChargeParameterDiscoveryReq", "FAILED_WrongChargeParameter")
        name, body = self.skeleton("ChargeParameterDiscoveryReq")
        if n <= p.cpd_rounds:
            body["EVSEProcessing"] = "Ongoing"
            body.pop("SAScheduleList", None)
        return name, body

    def _power_delivery(self, req: dict[str, Any]) -> Msg:
        progress = req.get("ChargeProgress")
        dc_param = isinstance(req.get("DC_EVPowerDeliveryParameter"), dict)
        if self.mode is not None and dc_param != (self.mode == "DC"):
            return self.failed("PowerDeliveryReq", "FAILED_WrongChargeParameter")
        if progress == "Start":
            if req.get("SAScheduleTupleID") != self.sa_id:
                return self.failed("PowerDeliveryReq", "FAILED_TariffSelectionInvalid")
            entries = (req.get("ChargingProfile") or {}).get("ProfileEntry") or []
            limit = self._pmax_w(self._kind())
            if any((from_physical(e.get("ChargingProfileEntryMaxPower")) or 0.0) > limit * 1.001
                   for e in entries if isinstance(e, dict)):
                return self.failed("PowerDeliveryReq", "FAILED_ChargingProfileInvalid")
            self.charging = True
            self.receipt_pending = self.p.receipt_required
            self._meter_tick()
        elif progress == "Renegotiate":
            if self.notification == "ReNegotiation":
                self.notification = "None"
            self.counts["ChargeParameterDiscoveryReq"] = 0  # cpd_rounds apply to the new discovery as well
        else:  # Stop
            self._meter_tick()
            self.charging = False
            self.present_a = 0.0
            if self.notification == "StopCharging":
                self.notification = "None"
        return self.skeleton("PowerDeliveryReq")


FAMILY = family.register(family.Family(
    name="iso-2", namespace=NAMESPACE, major=2, minor=0, ev=Iso2Ev, evse=Iso2Evse,
    schema_of=lambda name: "iso-2", payload_type_of=lambda name: 0x8001,
    wrap=family.v2g_wrap, unwrap=family.v2g_unwrap, follows=FOLLOWS, modes=("DC", "AC")))

__all__ = ["FAMILY", "FOLLOWS", "NAMESPACE", "REQUESTS", "EvParams", "EvseParams", "Iso2Ev", "Iso2Evse"]
