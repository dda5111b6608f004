"""OCPP 1.6 Smart Charging (module 23): charging profiles per purpose and stack level, composite schedules,
clearing profiles, a profile carried by a remote start, the TxProfiles a station must refuse, and the limit at
the connector judged against the current or power the station itself reports in MeterValues.

Every case reads the station's charging rate unit first (ChargingScheduleAllowedChargingRateUnit: amperes when it
allows Current, else watts) and states its limits in that unit; W limits are the A limits times 230 V. Limits stay
between 6 A and 16 A so that a station's own hardware maximum does not enter the composite schedule. Each case
clears every profile it set (ClearChargingProfile without criteria) and restores what it configured.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any, Iterator

import pytest

from helpers16 import connector, expect_none_since, get_config, stop_and_unplug, tolerance, transaction_id, wait_s
from vgitest.case import preamble
from vgitest.findings import Severity
from vgitest.ocpp import rules as r
from vgitest.ocpp.smartcharging import METER_MEASURAND, Segment, meter_readings, schedule_mismatches
from vgitest.verdict import NotApplicable

pytestmark = pytest.mark.vgi_protocol("ocpp", "1.6")
SC = ("SmartCharging",)
FEATURE = "Smart Charging"
VOLTS = 230.0
METER_TOLERANCE = 0.05  # a reading may exceed the limit by 5 % (meter accuracy, the EV's control loop)


# --- helpers --------------------------------------------------------------------------------------------------
def rate_unit(station: Any) -> str:
    """The unit the case states its limits in: A when the station allows Current (or does not say), else W."""
    allowed = get_config(station, "ChargingScheduleAllowedChargingRateUnit")
    return "W" if allowed is not None and "Current" not in allowed and "Power" in allowed else "A"


def lim(unit: str, amps: float) -> float:
    return float(amps) if unit == "A" else float(amps) * VOLTS


def profile(pid: int, purpose: str, stack: int, periods: list[tuple[int, float]], unit: str, *,
            kind: str = "Absolute", start: int | None = None, duration: int | None = None,
            tx: int | None = None) -> dict:
    sched: dict[str, Any] = {"chargingRateUnit": unit,
                             "chargingSchedulePeriod": [{"startPeriod": s, "limit": v} for s, v in periods]}
    if start is not None:
        sched["startSchedule"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start))
    if duration is not None:
        sched["duration"] = duration
    body: dict[str, Any] = {"chargingProfileId": pid, "stackLevel": stack, "chargingProfilePurpose": purpose,
                            "chargingProfileKind": kind, "chargingSchedule": sched}
    if tx is not None:
        body["transactionId"] = tx
    return body


REFUSAL_ERROR = "PropertyConstraintViolation"  # a station may refuse a request it must not carry out with it


def answer(station: Any, action: str, payload: dict, refusal: bool = False) -> Any:
    """The station's answer frame; a CALLERROR to a request the profile declares is a wrong answer, except
    PropertyConstraintViolation where the case expects a refusal (`refusal`): a field that makes the request
    inadmissible is what that error code names (OCPP-J 1.6 Table 7)."""
    frame = station.call_frame(action, payload)
    if frame.kind == "CALLERROR" and refusal and frame.body.get("errorCode") == REFUSAL_ERROR:
        return frame
    if frame.kind == "CALLERROR":
        station.fail(r.STATION_RESPONSE, f"{action} answered CALLERROR {frame.body.get('errorCode')} "
                     f"({frame.body.get('errorDescription')!r}); the station declares SmartCharging", frame)
    return frame


def refused(frame: Any) -> bool:
    return frame.kind == "CALLERROR" or frame.body.get("status") == "Rejected"


def set_profile(station: Any, cid: int, prof: dict, expected: str = "Accepted") -> Any:
    """SetChargingProfile answered `expected` (Rejected: a PropertyConstraintViolation CALLERROR also refuses)."""
    frame = answer(station, "SetChargingProfile", {"connectorId": cid, "csChargingProfiles": prof},
                   refusal=expected == "Rejected")
    if expected == "Rejected" and refused(frame):
        return frame
    station.check(frame.body.get("status") == expected, r.STATION_RESPONSE,
                  f"SetChargingProfile ({prof['chargingProfilePurpose']}, stack level {prof['stackLevel']}, "
                  f"connector {cid}) answered {frame.body.get('status')}, expected {expected}", frame)
    return frame


def expect_schedule(station: Any, cid: int, unit: str, duration: int, segments: list[Segment] | None = None,
                    flat: float | None = None, why: str = "") -> Any:
    """GetCompositeSchedule for `cid` must give `segments` (or one `flat` limit over the whole window)."""
    asked = time.time()
    frame = answer(station, "GetCompositeSchedule", {"connectorId": cid, "duration": duration,
                                                     "chargingRateUnit": unit})
    if flat is not None:
        segments = [Segment(int(asked), int(asked) + duration, flat)]
    problems = schedule_mismatches(frame.body, unit, segments or [])
    station.check(not problems, r.STATION_RESPONSE, f"composite schedule of connector {cid} {why}: "
                  + "; ".join(problems), frame)
    return frame


@contextlib.contextmanager
def profiles_cleared(station: Any) -> Iterator[None]:
    """Clear every charging profile when the case ends, so the next case starts without limits."""
    try:
        yield
    finally:
        if station.connected:
            with contextlib.suppress(Exception):
                station.call("ClearChargingProfile", {})


@contextlib.contextmanager
def metering(station: Any, unit: str) -> Iterator[str | None]:
    """Have the station sample the measurand that shows a limit in `unit` (added to MeterValuesSampledData);
    yields the measurand, or None when the station cannot sample it (the limit is then not judged)."""
    measurand = METER_MEASURAND[unit]
    old = get_config(station, "MeterValuesSampledData")
    if old is not None and measurand in [m.strip() for m in old.split(",")]:
        yield measurand
        return
    value = ",".join([m for m in (old or "").split(",") if m.strip()] + [measurand])
    res = station.call("ChangeConfiguration", {"key": "MeterValuesSampledData", "value": value})
    if res.get("status") != "Accepted":
        yield None
        return
    try:
        yield measurand
    finally:
        if old is not None and station.connected:
            station.call("ChangeConfiguration", {"key": "MeterValuesSampledData", "value": old})


def expect_limit_held(station: Any, profile: Any, budgets: Any, measurand: str | None, unit: str, limit: float,
                      tx: int, since: float) -> None:
    """The station's own MeterValues of the connector (for transaction `tx`, where they name one: the field is
    optional), sampled once the limit had time to settle after `since` (wall clock), show the current or power
    at the connector within the limit."""
    if measurand is None:
        station.record(r.SC_LIMIT, f"limit at the connector not judged: the station does not sample {METER_MEASURAND[unit]} "
                       "(MeterValuesSampledData refused it)", severity=Severity.INFO)
        return
    c = connector(profile)
    interval = float(profile.param("meter_sample_interval", 1))
    settle = float(profile.param("sc_limit_settle_s", 5))
    deadline = time.monotonic() + settle + 2 * interval + tolerance(budgets) + 2
    readings: list[tuple[Any, float]] = []
    while len(readings) < 2:
        left = deadline - time.monotonic()
        try:
            f = station.expect("MeterValues", max(0.1, left), match=lambda b: b.get("connectorId") == c and b.get(
                "transactionId", tx) == tx and bool(meter_readings(b, unit)))
        except AssertionError:
            station.fail(r.EXPECTED_MESSAGE, f"no MeterValues with {measurand} within {settle + 2 * interval:g} s "
                         f"of the limit, although the station accepted it in MeterValuesSampledData")
        if f.wall < since + settle:
            continue  # sampled before the limit could take effect
        readings += [(f, v) for v in meter_readings(f.body, unit)]
    for f, v in readings:
        station.check(v <= limit * (1 + METER_TOLERANCE), r.SC_LIMIT,
                      f"the station reports {v:g} {unit} ({measurand}) at the connector {f.wall - since:.1f} s after "
                      f"a limit of {limit:g} {unit} came into force", f)


def start_locally(station: Any, dut: Any, profile: Any) -> int:
    """Plug in and present the valid idTag; returns the transaction id once the connector is Charging."""
    c, token = connector(profile), str(profile.param("valid_id_token"))
    station.tokens[token] = "Accepted"
    dut.perform("plug_in", connector=c)
    station.expect("StatusNotification", wait_s(profile), match={"connectorId": c, "status": "Preparing"})
    mark = len(station.csms.trace)
    dut.perform("present_token", id_token=token, connector=c)
    start = station.expect("StartTransaction", wait_s(profile), match={"connectorId": c, "idTag": token})
    tx = transaction_id(station, start)
    station.expect("StatusNotification", wait_s(profile), match={"connectorId": c, "status": "Charging"}, since=mark)
    return tx


def _setup(station: Any, stack: contextlib.ExitStack, meter: bool = False) -> tuple[str, str | None]:
    """Preamble of every case: the unit read, the limit's measurand sampled (when asked), profiles cleared after."""
    with preamble("the station's charging rate unit read" + (" and the limit's measurand sampled" if meter else "")):
        unit = rate_unit(station)
        measurand = stack.enter_context(metering(station, unit)) if meter else None
    stack.enter_context(profiles_cleared(station))
    return unit, measurand


