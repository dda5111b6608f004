"""OCPP 1.6 DataTransfer from the CSMS, and the local list version of a station without local lists."""

from __future__ import annotations

import pytest

from vgitest.ocpp import rules as r

pytestmark = pytest.mark.vgi_protocol("ocpp", "1.6")


@pytest.mark.vgi_case("TC_062_CS", feature="Data Transfer", requires=("Core",))
def test_TC_062_CS(booted_station):
    """A DataTransfer for a vendorId the station has no extension for is answered UnknownVendorId."""
    res = booted_station.call("DataTransfer", {"vendorId": "org.vgitest.nobody", "messageId": "ping",
                                               "data": "hello"})
    booted_station.check(res.get("status") == "UnknownVendorId", r.STATION_RESPONSE,
                         f"DataTransfer for an unknown vendor answered {res.get('status')}, expected UnknownVendorId")


@pytest.mark.vgi_case("TC_042_1_CS", feature="Local Authorization List",
                      requires=("Core", "!LocalAuthListManagement"))
def test_TC_042_1_CS(booted_station):
    """A station without local authorization list support reports list version -1."""
    res = booted_station.call("GetLocalListVersion", {})
    booted_station.check(res.get("listVersion") == -1, r.STATION_RESPONSE,
                         f"GetLocalListVersion answered {res.get('listVersion')}, expected -1 (not supported)")
