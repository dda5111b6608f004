"""Q: Bidirectional power transfer (V2X) — an EV that can discharge reports its needs, the CSMS steers the EVSE
with charging profiles whose periods carry an operation mode, and the station meters what it then imports or
exports. Where a case is about power, it is judged from the station's own periodic TransactionEvents (the
Power.Active.Import and Power.Active.Export it reports), as the smart-charging cases judge a limit."""

from __future__ import annotations

import contextlib
import itertools
import math
import time
from collections.abc import Iterator
from typing import Any

import pytest

from vgitest.case import preamble
from vgitest.ocpp import rules as r
from vgitest.ocpp import states_v201 as s
from vgitest.ocpp.handlers import utcnow

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.1")

FEATURE = "BidirectionalPowerTransfer"
V2X = ("Core", "BidirectionalPowerTransfer")
BPT = ("AC_BPT", "AC_BPT_DER", "DC_BPT", "DC_ACDP_BPT")  # energy transfer modes that can discharge
POWER = ("Power.Active.Import", "Power.Active.Export")
_ids = itertools.count(2100)


def profile_id() -> int:
    """A charging profile id no earlier case of the run used (a station keeps profiles by id)."""
    return next(_ids)


def tx_profile(pid: int, tx_id: str | None, period: dict, purpose: str = "TxProfile") -> dict:
    prof: dict[str, Any] = {"id": pid, "stackLevel": 1, "chargingProfilePurpose": purpose,
                            "chargingProfileKind": "Relative",
                            "chargingSchedule": [{"id": pid, "chargingRateUnit": "W",
                                                  "chargingSchedulePeriod": [{"startPeriod": 0, **period}]}]}
    if tx_id is not None:
        prof["transactionId"] = tx_id
    return prof


def set_profile(st: Any, evse: int, prof: dict) -> dict:
    return st.call("SetChargingProfile", {"evseId": evse, "chargingProfile": prof})


def clear_profile(st: Any, pid: int) -> None:
    if st.connected:
        st.call("ClearChargingProfile", {"chargingProfileId": pid})


def status(answer: dict) -> str:
    return str(answer.get("status"))


@contextlib.contextmanager
def measurands(st: Any, wanted: tuple[str, ...]) -> Iterator[float]:
    """SampledDataCtrlr.TxUpdatedMeasurands extended with `wanted` for the case (a preamble), put back after; yields
    the station's SampledDataCtrlr.TxUpdatedInterval (s), how often it samples them."""
    with preamble(f"SampledDataCtrlr.TxUpdatedMeasurands with {', '.join(wanted)}"):
        try:
            interval = float(s.get_value(st, "SampledDataCtrlr", "TxUpdatedInterval") or 0)
        except ValueError:
            interval = 0.0
        st.check(interval > 0, r.STATION_RESPONSE, "SampledDataCtrlr.TxUpdatedInterval is not a positive number: the "
                 "station samples no meter values during a transaction")
        old = s.get_value(st, "SampledDataCtrlr", "TxUpdatedMeasurands") or ""
        value = ",".join(dict.fromkeys(m for m in [*old.split(","), *wanted] if m))
        res = st.call("SetVariables", {"setVariableData": [
            {**s.variable("SampledDataCtrlr", "TxUpdatedMeasurands"), "attributeValue": value}]})
        got = res["setVariableResult"][0]["attributeStatus"]
        st.check(got == "Accepted", r.STATION_RESPONSE, f"SetVariables TxUpdatedMeasurands = {value}: {got}")
    try:
        yield interval
    finally:
        if st.connected and old:
            st.call("SetVariables", {"setVariableData": [
                {**s.variable("SampledDataCtrlr", "TxUpdatedMeasurands"), "attributeValue": old}]})


