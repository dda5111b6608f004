"""B: Provisioning — resetting the charging station, with and without a transaction (B11-B12)."""

from __future__ import annotations

import pytest

from vgitest.ocpp import rules as r
from vgitest.ocpp import states_v201 as s

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.0.1", "2.1")


def expect_reboot(station, start: int, connections: int, t):
    """The BootNotification of a reset: a missing one is RESET_IGNORED, or BOOT_MISSING if it reconnected."""
    boot = s.wait_call(station, "BootNotification", start, t.wait)
    if boot is None:
        if station.connections > connections:
            station.fail(r.BOOT_MISSING, "the station reconnected after the reset but sent no BootNotification")
        station.fail(r.RESET_IGNORED, f"the station accepted the reset but did not restart within {t.wait:g} s")
    station.check(boot.body.get("reason") == "RemoteReset", r.EXPECTED_MESSAGE,
                  f"BootNotification after a CSMS reset has reason {boot.body.get('reason')!r}, expected RemoteReset",
                  boot)
    return boot


def states_after(station, boot, status: str, t) -> None:
    s.require_status(station, boot.index, t.wait, r.STATUS_AFTER_BOOT,
                     f"the connector was not reported {status} after the reset",
                     {"evseId": t.connector, "connectorStatus": status})


def unplug(station, dut, t) -> None:
    start = s.mark(station)
    dut.perform("unplug", connector=t.connector)
    s.wait_status(station, start, t.wait, {"connectorStatus": "Available"})


@pytest.mark.vgi_case("TC_B_20_CS", feature="Provisioning", requires=("Core",))
def test_TC_B_20_CS(booted_station, t) -> None:
    """An idle station accepts an OnIdle reset, restarts with boot reason RemoteReset and reports its
    connectors Available again."""
    st = booted_station
    start, conns = s.mark(st), st.connections
    res = st.call("Reset", {"type": "OnIdle"})
    st.check(res["status"] == "Accepted", r.STATION_RESPONSE, f"Reset OnIdle of an idle station: {res['status']}")
    boot = expect_reboot(st, start, conns, t)
    states_after(st, boot, "Available", t)


@pytest.mark.vgi_case("TC_B_21_CS", feature="Provisioning", requires=("Core",))
def test_TC_B_21_CS(running_transaction, booted_station, dut, t) -> None:
    """An OnIdle reset during a transaction is Scheduled: the station keeps charging, and restarts only once
    the transaction has ended."""
    st, tx = booted_station, running_transaction
    try:
        start, conns = s.mark(st), st.connections
        res = st.call("Reset", {"type": "OnIdle"})
        st.check(res["status"] == "Scheduled", r.STATION_RESPONSE,
                 f"Reset OnIdle during a transaction must be Scheduled, got {res['status']}")
        s.expect_quiet(st, "BootNotification", start, t.quiet, "the reset waits for the transaction to end")
        st.check(st.call("RequestStopTransaction", {"transactionId": tx["transaction_id"]})["status"] == "Accepted",
                 r.STATION_RESPONSE, "the running transaction could not be stopped")
        ended = s.require(st, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE, "the transaction did not end",
                          {"eventType": "Ended"})
        boot = expect_reboot(st, ended.index, conns, t)
        states_after(st, boot, "Occupied", t)
    finally:
        unplug(st, dut, t)


# 2.1 lets a station resume a transaction after a reset (B13, E17) instead of ending it: the objective differs
@pytest.mark.vgi_protocol("ocpp", "2.0.1")
@pytest.mark.vgi_case("TC_B_22_CS", feature="Provisioning", requires=("Core",))
def test_TC_B_22_CS(running_transaction, booted_station, dut, t) -> None:
    """An Immediate reset during a transaction is Accepted; the station ends the transaction (ResetCommand)
    before it restarts."""
    st, tx = booted_station, running_transaction
    try:
        start, conns = s.mark(st), st.connections
        res = st.call("Reset", {"type": "Immediate"})
        st.check(res["status"] == "Accepted", r.STATION_RESPONSE, f"Reset Immediate: {res['status']}")
        boot = expect_reboot(st, start, conns, t)
        ended = [f for f in s.tx_events(st, start, tx["transaction_id"]) if f.body.get("eventType") == "Ended"]
        if not ended or ended[0].index > boot.index:
            st.fail(r.TX_EVENT_ORDER, "the transaction was not ended before the station restarted", boot)
        info = ended[0].body["transactionInfo"]
        st.check(ended[0].body.get("triggerReason") == "ResetCommand" and info.get("stoppedReason") ==
                 "ImmediateReset", r.EXPECTED_MESSAGE, f"Ended event: trigger {ended[0].body.get('triggerReason')}, "
                 f"stoppedReason {info.get('stoppedReason')}; expected ResetCommand / ImmediateReset", ended[0])
        states_after(st, boot, "Occupied", t)
    finally:
        unplug(st, dut, t)


@pytest.mark.vgi_case("TC_B_28_CS", feature="Provisioning", requires=("Core", "!C-13"))
def test_TC_B_28_CS(booted_station, t) -> None:
    """A station that cannot reset a single EVSE rejects a reset aimed at one, and does not restart."""
    st = booted_station
    start = s.mark(st)
    res = st.call("Reset", {"type": "OnIdle", "evseId": t.connector})
    st.check(res["status"] == "Rejected", r.STATION_RESPONSE, f"Reset of EVSE {t.connector}: {res['status']}")
    s.expect_quiet(st, "BootNotification", start, t.quiet, "the EVSE reset was rejected")


@pytest.mark.vgi_case("TC_B_23_CS", feature="Provisioning", requires=("Core",))
def test_TC_B_23_CS(booted_station, t) -> None:
    """A connector the CSMS made Inoperative stays so over a reset: the idle station accepts an OnIdle reset,
    boots with reason RemoteReset and reports that connector Unavailable again."""
    from vgitest.case import preamble
    st = booted_station
    where = {"id": t.connector, "connectorId": 1}
    try:
        with preamble(f"EVSE {t.connector} connector 1 Inoperative"):
            mark = s.mark(st)
            st.call("ChangeAvailability", {"operationalStatus": "Inoperative", "evse": where})
            s.require_status(st, mark, t.wait, r.STATUS_TRANSITION, "the connector was not reported Unavailable",
                             {"evseId": t.connector, "connectorStatus": "Unavailable"})
        start, conns = s.mark(st), st.connections
        res = st.call("Reset", {"type": "OnIdle"})
        st.check(res["status"] == "Accepted", r.STATION_RESPONSE, f"Reset OnIdle of an idle station: {res['status']}")
        boot = expect_reboot(st, start, conns, t)
        first = s.require_status(st, boot.index, t.wait, r.STATUS_AFTER_BOOT,
                                 "the connector was not reported after the reset", {"evseId": t.connector})
        got = s.status_of(first, {"evseId": t.connector})
        st.check(got == "Unavailable", r.STATUS_TRANSITION,
                 f"after the reset the Inoperative connector is reported {got}, expected Unavailable", first)
    finally:
        if st.connected:
            st.call("ChangeAvailability", {"operationalStatus": "Operative", "evse": where})