# --- the cases ------------------------------------------------------------------------------------------------
@pytest.mark.vgi_case("TC_056_CS", feature=FEATURE, requires=SC)
def test_TC_056_CS(booted_station, dut, vgi_profile, vgi_budgets):
    """A TxDefaultProfile set on an idle connector is accepted and governs the next transaction there: the
    composite schedule of the running transaction shows its limit, and so does the current (or power) the
    station reports at the connector."""
    station, c = booted_station, connector(vgi_profile)
    with contextlib.ExitStack() as stack:
        unit, measurand = _setup(station, stack, meter=True)
        limit = lim(unit, 10)
        set_profile(station, c, profile(561, "TxDefaultProfile", 0, [(0, limit)], unit, kind="Relative"))
        with preamble("a transaction started on the connector"):
            tx = start_locally(station, dut, vgi_profile)
        since = time.time()
        expect_schedule(station, c, unit, 120, flat=limit, why="during a transaction under the TxDefaultProfile")
        expect_limit_held(station, vgi_profile, vgi_budgets, measurand, unit, limit, tx, since)
        stop_and_unplug(station, dut, vgi_profile, tx)


@pytest.mark.vgi_case("TC_057_CS", feature=FEATURE, requires=SC)
def test_TC_057_CS(running_transaction, dut, vgi_profile, vgi_budgets, station):
    """A TxProfile for the running transaction is accepted and takes effect at once: the composite schedule and
    the station's own meter readings show its limit."""
    tx, c = running_transaction["transaction_id"], running_transaction["connector"]
    with contextlib.ExitStack() as stack:
        unit, measurand = _setup(station, stack, meter=True)
        limit = lim(unit, 8)
        set_profile(station, c, profile(571, "TxProfile", 0, [(0, limit)], unit, start=int(time.time()), tx=tx))
        since = time.time()
        expect_schedule(station, c, unit, 120, flat=limit, why="under a TxProfile")
        expect_limit_held(station, vgi_profile, vgi_budgets, measurand, unit, limit, tx, since)
        stop_and_unplug(station, dut, vgi_profile, tx)


