"""OCPP 2.0.1 reusable states (Booted, Authorized, EnergyTransferStarted) and the small waiting helpers the
2.0.1 suite shares. They speak only OCPP and the DUT adapter, so they work for any station, not only the
reference one.

The states establish a precondition; when the DUT cannot reach it they raise NonConformance with the rule
of the message that was missing, which the plugin reports as INCONCLUSIVE when it happens in a fixture.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any, Callable

from ..trace import Direction, Frame
from ..verdict import NotApplicable
from . import rules as r
from ..expect import matches
from .csms import StationSession


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
    """`wait_call`, failing with `rule` and `why` when the message does not come; the failure says what the
    station sent instead (e.g. the chargingState of every TransactionEvent that did come)."""
    frame = wait_call(station, action, start, timeout, match)
    if frame is None:
        station.fail(rule, f"{why} (no matching {action} within {timeout:g} s; {sent_instead(station, action, start)})")
    assert frame is not None
    return frame


def summary(frame: Frame) -> str:
    """The fields of a station message that a vendor needs to see why it did not match."""
    b = frame.body if isinstance(frame.body, dict) else {}
    if frame.name == "TransactionEvent":
        info = b.get("transactionInfo", {})
        parts = [b.get("eventType"), f"trigger={b.get('triggerReason')}", f"chargingState={info.get('chargingState')}"]
        if "idToken" in b:
            parts.append(f"idToken={b['idToken'].get('idToken')}")
        if "stoppedReason" in info:
            parts.append(f"stoppedReason={info['stoppedReason']}")
        return " ".join(str(p) for p in parts)
    if frame.name == "StatusNotification" or connector_states(frame):
        return "; ".join(f"EVSE {x['evseId']} connector {x['connectorId']} {x['connectorStatus']}"
                         for x in connector_states(frame))
    return ", ".join(f"{k}={v}" for k, v in list(b.items())[:4])


def sent_instead(station: StationSession, action: str, start: int) -> str:
    got = calls(station, action, start)
    if not got:
        others = sorted({f.name for f in station.frames(start) if f.direction is Direction.IN and f.kind == "CALL"})
        return f"it sent no {action} at all" + (f" (it sent {', '.join(others)})" if others else "")
    return f"it sent {len(got)} {action}: " + "; ".join(f"[{summary(f)}]" for f in got[-5:])


def expect_quiet(station: StationSession, action: str, start: int, within: float, why: str,
                 match: dict | Callable[[Any], bool] | None = None) -> None:
    """Fail with OCPP-FORBIDDEN-MESSAGE if the station sends `action` within `within` seconds after `start`."""
    frame = wait_call(station, action, start, within, match)
    if frame is not None:
        station.fail(r.FORBIDDEN_MESSAGE, f"{action} sent although {why}", frame)


# --- connector states: StatusNotification, or in 2.1 also NotifyEvent (Connector.AvailabilityState) ---------------
StatusMatch = dict | Callable[[dict], bool] | None


def status_actions(station: StationSession) -> tuple[str, ...]:
    """The messages that report a connector's state: StatusNotification; in 2.1 also NotifyEvent on the Connector
    component's AvailabilityState variable, the form 2.1 prefers (2.1 Part 0 §2, block G)."""
    return ("StatusNotification", "NotifyEvent") if station.version == "2.1" else ("StatusNotification",)


def connector_states(frame: Frame) -> list[dict]:
    """The connector states one message reports, each as {"evseId", "connectorId", "connectorStatus"} (the
    StatusNotification fields), so that a case matches either form the same way."""
    b = frame.body if isinstance(frame.body, dict) else {}
    if frame.name == "StatusNotification":
        return [{"evseId": b.get("evseId"), "connectorId": b.get("connectorId"),
                 "connectorStatus": b.get("connectorStatus")}]
    out = []
    if frame.name == "NotifyEvent":
        for e in b.get("eventData") or []:
            comp, var = e.get("component") or {}, e.get("variable") or {}
            if comp.get("name") == "Connector" and var.get("name") == "AvailabilityState":
                evse = comp.get("evse") or {}
                out.append({"evseId": evse.get("id"), "connectorId": evse.get("connectorId"),
                            "connectorStatus": e.get("actualValue")})
    return out