@contextlib.contextmanager
def v2x_session(st: Any, dut: Any, profile: Any, t: Any, needs_answer: dict | None = None) -> Iterator[dict]:
    """A bidirectional EV (PIXIT v2x_energy_transfer, default DC_BPT) plugged in and a valid token accepted in a
    transaction; the CSMS answers its NotifyEVChargingNeeds with `needs_answer` (default Accepted).
    Yields the transaction id, the EVSE and the needs frame (None if it did not come within the wait)."""
    mode = str(profile.param("v2x_energy_transfer", "DC_BPT"))
    token, c = s.id_token(profile), t.connector
    st.tokens[token["idToken"]] = "Accepted"
    st.override("NotifyEVChargingNeeds", needs_answer or {"status": "Accepted"})
    start = s.mark(st)
    try:
        with preamble(f"a bidirectional EV ({mode}) plugged in and authorized in a transaction"):
            dut.perform("plug_in", connector=c, mode=mode)
            dut.perform("present_token", id_token=token["idToken"], connector=c)
            authorized = s.require(st, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE,
                                   "no TransactionEvent carrying the accepted idToken after plug-in and authorization",
                                   {"idToken": {"idToken": token["idToken"]}})
        needs = s.wait_call(st, "NotifyEVChargingNeeds", start, t.wait, {"evseId": c})
        yield {"transaction_id": authorized.body["transactionInfo"]["transactionId"], "evse": c, "needs": needs,
               "start": start}
    finally:
        dut.perform("unplug", connector=c)
        s.wait_call(st, "TransactionEvent", start, t.wait, {"eventType": "Ended"})


def net_power(body: dict) -> list[float]:
    """Each reading of a TransactionEvent as net power in W (import minus export), from the readings that carry
    Power.Active.Import or Power.Active.Export (a kW unit is scaled)."""
    out = []
    for mv in body.get("meterValue") or []:
        got: dict[str, float] = {}
        for sv in mv.get("sampledValue") or []:
            m = sv.get("measurand")
            if m in POWER and not sv.get("phase"):
                scale = 1000.0 if (sv.get("unitOfMeasure") or {}).get("unit") == "kW" else 1.0
                try:
                    got[m] = got.get(m, 0.0) + float(sv["value"]) * scale
                except (TypeError, ValueError, KeyError):
                    continue
        if got:
            out.append(got.get("Power.Active.Import", 0.0) - got.get("Power.Active.Export", 0.0))
    return out


def expect_power(st: Any, profile: Any, t: Any, interval: float, tx_id: str, what: str, *,
                 target: float | None = None, not_below: float | None = None) -> None:
    """The station's own periodic TransactionEvents of `tx_id` (sampled every `interval` s), from PIXIT v2x_settle_s
    after now, show the net power at `target` W (within PIXIT v2x_power_tolerance_w, or 5 % of the target, whichever
    is larger), or at least `not_below` W (within the same tolerance). The first reading that arrives in that window
    is not judged: it may have been sampled before the change and sent after it."""
    settle = float(profile.param("v2x_settle_s", 2))
    reference = target if target is not None else not_below or 0.0
    margin = max(float(profile.param("v2x_power_tolerance_w", 200)), abs(reference) * 0.05)
    since = time.time() + settle
    pos = s.mark(st)
    readings: list[tuple[Any, float]] = []
    skipped = False
    deadline = time.monotonic() + settle + 3 * interval + t.wait
    while len(readings) < 2:
        left = deadline - time.monotonic()
        f = s.wait_call(st, "TransactionEvent", pos, max(0.1, left),
                        lambda b: b["transactionInfo"].get("transactionId") == tx_id and bool(net_power(b)))
        if f is None:
            st.fail(r.EXPECTED_MESSAGE, f"fewer than three TransactionEvents with {' or '.join(POWER)} within "
                    f"{settle + 3 * interval + t.wait:g} s after {what}, although TxUpdatedMeasurands names them")
        pos = f.index + 1
        if f.wall >= since and skipped:
            readings += [(f, v) for v in net_power(f.body)]
        skipped = skipped or f.wall >= since
    for f, v in readings:
        if target is not None:
            st.check(abs(v - target) <= margin, r.V2X_POWER,
                     f"after {what} the station reports a net power of {v:g} W (import minus export), expected "
                     f"{target:g} W within {margin:g} W", f)
        else:
            st.check(v >= (not_below or 0.0) - margin, r.V2X_POWER,
                     f"after {what} the station reports a net power of {v:g} W (import minus export), expected at "
                     f"least {not_below or 0.0:g} W (within {margin:g} W)", f)


