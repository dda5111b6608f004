"""OCPP 1.6 ChangeAvailability, and availability kept across a power failure."""

from __future__ import annotations

import pytest

from helpers16 import connector, wait_s
from vgitest.ocpp import rules as r
from vgitest.ocpp.states_v16 import reboot

pytestmark = pytest.mark.vgi_protocol("ocpp", "1.6")


def _set(station, profile, c: int, kind: str, status: str) -> None:
    res = station.call("ChangeAvailability", {"connectorId": c, "type": kind})
    station.check(res.get("status") == "Accepted", r.STATION_RESPONSE,
                  f"ChangeAvailability({c}, {kind}) answered {res.get('status')}, expected Accepted")
    try:
        station.expect("StatusNotification", wait_s(profile), match={"connectorId": c, "status": status})
    except AssertionError:
        station.fail(r.STATUS_TRANSITION, f"connector {c} did not report {status} after ChangeAvailability {kind}")


@pytest.mark.vgi_case("TC_VGI_AVAIL_01_CS", feature="Availability", requires=("Core",))
def test_TC_VGI_AVAIL_01_CS(booted_station, vgi_profile):
    """vgitest's own case: an idle connector set Inoperative reports Unavailable, and set Operative again
    reports Available."""
    c = connector(vgi_profile)
    try:
        _set(booted_station, vgi_profile, c, "Inoperative", "Unavailable")
    finally:
        _set(booted_station, vgi_profile, c, "Operative", "Available")


@pytest.mark.vgi_case("TC_034_CS", feature="Power Failure (Non-Happy)", requires=("Core",))
def test_TC_034_CS(booted_station, dut, vgi_profile):
    """A connector made Inoperative stays Unavailable across a power failure: after the reboot it reports
    Unavailable, not Available."""
    station, c = booted_station, connector(vgi_profile)
    _set(station, vgi_profile, c, "Inoperative", "Unavailable")
    try:
        boot = reboot(station, dut, vgi_profile)
        states = [f for f in station.frames(boot.index) if f.kind == "CALL" and f.name == "StatusNotification"
                  and f.body.get("connectorId") == c]
        first = states[0].body.get("status") if states else "unreported"
        station.check(first == "Unavailable", r.STATUS_TRANSITION,
                      f"connector {c} came back {first} after a power cycle; it was set Inoperative",
                      states[0] if states else None)
    finally:
        _set(station, vgi_profile, c, "Operative", "Available")
