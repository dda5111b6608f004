"""F: Remote control — the conditional TriggerMessage cases (F06): triggers for every EVSE at once, and the state
reports of the log upload and the firmware update while neither runs."""

from __future__ import annotations

import pytest

from vgitest.ocpp import rules as r
from vgitest.ocpp import states_v201 as s

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.0.1")


def trigger(station, what: str, evse: dict | None = None) -> int:
    start = s.mark(station)
    payload: dict = {"requestedMessage": what}
    if evse is not None:
        payload["evse"] = evse
    res = station.call("TriggerMessage", payload)
    station.check(res["status"] == "Accepted", r.STATION_RESPONSE, f"TriggerMessage({what}"
                  f"{', evse ' + str(evse) if evse else ''}): {res['status']}, expected Accepted")
    return start


@pytest.mark.vgi_case("TC_F_12_CS", feature="RemoteControl", requires=("Core", "TriggerMessage"))
def test_TC_F_12_CS(booted_station, vgi_profile, t) -> None:
    """A MeterValues trigger that names no EVSE asks for all of them: a MeterValues arrives for every EVSE."""
    st = booted_station
    start = trigger(st, "MeterValues")
    for evse in range(1, int(vgi_profile.param("connectors", 1)) + 1):
        s.require(st, "MeterValues", start, t.wait, r.EXPECTED_MESSAGE, f"the triggered MeterValues of EVSE {evse} "
                  "did not come (the trigger named no EVSE, so every EVSE reports)", {"evseId": evse})


@pytest.mark.vgi_case("TC_F_14_CS", feature="RemoteControl", requires=("Core", "TriggerMessage"))
def test_TC_F_14_CS(running_transaction, booted_station, dut, vgi_profile, t) -> None:
    """A TransactionEvent trigger that names no EVSE asks for every transaction: the running one reports with an
    Updated event, triggerReason Trigger."""
    st, tx = booted_station, running_transaction
    try:
        start = trigger(st, "TransactionEvent")
        s.require(st, "TransactionEvent", start, t.wait, r.EXPECTED_MESSAGE, "the triggered TransactionEvent did not "
                  "come (the trigger named no EVSE, so every transaction reports)",
                  {"eventType": "Updated", "triggerReason": "Trigger",
                   "transactionInfo": {"transactionId": tx["transaction_id"]}})
    finally:
        s.end_transactions(st, vgi_profile)
        dut.perform("unplug", connector=t.connector)


@pytest.mark.vgi_case("TC_F_15_CS", feature="RemoteControl", requires=("Core", "TriggerMessage"))
def test_TC_F_15_CS(booted_station, t) -> None:
    """With no log upload going on, a triggered LogStatusNotification says Idle."""
    st = booted_station
    start = trigger(st, "LogStatusNotification")
    s.require(st, "LogStatusNotification", start, t.wait, r.EXPECTED_MESSAGE, "no LogStatusNotification with status "
              "Idle after the trigger (no upload runs)", {"status": "Idle"})


@pytest.mark.vgi_case("TC_F_17_CS", feature="RemoteControl", requires=("Core", "TriggerMessage"))
def test_TC_F_17_CS(booted_station, t) -> None:
    """A FirmwareStatusNotification trigger that names an EVSE: the EVSE means nothing for the firmware state, so the
    station ignores it, accepts and reports (Idle, no update runs)."""
    st = booted_station
    start = trigger(st, "FirmwareStatusNotification", {"id": t.connector})
    s.require(st, "FirmwareStatusNotification", start, t.wait, r.EXPECTED_MESSAGE, "no FirmwareStatusNotification "
              "with status Idle after the trigger", {"status": "Idle"})


@pytest.mark.vgi_case("TC_F_18_CS", feature="RemoteControl", requires=("Core", "TriggerMessage"))
def test_TC_F_18_CS(booted_station, t) -> None:
    """With no firmware update going on, a triggered FirmwareStatusNotification says Idle."""
    st = booted_station
    start = trigger(st, "FirmwareStatusNotification")
    s.require(st, "FirmwareStatusNotification", start, t.wait, r.EXPECTED_MESSAGE, "no FirmwareStatusNotification "
              "with status Idle after the trigger (no update runs)", {"status": "Idle"})
