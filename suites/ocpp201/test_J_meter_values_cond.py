"""J: Meter values — the conditional cases: AlignedDataCtrlr.SendDuringIdle keeps the clock-aligned readings to the
time no transaction runs (J01), and SignReadings makes clock-aligned (J01) and sampled (J02) readings come signed."""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterator

import pytest

from vgitest.case import preamble
from vgitest.ocpp import rules as r
from vgitest.ocpp import states_v201 as s
from vgitest.ocpp import timestamps
from vgitest.trace import Direction

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.0.1")


@contextlib.contextmanager
def aligned_vars(st, values: dict[str, str]) -> Iterator[None]:
    """AlignedDataCtrlr variables set for the case (a preamble), put back after."""
    old: dict[str, str] = {}
    try:
        with preamble("AlignedDataCtrlr " + ", ".join(f"{k} = {v}" for k, v in values.items())):
            for name, value in values.items():
                before = s.get_value(st, "AlignedDataCtrlr", name)
                res = st.call("SetVariables", {"setVariableData": [
                    {**s.variable("AlignedDataCtrlr", name), "attributeValue": value}]})
                status = res["setVariableResult"][0]["attributeStatus"]
                st.check(status == "Accepted", r.STATION_RESPONSE, f"SetVariables AlignedDataCtrlr.{name}: {status}")
                old[name] = before if before is not None else ("0" if name == "Interval" else "false")
        yield
    finally:
        for name, value in old.items():
            if st.connected:
                st.call("SetVariables", {"setVariableData": [
                    {**s.variable("AlignedDataCtrlr", name), "attributeValue": value}]})


def is_clock(mv: dict) -> bool:
    return bool(mv.get("sampledValue")) and mv["sampledValue"][0].get("context", "Sample.Periodic") == "Sample.Clock"


def stamp(ts: str | None) -> float | None:
    return timestamps.epoch(ts)


@pytest.mark.vgi_case("TC_J_06_CS", feature="MeterValues", requires=("Core", "AlignedDataSendDuringIdle"))
def test_TC_J_06_CS(booted_station, dut, vgi_profile, t) -> None:
    """With AlignedDataCtrlr.SendDuringIdle = true the clock-aligned readings come while the station is idle, and
    none come while a transaction runs (neither in TransactionEvents nor in MeterValues of its EVSE)."""
    st = booted_station
    interval = int(vgi_profile.param("aligned_interval", 2))
    with aligned_vars(st, {"SendDuringIdle": "true", "Interval": str(interval)}):
        try:
            start = s.mark(st)
            s.require(st, "MeterValues", start, interval + t.wait, r.EXPECTED_MESSAGE, "no clock-aligned MeterValues "
                      "while idle", lambda b: any(is_clock(mv) for mv in b.get("meterValue", [])))
            with preamble("a transaction in the Charging state"):
                tx = s.transaction(st, dut, vgi_profile)
            since = s.mark(st)
            began = datetime.datetime.now(datetime.timezone.utc).timestamp() + t.tolerance

            def clock_during_tx(f) -> bool:
                if f.direction is not Direction.IN or f.kind != "CALL" or f.meta.get("identity") != st.identity:
                    return False
                b = f.body if isinstance(f.body, dict) else {}
                if f.name == "TransactionEvent":
                    return b.get("transactionInfo", {}).get("transactionId") == tx["transaction_id"] and (
                        b.get("triggerReason") == "MeterValueClock" or any(is_clock(mv) for mv in
                                                                            b.get("meterValue", [])))
                return f.name == "MeterValues" and b.get("evseId") == t.connector and any(
                    is_clock(mv) and (stamp(mv.get("timestamp")) or 0) > began for mv in b.get("meterValue", []))

            frame = st.csms.trace.wait_for(clock_during_tx, since, 2 * interval + t.quiet)
            if frame is not None:
                st.fail(r.FORBIDDEN_MESSAGE, "a clock-aligned reading during the transaction although "
                        "AlignedDataCtrlr.SendDuringIdle is true", frame)
        finally:
            s.end_transactions(st, vgi_profile)
            dut.perform("unplug", connector=t.connector)


# --- signed meter values (J01/J02 with SignReadings) ------------------------------------------------------------
def check_signed(st, frame, mv: dict, what: str) -> None:
    """Every sampled value of the reading carries a complete signedMeterValue whose signed data is base64."""
    import base64
    import binascii
    for sv in mv.get("sampledValue", []):
        signed = sv.get("signedMeterValue")
        st.check(isinstance(signed, dict), r.EXPECTED_MESSAGE, f"a {what} reading ({sv.get('measurand', ENERGY)}, "
                 f"{mv.get('timestamp')}) carries no signedMeterValue although SignReadings is true", frame)
        missing = [k for k in ("signedMeterData", "signingMethod", "encodingMethod", "publicKey")
                   if not isinstance(signed.get(k), str)]
        st.check(not missing, r.EXPECTED_MESSAGE, f"the signedMeterValue of a {what} reading lacks "
                 f"{', '.join(missing)}", frame)
        try:
            base64.b64decode(signed["signedMeterData"], validate=True)
            decoded = bool(signed["signedMeterData"])
        except (binascii.Error, ValueError):
            decoded = False
        st.check(decoded, r.EXPECTED_MESSAGE, f"the signedMeterData of a {what} reading is not base64", frame)


