"""J: Meter values — clock-aligned meter values (J01) and sampled meter values in TransactionEvents (J02)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

import pytest

from vgitest.case import preamble
from vgitest.ocpp import rules as r
from vgitest.ocpp import states_v201 as s
from vgitest.ocpp import timestamps
from vgitest.trace import Direction

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.0.1", "2.1")


def contexts(body: dict) -> set[str]:
    return {sv.get("context", "Sample.Periodic") for mv in body.get("meterValue", []) for sv in mv["sampledValue"]}


def energy(body: dict) -> list[tuple[str, float]]:
    out = []
    for mv in body.get("meterValue", []):
        for sv in mv["sampledValue"]:
            if sv.get("measurand", "Energy.Active.Import.Register") == "Energy.Active.Import.Register":
                try:
                    out.append((mv["timestamp"], float(sv["value"])))
                except (TypeError, ValueError):
                    pass
    return out


@pytest.mark.vgi_case("TC_J_07_CS", feature="MeterValues", requires=("Core", "SampledMeterValues"))
def test_TC_J_07_CS(booted_station, dut, t) -> None:
    """The Started event of a transaction on a known EVSE carries a meter reading with context
    Transaction.Begin. The transaction is started by a plug-in (TxStartPoint with EVConnected, asked for first;
    NOT_APPLICABLE if the station refuses)."""
    st = booted_station
    with s.tx_points(st, start="EVConnected"):
        _started_at_plug_in(st, dut, t)


def _started_at_plug_in(st, dut, t) -> None:
    start = s.mark(st)
    try:
        dut.perform("plug_in", connector=t.connector)
        started = s.require(st, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE, "no Started event",
                            {"eventType": "Started"})
        st.check("Transaction.Begin" in contexts(started.body), r.EXPECTED_MESSAGE,
                 "the Started event has no meter value with context Transaction.Begin", started)
    finally:
        dut.perform("unplug", connector=t.connector)


@pytest.mark.vgi_case("TC_J_09_CS", feature="MeterValues", requires=("Core", "SampledMeterValues"))
def test_TC_J_09_CS(running_transaction, booted_station, dut, vgi_profile, t) -> None:
    """While charging, Updated events with periodic samples come every TxUpdatedInterval, in time order, with a
    never-decreasing energy register."""
    st, tx = booted_station, running_transaction
    interval = float(vgi_profile.param("meter_sample_interval", 1))
    try:
        samples = []
        pos = tx["start"]
        for _ in range(3):
            f = s.require(st, "TransactionEvent", pos, interval + t.wait, r.EXPECTED_MESSAGE,
                          "no periodic meter values while charging", {"triggerReason": "MeterValuePeriodic"})
            st.check("Sample.Periodic" in contexts(f.body), r.EXPECTED_MESSAGE,
                     "a periodic TransactionEvent without a Sample.Periodic value", f)
            samples += [(ts, wh, f) for ts, wh in energy(f.body)]
            pos = f.index + 1
        for (t0, e0, _), (t1, e1, f1) in zip(samples, samples[1:]):
            st.check(t1 >= t0, r.METER_ORDER, f"meter sample at {t1} is older than the previous one at {t0}", f1)
            st.check(e1 >= e0, r.METER_ORDER, f"energy register fell from {e0:g} to {e1:g} Wh", f1)
    finally:
        dut.perform("unplug", connector=t.connector)


@pytest.mark.vgi_case("TC_J_10_CS", feature="MeterValues", requires=("Core", "SampledMeterValues"))
def test_TC_J_10_CS(running_transaction, booted_station, dut, t) -> None:
    """The Ended event of a transaction carries a meter reading with context Transaction.End."""
    st = booted_station
    start = s.mark(st)
    dut.perform("unplug", connector=t.connector)
    ended = s.require(st, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE, "no Ended event",
                      {"eventType": "Ended"})
    st.check("Transaction.End" in contexts(ended.body), r.EXPECTED_MESSAGE,
             "the Ended event has no meter value with context Transaction.End", ended)


# --- clock-aligned meter values (J01) ---------------------------------------------------------------------------
ENERGY = "Energy.Active.Import.Register"


def parse_time(ts: object) -> float | None:
    """Seconds since the epoch of an OCPP dateTime, None when it is not one."""
    return timestamps.epoch(ts)


@contextlib.contextmanager
def aligned(st, name: str, seconds: int) -> Iterator[list[str]]:
    """AlignedDataCtrlr.<name> set to `seconds` for the case (a preamble), put back after; yields the measurands
    configured for it (Measurands, or TxEndedMeasurands for TxEndedInterval)."""
    measurands_var = "TxEndedMeasurands" if name == "TxEndedInterval" else "Measurands"
    with preamble(f"AlignedDataCtrlr.{name} set to {seconds} s"):
        old = s.get_value(st, "AlignedDataCtrlr", name)
        res = st.call("SetVariables", {"setVariableData": [
            {**s.variable("AlignedDataCtrlr", name), "attributeValue": str(seconds)}]})
        status = res["setVariableResult"][0]["attributeStatus"]
        st.check(status == "Accepted", r.STATION_RESPONSE, f"SetVariables AlignedDataCtrlr.{name}: {status}")
        measurands = s.get_value(st, "AlignedDataCtrlr", measurands_var) or ENERGY
    try:
        yield [m.strip() for m in measurands.split(",") if m.strip()]
    finally:
        if st.connected:
            st.call("SetVariables", {"setVariableData": [
                {**s.variable("AlignedDataCtrlr", name), "attributeValue": old if old is not None else "0"}]})


def clock_values(body: dict) -> list[dict]:
    """The meterValue elements of a message whose first sampled value has context Sample.Clock."""
    return [mv for mv in body.get("meterValue", []) if mv.get("sampledValue")
            and mv["sampledValue"][0].get("context", "Sample.Periodic") == "Sample.Clock"]


def check_measurands(st, frame, mv: dict, wanted: list[str]) -> None:
    got = {sv.get("measurand", ENERGY) for sv in mv["sampledValue"]}
    missing = [m for m in wanted if m not in got]
    st.check(not missing, r.EXPECTED_MESSAGE, f"the clock-aligned reading at {mv.get('timestamp')} lacks the "
             f"configured measurand(s) {', '.join(missing)}", frame)


def check_spacing(st, stamps: list[tuple[str, object]], interval: int, tolerance: float, what: str) -> None:
    """Distinct reading times are `interval` apart (several messages may share one time)."""
    times = sorted(((parse_time(ts), str(ts), f) for ts, f in stamps if parse_time(ts) is not None),
                   key=lambda x: x[0])
    distinct: list[tuple[float, str, object]] = []
    for x in times:
        if not distinct or abs(x[0] - distinct[-1][0]) > 1e-3:
            distinct.append(x)
    for (t0, ts0, _), (t1, ts1, f1) in zip(distinct, distinct[1:]):
        st.check(abs((t1 - t0) - interval) <= tolerance, r.EXPECTED_MESSAGE,
                 f"{what} at {ts0} and {ts1}: {t1 - t0:g} s apart, the aligned interval is {interval} s", f1)


@pytest.mark.vgi_case("TC_J_01_CS", feature="MeterValues", requires=("Core",))
def test_TC_J_01_CS(booted_station, vgi_profile, t) -> None:
    """Without a transaction, AlignedDataCtrlr.Interval makes the station send MeterValues at each clock-aligned
    moment: context Sample.Clock, every configured AlignedDataCtrlr.Measurands present, and the reading times one
    interval apart (messages of one moment share its time)."""
    st = booted_station
    interval = int(vgi_profile.param("aligned_interval", 2))
    with aligned(st, "Interval", interval) as wanted:
        start = s.mark(st)
        got, pos, moments = [], start, set()
        while len(moments) < 3:
            f = s.require(st, "MeterValues", pos, interval + t.wait, r.EXPECTED_MESSAGE,
                          f"no clock-aligned MeterValues (reading {len(moments) + 1} of 3) with "
                          f"AlignedDataCtrlr.Interval = {interval} s")
            got.append(f)
            moments |= {mv.get("timestamp") for mv in f.body.get("meterValue", [])}
            pos = f.index + 1
    for f in got:
        for mv in f.body.get("meterValue", []):
            first = (mv.get("sampledValue") or [{}])[0]
            st.check(first.get("context", "Sample.Periodic") == "Sample.Clock", r.EXPECTED_MESSAGE,
                     f"a clock-aligned MeterValues reading has context {first.get('context', 'Sample.Periodic')}, "
                     "expected Sample.Clock", f)
            check_measurands(st, f, mv, wanted)
    check_spacing(st, [(mv.get("timestamp"), f) for f in got for mv in f.body.get("meterValue", [])], interval,
                  t.tolerance, "clock-aligned readings")


def _clock_tx_event(b: dict) -> bool:
    return b.get("triggerReason") == "MeterValueClock" or bool(clock_values(b))


@pytest.mark.vgi_case("TC_J_02_CS", feature="MeterValues", requires=("Core",))
def test_TC_J_02_CS(running_transaction, booted_station, dut, vgi_profile, t) -> None:
    """During a transaction the clock-aligned readings of its EVSE come in TransactionEvents with triggerReason
    MeterValueClock (or in MeterValues, which the standard also allows), context Sample.Clock, every configured
    measurand present, one interval apart. The interval differs from TC_J_01_CS's (PIXIT aligned_interval_tx), so
    that each case sees readings of its own setting only."""
    st, tx = booted_station, running_transaction
    interval = int(vgi_profile.param("aligned_interval_tx", 3))
    try:
        with aligned(st, "Interval", interval) as wanted:
            start = s.mark(st)
            got, pos, moments = [], start, set()

            def ours(f) -> bool:
                b = f.body
                if f.name == "TransactionEvent":
                    return b["transactionInfo"].get("transactionId") == tx["transaction_id"] and _clock_tx_event(b)
                return b.get("evseId") == t.connector and bool(clock_values(b))

            while len(moments) < 3:
                f = st.csms.trace.wait_for(
                    lambda f: f.direction is Direction.IN and f.kind == "CALL" and f.name in ("TransactionEvent", "MeterValues")
                    and f.meta.get("identity") == st.identity and isinstance(f.body, dict) and ours(f),
                    pos, interval + t.wait)
                if f is None:
                    st.fail(r.EXPECTED_MESSAGE, f"no clock-aligned reading (moment {len(moments) + 1} of 3) for the "
                            f"EVSE of the transaction with AlignedDataCtrlr.Interval = {interval} s "
                            f"({s.sent_instead(st, 'TransactionEvent', start)})")
                got.append(f)
                moments |= {mv.get("timestamp") for mv in clock_values(f.body) or f.body.get("meterValue", [])}
                pos = f.index + 1
        for f in got:
            if f.name == "TransactionEvent":
                st.check(f.body.get("triggerReason") == "MeterValueClock", r.EXPECTED_MESSAGE,
                         f"a TransactionEvent with clock-aligned readings has triggerReason "
                         f"{f.body.get('triggerReason')}, expected MeterValueClock", f)
            values = f.body.get("meterValue", [])
            for mv in values:
                first = (mv.get("sampledValue") or [{}])[0]
                st.check(first.get("context", "Sample.Periodic") == "Sample.Clock", r.EXPECTED_MESSAGE,
                         f"a clock-aligned reading has context {first.get('context', 'Sample.Periodic')}, expected "
                         "Sample.Clock", f)
                check_measurands(st, f, mv, wanted)
        check_spacing(st, [(mv.get("timestamp"), f) for f in got for mv in f.body.get("meterValue", [])], interval,
                      t.tolerance, "clock-aligned readings")
    finally:
        dut.perform("unplug", connector=t.connector)


@pytest.mark.vgi_case("TC_J_03_CS", feature="MeterValues", requires=("Core",))
def test_TC_J_03_CS(running_transaction, booted_station, dut, vgi_profile, t) -> None:
    """With AlignedDataCtrlr.TxEndedInterval set, the Ended event of a transaction carries the clock-aligned
    readings taken while it ran: context Sample.Clock, every configured TxEndedMeasurands present, one interval
    apart. The transaction runs for a few intervals (PIXIT aligned_tx_duration) and is ended by unplugging the EV (a remote stop if the station
    keeps it after the unplug)."""
    st, tx = booted_station, running_transaction
    interval = int(vgi_profile.param("aligned_interval", 2))
    duration = float(vgi_profile.param("aligned_tx_duration", 5))
    try:
        with aligned(st, "TxEndedInterval", interval) as wanted:
            time.sleep(duration)
            start = s.mark(st)
            dut.perform("unplug", connector=t.connector)
            ended = s.wait_call(st, "TransactionEvent", start, t.wait, {"eventType": "Ended"})
            if ended is None:
                st.call("RequestStopTransaction", {"transactionId": tx["transaction_id"]})
                ended = s.require(st, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE,
                                  "the transaction did not end", {"eventType": "Ended"})
        values = clock_values(ended.body)
        st.check(bool(values), r.EXPECTED_MESSAGE, f"the Ended event of a transaction that ran {duration:g} s with "
                 f"AlignedDataCtrlr.TxEndedInterval = {interval} s carries no Sample.Clock reading", ended)
        for mv in values:
            check_measurands(st, ended, mv, wanted)
        check_spacing(st, [(mv.get("timestamp"), ended) for mv in values], interval, t.tolerance,
                      "clock-aligned readings of the Ended event")
    finally:
        dut.perform("unplug", connector=t.connector)