def _fits(report: dict, match: StatusMatch) -> bool:
    return match is None or (match(report) if callable(match) else matches(report, match))


def _status_frame(station: StationSession, f: Frame, actions: tuple[str, ...], match: StatusMatch) -> bool:
    return (f.direction is Direction.IN and f.kind == "CALL" and f.name in actions
            and f.meta.get("identity") == station.identity and any(_fits(x, match) for x in connector_states(f)))


def wait_status(station: StationSession, start: int, timeout: float, match: StatusMatch = None) -> Frame | None:
    """The first message after `start` reporting a connector state that fits `match` (a dict of StatusNotification
    fields, or a function of one report), in any form the station's version allows; None when none came."""
    actions = status_actions(station)
    return station.csms.trace.wait_for(lambda f: _status_frame(station, f, actions, match), start, timeout)


def status_reports(station: StationSession, start: int) -> list[dict]:
    """Every connector state reported after `start`, in order."""
    actions = status_actions(station)
    return [x for f in station.csms.trace.since(start) if _status_frame(station, f, actions, None)
            for x in connector_states(f)]


def require_status(station: StationSession, start: int, timeout: float, rule: str, why: str,
                   match: StatusMatch = None) -> Frame:
    """`wait_status`, failing with `rule` and `why` (and the states that were reported instead)."""
    frame = wait_status(station, start, timeout, match)
    if frame is None:
        got = status_reports(station, start)
        seen = "; ".join(f"EVSE {x['evseId']} connector {x['connectorId']} {x['connectorStatus']}" for x in got[-5:])
        station.fail(rule, f"{why} (no matching {' or '.join(status_actions(station))} within {timeout:g} s; "
                     + (f"it reported: {seen})" if got else "it reported no connector state at all)"))
    assert frame is not None
    return frame


def expect_no_status(station: StationSession, start: int, within: float, why: str, match: StatusMatch = None) -> None:
    """Fail with OCPP-FORBIDDEN-MESSAGE if the station reports a connector state fitting `match` within `within`."""
    frame = wait_status(station, start, within, match)
    if frame is not None:
        station.fail(r.FORBIDDEN_MESSAGE, f"{frame.name} reported a connector state although {why}", frame)


def status_of(frame: Frame, match: StatusMatch = None) -> str:
    """The state a status message reports (for the first connector that fits `match`)."""
    for x in connector_states(frame):
        if _fits(x, match):
            return str(x["connectorStatus"])
    return str((frame.body or {}).get("connectorStatus"))


def last_statuses(station: StationSession) -> dict[tuple[int, int], str]:
    """The last connectorStatus the station reported per (evseId, connectorId), over the whole trace."""
    out: dict[tuple[int, int], str] = {}
    actions = status_actions(station)
    for f in station.csms.trace:
        if _status_frame(station, f, actions, None):
            for x in connector_states(f):
                out[(x["evseId"], x["connectorId"])] = str(x["connectorStatus"])
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
    for tx in station.abandoned_tx:
        out.pop(tx, None)
    return out


def end_transactions(station: StationSession, profile: Any) -> list[str]:
    """Stop every open transaction remotely and wait (bounded) for its Ended event, so that it does not land in a
    later case. A transaction the station says is not ongoing (GetTransactionStatus), or refuses to stop, is given
    up: the trace has no Ended for it (e.g. lost in a power cycle). Returns what could not be done."""
    notes = []
    wait = float(pixit(profile, "message_wait", 5))
    for tx in list(open_transactions(station)):
        mark_ = mark(station)
        try:
            res = station.call("RequestStopTransaction", {"transactionId": tx})
        except AssertionError as exc:
            notes.append(f"RequestStopTransaction({tx}): {exc}")
            station.abandoned_tx.add(tx)
            continue
        if res.get("status") == "Accepted":
            if wait_call(station, "TransactionEvent", mark_, wait,
                         lambda b: b.get("eventType") == "Ended" and b["transactionInfo"]["transactionId"] == tx):
                continue
            notes.append(f"transaction {tx}: no Ended event within {wait:g} s of the remote stop")
        station.abandoned_tx.add(tx)
    return notes


