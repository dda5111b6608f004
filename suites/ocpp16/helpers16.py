"""Helpers shared by the OCPP 1.6 suite: configuration changes that undo themselves, restart detection,
and the thin wrappers the test cases use to state what they wait for."""

from __future__ import annotations

import contextlib
import time
from typing import Any, Iterator

from vgitest.ocpp import rules as r
from vgitest.ocpp.states_v16 import answer_to, calls, connector, last_status, transaction_id, wait_s
from vgitest.trace import Direction, Frame

__all__ = ["answer_to", "calls", "connector", "last_status", "transaction_id", "wait_s", "config", "get_config",
           "expect_restart", "frames_named", "tolerance", "stop_and_unplug", "expect_none_since"]


def tolerance(budgets: Any) -> float:
    return float(budgets.timing("ocpp", "tolerance").value_s or 0.0)


def get_config(station: Any, key: str) -> str | None:
    res = station.call("GetConfiguration", {"key": [key]})
    for item in res.get("configurationKey", []):
        if item.get("key") == key:
            return item.get("value")
    return None


@contextlib.contextmanager
def config(station: Any, key: str, value: str) -> Iterator[None]:
    """Set a configuration key for the duration of a test and restore the old value afterwards."""
    old = get_config(station, key)
    res = station.call("ChangeConfiguration", {"key": key, "value": value})
    station.check(res.get("status") == "Accepted", r.STATION_RESPONSE,
                  f"ChangeConfiguration {key}={value} answered {res.get('status')}; the test needs it Accepted")
    try:
        yield
    finally:
        if old is not None and old != value and station.connected:
            station.call("ChangeConfiguration", {"key": key, "value": old})


def frames_named(station: Any, since: int, kind: str, direction: Direction = Direction.IN) -> list[Frame]:
    return [f for f in station.csms.trace.since(since) if f.meta.get("identity") == station.identity
            and f.kind == kind and f.direction is direction]


def expect_restart(station: Any, profile: Any, since: int) -> Frame:
    """After an accepted Reset: the station must drop the connection and come back with a BootNotification.

    No restart at all is OCPP-RESET-IGNORED; a reconnection without BootNotification is OCPP-BOOT-MISSING."""
    deadline = time.monotonic() + wait_s(profile, "boot_timeout", 8)
    while not frames_named(station, since, "CLOSE") and time.monotonic() < deadline:
        time.sleep(0.05)
    if not frames_named(station, since, "CLOSE"):
        station.fail(r.RESET_IGNORED, "the station accepted the Reset but did not restart within "
                     f"{wait_s(profile, 'boot_timeout', 8):g} s")
    station.wait_connected(wait_s(profile, "connect_timeout", 10))
    station.cursor = max(station.cursor, since)  # a BootNotification from before the Reset does not count
    try:
        boot = station.expect("BootNotification", wait_s(profile, "boot_timeout", 8))
    except AssertionError:
        station.fail(r.BOOT_MISSING, "the station restarted after the Reset but sent no BootNotification")
    for c in range(1, int(profile.param("connectors", 1)) + 1):
        station.expect("StatusNotification", wait_s(profile), match={"connectorId": c})
    return boot


def stop_and_unplug(station: Any, dut: Any, profile: Any, tx: int) -> None:
    """End a transaction remotely and free the connector, so the next test starts idle."""
    res = station.call("RemoteStopTransaction", {"transactionId": tx})
    if res.get("status") == "Accepted":
        station.expect("StopTransaction", wait_s(profile), match={"transactionId": tx})
    dut.perform("unplug", connector=connector(profile))
    station.expect("StatusNotification", wait_s(profile), match={"connectorId": connector(profile),
                                                                 "status": "Available"})


def expect_none_since(station: Any, action: str, since: int, within: float, match: dict | None = None) -> None:
    """No `action` from the station since trace index `since` (which may be before the wait starts, so a
    message sent at once after the trigger is not missed), nor for `within` more seconds."""
    station.expect_none(action, within=within, match=match)
    sent = calls(station, action, since, match)
    if sent:
        station.fail(r.FORBIDDEN_MESSAGE, f"{action} was sent although the scenario forbids it", sent[0])
