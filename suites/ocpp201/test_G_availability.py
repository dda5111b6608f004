"""G: Availability — connector status notifications and ChangeAvailability (G01-G04)."""

from __future__ import annotations

import pytest

from vgitest.case import preamble
from vgitest.ocpp import rules as r
from vgitest.ocpp import states_v201 as s

# 2.1 keeps G01-G04; its stations may report connector states by NotifyEvent (Connector.AvailabilityState), which
# the status helpers of states_v201 accept for a 2.1 station
pytestmark = pytest.mark.vgi_protocol("ocpp", "2.0.1", "2.1")


def change(station, operative: bool, evse: int | None = None, expected: str = "Accepted",
           connector: int | None = None) -> int:
    start = s.mark(station)
    payload: dict = {"operationalStatus": "Operative" if operative else "Inoperative"}
    if evse is not None:
        payload["evse"] = {"id": evse} if connector is None else {"id": evse, "connectorId": connector}
    res = station.call("ChangeAvailability", payload)
    station.check(res["status"] == expected, r.STATION_RESPONSE, f"ChangeAvailability {payload}: {res['status']}, "
                  f"expected {expected}")
    return start


def reported(station, start: int, status: str, evse: int, t) -> None:
    s.require_status(station, start, t.wait, r.STATUS_TRANSITION, f"EVSE {evse} was not reported {status}",
                     {"evseId": evse, "connectorStatus": status})


def restore(station, t, evse: dict | None = None) -> None:
    """Operative again: the EVSE or connector a case set Inoperative (a station may keep a lower level's own
    setting when the whole station turns Operative), then the whole station."""
    if not station.connected:
        return
    start = s.mark(station)
    if evse is not None:
        station.call("ChangeAvailability", {"operationalStatus": "Operative", "evse": evse})
    station.call("ChangeAvailability", {"operationalStatus": "Operative"})
    s.wait_status(station, start, t.quiet, {"connectorStatus": "Available"})


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
    s.expect_no_status(st, start, t.quiet, "the EVSE's state did not change")


@pytest.mark.vgi_case("TC_G_11_CS", feature="Availability", requires=("Core",))
def test_TC_G_11_CS(running_transaction, booted_station, dut, t) -> None:
    """An EVSE set Inoperative during a transaction answers Scheduled, keeps charging, and becomes Unavailable
    once the transaction has ended."""
    st, tx = booted_station, running_transaction
    try:
        start = change(st, False, t.connector, expected="Scheduled")
        s.expect_no_status(st, start, t.quiet / 2, "the transaction is still running",
                           {"connectorStatus": "Unavailable"})
        st.call("RequestStopTransaction", {"transactionId": tx["transaction_id"]})
        ended = s.require(st, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE, "the transaction did not end",
                          {"eventType": "Ended"})
        reported(st, ended.index, "Unavailable", t.connector, t)
    finally:
        restore(st, t)
        dut.perform("unplug", connector=t.connector)


def connectors(profile) -> list[int]:
    return list(range(1, int(profile.param("connectors", 1)) + 1))


def made_unavailable(station, t, evse: int | None = None, connector: int | None = None) -> None:
    """Precondition of the Inoperative cases: the target set Inoperative and its connector(s) reported Unavailable
    (a station that cannot get there leaves the case INCONCLUSIVE)."""
    what = "the station" if evse is None else f"EVSE {evse}" + (f" connector {connector}" if connector else "")
    with preamble(f"{what} Inoperative"):
        reported(station, change(station, False, evse, connector=connector), "Unavailable", t.connector, t)


def target(t, connector: bool) -> dict:
    return {"id": t.connector, "connectorId": 1} if connector else {"id": t.connector}


def no_other_state(station, start: int, status: str, t, why: str) -> None:
    """Nothing but `status` is reported for the tested EVSE within the quiet time."""
    s.expect_no_status(station, start, t.quiet, why,
                       lambda b: b.get("evseId") == t.connector and b.get("connectorStatus") != status)


@pytest.mark.vgi_case("TC_G_07_CS", feature="Availability", requires=("Core",))
def test_TC_G_07_CS(booted_station, t) -> None:
    """One connector set Inoperative (ChangeAvailability naming the EVSE and the connector) is Accepted and that
    connector is reported Unavailable."""
    st = booted_station
    try:
        start = change(st, False, t.connector, connector=1)
        s.require_status(st, start, t.wait, r.STATUS_TRANSITION,
                         f"EVSE {t.connector} connector 1 was not reported Unavailable",
                         {"evseId": t.connector, "connectorId": 1, "connectorStatus": "Unavailable"})
    finally:
        restore(st, t, target(t, True))