def id_token(profile: Any, key: str = "valid_id_token") -> dict:
    return {"idToken": str(pixit(profile, key, "VGI-TOKEN-0001")), "type": str(pixit(profile, "id_token_type",
                                                                                     "ISO14443"))}


def tx_events(station: StationSession, start: int, tx_id: str | None = None) -> list[Frame]:
    out = calls(station, "TransactionEvent", start)
    if tx_id is not None:
        out = [f for f in out if f.body.get("transactionInfo", {}).get("transactionId") == tx_id]
    return out


# --- the device model: reports, variables a case depends on --------------------------------------------------
def collect_report(station: StationSession, request_id: int, start: int, wait: float, quiet: float) -> list[Frame]:
    """NotifyReport parts for `request_id` until one says tbc=false or the station goes quiet."""
    parts: list[Frame] = []
    pos = start
    while True:
        frame = wait_call(station, "NotifyReport", pos, wait if not parts else quiet, {"requestId": request_id})
        if frame is None:
            break
        parts.append(frame)
        pos = frame.index + 1
        if not frame.body.get("tbc", False):
            break
    if not parts:
        station.fail(r.EXPECTED_MESSAGE, f"no NotifyReport for requestId {request_id}")
    seq = [p.body.get("seqNo") for p in parts]
    station.check(seq == list(range(len(parts))), r.STATION_RESPONSE,
                  f"NotifyReport seqNo {seq}; expected consecutive numbers from 0", parts[0])
    station.check(not parts[-1].body.get("tbc", False), r.STATION_RESPONSE,
                  "the last NotifyReport part still says tbc=true (more to come)", parts[-1])
    return parts


def report_entries(parts: list[Frame]) -> list[dict]:
    return [e for p in parts for e in p.body.get("reportData", [])]


def base_report(station: StationSession, base: str, wait: float, quiet: float) -> list[dict]:
    """GetBaseReport(`base`) and the reportData of every NotifyReport part it produced."""
    import random
    rid = random.randint(1, 1_000_000)
    start = mark(station)
    res = station.call("GetBaseReport", {"requestId": rid, "reportBase": base})
    station.check(res["status"] == "Accepted", r.STATION_RESPONSE, f"GetBaseReport {base}: {res['status']}")
    return report_entries(collect_report(station, rid, start, wait, quiet))


def variable(component: str, name: str) -> dict:
    return {"component": {"name": component}, "variable": {"name": name}}


def get_value(station: StationSession, component: str, name: str) -> str | None:
    res = station.call("GetVariables", {"getVariableData": [variable(component, name)]})["getVariableResult"][0]
    return res.get("attributeValue") if res.get("attributeStatus") == "Accepted" else None


@contextlib.contextmanager
def tx_points(station: StationSession, *, start: str | None = None, stop: str | None = None,
              exact: bool = False) -> Iterator[None]:
    """A case that depends on when the station starts or stops a transaction (TxCtrlr.TxStartPoint/TxStopPoint,
    the station's choice) makes sure the point it needs is in the list first, and restores the list after. A
    station that refuses the point makes the case NOT_APPLICABLE: it does not start (stop) transactions there.
    `exact`: the point must be the only one (a case that tells it apart from the others, e.g. PowerPathClosed from
    EVConnected)."""
    from ..case import preamble
    old: dict[str, str | None] = {}
    with preamble(f"TxCtrlr {'TxStartPoint with ' + start if start else ''}"
                  f"{' and ' if start and stop else ''}{'TxStopPoint with ' + stop if stop else ''}"):
        for name, point in (("TxStartPoint", start), ("TxStopPoint", stop)):
            if point is None:
                continue
            value = get_value(station, "TxCtrlr", name) or ""
            have = [p.strip() for p in value.split(",") if p.strip()]
            if (have == [point]) if exact else (point in have):
                continue
            res = station.call("SetVariables", {"setVariableData": [{**variable("TxCtrlr", name),
                                                                     "attributeValue": point}]})
            status = res["setVariableResult"][0]["attributeStatus"]
            if status != "Accepted":
                _restore(station, old)
                raise NotApplicable(f"NOT_APPLICABLE: the station does not take TxCtrlr.{name} = {point} (SetVariables "
                                  f"answered {status}); this case needs a transaction that "
                                  f"{'starts' if name == 'TxStartPoint' else 'stops'} at {point}")
            old[name] = value
    try:
        yield
    finally:
        _restore(station, old)


