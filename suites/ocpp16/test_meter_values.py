"""OCPP 1.6 meter values: periodic samples during a transaction and clock-aligned readings."""

from __future__ import annotations

import datetime as dt

import pytest

from helpers16 import config, stop_and_unplug, tolerance
from vgitest.ocpp import rules as r

pytestmark = pytest.mark.vgi_protocol("ocpp", "1.6")


def _energy(frame) -> tuple[str, float | None]:
    mv = frame.body["meterValue"][0]
    for sv in mv.get("sampledValue", []):
        if sv.get("measurand", "Energy.Active.Import.Register") == "Energy.Active.Import.Register":
            try:
                return mv.get("timestamp", ""), float(sv["value"])
            except (TypeError, ValueError):
                return mv.get("timestamp", ""), None
    return mv.get("timestamp", ""), None


@pytest.mark.vgi_case("TC_070_CS", feature="Meter Values", requires=("Core",))
def test_TC_070_CS(running_transaction, dut, vgi_profile, vgi_budgets, station):
    """During a transaction the station sends MeterValues every MeterValueSampleInterval, tagged with the
    running transaction id, with an energy register that never goes back; meterStop closes the series."""
    tx = running_transaction["transaction_id"]
    interval = float(vgi_profile.param("meter_sample_interval", 1))
    tol = tolerance(vgi_budgets)
    samples = []
    for _ in range(3):
        try:
            f = station.expect("MeterValues", interval + tol + 1,
                               match=lambda b: b.get("meterValue", [{}])[0].get("sampledValue", [{}])[0]
                               .get("context", "Sample.Periodic") == "Sample.Periodic")
        except AssertionError:
            station.fail(r.EXPECTED_MESSAGE, f"no periodic MeterValues within {interval + tol + 1:g} s "
                         "during the transaction")
        station.check(f.body.get("transactionId") == tx, r.TX_ID,
                      f"MeterValues for transaction {f.body.get('transactionId')}, expected {tx}", f)
        samples.append((f, *_energy(f)))
    for (pf, pts, pe), (f, ts, e) in zip(samples, samples[1:]):
        station.check(ts >= pts, r.METER_ORDER, f"meter timestamp {ts} is earlier than {pts}", f)
        station.check(e is not None and pe is not None and e >= pe, r.METER_ORDER,
                      f"energy register went from {pe} to {e} Wh", f)
    stop_and_unplug(station, dut, vgi_profile, tx)
    stop = [f for f in station.frames(samples[0][0].index) if f.kind == "CALL" and f.name == "StopTransaction"]
    last = samples[-1][2]
    station.check(stop and last is not None and stop[-1].body["meterStop"] >= int(last), r.METER_ORDER,
                  f"meterStop is below the last sampled energy register {last}", stop[-1] if stop else None)


def _clock_aligned(body: dict) -> bool:
    return any(sv.get("context") == "Sample.Clock" for mv in body.get("meterValue", [])
               for sv in mv.get("sampledValue", []))


@pytest.mark.vgi_case("TC_071_CS", feature="Meter Values", requires=("Core",))
def test_TC_071_CS(booted_station, vgi_budgets):
    """With ClockAlignedDataInterval set, the station sends clock-aligned readings (context Sample.Clock) at
    every multiple of the interval past midnight, and stops when it is set back to 0."""
    station = booted_station
    interval, tol = 2, tolerance(vgi_budgets)
    with config(station, "ClockAlignedDataInterval", str(interval)):
        frames = []
        for _ in range(2):
            try:
                frames.append(station.expect("MeterValues", interval + tol + 1, match=_clock_aligned))
            except AssertionError:
                station.fail(r.EXPECTED_MESSAGE, f"no clock-aligned MeterValues within {interval + tol + 1:g} s "
                             f"of setting ClockAlignedDataInterval={interval}")
        for f in frames:
            sent = dt.datetime.fromtimestamp(f.wall, dt.timezone.utc)
            offset = (sent.timestamp() + tol) % interval
            station.check(offset <= 2 * tol, r.EXPECTED_MESSAGE,
                          f"clock-aligned reading sent {offset - tol:.2f} s off the {interval} s grid", f)
