"""Rules checked over a test's whole trace after it ran: timing (heartbeat cadence, boot retry interval)
and message sizes. Real-time rules (framing, RPC state, schema) are checked by the fake CSMS per frame."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable

from ..budgets import Budgets
from ..findings import Finding
from ..trace import Direction, Frame
from . import rules as r


def heartbeat_tolerance(budgets: Budgets, interval: float) -> float:
    """The tolerance of the heartbeat watch for `interval` (schemas/budgets/ocpp.toml, timing.heartbeat_gap): it
    scales with the interval and never exceeds the general tolerance."""
    general = budgets.timing("ocpp", "tolerance").value_s or 0.0
    extra = budgets.timing("ocpp", "heartbeat_gap").extra
    return min(general, max(float(extra.get("tolerance_min_s", 0.5)),
                            float(extra.get("tolerance_fraction", 0.25)) * interval))


def run_all(frames: list[Frame], budgets: Budgets, *, test_end_ns: int, heartbeat_interval: float | None = None,
            known_transactions: set[str] | None = None) -> list[Finding]:
    tol = budgets.timing("ocpp", "tolerance").value_s or 0.0
    out = heartbeat_gaps(frames, lambda interval: heartbeat_tolerance(budgets, interval), test_end_ns,
                         heartbeat_interval)
    out += boot_retries(frames, tol)
    out += transaction_ids_16(frames, known_transactions or set())
    out += transaction_events_2x(frames)
    out += meter_order(frames)
    return out


def _results_by_request(frames: list[Frame]) -> dict[int, Frame]:
    """Request frame index -> the CSMS's CALLRESULT for it (station CALLs only)."""
    calls = {(f.connection, f.correlation): f for f in frames if f.kind == "CALL" and f.direction is Direction.IN}
    out = {}
    for f in frames:
        if f.kind == "CALLRESULT" and f.direction is Direction.OUT:
            req = calls.get((f.connection, f.correlation))
            if req is not None:
                out[req.index] = f
    return out


def transaction_ids_16(frames: list[Frame], known: set[str]) -> list[Finding]:
    """1.6: MeterValues and StopTransaction must carry a transactionId the CSMS assigned."""
    findings: list[Finding] = []
    assigned = set(known)
    results = _results_by_request(frames)
    for f in frames:
        if f.version != "1.6" or f.direction is not Direction.IN or f.kind != "CALL" or not isinstance(f.body, dict):
            continue
        if f.name == "StartTransaction":
            res = results.get(f.index)
            if res is not None and isinstance(res.body, dict) and "transactionId" in res.body:
                assigned.add(str(res.body["transactionId"]))
        elif f.name in ("MeterValues", "StopTransaction") and "transactionId" in f.body:
            tx = str(f.body["transactionId"])
            if tx not in assigned:
                findings.append(Finding.of(r.TX_ID, f"{f.name} refers to transactionId {tx}, which the CSMS never "
                                           f"assigned (assigned: {', '.join(sorted(assigned)) or 'none'})", f.index))
    return findings


def transaction_events_2x(frames: list[Frame]) -> list[Finding]:
    """2.0.1/2.1: per transaction, seqNo counts up by one, Started comes first and nothing follows Ended. An event
    sent again (same seqNo, type and timestamp: the retry of one the CSMS did not take, E13) is the same event."""
    findings: list[Finding] = []
    last_seq: dict[str, int] = {}
    state: dict[str, str] = {}
    seen: set[tuple] = set()
    for f in frames:
        if f.version == "1.6" or f.direction is not Direction.IN or f.kind != "CALL" or f.name != "TransactionEvent" \
                or not isinstance(f.body, dict):
            continue
        tx = str(f.body.get("transactionInfo", {}).get("transactionId"))
        seq, event = f.body.get("seqNo"), f.body.get("eventType")
        key = (tx, seq, event, f.body.get("timestamp"))
        if key in seen:
            continue
        seen.add(key)
        if isinstance(seq, int) and tx in last_seq and seq != last_seq[tx] + 1 and not f.body.get("offline"):
            findings.append(Finding.of(r.TX_SEQNO, f"TransactionEvent {event} of {tx} has seqNo {seq}; expected "
                                       f"{last_seq[tx] + 1}", f.index))
        if isinstance(seq, int):
            last_seq[tx] = seq
        prev = state.get(tx)
        if event == "Started" and prev is not None:
            findings.append(Finding.of(r.TX_EVENT_ORDER, f"second Started event for transaction {tx}", f.index))
        elif event in ("Updated", "Ended") and prev == "Ended":
            findings.append(Finding.of(r.TX_EVENT_ORDER, f"{event} event after Ended for transaction {tx}", f.index))
        state[tx] = event
    return findings