def _restore(station: StationSession, old: dict[str, str | None]) -> None:
    for name, value in old.items():
        if value and station.connected:
            station.call("SetVariables", {"setVariableData": [{**variable("TxCtrlr", name), "attributeValue": value}]})


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

    Fast when already there. A leftover transaction is stopped remotely, an occupied connector unplugged and a
    faulted one cleared (each only if the adapter can), an inoperative station made operative; anything else costs
    a power cycle."""
    wait = float(pixit(profile, "message_wait", 5))
    if station.registration == "unknown":  # first contact: the station may be booting by itself right now
        _settle(station, profile, wait)
    if station.connected and station.registration == "Accepted" and _idle(station, profile):
        return
    if station.connected and station.registration == "Accepted":
        end_transactions(station, profile)
        statuses = last_statuses(station)
        if any(st == "Unavailable" for st in statuses.values()):
            station.call("ChangeAvailability", {"operationalStatus": "Operative"})
        for c in _connectors(profile):
            if statuses.get((c, 1)) == "Faulted" and dut.supports("clear_fault"):
                dut.perform("clear_fault", connector=c)
            if statuses.get((c, 1)) == "Occupied" and dut.supports("unplug"):
                dut.perform("unplug", connector=c)
        if _settle(station, profile, wait):
            from .states_v16 import quiet  # what the clean-up causes must not land in the body
            quiet(station, float(pixit(profile, "quiet_after_cleanup", 0.5)), wait)
            return
    boot = reboot(station, dut, profile)
    for c in _connectors(profile):  # the fresh reports, not the ones from before the power cycle
        require_status(station, boot.index, wait, r.STATUS_AFTER_BOOT, f"connector {c} was not reported after the "
                       "boot", {"evseId": c, "connectorId": 1})
    if not _settle(station, profile, wait) and station.registration == "Accepted":
        end_transactions(station, profile)  # transactions from before the power cycle the station never ended
        _settle(station, profile, wait)
    if station.registration != "Accepted":
        station.fail(r.BOOT_MISSING, f"the station is not registered (last boot answer: {station.registration})")
    if not _idle(station, profile):
        statuses = last_statuses(station)
        busy = {f"EVSE {e} connector {c}": st for (e, c), st in statuses.items() if st != "Available"}
        station.fail(r.STATUS_AFTER_BOOT, "after a power cycle the station is not idle: "
                     + ("; ".join(f"{k} is {v}" for k, v in busy.items()) or "every connector is Available")
                     + (f"; transactions still open: {', '.join(open_transactions(station))}"
                        if open_transactions(station) else ""))


def to_idle(station: StationSession, dut: Any, profile: Any) -> list[str]:
    """Postamble: stop open transactions (waiting for their Ended event), unplug occupied connectors (if the adapter
    can) and wait for Available, then for a quiet link; bounded. Returns what could not be done."""
    from .states_v16 import quiet
    wait = float(pixit(profile, "message_wait", 5))
    start = mark(station)
    notes = end_transactions(station, profile)
    for c in _connectors(profile):
        if last_statuses(station).get((c, 1)) == "Occupied" and dut.supports("unplug"):
            dut.perform("unplug", connector=c)
    if mark(station) > start or not _idle(station, profile):
        if not _settle(station, profile, wait):
            notes.append(f"not idle after the clean-up: {last_statuses(station)}")
        quiet(station, float(pixit(profile, "quiet_after_cleanup", 0.5)), wait)
    return notes


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
    require_status(station, start, wait, r.STATUS_TRANSITION, "plugging in the EV was not reported as Occupied",
                   {"evseId": connector, "connectorStatus": "Occupied"})
    dut.perform("present_token", id_token=token["idToken"], connector=connector)
    charging = require(station, "TransactionEvent", start, wait, r.EXPECTED_MESSAGE,
                       "the transaction did not reach the Charging state after plug-in and authorization",
                       lambda b: b["transactionInfo"].get("chargingState") == "Charging")
    tx_id = charging.body["transactionInfo"]["transactionId"]
    return {"token": token["idToken"], "id_token": token, "connector": connector, "evse": connector,
            "transaction_id": tx_id, "start": start}


@contextlib.contextmanager
def configured(station: StationSession, settings: dict[tuple[str, str], str], why: str,
               optional: tuple[tuple[str, str], ...] = ()) -> Iterator[None]:
    """A case that needs device-model variables at given values (AuthCtrlr.LocalPreAuthorize, say) sets them
    first and restores the old values after. A variable the station does not have, or will not take the value for,
    makes the case NOT_APPLICABLE (`why` says what the case needs it for) — except an `optional` one, which the
    case sets only "if implemented": a station without it runs the case as it is."""
    from ..case import preamble
    old: dict[tuple[str, str], str] = {}
    try:
        with preamble(f"{', '.join(f'{c}.{n} = {v}' for (c, n), v in settings.items())}"):
            for (component, name), value in settings.items():
                res = station.call("GetVariables", {"getVariableData": [variable(component, name)]})
                got = res["getVariableResult"][0]
                if got.get("attributeStatus") != "Accepted" and (component, name) in optional:
                    continue
                if got.get("attributeStatus") != "Accepted":
                    raise NotApplicable(f"NOT_APPLICABLE: the station has no {component}.{name} (GetVariables answered "
                                        f"{got.get('attributeStatus')}); {why}")
                if got.get("attributeValue") == value:
                    continue
                res = station.call("SetVariables", {"setVariableData": [{**variable(component, name),
                                                                         "attributeValue": value}]})
                status = res["setVariableResult"][0]["attributeStatus"]
                if status != "Accepted":
                    raise NotApplicable(f"NOT_APPLICABLE: the station does not take {component}.{name} = {value} "
                                        f"(SetVariables answered {status}); {why}")
                old[(component, name)] = str(got.get("attributeValue", ""))
        yield
    finally:
        for (component, name), value in old.items():
            if station.connected:
                station.call("SetVariables", {"setVariableData": [{**variable(component, name),
                                                                   "attributeValue": value}]})


def token_groups(station: StationSession, groups: dict[str, str]) -> None:
    """The fake CSMS answers about the tokens in `groups` with their group (idTokenInfo.groupIdToken), in
    AuthorizeResponse and TransactionEventResponse alike, for the rest of the case (group ids, master pass: C09,
    C16); the status stays `station.tokens`'."""
    from .handlers import V2X

    def info(token: str | None) -> dict:
        out: dict[str, Any] = {"status": station.token_status(token)}
        if token in groups:
            out["groupIdToken"] = {"idToken": groups[str(token)], "type": "Central"}
        return out

    def tx_event(p: dict) -> dict:
        res = V2X["TransactionEvent"](station, p)
        if "idToken" in p:
            res["idTokenInfo"] = info(p["idToken"].get("idToken"))
        return res

    station.override("Authorize", lambda p: {"idTokenInfo": info(p.get("idToken", {}).get("idToken"))})
    station.override("TransactionEvent", tx_event)


def second_token(profile: Any) -> str:
    """PIXIT second_id_token: a token other than valid_id_token; a case that needs one is NOT_APPLICABLE without."""
    value = pixit(profile, "second_id_token", None)
    if not value:
        raise NotApplicable("NOT_APPLICABLE: the case presents a second idToken: set PIXIT second_id_token")
    return str(value)
