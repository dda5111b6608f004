"""OCPP 2.0.1 reusable states (Booted, Authorized, EnergyTransferStarted) and the small waiting helpers the
2.0.1 suite shares. They speak only OCPP and the DUT adapter, so they work for any station, not only the
reference one.

The states establish a precondition; when the DUT cannot reach it they raise NonConformance with the rule
of the message that was missing, which the plugin reports as INCONCLUSIVE when it happens in a fixture.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from ..trace import Direction, Frame
from . import rules as r
from .csms import StationSession, matches


def pixit(profile: Any, key: str, default: Any) -> Any:
    return profile.param(key, default)


def mark(station: StationSession) -> int:
    """A position in the trace: later waits only look at frames after it."""
    return len(station.csms.trace)


def wait_call(station: StationSession, action: str, start: int, timeout: float,
              match: dict | Callable[[Any], bool] | None = None, kind: str = "CALL") -> Frame | None:
    """The first `action` frame from the station after `start` (matching `match`), or None. Records nothing:
    the caller decides which rule a missing message breaks."""
    def pred(f: Frame) -> bool:
        return (f.direction is Direction.IN and f.meta.get("identity") == station.identity and f.kind == kind
                and f.name == action and (match is None or matches(f.body, match)))

    return station.csms.trace.wait_for(pred, start, timeout)


def calls(station: StationSession, action: str, start: int, end: int | None = None) -> list[Frame]:
    """Every `action` CALL from the station in [start, end)."""
    frames = station.csms.trace.since(start)
    if end is not None:
        frames = frames[: max(0, end - start)]
    return [f for f in frames if f.direction is Direction.IN and f.kind == "CALL" and f.name == action
            and f.meta.get("identity") == station.identity]


def require(station: StationSession, action: str, start: int, timeout: float, rule: str, why: str,
            match: dict | Callable[[Any], bool] | None = None) -> Frame:
    """`wait_call`, failing with `rule` and `why` when the message does not come."""
    frame = wait_call(station, action, start, timeout, match)
    if frame is None:
        station.fail(rule, f"{why} (no {action} within {timeout:g} s)")
    assert frame is not None
    return frame


def expect_quiet(station: StationSession, action: str, start: int, within: float, why: str,
                 match: dict | Callable[[Any], bool] | None = None) -> None:
    """Fail with OCPP-FORBIDDEN-MESSAGE if the station sends `action` within `within` seconds after `start`."""
    frame = wait_call(station, action, start, within, match)
    if frame is not None:
        station.fail(r.FORBIDDEN_MESSAGE, f"{action} sent although {why}", frame)


def status_of(frame: Frame) -> str:
    return str((frame.body or {}).get("connectorStatus"))


def last_statuses(station: StationSession) -> dict[tuple[int, int], str]:
    """The last connectorStatus the station reported per (evseId, connectorId), over the whole trace."""
    out: dict[tuple[int, int], str] = {}
    for f in station.csms.trace:
        if f.direction is Direction.IN and f.kind == "CALL" and f.name == "StatusNotification" \
                and f.meta.get("identity") == station.identity and isinstance(f.body, dict):
            out[(f.body.get("evseId"), f.body.get("connectorId"))] = str(f.body.get("connectorStatus"))
    return out


def open_transactions(station: StationSession) -> dict[str, int | None]:
    """Transactions the station started and has not ended, with the EVSE they run on (from the trace)."""
    out: dict[str, int | None] = {}
    evse_of: dict[str, int | None] = {}
    for f in station.csms.trace:
        if f.direction is not Direction.IN or f.kind != "CALL" or f.name != "TransactionEvent" \
                or f.meta.get("identity") != station.identity or not isinstance(f.body, dict):
            continue
        tx = str(f.body.get("transactionInfo", {}).get("transactionId"))
        if "evse" in f.body:
            evse_of[tx] = f.body["evse"].get("id")
        if f.body.get("eventType") == "Ended":
            out.pop(tx, None)
        else:
            out[tx] = evse_of.get(tx)
    return out


def id_token(profile: Any, key: str = "valid_id_token") -> dict:
    return {"idToken": str(pixit(profile, key, "VGI-TOKEN-0001")), "type": str(pixit(profile, "id_token_type",
                                                                                     "ISO14443"))}


def tx_events(station: StationSession, start: int, tx_id: str | None = None) -> list[Frame]:
    out = calls(station, "TransactionEvent", start)
    if tx_id is not None:
        out = [f for f in out if f.body.get("transactionInfo", {}).get("transactionId") == tx_id]
    return out


# --- the reusable states --------------------------------------------------------------------------------------
def _connectors(profile: Any) -> list[int]:
    return list(range(1, int(pixit(profile, "connectors", 1)) + 1))


def _idle(station: StationSession, profile: Any) -> bool:
    """No open transaction and every connector reported Available. A connector not reported yet is not idle:
    on first contact the boot's own status reports would otherwise land inside the test and pass for the
    reports the test asks for (a triggered StatusNotification, say)."""
    statuses = last_statuses(station)
    return not open_transactions(station) and all(statuses.get((c, 1)) == "Available" for c in _connectors(profile))


def _settle(station: StationSession, profile: Any, wait: float) -> bool:
    """Wait (bounded) until the station is registered and idle."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if station.registration == "Accepted" and _idle(station, profile):
            return True
        time.sleep(0.05)
    return False


