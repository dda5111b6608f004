"""J: Meter values — the conditional clock-aligned case (J01): AlignedDataCtrlr.SendDuringIdle keeps the
clock-aligned readings to the time no transaction runs."""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterator

import pytest

from vgitest.case import preamble
from vgitest.ocpp import rules as r
from vgitest.ocpp import states_v201 as s
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
    try:
        return datetime.datetime.fromisoformat(str(ts).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


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
