"""OCPP 1.6 Reset: hard and soft, idle and with a running transaction."""

from __future__ import annotations

import pytest

from helpers16 import expect_restart, wait_s
from vgitest.ocpp import rules as r

pytestmark = pytest.mark.vgi_protocol("ocpp", "1.6")


def _reset(station, kind: str) -> int:
    mark = len(station.csms.trace)
    res = station.call("Reset", {"type": kind})
    station.check(res.get("status") == "Accepted", r.STATION_RESPONSE,
                  f"Reset {kind} answered {res.get('status')}, expected Accepted")
    return mark


@pytest.mark.vgi_case("TC_013_CS", feature="Resetting", requires=("Core",))
def test_TC_013_CS(booted_station, vgi_profile):
    """An idle station accepts a hard reset, restarts, registers again with BootNotification and reports its
    connectors."""
    expect_restart(booted_station, vgi_profile, _reset(booted_station, "Hard"))


@pytest.mark.vgi_case("TC_014_CS", feature="Resetting", requires=("Core",))
def test_TC_014_CS(booted_station, vgi_profile):
    """An idle station accepts a soft reset, restarts, registers again with BootNotification and reports its
    connectors."""
    expect_restart(booted_station, vgi_profile, _reset(booted_station, "Soft"))


@pytest.mark.vgi_case("TC_015_CS", feature="Resetting", requires=("Core",))
def test_TC_015_CS(running_transaction, vgi_profile, station):
    """A hard reset during a transaction ends it with reason HardReset (before or after the restart) and the
    station registers again."""
    tx = running_transaction["transaction_id"]
    mark = _reset(station, "Hard")
    station.expect("StopTransaction", wait_s(vgi_profile, "boot_timeout", 8) + wait_s(vgi_profile),
                   match={"transactionId": tx, "reason": "HardReset"})
    station.cursor = mark
    expect_restart(station, vgi_profile, mark)


@pytest.mark.vgi_case("TC_016_CS", feature="Resetting", requires=("Core",))
def test_TC_016_CS(running_transaction, vgi_profile, station):
    """A soft reset during a transaction first ends it gracefully (StopTransaction, reason SoftReset), then
    the station restarts and registers again."""
    tx = running_transaction["transaction_id"]
    mark = _reset(station, "Soft")
    stop = station.expect("StopTransaction", wait_s(vgi_profile), match={"transactionId": tx, "reason": "SoftReset"})
    closes = [f for f in station.frames(mark) if f.kind == "CLOSE" and f.index < stop.index]
    station.check(not closes, r.EXPECTED_MESSAGE, "a soft reset must stop the transaction before restarting", stop)
    expect_restart(station, vgi_profile, mark)