@pytest.mark.vgi_case("TC_G_08_CS", feature="Availability", requires=("Core",))
def test_TC_G_08_CS(booted_station, t) -> None:
    """An Inoperative connector set Operative again is Accepted and reported Available."""
    st = booted_station
    try:
        made_unavailable(st, t, t.connector, 1)
        start = change(st, True, t.connector, connector=1)
        s.require_status(st, start, t.wait, r.STATUS_TRANSITION,
                         f"EVSE {t.connector} connector 1 was not reported Available again",
                         {"evseId": t.connector, "connectorId": 1, "connectorStatus": "Available"})
    finally:
        restore(st, t, target(t, True))


@pytest.mark.vgi_case("TC_G_10_CS", feature="Availability", requires=("Core",))
def test_TC_G_10_CS(booted_station, t) -> None:
    """Setting an EVSE that is already Inoperative Inoperative again is Accepted, and it stays Unavailable."""
    st = booted_station
    try:
        made_unavailable(st, t, t.connector)
        start = change(st, False, t.connector)
        no_other_state(st, start, "Unavailable", t, "the EVSE stays Inoperative")
    finally:
        restore(st, t, target(t, False))


@pytest.mark.vgi_case("TC_G_12_CS", feature="Availability", requires=("Core",))
def test_TC_G_12_CS(booted_station, t) -> None:
    """Setting the whole station, already Operative, Operative again is Accepted; its connectors stay Available."""
    st = booted_station
    start = change(st, True)
    no_other_state(st, start, "Available", t, "the station stays Operative")


@pytest.mark.vgi_case("TC_G_13_CS", feature="Availability", requires=("Core",))
def test_TC_G_13_CS(booted_station, vgi_profile, t) -> None:
    """Setting the whole station, already Inoperative, Inoperative again is Accepted; every connector stays
    Unavailable."""
    st = booted_station
    try:
        with preamble("the station Inoperative"):
            first = change(st, False)
            for c in connectors(vgi_profile):
                reported(st, first, "Unavailable", c, t)
        start = change(st, False)
        s.expect_no_status(st, start, t.quiet, "the station stays Inoperative",
                           lambda b: b.get("connectorStatus") != "Unavailable")
    finally:
        restore(st, t)


@pytest.mark.vgi_case("TC_G_14_CS", feature="Availability", requires=("Core",))
def test_TC_G_14_CS(running_transaction, booted_station, dut, vgi_profile, t) -> None:
    """The whole station set Inoperative during a transaction answers Scheduled; the idle EVSEs are reported
    Unavailable at once, the EVSE that charges keeps charging and becomes Unavailable once its transaction has
    ended."""
    st, tx = booted_station, running_transaction
    try:
        start = change(st, False, expected="Scheduled")
        for c in connectors(vgi_profile):
            if c != t.connector:
                reported(st, start, "Unavailable", c, t)
        s.expect_no_status(st, start, t.quiet / 2, "the transaction is still running",
                           {"evseId": t.connector, "connectorStatus": "Unavailable"})
        st.call("RequestStopTransaction", {"transactionId": tx["transaction_id"]})
        ended = s.require(st, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE, "the transaction did not end",
                          {"eventType": "Ended"})
        reported(st, ended.index, "Unavailable", t.connector, t)
    finally:
        restore(st, t)
        dut.perform("unplug", connector=t.connector)


@pytest.mark.vgi_case("TC_G_15_CS", feature="Availability", requires=("Core",))
def test_TC_G_15_CS(booted_station, t) -> None:
    """Setting a connector that is already Operative Operative again is Accepted; it stays Available."""
    st = booted_station
    start = change(st, True, t.connector, connector=1)
    no_other_state(st, start, "Available", t, "the connector stays Operative")


@pytest.mark.vgi_case("TC_G_16_CS", feature="Availability", requires=("Core",))
def test_TC_G_16_CS(booted_station, t) -> None:
    """Setting a connector that is already Inoperative Inoperative again is Accepted; it stays Unavailable."""
    st = booted_station
    try:
        made_unavailable(st, t, t.connector, 1)
        start = change(st, False, t.connector, connector=1)
        no_other_state(st, start, "Unavailable", t, "the connector stays Inoperative")
    finally:
        restore(st, t, target(t, True))