def operation_mode_reported(st: Any, tx_id: str, start: int, t: Any, mode: str) -> None:
    s.require(st, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE,
              f"the station did not report operationMode {mode} for the transaction",
              lambda b: b["transactionInfo"].get("transactionId") == tx_id
              and b["transactionInfo"].get("operationMode") == mode)


def discharge_power(profile: Any, needs: Any) -> float:
    """A discharge the EV allows: half its maxDischargePower (PIXIT v2x_discharge_w when it reported none)."""
    params = ((needs.body if needs is not None else {}).get("chargingNeeds") or {}).get("v2xChargingParameters") or {}
    most = params.get("maxDischargePower")
    if isinstance(most, (int, float)) and most > 0:
        return float(int(most / 2))
    return float(profile.param("v2x_discharge_w", 4000))


# --- V2X authorization and needs (Q01, Q02) ----------------------------------------------------------------------
@pytest.mark.vgi_case("TC_Q_100_CS", feature=FEATURE, requires=V2X)
def test_TC_Q_100_CS(booted_station, dut, vgi_profile, t) -> None:
    """With the V2X measurands configured for sampled data (import and export power, export energy), the
    periodic TransactionEvents of a bidirectional EV's transaction report each of them."""
    st = booted_station
    wanted = (*POWER, "Energy.Active.Export.Register")
    with measurands(st, wanted) as interval, v2x_session(st, dut, vgi_profile, t) as tx:
        f = s.require(st, "TransactionEvent", s.mark(st), interval + t.wait, r.EXPECTED_MESSAGE,
                      "no periodic TransactionEvent during the V2X transaction",
                      lambda b: b["transactionInfo"].get("transactionId") == tx["transaction_id"]
                      and b.get("triggerReason") == "MeterValuePeriodic")
        got = {sv.get("measurand", "Energy.Active.Import.Register")
               for mv in f.body.get("meterValue") or [] for sv in mv.get("sampledValue") or []}
        missing = [m for m in wanted if m not in got]
        st.check(not missing, r.EXPECTED_MESSAGE, f"the periodic meter values lack the configured measurand(s) "
                 f"{', '.join(missing)}", f)


@pytest.mark.vgi_case("TC_Q_101_CS", feature=FEATURE, requires=V2X)
def test_TC_Q_101_CS(booted_station, dut, vgi_profile, t) -> None:
    """A bidirectional EV's needs reach the CSMS: NotifyEVChargingNeeds for the EVSE with a bidirectional
    requestedEnergyTransfer and V2X parameters that allow a discharge. The CSMS answers Processing and then sends
    a TxProfile with a central setpoint; the station accepts it and reports operationMode CentralSetpoint in a
    TransactionEvent of the transaction."""
    st = booted_station
    with v2x_session(st, dut, vgi_profile, t, {"status": "Processing"}) as tx:
        needs = tx["needs"]
        st.check(needs is not None, r.EXPECTED_MESSAGE,
                 f"no NotifyEVChargingNeeds for EVSE {tx['evse']} within {t.wait:g} s of a bidirectional EV charging")
        body = needs.body["chargingNeeds"]
        st.check(body.get("requestedEnergyTransfer") in BPT, r.EXPECTED_MESSAGE,
                 f"requestedEnergyTransfer is {body.get('requestedEnergyTransfer')}, not a bidirectional mode", needs)
        params = body.get("v2xChargingParameters") or {}
        st.check(isinstance(params.get("maxDischargePower"), (int, float)) and params["maxDischargePower"] > 0,
                 r.EXPECTED_MESSAGE, "the needs of a bidirectional EV carry no v2xChargingParameters with a "
                 f"maxDischargePower above 0 (got {params or 'none'})", needs)
        pid = profile_id()
        start = s.mark(st)
        try:
            answer = set_profile(st, tx["evse"], tx_profile(pid, tx["transaction_id"], {
                "operationMode": "CentralSetpoint", "setpoint": -discharge_power(vgi_profile, needs)}))
            st.check(status(answer) == "Accepted", r.STATION_RESPONSE,
                     f"a CentralSetpoint TxProfile after Processing needs was answered {status(answer)}")
            operation_mode_reported(st, tx["transaction_id"], start, t, "CentralSetpoint")
        finally:
            clear_profile(st, pid)


