"""OCPP 2.1 block Q (bidirectional power transfer, V2X) of the reference station.

The station side of V2X as far as the suite judges it: an EV that can discharge (plugged in with a bidirectional
energy transfer mode) reports its needs (NotifyEVChargingNeeds with V2X parameters) once it charges; the CSMS
steers the EVSE with charging profiles whose periods carry an operationMode (ChargingOnly, CentralSetpoint,
LocalFrequency, Idle are supported here; the external-system and load-balancing modes are not, for want of an
EMS); the station reports the mode in its TransactionEvents and meters the power it then imports or exports.

The charging profile rows (SetChargingProfile, ClearChargingProfile) live here because the 2.1 reference station
has no other smart charging: they accept the Tx and TxDefault profiles V2X needs and check each period's fields
against its operation mode (which limits and setpoints a mode needs or forbids)."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any

from ..timestamps import strict_epoch

from . import requests_v21
from .base import utcnow
from .requests_v201 import Request

Station21 = Evse = Tx = Any  # typed loosely: the station imports this module (tests/test_import_graph.py)

BPT_TRANSFERS = ("AC_BPT", "AC_BPT_DER", "DC_BPT", "DC_ACDP_BPT")  # the energy transfer modes that can discharge
SUPPORTED_MODES = ("ChargingOnly", "CentralSetpoint", "CentralFrequency", "LocalFrequency",
                   "Idle")  # Idle without evseSleep
# which operation modes a profile purpose may use (the 2.1 V2X purposes; others are charging only)
MODES_FOR_PURPOSE = {
    "TxProfile": ("ChargingOnly", "CentralSetpoint", "ExternalSetpoint", "ExternalLimits", "CentralFrequency",
                  "LocalFrequency", "LocalLoadBalancing", "Idle"),
    "TxDefaultProfile": ("ChargingOnly", "CentralSetpoint", "ExternalSetpoint", "ExternalLimits", "CentralFrequency",
                         "LocalFrequency", "LocalLoadBalancing", "Idle"),
}
LIMIT_FIELDS = ("limit", "dischargeLimit", "setpoint", "setpointReactive")
# per operation mode: the limit/setpoint fields a period must carry, and those it may carry besides
NEEDS = {"ChargingOnly": {"limit"}, "CentralSetpoint": {"setpoint"}, "CentralFrequency": {"setpoint"}}
MAY = {"CentralSetpoint": {"limit", "dischargeLimit", "setpointReactive"},
       "CentralFrequency": {"limit", "dischargeLimit"}, "ExternalSetpoint": {"limit", "dischargeLimit"}}
NOMINAL_HZ = 50.0  # the grid frequency the simulated meter reads
VOLTS = 230.0  # per phase, to turn a limit in A into W (three phases)
V2X_MEASURANDS = ("Power.Active.Import", "Power.Active.Export", "Energy.Active.Export.Register")


@dataclasses.dataclass
class StoredProfile:
    evse: int  # 0: every EVSE
    body: dict
    received: float  # epoch seconds
    puller: asyncio.Task | None = None  # a dynamic profile's PullDynamicScheduleUpdate loop

    @property
    def dynamic(self) -> bool:
        return self.body.get("chargingProfileKind") == "Dynamic"

    def update(self, values: dict) -> None:
        """Apply a dynamic schedule update: its limits and setpoints replace those of the (single) period."""
        period = self.body["chargingSchedule"][0]["chargingSchedulePeriod"][0]
        period.update({k: v for k, v in values.items() if k != "customData"})


@dataclasses.dataclass
class V2xEvse:
    """What the station knows of one EVSE's V2X session."""

    ev_transfer: str | None = None  # the bidirectional transfer mode of the plugged EV (None: a charge-only EV)
    needs_for: str | None = None  # the transaction whose needs were reported
    needs_status: str | None = None  # the CSMS's answer to them
    reported_mode: str = "ChargingOnly"
    export_wh: float = 0.0
    last: float = dataclasses.field(default_factory=time.monotonic)


def _in_watts(value: float, unit: str) -> float:
    return value * VOLTS * 3 if unit == "A" else value