def _samples(body: dict) -> list[tuple[str, float | None, str]]:
    """(timestamp, energy register Wh or None, context) for each meterValue element of a 1.6 or 2.x message."""
    out = []
    for mv in body.get("meterValue", []) or []:
        energy = None
        ctx = ""
        for sv in mv.get("sampledValue", []) or []:
            meas = sv.get("measurand", "Energy.Active.Import.Register")
            ctx = sv.get("context", ctx)
            if meas == "Energy.Active.Import.Register" and sv.get("phase") is None:
                try:
                    value = float(sv.get("value"))
                except (TypeError, ValueError):
                    continue
                unit = sv.get("unit") or (sv.get("unitOfMeasure") or {}).get("unit") or "Wh"
                energy = value * 1000 if unit == "kWh" else value
        out.append((str(mv.get("timestamp", "")), energy, ctx))
    return out


def meter_order(frames: list[Frame]) -> list[Finding]:
    """Within a transaction (or connector), meter timestamps never go back and the energy register never drops."""
    findings: list[Finding] = []
    last: dict[str, tuple[str, float | None]] = {}
    for f in frames:
        if f.direction is not Direction.IN or f.kind != "CALL" or not isinstance(f.body, dict):
            continue
        if f.name == "MeterValues":
            key = str(f.body.get("transactionId") or f"evse{f.body.get('connectorId', f.body.get('evseId'))}")
        elif f.name == "TransactionEvent":
            key = str(f.body.get("transactionInfo", {}).get("transactionId"))
        else:
            continue
        samples = _samples(f.body)
        if f.name == "TransactionEvent" and f.body.get("eventType") == "Ended":
            # the Ended event's TxEnded readings (SampledDataCtrlr/AlignedDataCtrlr.TxEndedInterval, 2.0.1 J01/J02)
            # are the history of the whole transaction, older than its Updated events: in order among themselves
            history = [x for x in samples if x[1] is not None and x[2] in ("Sample.Clock", "Sample.Periodic")]
            findings += meter_order_within(history, f)
            samples = [x for x in samples if x not in history]
        for ts, energy, ctx in samples:
            prev = last.get(key)
            if prev is not None:
                if ts and prev[0] and ts < prev[0]:
                    findings.append(Finding.of(r.METER_ORDER, f"{f.name} sample at {ts} is earlier than the previous "
                                               f"sample at {prev[0]}", f.index))
                if energy is not None and prev[1] is not None and energy < prev[1]:
                    findings.append(Finding.of(r.METER_ORDER, f"energy register fell from {prev[1]:g} Wh to "
                                               f"{energy:g} Wh", f.index))
            last[key] = (ts or (prev[0] if prev else ""), energy if energy is not None else (prev[1] if prev else None))
    return findings


def meter_order_within(samples: list[tuple[str, float | None, str]], f: Frame) -> list[Finding]:
    """The readings of one message never go back in time and their energy register never drops."""
    findings: list[Finding] = []
    for (t0, e0, _), (t1, e1, _) in zip(samples, samples[1:]):
        if t0 and t1 and t1 < t0:
            findings.append(Finding.of(r.METER_ORDER, f"{f.name} sample at {t1} is earlier than the previous sample "
                                       f"at {t0} in the same message", f.index))
        if e0 is not None and e1 is not None and e1 < e0:
            findings.append(Finding.of(r.METER_ORDER, f"energy register fell from {e0:g} Wh to {e1:g} Wh within one "
                                       "message", f.index))
    return findings