@pytest.mark.vgi_case("TC_Q_103_CS", feature=FEATURE, requires=(*V2X, "!ISO15118ServiceRenegotiationSupport"))
def test_TC_Q_103_CS(booted_station, dut, vgi_profile, t) -> None:
    """The CSMS rejects a bidirectional EV's needs. A station that cannot renegotiate the service with the EV
    (PICS ISO15118ServiceRenegotiationSupport absent) ends the transaction: an Ended TransactionEvent with
    stoppedReason ReqEnergyTransferRejected."""
    st = booted_station
    with v2x_session(st, dut, vgi_profile, t, {"status": "Rejected"}) as tx:
        st.check(tx["needs"] is not None, r.EXPECTED_MESSAGE,
                 f"no NotifyEVChargingNeeds for EVSE {tx['evse']} within {t.wait:g} s of a bidirectional EV charging")
        s.require(st, "TransactionEvent", tx["needs"].index, t.wait, r.EXPECTED_MESSAGE,
                  "after its needs were rejected the transaction did not end with stoppedReason "
                  "ReqEnergyTransferRejected",
                  lambda b: b["transactionInfo"].get("transactionId") == tx["transaction_id"]
                  and b.get("eventType") == "Ended"
                  and b["transactionInfo"].get("stoppedReason") == "ReqEnergyTransferRejected")


# --- central setpoint (Q03) ----------------------------------------------------------------------------------------
def _setpoints_followed(st: Any, dut: Any, profile: Any, t: Any, mode: str, shares: tuple[float, ...]) -> None:
    """In a V2X session, a TxProfile of `mode` whose setpoint is pushed again for each share of the EV's allowed
    discharge (negative: discharge) is accepted each time, the mode is reported, and the net power follows."""
    with measurands(st, POWER) as interval, v2x_session(st, dut, profile, t) as tx:
        discharge = discharge_power(profile, tx["needs"])
        pid = profile_id()
        start = s.mark(st)
        try:
            for share in shares:
                setpoint = round(discharge * share)
                answer = set_profile(st, tx["evse"], tx_profile(pid, tx["transaction_id"], {
                    "operationMode": mode, "setpoint": setpoint}))
                st.check(status(answer) == "Accepted", r.STATION_RESPONSE,
                         f"a {mode} TxProfile with setpoint {setpoint:g} W was answered {status(answer)}")
                expect_power(st, profile, t, interval, tx["transaction_id"], f"a setpoint of {setpoint:g} W",
                             target=setpoint)
            operation_mode_reported(st, tx["transaction_id"], start, t, mode)
        finally:
            clear_profile(st, pid)


def dynamic_profile(pid: int, tx_id: str, period: dict, update_interval: int | None = None) -> dict:
    prof = tx_profile(pid, tx_id, period)
    prof["chargingProfileKind"] = "Dynamic"
    if update_interval is not None:
        prof["dynUpdateInterval"] = update_interval
    return prof