@pytest.mark.vgi_case("TC_058_1_CS", feature=FEATURE, requires=SC)
def test_TC_058_1_CS(booted_station, vgi_profile):
    """A TxProfile (naming a transaction) sent while no transaction runs on the connector is refused (Rejected,
    or a PropertyConstraintViolation CALLERROR): a TxProfile only exists for a running transaction."""
    station, c = booted_station, connector(vgi_profile)
    with contextlib.ExitStack() as stack:
        unit, _ = _setup(station, stack)
        set_profile(station, c, profile(581, "TxProfile", 0, [(0, lim(unit, 6))], unit, start=int(time.time()),
                                        tx=58101), expected="Rejected")


@pytest.mark.vgi_case("TC_058_2_CS", feature=FEATURE, requires=SC)
def test_TC_058_2_CS(running_transaction, dut, vgi_profile, station):
    """A TxProfile that names a transaction other than the one running on the connector is refused (Rejected, or
    a PropertyConstraintViolation CALLERROR)."""
    tx, c = running_transaction["transaction_id"], running_transaction["connector"]
    with contextlib.ExitStack() as stack:
        unit, _ = _setup(station, stack)
        set_profile(station, c, profile(582, "TxProfile", 0, [(0, lim(unit, 6))], unit, start=int(time.time()),
                                        tx=tx + 1000), expected="Rejected")
        stop_and_unplug(station, dut, vgi_profile, tx)


