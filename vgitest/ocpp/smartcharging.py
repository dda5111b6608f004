"""Judging smart charging from what a station reports: a composite schedule (GetCompositeSchedule) against the
limits a case expects over time, and the current or power in its MeterValues against the limit in force.

Independent of the reference station's arithmetic (station/v16_smart.py) on purpose: a case states its expected
limits as plain data, and these helpers only read a station's answer, so a mistake in the station's arithmetic
cannot hide in the judge. A reported schedule is compared as a step function of wall-clock time, sampled away
from the edges of each expected segment, so stations that merge equal periods, split them, or start the schedule
a second later than asked are judged alike.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from typing import Any, Iterable

from . import timestamps

__all__ = ["Segment", "epoch", "limit_at", "schedule_mismatches", "meter_readings", "METER_MEASURAND"]

# the measurand that shows a limit of each charging rate unit at the connector
METER_MEASURAND = {"A": "Current.Import", "W": "Power.Active.Import"}
_SCALE = {"A": 1.0, "W": 1.0, "kW": 1000.0}


def epoch(text: str) -> float:
    """An OCPP dateTime as UTC epoch seconds (a time without offset is read as UTC)."""
    return timestamps.strict_epoch(text)


@dataclasses.dataclass(frozen=True)
class Segment:
    """The limit a case expects from `start` to `end` (UTC epoch seconds)."""

    start: float
    end: float
    limit: float


def limit_at(answer: dict, t: float) -> float | None:
    """The limit a GetCompositeSchedule answer gives at time `t`, or None where its schedule does not reach."""
    sched = answer.get("chargingSchedule") or {}
    try:
        start = epoch(answer.get("scheduleStart") or sched["startSchedule"])
    except (KeyError, TypeError, ValueError):
        return None
    offset = t - start
    duration = sched.get("duration")
    if offset < 0 or (isinstance(duration, (int, float)) and offset >= duration):
        return None
    current = None
    for p in sorted(sched.get("chargingSchedulePeriod") or [], key=lambda p: p.get("startPeriod", 0)):
        if p.get("startPeriod", 0) > offset:
            break
        current = p.get("limit")
    return float(current) if isinstance(current, (int, float)) else None


def schedule_mismatches(answer: dict, unit: str, expected: Iterable[Segment], margin: float = 3.0) -> list[str]:
    """Where a GetCompositeSchedule answer differs from the expected limits (empty: it matches).

    Each segment is sampled at its middle and `margin` seconds inside each edge, from the schedule's start on
    (the station computes from when it received the request); the limit must be the expected one within 0.05
    (the schema's 0.1 resolution)."""
    out = []
    if answer.get("status") != "Accepted":
        return [f"status {answer.get('status')!r}, expected 'Accepted'"]
    sched = answer.get("chargingSchedule") or {}
    if sched.get("chargingRateUnit") != unit:
        out.append(f"chargingRateUnit {sched.get('chargingRateUnit')!r}, asked for {unit!r}")
    try:
        start = epoch(answer.get("scheduleStart") or sched["startSchedule"])
    except (KeyError, TypeError, ValueError):
        return out + ["no usable scheduleStart"]
    for seg in expected:
        points = sorted({seg.start + margin, (seg.start + seg.end) / 2, seg.end - margin})
        points = [t for t in points if seg.start <= t < seg.end and t >= start]
        for t in points:
            got = limit_at(answer, t)
            if got is None or abs(got - seg.limit) > 0.05:
                out.append(f"{t - seg.start:+.0f} s into the segment from {_hms(seg.start)} the schedule gives "
                           f"{'no limit' if got is None else f'{got:g} {unit}'}, expected {seg.limit:g} {unit}")
                break  # one line per segment
    return out


def _hms(t: float) -> str:
    return _dt.datetime.fromtimestamp(t, _dt.timezone.utc).strftime("%H:%M:%S")


def meter_readings(body: Any, unit: str) -> list[float]:
    """The readings of the measurand that shows a limit in `unit` in one MeterValues payload, in A or W: every
    per-phase current (a limit in A holds per phase), and the total power (phase entries summed when the station
    reports no total). Unreadable values are left out."""
    measurand = METER_MEASURAND[unit]
    out: list[float] = []
    for mv in (body or {}).get("meterValue") or []:
        total, phases = [], []
        for sv in mv.get("sampledValue") or []:
            if sv.get("measurand") != measurand:
                continue
            try:
                value = float(sv.get("value")) * _SCALE.get(sv.get("unit", "A" if unit == "A" else "W"), 1.0)
            except (TypeError, ValueError):
                continue
            (phases if sv.get("phase") else total).append(value)
        if unit == "A":
            out += total + phases
        else:
            out += total or ([sum(phases)] if phases else [])
    return out