@pytest.mark.vgi_case("TC_Q_109_CS", feature=FEATURE, requires=(*V2X, "SC-8"))
def test_TC_Q_109_CS(booted_station, dut, vgi_profile, t) -> None:
    """Central setpoint control by a dynamic schedule the CSMS pushes: a dynamic TxProfile with operationMode
    CentralSetpoint and a negative setpoint makes the EV discharge at that power; UpdateDynamicSchedule then pushes a
    positive setpoint, and the EV charges at that power. Both are accepted, and the net power the station reports
    follows each setpoint."""
    st = booted_station
    with measurands(st, POWER) as interval, v2x_session(st, dut, vgi_profile, t) as tx:
        discharge = discharge_power(vgi_profile, tx["needs"])
        pid = profile_id()
        try:
            answer = set_profile(st, tx["evse"], dynamic_profile(pid, tx["transaction_id"], {
                "operationMode": "CentralSetpoint", "setpoint": -discharge}))
            st.check(status(answer) == "Accepted", r.STATION_RESPONSE,
                     f"a dynamic CentralSetpoint TxProfile (setpoint {-discharge:g} W) was answered {status(answer)}")
            expect_power(st, vgi_profile, t, interval, tx["transaction_id"], f"a setpoint of {-discharge:g} W",
                         target=-discharge)
            pushed = round(discharge * 0.75)
            answer = st.call("UpdateDynamicSchedule", {"chargingProfileId": pid,
                                                       "scheduleUpdate": {"setpoint": pushed}})
            st.check(status(answer) == "Accepted", r.STATION_RESPONSE,
                     f"UpdateDynamicSchedule of the dynamic profile {pid} was answered {status(answer)}")
            expect_power(st, vgi_profile, t, interval, tx["transaction_id"], f"a pushed setpoint of {pushed:g} W",
                         target=pushed)
        finally:
            clear_profile(st, pid)


@pytest.mark.vgi_case("TC_Q_110_CS", feature=FEATURE, requires=(*V2X, "SC-8"))
def test_TC_Q_110_CS(booted_station, dut, vgi_profile, t) -> None:
    """Central setpoint control by a dynamic schedule the station pulls: a dynamic TxProfile with operationMode
    CentralSetpoint and dynUpdateInterval (PIXIT v2x_dyn_update_interval_s) makes the station ask for its update
    (PullDynamicScheduleUpdate naming the profile) within that interval; the CSMS answers a smaller discharge, and the
    net power the station meters follows it."""
    st = booted_station
    every = int(vgi_profile.param("v2x_dyn_update_interval_s", 2))
    with measurands(st, POWER) as interval, v2x_session(st, dut, vgi_profile, t) as tx:
        discharge = discharge_power(vgi_profile, tx["needs"])
        pulled = -round(discharge / 2)
        st.override("PullDynamicScheduleUpdate", {"status": "Accepted", "scheduleUpdate": {"setpoint": pulled}})
        pid = profile_id()
        start = s.mark(st)
        try:
            answer = set_profile(st, tx["evse"], dynamic_profile(pid, tx["transaction_id"], {
                "operationMode": "CentralSetpoint", "setpoint": -discharge}, every))
            st.check(status(answer) == "Accepted", r.STATION_RESPONSE,
                     f"a dynamic CentralSetpoint TxProfile with dynUpdateInterval {every} s was answered "
                     f"{status(answer)}")
            s.require(st, "PullDynamicScheduleUpdate", start, every + t.wait, r.EXPECTED_MESSAGE,
                      f"the station did not ask for the update of dynamic profile {pid} (dynUpdateInterval {every} s)",
                      {"chargingProfileId": pid})
            expect_power(st, vgi_profile, t, interval, tx["transaction_id"], f"a pulled setpoint of {pulled:g} W",
                         target=pulled)
        finally:
            clear_profile(st, pid)