def _interval_updates(frames: list[Frame]) -> list[tuple[int, float]]:
    """(t_ns, interval_s) each time the heartbeat interval took effect: boot Accepted, or a configuration change."""
    out: list[tuple[int, float]] = []
    requests = {f.correlation: f for f in frames if f.kind == "CALL"}
    for f in frames:
        if f.kind != "CALLRESULT" or not isinstance(f.body, dict):
            continue
        req = requests.get(f.correlation)
        if req is None:
            continue
        if req.name == "BootNotification" and f.direction is Direction.OUT and f.body.get("status") == "Accepted":
            out.append((f.t_ns, float(f.body.get("interval", 0))))
        elif req.name == "ChangeConfiguration" and f.direction is Direction.IN and f.body.get("status") == "Accepted" \
                and isinstance(req.body, dict) and req.body.get("key") == "HeartbeatInterval":
            try:
                out.append((f.t_ns, float(req.body.get("value"))))
            except (TypeError, ValueError):
                pass
        elif req.name == "SetVariables" and f.direction is Direction.IN and isinstance(req.body, dict):
            for item, res in zip(req.body.get("setVariableData", []), f.body.get("setVariableResult", [])):
                if item.get("variable", {}).get("name") == "HeartbeatInterval" and res.get("attributeStatus") == \
                        "Accepted":
                    try:
                        out.append((f.t_ns, float(item.get("attributeValue"))))
                    except (TypeError, ValueError):
                        pass
    return out


def heartbeat_gaps(frames: list[Frame], tolerance: float | Callable[[float], float], test_end_ns: int,
                   initial_interval: float | None = None) -> list[Finding]:
    """No idle gap longer than the heartbeat interval + tolerance while connected and registered.

    HeartbeatInterval is an inactivity interval: any OCPP exchange resets it, so the rule is about gaps in
    traffic, not about one Heartbeat every N seconds. Heartbeats much more often than the interval are a
    SHOULD-level finding (OCPP-HEARTBEAT-EARLY). `tolerance` is a number or a function of the interval. Silence
    after a station CALL whose answer the fake CSMS withholds on purpose (meta "withheld": a case that leaves it
    unanswered or delays it) is not idleness: the station may send nothing while it waits, for as long as its own
    timeout, which the harness does not know; the cases that withhold answers judge that timing themselves."""
    tol_of: Callable[[float], float] = tolerance if callable(tolerance) else (lambda _i: float(tolerance))
    answered = {(f.connection, f.correlation): f.t_ns for f in frames
                if f.direction is Direction.OUT and f.kind in ("CALLRESULT", "CALLERROR")}

    def waiting(last: Frame, t_ns: int) -> bool:
        """`last` is a station CALL whose answer the CSMS was still withholding at `t_ns`."""
        if last.direction is not Direction.IN or last.kind != "CALL" or not last.meta.get("withheld"):
            return False
        return answered.get((last.connection, last.correlation), t_ns + 1) > t_ns

    findings: list[Finding] = []
    by_conn: dict[str, list[Frame]] = defaultdict(list)
    for f in frames:
        by_conn[f.connection].append(f)
    updates = _interval_updates(frames)
    for conn, fs in by_conn.items():
        interval = initial_interval
        registered = initial_interval is not None
        pending = list(updates)
        last: Frame | None = None
        last_hb: Frame | None = None
        closed = False
        for f in fs:
            while pending and pending[0][0] <= f.t_ns:
                interval, registered = pending.pop(0)[1], True
            if f.kind == "CLOSE":
                closed = True
                break
            if f.kind == "OPEN":
                registered, last = False, f
                continue
            late = interval and f.t_ns - last.t_ns > (interval + tol_of(interval)) * 1e9 \
                and not waiting(last, f.t_ns) if last is not None else False
            if last is not None and registered and late:
                gap = (f.t_ns - last.t_ns) / 1e9
                findings.append(Finding.of(r.HEARTBEAT_GAP, f"no OCPP traffic for {gap:.2f} s (interval {interval:g} s"
                                           f" + tolerance {tol_of(interval):g} s)", f.index, gap_s=round(gap, 3)))
            if f.direction is Direction.IN and f.kind == "CALL" and f.name == "Heartbeat":
                if last_hb is not None and interval and last is not None and last.correlation == last_hb.correlation \
                        and f.t_ns - last_hb.t_ns < (interval / 2 - tol_of(interval)) * 1e9:
                    findings.append(Finding.of(r.HEARTBEAT_EARLY, f"Heartbeat after {(f.t_ns - last_hb.t_ns) / 1e9:.2f}"
                                               f" s of silence; the interval is {interval:g} s", f.index))
                last_hb = f
            if f.kind in ("CALL", "CALLRESULT", "CALLERROR"):
                last = f
        if not closed and last is not None and registered and interval and not waiting(last, test_end_ns) and \
                test_end_ns - last.t_ns > (interval + tol_of(interval)) * 1e9:
            gap = (test_end_ns - last.t_ns) / 1e9
            findings.append(Finding.of(r.HEARTBEAT_GAP, f"no OCPP traffic for {gap:.2f} s up to the end of the test "
                                       f"(interval {interval:g} s + tolerance {tol_of(interval):g} s)", last.index,
                                       gap_s=round(gap, 3)))
    return findings