def _curve_power(curve: list[dict], x: float, key: str) -> float:
    """A piecewise-linear curve (points sorted by `key`) read at x, flat beyond its ends."""
    pts = sorted(curve, key=lambda p: p[key])
    if x <= pts[0][key]:
        return float(pts[0]["power"])
    for a, b in zip(pts, pts[1:]):
        if a[key] <= x <= b[key]:
            span = b[key] - a[key]
            return float(a["power"] if span == 0 else a["power"] + (b["power"] - a["power"]) * (x - a[key]) / span)
    return float(pts[-1]["power"])


class V2xStation:
    """Mixin of the 2.1 reference station (before Station201 in its bases): V2X state and behaviour."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)  # type: ignore[call-arg]
        st: Any = self
        self.v2x = {i: V2xEvse() for i in st.connectors}
        self.v2x_profiles: dict[int, StoredProfile] = {}
        self.afrr: tuple[int, float] | None = None  # the last aFRR signal and when it applies (epoch seconds)
        for name in ("TxStartedMeasurands", "TxUpdatedMeasurands", "TxEndedMeasurands"):
            var = st.model.find("SampledDataCtrlr", name)  # 2.1 meters export too
            var.values_list = ",".join([*(var.values_list or "").split(","), *V2X_MEASURANDS]).strip(",")

    # --- physical actions ---------------------------------------------------------------------------------------
    async def do_plug_in(self, connector: int = 1, mode: str | None = None, **_ignored: Any) -> None:
        """Plug in an EV; `mode` names its energy transfer (a bidirectional one makes it a V2X EV)."""
        self.v2x[int(connector)].ev_transfer = mode if mode in BPT_TRANSFERS else None
        await super().do_plug_in(connector)  # type: ignore[misc]

    # --- hooks of the 2.0.1 station -----------------------------------------------------------------------------
    def _begin_charging(self, tx: Tx) -> None:
        st: Any = self
        super()._begin_charging(tx)  # type: ignore[misc]
        state = self.v2x[tx.evse]
        if state.ev_transfer is not None and state.needs_for != tx.id:
            state.needs_for = tx.id
            st.spawn(self._report_needs(tx))

    async def end_tx(self, e: Evse, trigger: str, reason: str) -> None:
        tx = e.transaction
        await super().end_tx(e, trigger, reason)  # type: ignore[misc]
        if tx is not None:
            self.drop_profiles([k for k, p in self.v2x_profiles.items()
                                if p.body.get("chargingProfilePurpose") == "TxProfile" and p.evse == e.id])
            state = self.v2x[e.id]
            state.reported_mode, state.needs_for, state.needs_status = "ChargingOnly", None, None

    async def _unplug(self, e: Evse) -> None:
        await super()._unplug(e)  # type: ignore[misc]
        self.v2x[e.id].ev_transfer = None

    def tx_info_extra(self, tx: Tx) -> dict:
        st: Any = self
        if self.v2x[tx.evse].ev_transfer is None or st.has("v2x_operation_mode_not_reported"):
            return {}
        return {"operationMode": self.v2x[tx.evse].reported_mode}

    def import_power(self, e: Evse) -> float:
        return max(0.0, self.present_power(e))

    def meter_value(self, e: Evse, context: str, **kw: Any) -> dict:
        """The 2.0.1 reading, plus the V2X measurands SampledDataCtrlr.TxUpdatedMeasurands asks for."""
        st: Any = self
        mv = super().meter_value(e, context, **kw)  # type: ignore[misc]
        if context not in ("Sample.Periodic", "Trigger") or e.transaction is None:
            return mv
        wanted = set(st.var("SampledDataCtrlr", "TxUpdatedMeasurands").split(","))
        if st.has("v2x_export_not_metered"):
            wanted -= {"Power.Active.Export", "Energy.Active.Export.Register"}
        power = self.present_power(e)
        state = self.v2x[e.id]
        now = time.monotonic()
        state.export_wh += max(0.0, -power) * (now - state.last) / 3600.0
        state.last = now
        values = {"Power.Active.Import": (max(0.0, power), "W"), "Power.Active.Export": (max(0.0, -power), "W"),
                  "Energy.Active.Export.Register": (state.export_wh, "Wh")}
        for name in V2X_MEASURANDS:
            if name in wanted:
                value, unit = values[name]
                mv["sampledValue"].append({"value": round(value, 1), "context": context, "measurand": name,
                                           "unitOfMeasure": {"unit": unit}})
        return mv

    # --- V2X behaviour --------------------------------------------------------------------------------------------
    async def _report_needs(self, tx: Tx) -> None:
        st: Any = self
        state = self.v2x[tx.evse]
        cap = float(st.power_w)
        params: dict[str, Any] = {"minChargePower": 0.0, "maxChargePower": cap, "minDischargePower": 0.0,
                                  "maxDischargePower": cap, "targetSoC": 80}
        if st.has("v2x_needs_without_v2x_parameters"):
            params = {}
        needs: dict[str, Any] = {"requestedEnergyTransfer": state.ev_transfer,
                                 "availableEnergyTransfer": [
                                     "DC" if str(state.ev_transfer).startswith("DC") else "AC_three_phase",
                                     state.ev_transfer],
                                 "controlMode": "DynamicControl", "mobilityNeedsMode": "EVCC_SECC",
                                 "dcChargingParameters": {"evMaxCurrent": 30.0, "evMaxVoltage": 400.0,
                                                          "evMaxPower": cap, "stateOfCharge": 50}}
        if params:
            needs["v2xChargingParameters"] = params
        res = await st.safe_call("NotifyEVChargingNeeds", {"evseId": tx.evse, "timestamp": utcnow(),
                                                           "chargingNeeds": needs})
        state.needs_status = (res or {}).get("status")
        e = st.evse(tx.evse)
        if state.needs_status == "Rejected" and e.transaction is tx and not self.v2x_renegotiates() \
                and not st.has("v2x_needs_rejection_ignored"):
            # without ISO 15118-20 service renegotiation the EV cannot be offered anything else: the session ends
            reason = "Other" if st.has("v2x_needs_rejection_wrong_reason") else "ReqEnergyTransferRejected"
            st._act(st.end_tx(e, "AbnormalCondition", reason))

    def drop_profiles(self, ids: list[int]) -> None:
        for pid in ids:
            gone = self.v2x_profiles.pop(pid, None)
            if gone is not None and gone.puller is not None and gone.puller is not asyncio.current_task():
                gone.puller.cancel()

    async def pull_updates(self, pid: int) -> None:
        """A dynamic profile with dynUpdateInterval: ask the CSMS for its update that long after the last one, for
        as long as the profile is kept (bounded by it: clearing, replacing or ending the transaction stops this)."""
        st: Any = self
        while True:
            stored = self.v2x_profiles.get(pid)
            interval = float((stored.body if stored else {}).get("dynUpdateInterval") or 0)
            if stored is None or interval <= 0:
                return
            await asyncio.sleep(interval)
            if self.v2x_profiles.get(pid) is not stored:
                return
            res = await st.safe_call("PullDynamicScheduleUpdate", {"chargingProfileId": pid})
            if (res or {}).get("status") == "Accepted" and "scheduleUpdate" in (res or {}) \
                    and not st.has("v2x_pull_update_ignored"):
                stored.update(res["scheduleUpdate"])
                await self.report_mode_changes()

    def v2x_renegotiates(self) -> bool:
        """Whether the station can renegotiate the service with the EV (ISO 15118-20); the reference cannot."""
        return False

    def effective(self, evse_id: int) -> tuple[str, dict, str] | None:
        """The operation mode, period and rate unit in force at the EVSE now (None: no profile applies): a TxProfile
        beats a TxDefaultProfile, then the higher stack level; a period runs from startSchedule (or receipt) until
        the schedule's duration ends, and then the next profile applies."""
        st: Any = self
        tx = st.evse(evse_id).transaction
        ranked = []
        for p in self.v2x_profiles.values():
            purpose = p.body.get("chargingProfilePurpose")
            if p.evse not in (0, evse_id) or (purpose == "TxProfile" and tx is None):
                continue
            ranked.append(((1 if purpose == "TxProfile" else 0, int(p.body.get("stackLevel", 0))), p))
        for _, p in sorted(ranked, key=lambda x: x[0], reverse=True):
            sched = p.body["chargingSchedule"][0]
            start = strict_epoch(sched["startSchedule"]) if "startSchedule" in sched else p.received
            offset = time.time() - start
            expired = "duration" in sched and offset >= sched["duration"] and not st.has("v2x_profile_never_expires")
            if offset < 0 or expired:
                continue
            period = None
            for candidate in sorted(sched["chargingSchedulePeriod"], key=lambda x: x["startPeriod"]):
                if candidate["startPeriod"] <= offset:
                    period = candidate
            if period is not None:
                return period.get("operationMode", "ChargingOnly"), period, sched["chargingRateUnit"]
        return None

    def present_power(self, e: Evse) -> float:
        """The power at the EVSE now, W: positive charges the EV, negative discharges it."""
        st: Any = self
        tx = e.transaction
        cap = float(st.power_w)
        if tx is None or not tx.charging:
            return 0.0
        found = self.effective(e.id)
        if found is None:
            return cap
        mode, period, unit = found
        bidirectional = self.v2x[e.id].ev_transfer is not None and self.v2x[e.id].needs_status != "Rejected"
        if mode == "Idle":
            return 0.0
        if mode in ("CentralSetpoint", "CentralFrequency") and not st.has("v2x_setpoint_ignored"):
            power = _in_watts(float(period["setpoint"]), unit)
        elif mode == "LocalFrequency":
            power = float(period.get("v2xBaseline", 0.0)) + _curve_power(period["v2xFreqWattCurve"], NOMINAL_HZ,
                                                                         "frequency")
            if self.afrr is not None and self.afrr[1] <= time.time() and period.get("v2xSignalWattCurve") \
                    and not st.has("v2x_afrr_ignored"):
                power += _curve_power(period["v2xSignalWattCurve"], self.afrr[0], "signal")
        elif "limit" in period:
            power = min(cap, _in_watts(float(period["limit"]), unit))
        else:
            power = cap
        if "limit" in period:
            power = min(power, _in_watts(float(period["limit"]), unit))
        if "dischargeLimit" in period:
            power = max(power, _in_watts(float(period["dischargeLimit"]), unit))
        return max(-cap if bidirectional else 0.0, min(cap, power))

    async def report_mode_changes(self) -> None:
        """After a profile change: a TransactionEvent (OperationModeChanged) for each V2X transaction whose
        operation mode is now another."""
        st: Any = self
        for e in st.evses():
            tx, state = e.transaction, self.v2x[e.id]
            if tx is None or state.ev_transfer is None:
                continue
            found = self.effective(e.id)
            mode = found[0] if found else "ChargingOnly"
            if mode == state.reported_mode:
                continue
            state.reported_mode = mode
            if not st.has("v2x_operation_mode_not_reported"):
                await st.send_event(tx, "Updated", "OperationModeChanged",
                                    charging_state="SuspendedEVSE" if mode == "Idle" else "Charging")