# --- frequency support (Q05 central, Q08 local with aFRR) ----------------------------------------------------------
@pytest.mark.vgi_case("TC_Q_117_CS", feature=FEATURE, requires=V2X)
def test_TC_Q_117_CS(booted_station, dut, vgi_profile, t) -> None:
    """Central frequency support: the CSMS, which watches the grid frequency, pushes the setpoints of a TxProfile
    with operationMode CentralFrequency (a discharge, then a smaller one); each is accepted, the station reports
    operationMode CentralFrequency, and the net power it meters follows each setpoint."""
    _setpoints_followed(booted_station, dut, vgi_profile, t, "CentralFrequency", (-1.0, -0.5))


@pytest.mark.vgi_case("TC_Q_118_CS", feature=FEATURE, requires=V2X)
def test_TC_Q_118_CS(booted_station, dut, vgi_profile, t) -> None:
    """A CentralFrequency TxProfile whose schedule lasts PIXIT v2x_profile_duration_s (at least long enough to judge
    a few readings): while it runs the EV
    discharges at its setpoint; once it has run out the station reports the transaction back in operationMode
    ChargingOnly and no longer discharges (net power not below zero)."""
    st = booted_station
    with measurands(st, POWER) as interval, v2x_session(st, dut, vgi_profile, t) as tx:
        # long enough for the setpoint to be judged while it runs (a skipped reading and two judged ones)
        settle = float(vgi_profile.param("v2x_settle_s", 2))
        duration = max(int(vgi_profile.param("v2x_profile_duration_s", 6)), math.ceil(settle + 4 * interval + 1))
        setpoint = -discharge_power(vgi_profile, tx["needs"])
        pid = profile_id()
        prof = tx_profile(pid, tx["transaction_id"], {"operationMode": "CentralFrequency", "setpoint": setpoint})
        prof["chargingSchedule"][0]["duration"] = duration
        ends = time.monotonic() + duration
        try:
            answer = set_profile(st, tx["evse"], prof)
            st.check(status(answer) == "Accepted", r.STATION_RESPONSE,
                     f"a CentralFrequency TxProfile of {duration} s was answered {status(answer)}")
            expect_power(st, vgi_profile, t, interval, tx["transaction_id"], f"a setpoint of {setpoint:g} W",
                         target=setpoint)
            time.sleep(max(0.0, ends - time.monotonic()))
            start = s.mark(st)
            expect_power(st, vgi_profile, t, interval, tx["transaction_id"], "the end of the profile's schedule",
                         not_below=0.0)
            operation_mode_reported(st, tx["transaction_id"], start, t, "ChargingOnly")
        finally:
            clear_profile(st, pid)


@pytest.mark.vgi_case("TC_Q_120_CS", feature=FEATURE, requires=V2X)
def test_TC_Q_120_CS(booted_station, dut, vgi_profile, t) -> None:
    """Local frequency support with aFRR: a LocalFrequency TxProfile whose frequency-power curve is flat at 0 W over
    49-51 Hz and whose signal-power curve maps aFRR signal 100 to a discharge; an AFRRSignal of 100 is accepted and
    the net power the station meters goes to that discharge (baseline 0 W)."""
    st = booted_station
    with measurands(st, POWER) as interval, v2x_session(st, dut, vgi_profile, t) as tx:
        discharge = discharge_power(vgi_profile, tx["needs"])
        pid = profile_id()
        try:
            answer = set_profile(st, tx["evse"], tx_profile(pid, tx["transaction_id"], {
                "operationMode": "LocalFrequency", "v2xBaseline": 0.0,
                "v2xFreqWattCurve": [{"frequency": 49.0, "power": 0.0}, {"frequency": 51.0, "power": 0.0}],
                "v2xSignalWattCurve": [{"signal": 0, "power": 0.0}, {"signal": 100, "power": -discharge}]}))
            st.check(status(answer) == "Accepted", r.STATION_RESPONSE,
                     f"a LocalFrequency TxProfile with a signal-power curve was answered {status(answer)}")
            answer = st.call("AFRRSignal", {"timestamp": utcnow(), "signal": 100})
            st.check(status(answer) == "Accepted", r.STATION_RESPONSE,
                     f"AFRRSignal 100 was answered {status(answer)}, expected Accepted")
            expect_power(st, vgi_profile, t, interval, tx["transaction_id"], "aFRR signal 100",
                         target=-discharge)
        finally:
            clear_profile(st, pid)