@pytest.mark.vgi_case("TC_G_17_CS", feature="Availability", requires=("Core",))
def test_TC_G_17_CS(running_transaction, booted_station, dut, t) -> None:
    """A connector set Inoperative during its transaction answers Scheduled, keeps charging, and is reported
    Unavailable (with its EVSE and connector id) once the transaction has ended."""
    st, tx = booted_station, running_transaction
    try:
        start = change(st, False, t.connector, expected="Scheduled", connector=1)
        s.expect_no_status(st, start, t.quiet / 2, "the transaction is still running",
                           {"evseId": t.connector, "connectorStatus": "Unavailable"})
        st.call("RequestStopTransaction", {"transactionId": tx["transaction_id"]})
        ended = s.require(st, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE, "the transaction did not end",
                          {"eventType": "Ended"})
        s.require_status(st, ended.index, t.wait, r.STATUS_TRANSITION,
                         f"EVSE {t.connector} connector 1 was not reported Unavailable after the transaction",
                         {"evseId": t.connector, "connectorId": 1, "connectorStatus": "Unavailable"})
    finally:
        restore(st, t, target(t, True))
        dut.perform("unplug", connector=t.connector)


def after_restart(station, boot, t, profile, unavailable: set[int]) -> None:
    """Every connector's first report after the restart: Unavailable for the EVSEs in `unavailable`, Available
    for the others (the availability the CSMS set survives a restart, G03.FR.08 / G04.FR.09)."""
    for c in connectors(profile):
        want = "Unavailable" if c in unavailable else "Available"
        first = s.require_status(station, boot.index, t.wait, r.STATUS_AFTER_BOOT,
                                 f"EVSE {c} was not reported after the restart", {"evseId": c})
        got = s.status_of(first, {"evseId": c})
        station.check(got == want, r.STATUS_TRANSITION,
                      f"after the restart EVSE {c} is reported {got}, expected {want} (the "
                      "availability the CSMS set must survive a restart)", first)


def startup_event(station, boot, t) -> None:
    """After a power cycle the station reports its start as a security event."""
    s.require(station, "SecurityEventNotification", boot.index, t.wait, r.EXPECTED_MESSAGE,
              "no SecurityEventNotification of type StartupOfTheDevice or ResetOrReboot after the restart",
              lambda b: b.get("type") in ("StartupOfTheDevice", "ResetOrReboot"))


@pytest.mark.vgi_case("TC_G_18_CS", feature="Availability", requires=("Core",))
def test_TC_G_18_CS(booted_station, dut, vgi_profile, t) -> None:
    """An EVSE set Inoperative stays Inoperative over a power cycle: after the new boot it is reported Unavailable
    (the others Available)."""
    st = booted_station
    try:
        made_unavailable(st, t, t.connector)
        boot = s.reboot(st, dut, vgi_profile)
        after_restart(st, boot, t, vgi_profile, {t.connector})
    finally:
        restore(st, t, target(t, False))


@pytest.mark.vgi_case("TC_G_19_CS", feature="Availability", requires=("Core",))
def test_TC_G_19_CS(booted_station, dut, vgi_profile, t) -> None:
    """A connector set Inoperative stays Inoperative over a power cycle; the station also reports its start-up as
    a security event."""
    st = booted_station
    try:
        made_unavailable(st, t, t.connector, 1)
        boot = s.reboot(st, dut, vgi_profile)
        after_restart(st, boot, t, vgi_profile, {t.connector})
        startup_event(st, boot, t)
    finally:
        restore(st, t, target(t, True))


@pytest.mark.vgi_case("TC_G_21_CS", feature="Availability", requires=("Core",))
def test_TC_G_21_CS(booted_station, dut, vgi_profile, t) -> None:
    """The whole station set Inoperative stays Inoperative over a power cycle: every connector is reported
    Unavailable after the new boot, and the start-up is reported as a security event."""
    st = booted_station
    try:
        with preamble("the station Inoperative"):
            first = change(st, False)
            for c in connectors(vgi_profile):
                reported(st, first, "Unavailable", c, t)
        boot = s.reboot(st, dut, vgi_profile)
        after_restart(st, boot, t, vgi_profile, set(connectors(vgi_profile)))
        startup_event(st, boot, t)
    finally:
        restore(st, t)