# --- the charging profile rows --------------------------------------------------------------------------------------
def _rejected(reason: str, why: str) -> dict:
    return {"status": "Rejected", "statusInfo": {"reasonCode": reason, "additionalInfo": why[:1024]}}


def period_problem(st: Station21, purpose: str, period: dict) -> tuple[str, str] | None:
    """Why a schedule period cannot be used (reason code, text), or None."""
    mode = period.get("operationMode", "ChargingOnly")
    if mode not in MODES_FOR_PURPOSE.get(purpose, ("ChargingOnly",)):
        return "InvalidOperationMode", f"operationMode {mode} is not for a {purpose}"
    if mode not in SUPPORTED_MODES and not st.has("v2x_unsupported_mode_accepted"):
        return "UnsupportedMode", f"operationMode {mode} is not supported by this station"
    if mode != "ChargingOnly" and st.has("v2x_modes_rejected"):
        return "UnsupportedMode", f"operationMode {mode} refused"
    if period.get("evseSleep") and not st.has("v2x_evse_sleep_accepted"):
        return "UnsupportedParam", "this station cannot put its power electronics to sleep (evseSleep)"
    if st.has("v2x_profile_unvalidated"):
        return None
    present = {f for f in LIMIT_FIELDS if f in period}
    missing = NEEDS.get(mode, set()) - present
    extra = present - NEEDS.get(mode, set()) - MAY.get(mode, set())
    if missing:
        return "MissingParam", f"operationMode {mode} needs {', '.join(sorted(missing))}"
    if extra:
        return "InvalidParam", f"operationMode {mode} does not take {', '.join(sorted(extra))}"
    if mode == "LocalFrequency" and not period.get("v2xFreqWattCurve"):
        return "MissingParam", "operationMode LocalFrequency needs a v2xFreqWattCurve"
    return None