def boot_retries(frames: list[Frame], tolerance: float) -> list[Finding]:
    """After a Pending/Rejected answer, the next BootNotification waits at least `interval` (unless triggered)."""
    findings: list[Finding] = []
    not_before: dict[str, tuple[int, float]] = {}  # identity -> (earliest t_ns, interval)
    for f in frames:
        ident = f.meta.get("identity", "")
        if f.direction is Direction.OUT and f.kind == "CALL" and f.name == "TriggerMessage":
            not_before.pop(ident, None)
        if f.direction is Direction.OUT and f.kind == "CALLRESULT" and f.name == "BootNotification" \
                and isinstance(f.body, dict) and f.body.get("status") in ("Pending", "Rejected"):
            interval = float(f.body.get("interval", 0) or 0)
            if interval > 0:
                not_before[ident] = (f.t_ns + int((interval - tolerance) * 1e9), interval)
        if f.direction is Direction.IN and f.kind == "CALL" and f.name == "BootNotification" and ident in not_before:
            earliest, interval = not_before.pop(ident)
            if f.t_ns < earliest:
                findings.append(Finding.of(r.BOOT_RETRY_EARLY, f"BootNotification repeated "
                                           f"{(f.t_ns - earliest) / 1e9 + interval - tolerance:.2f} s after a "
                                           f"{interval:g} s retry interval", f.index))
    return findings


def size_table(frames: list[Frame], budgets: Budgets, extra: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """Per message type and direction: count, largest wire size, and its budget where one exists."""
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for f in frames:
        if f.is_event or f.kind in ("REJECT",):
            continue
        name = f.name or f.kind
        key = (f.protocol, name + ("" if f.kind in ("CALL", "SEND") else f".{f.kind}"), f.direction.value)
        row = rows.setdefault(key, {"protocol": f.protocol, "message": key[1], "direction": f.direction.value,
                                    "count": 0, "max_bytes": 0, "frame": f.index})
        row["count"] += 1
        if f.size > row["max_bytes"]:
            row["max_bytes"], row["frame"] = f.size, f.index
    out = []
    for row in rows.values():
        b = budgets.size_for(row["protocol"], row["message"].split(".")[0])
        limit = (extra or {}).get(row["message"].split(".")[0])
        if b is not None:
            row.update(budget_bytes=b.max_bytes, budget_ref=b.ref, budget_severity=b.severity.value,
                       within=row["max_bytes"] <= b.max_bytes)
        if limit is not None:
            row.update(dut_limit_bytes=limit, within_dut_limit=row["max_bytes"] <= limit)
        out.append(row)
    return sorted(out, key=lambda x: (x["direction"], x["message"]))


def size_findings(table: list[dict[str, Any]], budgets: Budgets) -> list[Finding]:
    out = []
    for row in table:
        if row["direction"] != Direction.IN.value:
            continue
        if row.get("within") is False:
            b = budgets.size_for(row["protocol"], row["message"].split(".")[0])
            assert b is not None
            out.append(Finding.of(r.SIZE_BUDGET, f"{row['message']} is {row['max_bytes']} bytes; budget "
                                  f"{b.max_bytes} bytes ({b.ref})", row["frame"], severity=b.severity))
        if row.get("within_dut_limit") is False:
            out.append(Finding.of(r.SIZE_BUDGET, f"{row['message']} is {row['max_bytes']} bytes, above the station's "
                                  f"own BytesPerMessage {row['dut_limit_bytes']}", row["frame"]))
    return out
