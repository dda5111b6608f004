"""OCPP 1.6 UnlockConnector: idle, during a transaction, and for a connector that does not exist."""

from __future__ import annotations

import pytest

from helpers16 import connector, wait_s
from vgitest.ocpp import rules as r
from vgitest.verdict import NotApplicable

pytestmark = pytest.mark.vgi_protocol("ocpp", "1.6")


def fixed_cable(profile) -> bool:
    return str(profile.param("fixed_cable", False)).lower() == "true"


def socket_only(profile) -> None:
    if fixed_cable(profile):
        raise NotApplicable("the connector has a fixed cable (PIXIT fixed_cable): there is no socket lock to release")


def fixed_only(profile) -> None:
    if not fixed_cable(profile):
        raise NotApplicable("the connector has a socket, not a fixed cable (PIXIT fixed_cable is false)")


def _unlock(station, c: int, expected: str) -> None:
    res = station.call("UnlockConnector", {"connectorId": c})
    station.check(res.get("status") == expected, r.STATION_RESPONSE,
                  f"UnlockConnector({c}) answered {res.get('status')}, expected {expected}")


@pytest.mark.vgi_case("TC_017_1_CS", feature="Unlocking", requires=("Core",))
def test_TC_017_1_CS(booted_station, vgi_profile):
    """Without a session, UnlockConnector on a socket connector releases it and answers Unlocked."""
    socket_only(vgi_profile)
    _unlock(booted_station, connector(vgi_profile), "Unlocked")


@pytest.mark.vgi_case("TC_018_1_CS", feature="Unlocking", requires=("Core",))
def test_TC_018_1_CS(running_transaction, dut, vgi_profile, station):
    """UnlockConnector during a transaction first ends the transaction (reason UnlockCommand), then unlocks."""
    socket_only(vgi_profile)
    tx, c = running_transaction["transaction_id"], running_transaction["connector"]
    _unlock(station, c, "Unlocked")
    stop = station.expect("StopTransaction", wait_s(vgi_profile), match={"transactionId": tx})
    station.check(stop.body.get("reason") == "UnlockCommand", r.EXPECTED_MESSAGE,
                  f"StopTransaction reason {stop.body.get('reason')!r}, expected 'UnlockCommand'", stop)
    dut.perform("unplug", connector=c)
    station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c, "status": "Available"})


@pytest.mark.vgi_case("TC_031_CS", feature="Unlocking (Non-Happy)", requires=("Core",))
def test_TC_031_CS(booted_station, vgi_profile):
    """UnlockConnector for a connector id the station does not have is answered NotSupported."""
    _unlock(booted_station, int(vgi_profile.param("unknown_connector", 9)), "NotSupported")


@pytest.mark.vgi_case("TC_030_CS", feature="Unlocking (Non-Happy)", requires=("Core",))
def test_TC_030_CS(booted_station, dut, vgi_profile):
    """When the connector's cable lock fails (adapter action fail_lock), UnlockConnector is answered UnlockFailed,
    not Unlocked. NOT_APPLICABLE when the adapter cannot make the lock fail, or the cable is fixed (no lock)."""
    socket_only(vgi_profile)
    station, c = booted_station, connector(vgi_profile)
    dut.perform("fail_lock", connector=c)
    try:
        _unlock(station, c, "UnlockFailed")
    finally:
        dut.perform("clear_lock_failure", connector=c)


@pytest.mark.vgi_case("TC_017_2_CS", feature="Unlocking", requires=("Core",))
def test_TC_017_2_CS(booted_station, vgi_profile):
    """A connector with a permanently attached cable (PIXIT fixed_cable) has nothing to unlock: without a session,
    UnlockConnector is answered NotSupported."""
    fixed_only(vgi_profile)
    _unlock(booted_station, connector(vgi_profile), "NotSupported")


@pytest.mark.vgi_case("TC_018_2_CS", feature="Unlocking", requires=("Core",))
def test_TC_018_2_CS(running_transaction, dut, vgi_profile, station):
    """A connector with a permanently attached cable (PIXIT fixed_cable) answers UnlockConnector NotSupported during
    a transaction too (the clean-up then ends the transaction)."""
    fixed_only(vgi_profile)
    _unlock(station, running_transaction["connector"], "NotSupported")
