"""OCPP 1.6 authorization cache: using a cached idTag, and clearing the cache."""

from __future__ import annotations

import pytest

from helpers16 import config, connector, transaction_id, wait_s
from vgitest.ocpp import rules as r

pytestmark = pytest.mark.vgi_protocol("ocpp", "1.6")


def _session(station, dut, profile, token: str) -> int:
    """Plug in, present `token`, wait for the transaction, stop it with the same token, unplug."""
    c = connector(profile)
    mark = len(station.csms.trace)
    dut.perform("plug_in", connector=c)
    dut.perform("present_token", id_token=token, connector=c)
    start = station.expect("StartTransaction", wait_s(profile), match={"connectorId": c, "idTag": token})
    tx = transaction_id(station, start)
    dut.perform("present_token", id_token=token, connector=c)
    station.expect("StopTransaction", wait_s(profile), match={"transactionId": tx})
    dut.perform("unplug", connector=c)
    station.expect("StatusNotification", wait_s(profile), match={"connectorId": c, "status": "Available"})
    return mark


@pytest.mark.vgi_case("TC_007_1_CS", feature="Cache", requires=("Core",))
def test_TC_007_1_CS(booted_station, dut, vgi_profile):
    """With the cache enabled and LocalPreAuthorize true, an idTag the CSMS accepted before starts the next
    transaction straight from the cache, without asking the CSMS again."""
    station = booted_station
    token = str(vgi_profile.param("valid_id_token"))
    with config(station, "AuthorizationCacheEnabled", "true"), config(station, "LocalPreAuthorize", "true"):
        _session(station, dut, vgi_profile, token)
        mark = _session(station, dut, vgi_profile, token)
        asked = [f for f in station.frames(mark) if f.kind == "CALL" and f.name == "Authorize"]
        station.check(not asked, r.FORBIDDEN_MESSAGE, "the station asked the CSMS to authorize a cached idTag "
                      "although LocalPreAuthorize is true", asked[0] if asked else None)


@pytest.mark.vgi_case("TC_061_1_CS", feature="Cache", requires=("Core",))
def test_TC_061_1_CS(booted_station, dut, vgi_profile):
    """ClearCache empties the authorization cache: the next use of a formerly cached idTag is authorized
    with the CSMS again."""
    station = booted_station
    token = str(vgi_profile.param("valid_id_token"))
    with config(station, "AuthorizationCacheEnabled", "true"), config(station, "LocalPreAuthorize", "true"):
        _session(station, dut, vgi_profile, token)
        res = station.call("ClearCache", {})
        station.check(res.get("status") == "Accepted", r.STATION_RESPONSE,
                      f"ClearCache answered {res.get('status')}, expected Accepted")
        c = connector(vgi_profile)
        dut.perform("plug_in", connector=c)
        dut.perform("present_token", id_token=token, connector=c)
        station.expect("Authorize", wait_s(vgi_profile), match={"idTag": token})
        start = station.expect("StartTransaction", wait_s(vgi_profile), match={"idTag": token})
        tx = transaction_id(station, start)
        dut.perform("present_token", id_token=token, connector=c)
        station.expect("StopTransaction", wait_s(vgi_profile), match={"transactionId": tx})
        dut.perform("unplug", connector=c)
