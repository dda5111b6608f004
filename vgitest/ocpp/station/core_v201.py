"""Core behaviour of the OCPP 2.0.1 reference station that runs by itself after boot: the security event of a
(re)start (A04: StartupOfTheDevice is a critical event the CSMS must hear of) and clock-aligned meter values
(J01: AlignedDataCtrlr.Interval for every EVSE, AlignedDataCtrlr.TxEndedInterval collected for the Ended event).

Clock-aligned means at whole multiples of the interval counted from midnight UTC; with an interval that divides a
day that is the multiples since the epoch, which is what the loop waits for. Faults: `catalog_v201_core`.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import math
import time
from typing import Any

from . import signed_v201
from .base import utcnow

Station201 = Any  # vgitest.ocpp.station.v201's, typed loosely so as not to import its owner back

# the value a simulated measurand reads (Energy comes from the EVSE's register)
_UNITS = {"Power.Active.Import": "W", "Current.Import": "A", "Voltage": "V"}


async def startup_event(st: Station201) -> None:
    """SecurityEventNotification of the start that just booted: a CSMS reset is ResetOrReboot, else a start-up."""
    if st.has("no_startup_security_event"):
        return
    kind = "ResetOrReboot" if st.boot_reason == "RemoteReset" else "StartupOfTheDevice"
    await st.safe_call("SecurityEventNotification", {"type": kind, "timestamp": utcnow()})


def iso(epoch: float) -> str:
    return _dt.datetime.fromtimestamp(epoch, _dt.timezone.utc).isoformat(timespec="milliseconds") \
        .replace("+00:00", "Z")


def aligned_value(st: Station201, e: Any, ts: str, measurands: str) -> dict:
    """One meterValue with a Sample.Clock reading per configured measurand (Energy from the EVSE's register)."""
    context = "Sample.Periodic" if st.has("aligned_values_periodic_context") else "Sample.Clock"
    mv = st.meter_value(e, context, ts=ts)
    charging = e.transaction is not None and e.transaction.charging
    for m in [x for x in measurands.split(",") if x and x in _UNITS]:
        value = {"W": st.power_w if charging else 0.0, "A": round(st.power_w / 690.0, 1) if charging else 0.0,
                 "V": 230.0}[_UNITS[m]]
        mv["sampledValue"].append({"value": value, "context": context, "measurand": m,
                                   "unitOfMeasure": {"unit": _UNITS[m]}})
    return signed_v201.sign(st, e.id, mv)  # the measurands added here are signed too


def _interval(st: Station201, name: str) -> int:
    try:
        return max(0, int(st.var("AlignedDataCtrlr", name) or 0))
    except ValueError:
        return 0


async def aligned_loop(st: Station201) -> None:
    """Runs for the whole power cycle: at each clock-aligned moment, send (Interval) and collect (TxEndedInterval).
    A changed interval applies within half a second."""
    while True:
        interval, ended = _interval(st, "Interval"), _interval(st, "TxEndedInterval")
        if st.has("aligned_interval_doubled"):
            interval *= 2
        if interval <= 0 and ended <= 0:
            await asyncio.sleep(0.2)
            continue
        now = time.time()
        due = min((math.floor(now / i) + 1) * i for i in (interval, ended) if i > 0)
        await asyncio.sleep(min(0.5, max(0.0, due - now)))
        if time.time() < due:
            continue
        ts = iso(due)
        for e in st.evses():
            tx = e.transaction
            if ended > 0 and due % ended == 0 and tx is not None and not st.has("aligned_tx_ended_missing"):
                tx.aligned.append(aligned_value(st, e, ts, st.var("AlignedDataCtrlr", "TxEndedMeasurands")))
            idle_only = st.var("AlignedDataCtrlr", "SendDuringIdle") == "true" \
                and not st.has("aligned_send_during_idle_ignored")
            if interval > 0 and due % interval == 0 and not (idle_only and tx is not None):
                mv = aligned_value(st, e, ts, st.var("AlignedDataCtrlr", "Measurands"))
                if tx is not None:
                    trigger = "MeterValuePeriodic" if st.has("aligned_tx_wrong_trigger") else "MeterValueClock"
                    await st.send_event(tx, "Updated", trigger, meter_value=mv)
                else:
                    await st.safe_call("MeterValues", {"evseId": e.id, "meterValue": [mv]})
