"""OCPP 1.6 authorization cache: using a cached idTag, and clearing the cache."""

from __future__ import annotations

import pytest

from helpers16 import config, connector, transaction_id, wait_s
from vgitest.case import preamble
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
    station.expect("StatusNotification", wait_s(profile), match={"connectorId": c, "status": "Charging"}, since=mark)
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


def _cache_token(station, dut, profile) -> str:
    """Preamble: a session with the valid idTag, so that the station caches it."""
    token = str(profile.param("valid_id_token"))
    station.tokens[token] = "Accepted"
    with preamble("the valid idTag cached by a first session"):
        _session(station, dut, profile, token)
    return token


def _remote_start_plugged(station, dut, profile, token: str) -> int:
    """Plug in and start remotely; returns the trace index from where the station's reaction counts."""
    c = connector(profile)
    dut.perform("plug_in", connector=c)
    station.expect("StatusNotification", wait_s(profile), match={"connectorId": c, "status": "Preparing"})
    mark = len(station.csms.trace)
    res = station.call("RemoteStartTransaction", {"connectorId": c, "idTag": token})
    station.check(res.get("status") == "Accepted", r.STATION_RESPONSE,
                  f"RemoteStartTransaction answered {res.get('status')}, expected Accepted")
    return mark


def _end(station, dut, profile, token: str, mark: int) -> None:
    """The remotely started transaction runs: end it with the same card and free the connector."""
    start = station.expect("StartTransaction", wait_s(profile), match={"idTag": token}, since=mark)
    tx = transaction_id(station, start)
    # the station must have taken the transaction up (Charging) before the same card can end it
    station.expect("StatusNotification", wait_s(profile), match={"connectorId": connector(profile),
                                                                 "status": "Charging"}, since=mark)
    dut.perform("present_token", id_token=token, connector=connector(profile))
    station.expect("StopTransaction", wait_s(profile), match={"transactionId": tx})
    dut.perform("unplug", connector=connector(profile))
    station.expect("StatusNotification", wait_s(profile), match={"connectorId": connector(profile),
                                                                 "status": "Available"})


@pytest.mark.vgi_case("TC_007_2_CS", feature="Cache", requires=("Core",))
def test_TC_007_2_CS(booted_station, dut, vgi_profile):
    """A remote start is authorized like a local start (AuthorizeRemoteTxRequests true): with the cache enabled
    and LocalPreAuthorize true, an idTag the CSMS accepted before starts the transaction from the cache, without
    an Authorize."""
    station = booted_station
    with config(station, "AuthorizationCacheEnabled", "true"), config(station, "LocalPreAuthorize", "true"), \
            config(station, "AuthorizeRemoteTxRequests", "true"):
        token = _cache_token(station, dut, vgi_profile)
        mark = _remote_start_plugged(station, dut, vgi_profile, token)
        start = station.expect("StartTransaction", wait_s(vgi_profile), match={"idTag": token}, since=mark)
        asked = [f for f in station.frames(mark) if f.kind == "CALL" and f.name == "Authorize"
                 and f.index < start.index]
        station.check(not asked, r.FORBIDDEN_MESSAGE, "the station asked the CSMS to authorize a cached idTag of a "
                      "remote start although LocalPreAuthorize is true", asked[0] if asked else None)
        _end(station, dut, vgi_profile, token, mark)


@pytest.mark.vgi_case("TC_061_2_CS", feature="Cache", requires=("Core",))
def test_TC_061_2_CS(booted_station, dut, vgi_profile):
    """After ClearCache, a remote start of a formerly cached idTag (AuthorizeRemoteTxRequests true) is authorized
    with the CSMS again before the transaction starts."""
    station = booted_station
    with config(station, "AuthorizationCacheEnabled", "true"), config(station, "LocalPreAuthorize", "true"), \
            config(station, "AuthorizeRemoteTxRequests", "true"):
        token = _cache_token(station, dut, vgi_profile)
        res = station.call("ClearCache", {})
        station.check(res.get("status") == "Accepted", r.STATION_RESPONSE,
                      f"ClearCache answered {res.get('status')}, expected Accepted")
        mark = _remote_start_plugged(station, dut, vgi_profile, token)
        auth = station.expect("Authorize", wait_s(vgi_profile), match={"idTag": token}, since=mark)
        start = station.expect("StartTransaction", wait_s(vgi_profile), match={"idTag": token}, since=mark)
        station.check(auth.index < start.index, r.EXPECTED_MESSAGE, "the transaction started before the cleared "
                      "idTag was authorized with the CSMS", start)
        _end(station, dut, vgi_profile, token, mark)
