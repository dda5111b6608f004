"""The OCPP 2.0.1 reference station's behaviour for the Core cases of issue 17 (SetNetworkProfile slots, the
start-up security event, clock-aligned meter values, availability over a restart), each also shown broken by its
fault, against the fake CSMS without the pytest plugin."""

from __future__ import annotations

import datetime
from typing import Iterator

import pytest

from vgitest.ocpp.csms import FakeCsms, StationSession
from vgitest.ocpp.station.v201 import Station201

W = 5.0


@pytest.fixture(params=[()])
def pair(request: pytest.FixtureRequest) -> Iterator[tuple[FakeCsms, Station201, StationSession]]:
    csms = FakeCsms(port=0, versions=("2.0.1",), heartbeat_interval=2).start()
    station = Station201(csms.url, "UT201C", faults=request.param,
                         params={"meter_sample_interval": 5, "call_timeout": 3, "reboot_delay": 0.05,
                                 "reconnect_delay": 0.1}).start()
    session = csms.wait_for_station("UT201C", W)
    session.expect("BootNotification", W)
    session.expect("StatusNotification", W, {"connectorStatus": "Available"})
    yield csms, station, session
    station.stop()
    csms.stop()


def profile(url: str) -> dict:
    return {"ocppVersion": "OCPP20", "ocppTransport": "JSON", "ocppCsmsUrl": url, "messageTimeout": 30,
            "securityProfile": 1, "ocppInterface": "Wired0"}


def test_network_profile_only_for_the_slots_the_station_has(pair) -> None:
    csms, station, session = pair
    assert session.call("SetNetworkProfile", {"configurationSlot": 2, "connectionData": profile(csms.url)}) \
        == {"status": "Accepted"}
    assert session.call("SetNetworkProfile", {"configurationSlot": 999, "connectionData": profile(csms.url)}) \
        == {"status": "Rejected"}
    assert session.call("SetNetworkProfile", {"configurationSlot": 1, "connectionData": {
        **profile(csms.url), "ocppVersion": "OCPP15"}})["status"] == "Rejected"
    assert set(station.network_profiles) == {2}


@pytest.mark.parametrize("pair", [("network_profile_any_slot_accepted",)], indirect=True)
def test_network_profile_fault_accepts_any_slot(pair) -> None:
    csms, station, session = pair
    assert session.call("SetNetworkProfile", {"configurationSlot": 999, "connectionData": profile(csms.url)}) \
        == {"status": "Accepted"}


def test_start_up_is_a_security_event(pair) -> None:
    csms, station, session = pair
    assert session.expect("SecurityEventNotification", W).body["type"] == "StartupOfTheDevice"


@pytest.mark.parametrize("pair", [("no_startup_security_event",)], indirect=True)
def test_start_up_event_fault(pair) -> None:
    csms, station, session = pair
    session.expect_none("SecurityEventNotification", 1.0)


def aligned_readings(session: StationSession, n: int) -> list[dict]:
    start = len(session.csms.trace)
    session.call("SetVariables", {"setVariableData": [{"component": {"name": "AlignedDataCtrlr"},
                                                       "variable": {"name": "Interval"}, "attributeValue": "1"}]})
    out: list[dict] = []
    while len(out) < n:
        f = session.csms.trace.wait_for(lambda f: f.kind == "CALL" and f.name == "MeterValues", start, 3.0)
        assert f is not None, "no clock-aligned MeterValues"
        out += f.body["meterValue"]
        start = f.index + 1
    return out


def test_clock_aligned_readings_on_whole_seconds(pair) -> None:
    csms, station, session = pair
    readings = aligned_readings(session, 2)
    for mv in readings:
        assert mv["sampledValue"][0]["context"] == "Sample.Clock"
        assert datetime.datetime.fromisoformat(mv["timestamp"].replace("Z", "+00:00")).microsecond == 0


@pytest.mark.parametrize("pair", [("aligned_values_periodic_context",)], indirect=True)
def test_clock_aligned_context_fault(pair) -> None:
    csms, station, session = pair
    assert {mv["sampledValue"][0]["context"] for mv in aligned_readings(session, 2)} == {"Sample.Periodic"}


def restart_status(session: StationSession, station: Station201) -> str:
    session.call("ChangeAvailability", {"operationalStatus": "Inoperative", "evse": {"id": 1}})
    session.expect("StatusNotification", W, {"connectorStatus": "Unavailable"})
    start = len(session.csms.trace)
    station.perform("reboot")
    boot = session.csms.trace.wait_for(lambda f: f.kind == "CALL" and f.name == "BootNotification", start, W)
    assert boot is not None
    first = session.csms.trace.wait_for(lambda f: f.kind == "CALL" and f.name == "StatusNotification", boot.index, W)
    assert first is not None
    return first.body["connectorStatus"]


def test_inoperative_evse_stays_so_over_a_restart(pair) -> None:
    csms, station, session = pair
    assert restart_status(session, station) == "Unavailable"


@pytest.mark.parametrize("pair", [("availability_not_persistent",)], indirect=True)
def test_availability_persistence_fault(pair) -> None:
    csms, station, session = pair
    assert restart_status(session, station) == "Available"