ENERGY = "Energy.Active.Import.Register"


@contextlib.contextmanager
def variables(st, component: str, values: dict[str, str], restore_default: dict[str, str]) -> Iterator[None]:
    """`component` variables set for the case (a preamble), put back after."""
    old: dict[str, str] = {}
    try:
        with preamble(f"{component} " + ", ".join(f"{k} = {v}" for k, v in values.items())):
            for name, value in values.items():
                before = s.get_value(st, component, name)
                res = st.call("SetVariables", {"setVariableData": [{**s.variable(component, name),
                                                                     "attributeValue": value}]})
                status = res["setVariableResult"][0]["attributeStatus"]
                st.check(status == "Accepted", r.STATION_RESPONSE, f"SetVariables {component}.{name}: {status}")
                old[name] = before if before is not None else restore_default[name]
        yield
    finally:
        for name, value in old.items():
            if st.connected:
                st.call("SetVariables", {"setVariableData": [{**s.variable(component, name), "attributeValue": value}]})


@pytest.mark.vgi_case("TC_J_04_CS", feature="MeterValues", requires=("Core", "SignedMeterValues"))
def test_TC_J_04_CS(booted_station, vgi_profile, t) -> None:
    """With AlignedDataCtrlr.SignReadings = true, every clock-aligned reading of an idle station comes signed:
    each sampled value carries a signedMeterValue (signed data in base64, signing and encoding method, public key)."""
    st = booted_station
    interval = int(vgi_profile.param("aligned_interval", 2))
    with aligned_vars(st, {"SignReadings": "true", "Interval": str(interval)}):
        start = s.mark(st)
        f = s.require(st, "MeterValues", start, interval + t.wait, r.EXPECTED_MESSAGE, "no clock-aligned MeterValues "
                      f"with AlignedDataCtrlr.Interval = {interval} s",
                      lambda b: any(is_clock(mv) for mv in b.get("meterValue", [])))
    for mv in f.body.get("meterValue", []):
        if is_clock(mv):
            check_signed(st, f, mv, "clock-aligned")


@pytest.mark.vgi_case("TC_J_11_CS", feature="MeterValues", requires=("Core", "SampledMeterValues", "SignedMeterValues"))
def test_TC_J_11_CS(booted_station, dut, vgi_profile, t) -> None:
    """With SampledDataCtrlr.SignReadings = true, the sampled readings of a transaction come signed: the begin
    reading, the periodic ones and the end reading, each sampled value with a complete signedMeterValue."""
    st = booted_station
    sample = s.get_value(st, "SampledDataCtrlr", "TxUpdatedInterval")
    settings = {"SignReadings": "true"}
    if sample is None or not sample.isdigit() or not 0 < int(sample) <= 10:
        settings["TxUpdatedInterval"] = str(int(vgi_profile.param("meter_sample_interval", 1)))
    period = float(settings.get("TxUpdatedInterval", sample or 1))
    with variables(st, "SampledDataCtrlr", settings, {"SignReadings": "false", "TxUpdatedInterval": "0"}):
        try:
            tx = s.transaction(st, dut, vgi_profile)  # in the body: its Started event's reading is judged
            s.require(st, "TransactionEvent", tx["start"], period + t.wait, r.EXPECTED_MESSAGE, "no periodic "
                      "sampled reading during the transaction", lambda b: b.get("triggerReason") == "MeterValuePeriodic"
                      and b["transactionInfo"]["transactionId"] == tx["transaction_id"])
            s.end_transactions(st, vgi_profile)
            events = s.tx_events(st, tx["start"], tx["transaction_id"])
            readings = [(f, mv) for f in events for mv in f.body.get("meterValue", [])
                        if mv.get("sampledValue") and mv["sampledValue"][0].get("context", "Sample.Periodic")
                        in ("Transaction.Begin", "Sample.Periodic", "Transaction.End")]
            st.check(bool(readings), r.EXPECTED_MESSAGE, "the transaction's events carry no sampled reading")
            for f, mv in readings:
                check_signed(st, f, mv, f"sampled ({mv['sampledValue'][0].get('context', 'Sample.Periodic')})")
        finally:
            s.end_transactions(st, vgi_profile)
            dut.perform("unplug", connector=t.connector)