def answer_to(station: StationSession, request: Frame, timeout: float) -> Frame | None:
    """The CSMS's answer (CALLRESULT or CALLERROR) to a station CALL."""
    def pred(f: Frame) -> bool:
        return (f.direction is Direction.OUT and f.correlation == request.correlation
                and f.connection == request.connection and f.kind in ("CALLRESULT", "CALLERROR"))

    return station.csms.trace.wait_for(pred, request.index, timeout)


def reboot(station: StationSession, dut: Any, profile: Any) -> Frame:
    """Power-cycle the DUT and wait for its BootNotification (answered with the session's boot status)."""
    start = mark(station)
    dut.perform("reboot")
    wait = float(pixit(profile, "boot_timeout", 15))
    return require(station, "BootNotification", start, wait, r.BOOT_MISSING,
                   "the station did not boot after a power cycle")


def booted(station: StationSession, dut: Any, profile: Any) -> None:
    """Connected, boot Accepted in this power cycle, and idle: no transaction, every connector Available.

    Fast when already there. A leftover transaction or occupied connector (from an earlier test) is cleared
    by unplugging; an inoperative station is made operative; anything else costs a power cycle."""
    wait = float(pixit(profile, "message_wait", 5))
    if station.registration == "unknown":  # first contact: the station may be booting by itself right now
        _settle(station, profile, wait)
    if station.connected and station.registration == "Accepted" and _idle(station, profile):
        return
    if station.connected and station.registration == "Accepted":
        statuses = last_statuses(station)
        if any(s == "Unavailable" for s in statuses.values()):
            station.call("ChangeAvailability", {"operationalStatus": "Operative"})
        for c in _connectors(profile):
            if statuses.get((c, 1)) in ("Occupied", "Faulted") or open_transactions(station):
                dut.perform("clear_fault", connector=c)
                dut.perform("unplug", connector=c)
        if _settle(station, profile, wait):
            return
    boot = reboot(station, dut, profile)
    for c in _connectors(profile):  # the fresh reports, not the ones from before the power cycle
        require(station, "StatusNotification", boot.index, wait, r.STATUS_AFTER_BOOT,
                f"connector {c} was not reported after the boot", {"evseId": c, "connectorId": 1})
    _settle(station, profile, wait)
    if station.registration != "Accepted":
        station.fail(r.BOOT_MISSING, f"the station is not registered (last boot answer: {station.registration})")
    if not _idle(station, profile):
        station.fail(r.STATUS_AFTER_BOOT, f"after boot the connectors are not all Available: "
                     f"{last_statuses(station)}; open transactions: {list(open_transactions(station))}")


def authorized(station: StationSession, dut: Any, profile: Any) -> dict:
    """Booted, and a valid idToken presented at the tested connector and accepted by the CSMS."""
    booted(station, dut, profile)
    token = id_token(profile)
    connector = int(pixit(profile, "connector", 1))
    station.tokens[token["idToken"]] = "Accepted"
    start = mark(station)
    wait = float(pixit(profile, "message_wait", 5))
    dut.perform("present_token", id_token=token["idToken"], connector=connector)
    auth = wait_call(station, "Authorize", start, wait, {"idToken": {"idToken": token["idToken"]}})
    event = wait_call(station, "TransactionEvent", start, wait if auth is None else 1.0,
                      {"idToken": {"idToken": token["idToken"]}})
    if auth is None and event is None:
        station.fail(r.EXPECTED_MESSAGE, f"presenting {token['idToken']} produced neither Authorize nor a "
                     "TransactionEvent carrying the idToken")
    info: dict[str, Any] = {"token": token["idToken"], "id_token": token, "connector": connector, "evse": connector,
                            "start": start}
    if event is not None:
        info["transaction_id"] = event.body["transactionInfo"]["transactionId"]
    return info


def transaction(station: StationSession, dut: Any, profile: Any) -> dict:
    """Booted, EV plugged in, a valid token accepted, and the transaction in the Charging state."""
    booted(station, dut, profile)
    token = id_token(profile)
    connector = int(pixit(profile, "connector", 1))
    station.tokens[token["idToken"]] = "Accepted"
    wait = float(pixit(profile, "message_wait", 5))
    start = mark(station)
    dut.perform("plug_in", connector=connector)
    require(station, "StatusNotification", start, wait, r.STATUS_TRANSITION,
            "plugging in the EV was not reported as Occupied", {"evseId": connector, "connectorStatus": "Occupied"})
    dut.perform("present_token", id_token=token["idToken"], connector=connector)
    charging = require(station, "TransactionEvent", start, wait, r.EXPECTED_MESSAGE,
                       "the transaction did not reach the Charging state after plug-in and authorization",
                       lambda b: b["transactionInfo"].get("chargingState") == "Charging")
    tx_id = charging.body["transactionInfo"]["transactionId"]
    return {"token": token["idToken"], "id_token": token, "connector": connector, "evse": connector,
            "transaction_id": tx_id, "start": start}
