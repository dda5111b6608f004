"""OCPP 1.6 reusable states (Booted, Authorized, transaction running) and the trace helpers they share
with the 1.6 suite.

The states only use what a real charger offers: the DUT adapter's physical actions and OCPP requests. They
read the station's current state from the trace (its last StatusNotification per connector), so a state that
already holds costs no traffic at all.
"""

from __future__ import annotations

import time
from typing import Any

from ..trace import Direction, Frame
from ..verdict import Inconclusive

IDLE = "Available"
BUSY = ("Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Finishing")


# --- trace helpers ------------------------------------------------------------------------------------------
def wait_s(profile: Any, key: str = "message_wait", default: float = 5.0) -> float:
    return float(profile.param(key, default))


def connector(profile: Any) -> int:
    return int(profile.param("connector", 1))


def last_status(station: Any, conn: int) -> str | None:
    """The status the station last reported for `conn` (over the whole session), or None."""
    for f in reversed(list(station.csms.trace.since(0))):
        if f.meta.get("identity") == station.identity and f.direction is Direction.IN and f.kind == "CALL" \
                and f.name == "StatusNotification" and isinstance(f.body, dict) and f.body.get("connectorId") == conn:
            return f.body.get("status")
    return None


def wait_status(station: Any, conn: int, wanted: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if last_status(station, conn) == wanted:
            return True
        time.sleep(0.05)
    return last_status(station, conn) == wanted


def answer_to(station: Any, request: Frame, timeout: float = 5.0) -> Frame | None:
    """The fake CSMS's answer to a station CALL (to read e.g. the transactionId it granted)."""
    def pred(f: Frame) -> bool:
        return f.direction is Direction.OUT and f.connection == request.connection and \
            f.correlation == request.correlation and f.kind in ("CALLRESULT", "CALLERROR")
    return station.csms.trace.wait_for(pred, request.index, timeout)


def transaction_id(station: Any, start_frame: Frame, timeout: float = 5.0) -> int:
    ans = answer_to(station, start_frame, timeout)
    if ans is None or not isinstance(ans.body, dict) or "transactionId" not in ans.body:
        raise Inconclusive("the fake CSMS did not answer StartTransaction with a transactionId")
    return int(ans.body["transactionId"])


def calls(station: Any, action: str, since: int, match: dict | None = None) -> list[Frame]:
    """Every `action` CALL the station sent since trace index `since`."""
    from ..expect import matches
    return [f for f in station.csms.trace.since(since) if f.meta.get("identity") == station.identity
            and f.direction is Direction.IN and f.kind == "CALL" and f.name == action
            and (match is None or matches(f.body, match))]


def reboot(station: Any, dut: Any, profile: Any) -> Frame:
    """Power-cycle the DUT and wait for its BootNotification and connector states; returns the boot frame."""
    station.cursor = len(station.csms.trace)
    dut.perform("reboot")
    station.wait_connected(wait_s(profile, "connect_timeout", 10))
    boot = station.expect("BootNotification", wait_s(profile, "boot_timeout", 8))
    for c in range(1, int(profile.param("connectors", 1)) + 1):
        station.expect("StatusNotification", wait_s(profile), match={"connectorId": c})
    return boot


def open_transactions(station: Any) -> dict[str, int | None]:
    """Transactions the station started (the CSMS granted an id) and has not stopped, with their connector, read
    from the trace; those the harness gave up on (`station.abandoned_tx`) are left out."""
    out: dict[str, int | None] = {}
    starts: dict[tuple[str, str | None], Frame] = {}
    for f in station.csms.trace:
        if f.meta.get("identity") != station.identity or not isinstance(f.body, dict):
            continue
        if f.direction is Direction.IN and f.kind == "CALL" and f.name == "StartTransaction":
            starts[(f.connection, f.correlation)] = f
        elif f.direction is Direction.OUT and f.kind == "CALLRESULT" and f.name == "StartTransaction":
            start = starts.get((f.connection, f.correlation))
            if "transactionId" in f.body:
                out[str(f.body["transactionId"])] = start.body.get("connectorId") if start else None
        elif f.direction is Direction.IN and f.kind == "CALL" and f.name == "StopTransaction":
            out.pop(str(f.body.get("transactionId")), None)
    for tx in getattr(station, "abandoned_tx", ()):
        out.pop(tx, None)
    return out


def end_transactions(station: Any, profile: Any) -> list[str]:
    """Stop every open transaction remotely and wait (bounded) for its StopTransaction, so that it does not land in
    a later case. A transaction the station refuses to stop (it does not know it any more, e.g. after a power
    loss) is given up. Returns what could not be done, for the record."""
    notes = []
    for tx in list(open_transactions(station)):
        mark = len(station.csms.trace)
        try:
            res = station.call("RemoteStopTransaction", {"transactionId": int(tx)})
        except (AssertionError, ValueError) as exc:
            notes.append(f"RemoteStopTransaction({tx}): {exc}")
            station.abandoned_tx.add(tx)
            continue
        if res.get("status") != "Accepted":
            station.abandoned_tx.add(tx)  # the station does not know it: nothing will stop it
            continue
        if not calls_wait(station, "StopTransaction", mark, wait_s(profile), {"transactionId": int(tx)}):
            notes.append(f"transaction {tx}: no StopTransaction within {wait_s(profile):g} s of the remote stop")
            station.abandoned_tx.add(tx)
    return notes


def calls_wait(station: Any, action: str, since: int, timeout: float, match: dict | None = None) -> Frame | None:
    from ..expect import matches

    def pred(f: Frame) -> bool:
        return (f.meta.get("identity") == station.identity and f.direction is Direction.IN and f.kind == "CALL"
                and f.name == action and (match is None or matches(f.body, match)))
    return station.csms.trace.wait_for(pred, since, timeout)


# --- reusable states ----------------------------------------------------------------------------------------
def booted(station: Any, dut: Any, profile: Any) -> None:
    """Connected, registration Accepted in this power cycle, no transaction, every connector idle (Available)."""
    station.wait_connected(wait_s(profile, "connect_timeout", 10))
    if station.registration != "Accepted":  # maybe still booting (just connected, or Pending): give it time
        deadline = time.monotonic() + wait_s(profile, "boot_timeout", 8)
        while station.registration != "Accepted" and time.monotonic() < deadline:
            time.sleep(0.05)
    if station.registration != "Accepted":
        reboot(station, dut, profile)
    before = len(station.csms.trace)
    end_transactions(station, profile)
    if len(station.csms.trace) > before:  # what the stop causes (a StatusNotification) must not land in the body
        quiet(station, float(profile.param("quiet_after_cleanup", 0.5)), wait_s(profile))
    n = int(profile.param("connectors", 1))
    for c in range(1, n + 1):
        status = last_status(station, c)
        if status == IDLE:
            continue
        if status in BUSY and dut.supports("unplug"):
            dut.perform("unplug", connector=c)
            if wait_status(station, c, IDLE, wait_s(profile, "connection_timeout", 4) + 2):
                continue
        if status == "Faulted" and dut.supports("clear_fault"):
            dut.perform("clear_fault", connector=c)
        if status == "Unavailable":
            station.call("ChangeAvailability", {"connectorId": c, "type": "Operative"})
        if not wait_status(station, c, IDLE, wait_s(profile)):
            reboot(station, dut, profile)
            if last_status(station, c) != IDLE:
                raise Inconclusive(f"connector {c} is {last_status(station, c)}, not idle, even after a reboot")
    station.cursor = len(station.csms.trace)


def to_idle(station: Any, dut: Any, profile: Any) -> list[str]:
    """Postamble: stop open transactions (waiting for their StopTransaction), unplug busy connectors (if the adapter
    can) and wait for Available, then for a quiet link; bounded. Returns what could not be done."""
    mark = len(station.csms.trace)
    notes = end_transactions(station, profile)
    for c in range(1, int(profile.param("connectors", 1)) + 1):
        if last_status(station, c) in BUSY and dut.supports("unplug"):
            dut.perform("unplug", connector=c)
            if not wait_status(station, c, IDLE, wait_s(profile, "connection_timeout", 4) + 2):
                notes.append(f"connector {c} is {last_status(station, c)} after the unplug")
    if len(station.csms.trace) > mark:
        quiet(station, float(profile.param("quiet_after_cleanup", 0.5)), wait_s(profile))
    return notes


def quiet(station: Any, gap: float, limit: float) -> None:
    """Wait until the station has sent nothing for `gap` seconds (at most `limit`): late messages of the clean-up
    (a StatusNotification, a last MeterValues) arrive now, not in the next case."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        last = next((f for f in reversed(list(station.csms.trace)) if f.meta.get("identity") == station.identity
                     and f.direction is Direction.IN), None)
        if last is None or time.monotonic_ns() - last.t_ns >= gap * 1e9:
            return
        time.sleep(0.05)


def authorized(station: Any, dut: Any, profile: Any) -> dict:
    """Booted, and a valid idTag presented (no cable yet) and accepted."""
    booted(station, dut, profile)
    token, c = str(profile.param("valid_id_token", "VGI-TAG-0001")), connector(profile)
    station.tokens[token] = "Accepted"
    dut.perform("present_token", id_token=token, connector=c)
    station.expect("Authorize", wait_s(profile), match={"idTag": token})
    station.expect("StatusNotification", wait_s(profile), match={"connectorId": c, "status": "Preparing"})
    return {"token": token, "connector": c}


def transaction(station: Any, dut: Any, profile: Any) -> dict:
    """Booted, EV plugged in, a valid idTag accepted and the transaction running (Charging)."""
    booted(station, dut, profile)
    token, c = str(profile.param("valid_id_token", "VGI-TAG-0001")), connector(profile)
    station.tokens[token] = "Accepted"
    dut.perform("plug_in", connector=c)
    station.expect("StatusNotification", wait_s(profile), match={"connectorId": c, "status": "Preparing"})
    mark = len(station.csms.trace)
    dut.perform("present_token", id_token=token, connector=c)
    start = station.expect("StartTransaction", wait_s(profile), match={"connectorId": c, "idTag": token})
    tx = transaction_id(station, start)
    station.expect("StatusNotification", wait_s(profile), match={"connectorId": c, "status": "Charging"},
                   since=mark)  # OCPP 1.6 does not order it against StartTransaction
    return {"token": token, "connector": c, "transaction_id": tx, "start": start}