async def set_charging_profile(st: Station21, p: dict) -> dict:
    evse_id, prof = int(p["evseId"]), p["chargingProfile"]
    purpose = prof["chargingProfilePurpose"]
    if evse_id != 0 and evse_id not in st.connectors:
        return _rejected("UnknownEvse", f"no EVSE {evse_id}")
    if purpose not in MODES_FOR_PURPOSE:
        return _rejected("UnsupportedPurpose", f"{purpose} is not supported (V2X profiles only)")
    if purpose == "TxProfile":
        tx = st.evse(evse_id).transaction if evse_id != 0 else None
        if tx is None or prof.get("transactionId", tx.id) != tx.id:
            return _rejected("TxNotFound", "a TxProfile needs the transaction running at its EVSE")
    if len(prof["chargingSchedule"]) != 1:
        return _rejected("UnsupportedParam", "one charging schedule per profile")
    if prof["chargingProfileKind"] == "Dynamic" and len(prof["chargingSchedule"][0]["chargingSchedulePeriod"]) != 1:
        return _rejected("InvalidSchedule", "a dynamic profile has one period, which its updates change")
    for period in prof["chargingSchedule"][0]["chargingSchedulePeriod"]:
        problem = period_problem(st, purpose, period)
        if problem is not None:
            return _rejected(*problem)
    st.drop_profiles([int(prof["id"])])  # the same id replaces the profile
    st.v2x_profiles[int(prof["id"])] = StoredProfile(evse_id, prof, time.time())
    return {"status": "Accepted"}


