"""OCPP 1.6 configuration: GetConfiguration, ChangeConfiguration, and the keys or values it must refuse."""

from __future__ import annotations

import pytest

from helpers16 import config, get_config
from vgitest.ocpp import rules as r

pytestmark = pytest.mark.vgi_protocol("ocpp", "1.6")

CORE_KEYS = ("AuthorizeRemoteTxRequests", "ClockAlignedDataInterval", "ConnectionTimeOut", "GetConfigurationMaxKeys",
             "HeartbeatInterval", "LocalAuthorizeOffline", "LocalPreAuthorize", "MeterValuesAlignedData",
             "MeterValuesSampledData", "MeterValueSampleInterval", "NumberOfConnectors", "ResetRetries",
             "StopTransactionOnEVSideDisconnect", "StopTransactionOnInvalidId", "StopTxnAlignedData",
             "StopTxnSampledData", "SupportedFeatureProfiles", "TransactionMessageAttempts",
             "TransactionMessageRetryInterval", "UnlockConnectorOnEVSideDisconnect")


@pytest.mark.vgi_case("TC_019_CS", feature="Configuration", requires=("Core",))
def test_TC_019_CS(booted_station):
    """GetConfiguration without keys lists every required Core key; asking for one key returns just it,
    and an unknown key comes back under unknownKey."""
    station = booted_station
    res = station.call("GetConfiguration", {})
    listed = {k.get("key") for k in res.get("configurationKey", [])}
    missing = [k for k in CORE_KEYS if k not in listed]
    station.check(not missing, r.STATION_RESPONSE, f"GetConfiguration lacks required Core keys: {missing}")
    one = station.call("GetConfiguration", {"key": ["HeartbeatInterval", "VgiNoSuchKey"]})
    station.check([k.get("key") for k in one.get("configurationKey", [])] == ["HeartbeatInterval"],
                  r.STATION_RESPONSE, f"GetConfiguration(HeartbeatInterval) returned {one.get('configurationKey')}")
    station.check(one.get("unknownKey") == ["VgiNoSuchKey"], r.STATION_RESPONSE,
                  f"an unknown key must be reported under unknownKey, got {one.get('unknownKey')}")


@pytest.mark.vgi_case("TC_021_CS", feature="Configuration", requires=("Core",))
def test_TC_021_CS(booted_station):
    """A writable key changed with ChangeConfiguration is Accepted and GetConfiguration then reports the new
    value."""
    station = booted_station
    old = get_config(station, "MeterValueSampleInterval")
    new = "7" if old != "7" else "8"
    with config(station, "MeterValueSampleInterval", new):
        now = get_config(station, "MeterValueSampleInterval")
        station.check(now == new, r.CONFIG_NOT_APPLIED,
                      f"MeterValueSampleInterval was accepted as {new} but reads back as {now}")


@pytest.mark.vgi_case("TC_040_1_CS", feature="Configuration Keys (Non-Happy)", requires=("Core",))
def test_TC_040_1_CS(booted_station):
    """Changing a key the station does not know is answered NotSupported."""
    res = booted_station.call("ChangeConfiguration", {"key": "VgiNoSuchKey", "value": "1"})
    booted_station.check(res.get("status") == "NotSupported", r.STATION_RESPONSE,
                         f"ChangeConfiguration of an unknown key answered {res.get('status')}, not NotSupported")


@pytest.mark.vgi_case("TC_040_2_CS", feature="Configuration Keys (Non-Happy)", requires=("Core",))
def test_TC_040_2_CS(booted_station):
    """A value a key cannot take (not an integer for an interval) is Rejected and the old value stays."""
    station = booted_station
    old = get_config(station, "MeterValueSampleInterval")
    res = station.call("ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "soon"})
    station.check(res.get("status") == "Rejected", r.STATION_RESPONSE,
                  f"ChangeConfiguration with a malformed value answered {res.get('status')}, not Rejected")
    station.check(get_config(station, "MeterValueSampleInterval") == old, r.CONFIG_NOT_APPLIED,
                  "a rejected value changed the key")
