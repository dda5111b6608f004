"""B: Provisioning — base reports of the device model via GetBaseReport + NotifyReport (B07)."""

from __future__ import annotations

import pytest

from vgitest.ocpp import rules as r
from vgitest.ocpp import states_v201 as s

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.0.1")


def base_report(station, base: str, t) -> list[dict]:
    return s.base_report(station, base, t.wait, t.quiet)


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
