"""B: Provisioning — base reports of the device model via GetBaseReport + NotifyReport (B07)."""

from __future__ import annotations

import random

import pytest

from vgitest.ocpp import rules as r
from vgitest.ocpp import states_v201 as s

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.0.1")


def collect_report(station, request_id: int, start: int, t) -> list:
    """NotifyReport parts for `request_id` until one says tbc=false or the station goes quiet."""
    parts = []
    pos = start
    while True:
        frame = s.wait_call(station, "NotifyReport", pos, t.wait if not parts else t.quiet,
                            {"requestId": request_id})
        if frame is None:
            break
        parts.append(frame)
        pos = frame.index + 1
        if not frame.body.get("tbc", False):
            break
    if not parts:
        station.fail(r.EXPECTED_MESSAGE, f"no NotifyReport for requestId {request_id}")
    seq = [p.body.get("seqNo") for p in parts]
    station.check(seq == list(range(len(parts))), r.STATION_RESPONSE,
                  f"NotifyReport seqNo {seq}; expected consecutive numbers from 0", parts[0])
    station.check(not parts[-1].body.get("tbc", False), r.STATION_RESPONSE,
                  "the last NotifyReport part still says tbc=true (more to come)", parts[-1])
    return parts


def entries(parts: list) -> list[dict]:
    return [e for p in parts for e in p.body.get("reportData", [])]


def base_report(station, base: str, t) -> list[dict]:
    rid = random.randint(1, 1_000_000)
    start = s.mark(station)
    res = station.call("GetBaseReport", {"requestId": rid, "reportBase": base})
    station.check(res["status"] == "Accepted", r.STATION_RESPONSE, f"GetBaseReport {base}: {res['status']}")
    return entries(collect_report(station, rid, start, t))


@pytest.mark.vgi_case("TC_B_12_CS", feature="Provisioning", requires=("Core",))
def test_TC_B_12_CS(booted_station, t) -> None:
    """A ConfigurationInventory report lists the configurable variables only, in NotifyReport parts numbered
    from 0 that end with tbc=false."""
    st = booted_station
    rows = base_report(st, "ConfigurationInventory", t)
    st.check(rows, r.STATION_RESPONSE, "the configuration report is empty")
    ro = [f"{e['component']['name']}.{e['variable']['name']}" for e in rows
          if all(a.get("mutability", "ReadWrite") == "ReadOnly" for a in e["variableAttribute"])]
    st.check(not ro, r.STATION_RESPONSE, f"ReadOnly variables in a ConfigurationInventory report: {ro[:5]}")


@pytest.mark.vgi_case("TC_B_13_CS", feature="Provisioning", requires=("Core",))
def test_TC_B_13_CS(booted_station, t) -> None:
    """A FullInventory report covers the whole device model, including the mandatory heartbeat interval, and
    WriteOnly variables come without a value."""
    st = booted_station
    rows = base_report(st, "FullInventory", t)
    names = {(e["component"]["name"], e["variable"]["name"]) for e in rows}
    st.check(("OCPPCommCtrlr", "HeartbeatInterval") in names, r.STATION_RESPONSE,
             "OCPPCommCtrlr.HeartbeatInterval is missing from the full report")
    leaked = [e["variable"]["name"] for e in rows for a in e["variableAttribute"]
              if a.get("mutability") == "WriteOnly" and "value" in a]
    st.check(not leaked, r.STATION_RESPONSE, f"WriteOnly variables reported with their value: {leaked}")


@pytest.mark.vgi_case("TC_B_15_CS", feature="Provisioning", requires=("Core", "!C-56"))
def test_TC_B_15_CS(booted_station, t) -> None:
    """A station without SummaryInventory support answers NotSupported to that report and sends no report."""
    st = booted_station
    start = s.mark(st)
    res = st.call("GetBaseReport", {"requestId": 1515, "reportBase": "SummaryInventory"})
    st.check(res["status"] == "NotSupported", r.STATION_RESPONSE, f"SummaryInventory: {res['status']}")
    s.expect_quiet(st, "NotifyReport", start, t.quiet, "the report was answered NotSupported",
                   {"requestId": 1515})