async def after_set_charging_profile(st: Station21, p: dict, result: dict) -> None:
    if result.get("status") != "Accepted":
        return
    await st.report_mode_changes()
    stored = st.v2x_profiles.get(int(p["chargingProfile"]["id"]))
    if stored is not None and stored.dynamic and stored.body.get("dynUpdateInterval") and not st.has("v2x_no_pull"):
        stored.puller = st.spawn(st.pull_updates(int(p["chargingProfile"]["id"])))
    sched = p["chargingProfile"]["chargingSchedule"][0]
    if "duration" in sched and not st.has("v2x_expiry_not_reported"):  # the mode falls back when it runs out
        start = strict_epoch(sched["startSchedule"]) if "startSchedule" in sched else time.time()
        await asyncio.sleep(max(0.0, start + float(sched["duration"]) - time.time()) + 0.05)
        await st.report_mode_changes()


async def update_dynamic_schedule(st: Station21, p: dict) -> dict:
    stored = st.v2x_profiles.get(int(p["chargingProfileId"]))
    if stored is None or not stored.dynamic:
        return _rejected("UnknownProfile", f"no dynamic charging profile {p['chargingProfileId']}")
    if not st.has("v2x_dynamic_update_ignored"):
        stored.update(p["scheduleUpdate"])
    return {"status": "Accepted"}


async def after_update_dynamic_schedule(st: Station21, p: dict, result: dict) -> None:
    if result.get("status") == "Accepted":
        await st.report_mode_changes()


async def afrr_signal(st: Station21, p: dict) -> dict:
    try:
        when = strict_epoch(p["timestamp"])
    except ValueError:
        return _rejected("InvalidParam", "timestamp is not a date-time")
    st.afrr = (int(p["signal"]), when)
    return {"status": "Accepted"}


async def clear_charging_profile(st: Station21, p: dict) -> dict:
    crit = p.get("chargingProfileCriteria") or {}

    def matches(pid: int, sp: StoredProfile) -> bool:
        if "chargingProfileId" in p:
            return pid == p["chargingProfileId"]
        return (crit.get("evseId", sp.evse) == sp.evse
                and crit.get("chargingProfilePurpose", sp.body["chargingProfilePurpose"]) == sp.body[
                    "chargingProfilePurpose"]
                and crit.get("stackLevel", sp.body["stackLevel"]) == sp.body["stackLevel"])

    gone = [pid for pid, sp in st.v2x_profiles.items() if matches(pid, sp)]
    st.drop_profiles(gone)
    return {"status": "Accepted" if gone else "Unknown"}


async def after_clear_charging_profile(st: Station21, p: dict, result: dict) -> None:
    if result.get("status") == "Accepted":
        await st.report_mode_changes()


requests_v21.add({
    "SetChargingProfile": Request(set_charging_profile, after_set_charging_profile),
    "ClearChargingProfile": Request(clear_charging_profile, after_clear_charging_profile),
    "AFRRSignal": Request(afrr_signal),
    "UpdateDynamicSchedule": Request(update_dynamic_schedule, after_update_dynamic_schedule),
})

__all__ = ["V2xStation", "BPT_TRANSFERS", "SUPPORTED_MODES", "period_problem"]