@pytest.mark.vgi_case("TC_059_CS", feature=FEATURE, requires=SC)
def test_TC_059_CS(booted_station, dut, vgi_profile, vgi_budgets):
    """A RemoteStartTransaction carrying a TxProfile is accepted; the transaction it starts charges under that
    profile (composite schedule and meter readings at the connector)."""
    station, c = booted_station, connector(vgi_profile)
    token = str(vgi_profile.param("valid_id_token"))
    station.tokens[token] = "Accepted"
    with contextlib.ExitStack() as stack:
        unit, measurand = _setup(station, stack, meter=True)
        limit = lim(unit, 6)
        dut.perform("plug_in", connector=c)
        station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Preparing"})
        mark = len(station.csms.trace)
        res = answer(station, "RemoteStartTransaction", {
            "connectorId": c, "idTag": token,
            "chargingProfile": profile(591, "TxProfile", 0, [(0, limit)], unit, kind="Relative")})
        station.check(res.body.get("status") == "Accepted", r.STATION_RESPONSE,
                      f"RemoteStartTransaction with a TxProfile answered {res.body.get('status')}, expected Accepted",
                      res)
        start = station.expect("StartTransaction", wait_s(vgi_profile), match={"connectorId": c, "idTag": token})
        tx = transaction_id(station, start)
        station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Charging"},
                       since=mark)
        since = time.time()
        expect_schedule(station, c, unit, 120, flat=limit, why="of a transaction started with a TxProfile")
        expect_limit_held(station, vgi_profile, vgi_budgets, measurand, unit, limit, tx, since)
        stop_and_unplug(station, dut, vgi_profile, tx)


@pytest.mark.vgi_case("TC_060_CS", feature=FEATURE, requires=SC)
def test_TC_060_CS(booted_station, dut, vgi_profile):
    """A RemoteStartTransaction whose charging profile is not a TxProfile (here a TxDefaultProfile) is refused
    (Rejected, or a PropertyConstraintViolation CALLERROR), and no transaction starts, although the cable is
    plugged in and the idTag is valid. Negative case: the fake CSMS sends a profile purpose OCPP 1.6 §5.11 does not
    allow in a remote start."""
    station, c = booted_station, connector(vgi_profile)
    token = str(vgi_profile.param("valid_id_token"))
    station.tokens[token] = "Accepted"
    with contextlib.ExitStack() as stack:
        unit, _ = _setup(station, stack)
        dut.perform("plug_in", connector=c)
        station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Preparing"})
        mark = len(station.csms.trace)
        res = answer(station, "RemoteStartTransaction", {
            "connectorId": c, "idTag": token,
            "chargingProfile": profile(601, "TxDefaultProfile", 0, [(0, lim(unit, 6))], unit, kind="Relative")},
            refusal=True)
        station.check(refused(res), r.STATION_RESPONSE,
                      f"RemoteStartTransaction with a TxDefaultProfile answered {res.body.get('status')}, "
                      "expected Rejected (the profile of a remote start must be a TxProfile)", res)
        expect_none_since(station, "StartTransaction", mark, 1.5)
        dut.perform("unplug", connector=c)
        station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Available"})


@pytest.mark.vgi_case("TC_066_CS", feature=FEATURE, requires=SC)
def test_TC_066_CS(running_transaction, dut, vgi_profile, station):
    """With a ChargePointMaxProfile, a TxDefaultProfile and a TxProfile in force, the composite schedule is the
    TxProfile where it runs (it overrides the default, above or below it), the TxDefaultProfile after it ends,
    and never above the ChargePointMaxProfile."""
    tx, c = running_transaction["transaction_id"], running_transaction["connector"]
    with contextlib.ExitStack() as stack:
        unit, _ = _setup(station, stack)
        with preamble("the station's MaxChargingProfilesInstalled read"):
            room = get_config(station, "MaxChargingProfilesInstalled")
        if room is not None and room.strip().isdigit() and int(room) < 3:
            raise NotApplicable(f"MaxChargingProfilesInstalled is {room}: the case needs three profiles at once")
        t0 = int(time.time())
        a = lambda amps: lim(unit, amps)  # noqa: E731
        set_profile(station, 0, profile(661, "ChargePointMaxProfile", 0, [(0, a(16)), (150, a(11))], unit, start=t0))
        set_profile(station, c, profile(662, "TxDefaultProfile", 0, [(0, a(9))], unit, start=t0))
        set_profile(station, c, profile(663, "TxProfile", 0, [(0, a(10)), (100, a(14))], unit, start=t0,
                                        duration=200, tx=tx))
        expect_schedule(station, c, unit, 300, [Segment(t0, t0 + 100, a(10)), Segment(t0 + 100, t0 + 150, a(14)),
                                                Segment(t0 + 150, t0 + 200, a(11)), Segment(t0 + 200, t0 + 300, a(9))],
                        why="of three purposes combined")
        stop_and_unplug(station, dut, vgi_profile, tx)


