"""J: Meter values — sampled meter values in TransactionEvents (J02)."""

from __future__ import annotations

import pytest

from vgitest.ocpp import rules as r
from vgitest.ocpp import states_v201 as s

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.0.1")


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
