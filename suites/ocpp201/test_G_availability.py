"""G: Availability — connector status notifications and ChangeAvailability (G01-G04)."""

from __future__ import annotations

import pytest

from vgitest.ocpp import rules as r
from vgitest.ocpp import states_v201 as s

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.0.1")


def change(station, operative: bool, evse: int | None = None, expected: str = "Accepted") -> int:
    start = s.mark(station)
    payload: dict = {"operationalStatus": "Operative" if operative else "Inoperative"}
    if evse is not None:
        payload["evse"] = {"id": evse}
    res = station.call("ChangeAvailability", payload)
    station.check(res["status"] == expected, r.STATION_RESPONSE, f"ChangeAvailability {payload}: {res['status']}, "
                  f"expected {expected}")
    return start


def reported(station, start: int, status: str, evse: int, t) -> None:
    s.require(station, "StatusNotification", start, t.wait, r.STATUS_TRANSITION,
              f"EVSE {evse} was not reported {status}", {"evseId": evse, "connectorStatus": status})


def restore(station, t) -> None:
    start = s.mark(station)
    station.call("ChangeAvailability", {"operationalStatus": "Operative"})
    s.wait_call(station, "StatusNotification", start, t.quiet, {"connectorStatus": "Available"})


@pytest.mark.vgi_case("TC_G_01_CS", feature="Availability", requires=("Core",))
def test_TC_G_01_CS(booted_station, dut, t) -> None:
    """Plugging in an EV turns the connector from Available to Occupied, with a StatusNotification."""
    st = booted_station
    try:
        start = s.mark(st)
        dut.perform("plug_in", connector=t.connector)
        reported(st, start, "Occupied", t.connector, t)
    finally:
        dut.perform("unplug", connector=t.connector)


@pytest.mark.vgi_case("TC_G_02_CS", feature="Availability", requires=("Core",))
def test_TC_G_02_CS(booted_station, dut, t) -> None:
    """Unplugging the EV turns the connector from Occupied back to Available."""
    st = booted_station
    start = s.mark(st)
    dut.perform("plug_in", connector=t.connector)
    reported(st, start, "Occupied", t.connector, t)
    mark = s.mark(st)
    dut.perform("unplug", connector=t.connector)
    reported(st, mark, "Available", t.connector, t)


@pytest.mark.vgi_case("TC_G_03_CS", feature="Availability", requires=("Core",))
def test_TC_G_03_CS(booted_station, t) -> None:
    """An idle EVSE set Inoperative is reported Unavailable."""
    st = booted_station
    try:
        reported(st, change(st, False, t.connector), "Unavailable", t.connector, t)
    finally:
        restore(st, t)


@pytest.mark.vgi_case("TC_G_04_CS", feature="Availability", requires=("Core",))
def test_TC_G_04_CS(booted_station, t) -> None:
    """An Inoperative EVSE set Operative again is reported Available."""
    st = booted_station
    try:
        reported(st, change(st, False, t.connector), "Unavailable", t.connector, t)
        reported(st, change(st, True, t.connector), "Available", t.connector, t)
    finally:
        restore(st, t)


@pytest.mark.vgi_case("TC_G_05_CS", feature="Availability", requires=("Core",))
def test_TC_G_05_CS(booted_station, vgi_profile, t) -> None:
    """The whole station set Inoperative reports every connector Unavailable."""
    st = booted_station
    try:
        start = change(st, False)
        for c in range(1, int(vgi_profile.param("connectors", 1)) + 1):
            reported(st, start, "Unavailable", c, t)
    finally:
        restore(st, t)


@pytest.mark.vgi_case("TC_G_06_CS", feature="Availability", requires=("Core",))
def test_TC_G_06_CS(booted_station, vgi_profile, t) -> None:
    """The whole station set Operative again reports every connector Available."""
    st = booted_station
    try:
        change(st, False)
        start = change(st, True)
        for c in range(1, int(vgi_profile.param("connectors", 1)) + 1):
            reported(st, start, "Available", c, t)
    finally:
        restore(st, t)


@pytest.mark.vgi_case("TC_G_09_CS", feature="Availability", requires=("Core",))
def test_TC_G_09_CS(booted_station, t) -> None:
    """Setting an already Operative EVSE Operative is Accepted and changes nothing: no status report."""
    st = booted_station
    start = change(st, True, t.connector)
    s.expect_quiet(st, "StatusNotification", start, t.quiet, "the EVSE's state did not change")


@pytest.mark.vgi_case("TC_G_11_CS", feature="Availability", requires=("Core",))
def test_TC_G_11_CS(running_transaction, booted_station, dut, t) -> None:
    """An EVSE set Inoperative during a transaction answers Scheduled, keeps charging, and becomes Unavailable
    once the transaction has ended."""
    st, tx = booted_station, running_transaction
    try:
        start = change(st, False, t.connector, expected="Scheduled")
        s.expect_quiet(st, "StatusNotification", start, t.quiet / 2, "the transaction is still running",
                       {"connectorStatus": "Unavailable"})
        st.call("RequestStopTransaction", {"transactionId": tx["transaction_id"]})
        ended = s.require(st, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE, "the transaction did not end",
                          {"eventType": "Ended"})
        reported(st, ended.index, "Unavailable", t.connector, t)
    finally:
        restore(st, t)
        dut.perform("unplug", connector=t.connector)
