"""OCPP 1.6 TriggerMessage (RemoteTrigger feature profile)."""

from __future__ import annotations

import pytest

from helpers16 import connector, expect_none_since, wait_s
from vgitest.ocpp import rules as r

pytestmark = pytest.mark.vgi_protocol("ocpp", "1.6")


@pytest.mark.vgi_case("TC_054_CS", feature="Remote Trigger", requires=("Core", "RemoteTrigger"))
def test_TC_054_CS(booted_station, vgi_profile):
    """Each message the CSMS may trigger is Accepted and then actually sent, for the requested connector where one
    is given. The diagnostics and firmware status messages belong to the FirmwareManagement profile: a station
    without it may answer NotImplemented (OCPP 1.6 §5.17), and one that accepts must send them."""
    station, c = booted_station, connector(vgi_profile)
    firmware = vgi_profile.supports("FirmwareManagement")
    cases = [("StatusNotification", c, {"connectorId": c}, True), ("MeterValues", c, {"connectorId": c}, True),
             ("Heartbeat", None, None, True), ("DiagnosticsStatusNotification", None, None, firmware),
             ("FirmwareStatusNotification", None, None, firmware)]
    for what, cid, match, required in cases:
        payload = {"requestedMessage": what, **({"connectorId": cid} if cid is not None else {})}
        station.cursor = len(station.csms.trace)
        res = station.call("TriggerMessage", payload)
        allowed = ("Accepted",) if required else ("Accepted", "NotImplemented")
        station.check(res.get("status") in allowed, r.STATION_RESPONSE,
                      f"TriggerMessage({what}) answered {res.get('status')}, expected {' or '.join(allowed)}")
        if res.get("status") == "Accepted":
            station.expect(what, wait_s(vgi_profile), match=match)


@pytest.mark.vgi_case("TC_055_CS", feature="Remote Trigger", requires=("Core", "RemoteTrigger"))
def test_TC_055_CS(booted_station, vgi_profile):
    """A trigger for a connector the station does not have is Rejected, and nothing is sent for it."""
    station = booted_station
    unknown = int(vgi_profile.param("unknown_connector", 9))
    mark = len(station.csms.trace)
    res = station.call("TriggerMessage", {"requestedMessage": "StatusNotification", "connectorId": unknown})
    station.check(res.get("status") == "Rejected", r.STATION_RESPONSE,
                  f"TriggerMessage for unknown connector {unknown} answered {res.get('status')}, expected Rejected")
    expect_none_since(station, "StatusNotification", mark, 1.0, match={"connectorId": unknown})