# --- profile validations (Q08 local frequency, Q10 load balancing, Q11 idle) -------------------------------------
def _validation(st: Any, t: Any, mode: str, bad: dict, bad_why: str, good: dict) -> None:
    """On the idle EVSE: a TxDefaultProfile of `mode` with the `bad` period is Rejected, one with the `good` period
    is Accepted (so that a station refusing every such profile fails too)."""
    for period, ok, why in ((bad, False, bad_why), (good, True, "a well-formed period")):
        pid, answer = profile_id(), {}
        try:
            answer = set_profile(st, t.connector, tx_profile(pid, None, {"operationMode": mode, **period},
                                                             purpose="TxDefaultProfile"))
            want = "Accepted" if ok else "Rejected"
            st.check(status(answer) == want, r.STATION_RESPONSE,
                     f"a {mode} TxDefaultProfile with {why} was answered {status(answer)}, expected {want}")
        finally:
            if status(answer) == "Accepted":
                clear_profile(st, pid)


@pytest.mark.vgi_case("TC_Q_119_CS", feature=FEATURE, requires=V2X)
def test_TC_Q_119_CS(booted_station, t) -> None:
    """A LocalFrequency profile needs the frequency-power curve the station follows: without v2xFreqWattCurve it
    is Rejected, with one it is Accepted."""
    curve = [{"frequency": 49.8, "power": -5000.0}, {"frequency": 50.0, "power": 0.0},
             {"frequency": 50.2, "power": 5000.0}]
    _validation(booted_station, t, "LocalFrequency", {}, "no v2xFreqWattCurve", {"v2xFreqWattCurve": curve})


@pytest.mark.vgi_case("TC_Q_123_CS", feature=FEATURE, requires=(*V2X, "!V2XLocalLoadBalancing"))
def test_TC_Q_123_CS(booted_station, t) -> None:
    """A station without local load balancing rejects a profile whose period asks for operationMode
    LocalLoadBalancing."""
    st = booted_station
    pid = profile_id()
    answer = set_profile(st, t.connector, tx_profile(pid, None, {"operationMode": "LocalLoadBalancing"},
                                                     purpose="TxDefaultProfile"))
    if status(answer) == "Accepted":
        clear_profile(st, pid)
    st.check(status(answer) == "Rejected", r.STATION_RESPONSE,
             f"a LocalLoadBalancing profile was answered {status(answer)} by a station that declares no local load "
             "balancing (PICS V2XLocalLoadBalancing absent)")


@pytest.mark.vgi_case("TC_Q_127_CS", feature=FEATURE, requires=V2X)
def test_TC_Q_127_CS(booted_station, t) -> None:
    """An Idle period stops the energy transfer, so it takes no setpoint: an Idle profile with a setpoint is
    Rejected, one without is Accepted."""
    _validation(booted_station, t, "Idle", {"setpoint": 1000.0}, "a setpoint", {})


@pytest.mark.vgi_case("TC_Q_126_CS", feature=FEATURE, requires=(*V2X, "!SC-9.1"))
def test_TC_Q_126_CS(booted_station, t) -> None:
    """A station that cannot switch its power electronics off (PICS SC-9.1 absent) rejects an Idle period that asks
    for evseSleep, and accepts the same Idle period without it."""
    _validation(booted_station, t, "Idle", {"evseSleep": True}, "evseSleep true", {})