@pytest.mark.vgi_case("TC_067_CS", feature=FEATURE, requires=SC)
def test_TC_067_CS(running_transaction, dut, vgi_profile, station):
    """ClearChargingProfile removes exactly what it names: by id (the other profile stays in force, as the
    composite schedule shows), then by purpose and stack level; clearing what is no longer there answers
    Unknown."""
    tx, c = running_transaction["transaction_id"], running_transaction["connector"]
    with contextlib.ExitStack() as stack:
        unit, _ = _setup(station, stack)
        t0 = int(time.time())
        set_profile(station, c, profile(671, "TxDefaultProfile", 0, [(0, lim(unit, 10))], unit, start=t0))
        set_profile(station, 0, profile(672, "ChargePointMaxProfile", 0, [(0, lim(unit, 6))], unit, start=t0))
        expect_schedule(station, c, unit, 60, flat=lim(unit, 6), why="before clearing")
        res = answer(station, "ClearChargingProfile", {"id": 672})
        station.check(res.body.get("status") == "Accepted", r.STATION_RESPONSE,
                      f"ClearChargingProfile(id 672) answered {res.body.get('status')}, expected Accepted", res)
        expect_schedule(station, c, unit, 60, flat=lim(unit, 10),
                        why="after clearing the ChargePointMaxProfile by id (the TxDefaultProfile must remain)")
        res = answer(station, "ClearChargingProfile", {"chargingProfilePurpose": "TxDefaultProfile", "stackLevel": 0})
        station.check(res.body.get("status") == "Accepted", r.STATION_RESPONSE,
                      f"ClearChargingProfile(TxDefaultProfile, stack level 0) answered {res.body.get('status')}, "
                      "expected Accepted", res)
        res = answer(station, "ClearChargingProfile", {"id": 671})
        station.check(res.body.get("status") == "Unknown", r.STATION_RESPONSE,
                      f"ClearChargingProfile(id 671) after that profile was cleared answered {res.body.get('status')}, "
                      "expected Unknown (no profile matches)", res)
        stop_and_unplug(station, dut, vgi_profile, tx)


@pytest.mark.vgi_case("TC_072_CS", feature=FEATURE, requires=SC)
def test_TC_072_CS(running_transaction, dut, vgi_profile, station):
    """Two TxDefaultProfiles stacked: while the one of higher stack level is valid it prevails (also where its
    limit is higher than the lower one's); when its duration ends, the lower one applies again."""
    tx, c = running_transaction["transaction_id"], running_transaction["connector"]
    with contextlib.ExitStack() as stack:
        unit, _ = _setup(station, stack)
        with preamble("the station's ChargeProfileMaxStackLevel read"):
            levels = get_config(station, "ChargeProfileMaxStackLevel")
        if levels is not None and levels.strip().isdigit() and int(levels) < 1:
            raise NotApplicable(f"ChargeProfileMaxStackLevel is {levels}: the station cannot stack two profiles")
        t0 = int(time.time())
        a = lambda amps: lim(unit, amps)  # noqa: E731
        set_profile(station, c, profile(721, "TxDefaultProfile", 0, [(0, a(12))], unit, start=t0))
        set_profile(station, c, profile(722, "TxDefaultProfile", 1, [(0, a(14)), (60, a(6))], unit, start=t0,
                                        duration=120))
        expect_schedule(station, c, unit, 300, [Segment(t0, t0 + 60, a(14)), Segment(t0 + 60, t0 + 120, a(6)),
                                                Segment(t0 + 120, t0 + 300, a(12))], why="of two stacked profiles")
        stop_and_unplug(station, dut, vgi_profile, tx)


@pytest.mark.vgi_case("TC_082_CS", feature=FEATURE, requires=SC)
def test_TC_082_CS(running_transaction, dut, vgi_profile, vgi_budgets, station):
    """A TxDefaultProfile set while a transaction runs (without a TxProfile) applies to that transaction at once:
    composite schedule and meter readings at the connector."""
    tx, c = running_transaction["transaction_id"], running_transaction["connector"]
    with contextlib.ExitStack() as stack:
        unit, measurand = _setup(station, stack, meter=True)
        limit = lim(unit, 8)
        set_profile(station, c, profile(821, "TxDefaultProfile", 0, [(0, limit)], unit, start=int(time.time())))
        since = time.time()
        expect_schedule(station, c, unit, 120, flat=limit, why="of the running transaction under the new default")
        expect_limit_held(station, vgi_profile, vgi_budgets, measurand, unit, limit, tx, since)
        stop_and_unplug(station, dut, vgi_profile, tx)

