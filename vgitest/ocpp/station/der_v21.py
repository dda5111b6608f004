"""OCPP 2.1 block R (DER control) of the reference station: the DER controls the CSMS sets, reads and clears
(SetDERControl, GetDERControl with ReportDERControl, ClearDERControl), which of them supersede others, the start
and stop of a scheduled control (NotifyDERStartStop), and the grid events the inverter reports (NotifyDERAlarm).

Model: a control is one setting of one control type. A scheduled control (isDefault false) runs from its
startTime for its duration; among scheduled controls of one type whose times overlap, the one with the higher
priority (lower number) wins and the other is superseded; on equal priority the newer one wins. A default control
(isDefault true) has no time: it applies whenever no scheduled control of its type runs, and a new default of a type
replaces the old one."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Any

from ..timestamps import strict_epoch

from . import requests_v21
from .base import utcnow
from .requests_v201 import Request

Station21 = Any  # typed loosely: the station imports this module (tests/test_import_graph.py)

# the field of SetDERControlRequest that carries each control type's setting; every other type is a curve
TYPE_FIELD = {"EnterService": "enterService", "FreqDroop": "freqDroop", "FixedPFAbsorb": "fixedPFAbsorb",
              "FixedPFInject": "fixedPFInject", "FixedVar": "fixedVar", "Gradients": "gradient",
              "LimitMaxDischarge": "limitMaxDischarge"}
SETTING_FIELDS = (*TYPE_FIELD.values(), "curve")
# ReportDERControlRequest: the list each control type is reported in, and the key of its setting there
REPORT = {"EnterService": ("enterService", "enterService"), "FreqDroop": ("freqDroop", "freqDroop"),
          "FixedPFAbsorb": ("fixedPFAbsorb", "fixedPF"), "FixedPFInject": ("fixedPFInject", "fixedPF"),
          "FixedVar": ("fixedVar", "fixedVar"), "Gradients": ("gradient", "gradient"),
          "LimitMaxDischarge": ("limitMaxDischarge", "limitMaxDischarge")}
NO_DEFAULT_FLAGS = ("EnterService", "Gradients")  # their report entries carry no isDefault/isSuperseded
# the control type whose trip setting a grid event concerns (NotifyDERAlarm names it)
GRID_EVENT_CONTROL = {"OverVoltage": "HVMustTrip", "UnderVoltage": "LVMustTrip", "OverFrequency": "HFMustTrip",
                      "UnderFrequency": "LFMustTrip"}


def setting_field(control_type: str) -> str:
    return TYPE_FIELD.get(control_type, "curve")


@dataclasses.dataclass
class Control:
    id: str
    type: str
    default: bool
    setting: dict
    seq: int  # order of arrival
    superseded: bool = False
    task: asyncio.Task | None = None  # its start/stop notifications

    @property
    def priority(self) -> int:
        return int(self.setting.get("priority", 0))

    def window(self) -> tuple[float, float]:
        start = strict_epoch(self.setting["startTime"]) if "startTime" in self.setting else time.time()
        duration = self.setting.get("duration")
        return start, start + float(duration) if isinstance(duration, (int, float)) else float("inf")

    def overlaps(self, other: "Control") -> bool:
        a0, a1 = self.window()
        b0, b1 = other.window()
        return a0 < b1 and b0 < a1

    def beats(self, other: "Control") -> bool:
        """Whether this control wins over `other` (same type, overlapping): higher priority, then the newer."""
        return (self.priority, -self.seq) < (other.priority, -other.seq)


class DerStation:
    """Mixin of the 2.1 reference station (before Station201 in its bases): its DER controls."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)  # type: ignore[call-arg]
        st: Any = self
        self.der: dict[str, Control] = {}
        self.der_seq = 0
        unsupported = str(st.params.get("der_unsupported_control", "") or "")
        self.der_unsupported = {t.strip() for t in unsupported.split(",") if t.strip()}

    async def do_grid_event(self, fault: str = "OverVoltage", ended: bool = False) -> None:
        """The inverter sees a grid event (gridEventFault `fault`) begin, or end with `ended`."""
        st: Any = self
        if st.has("der_alarm_missing") or (ended and st.has("der_alarm_end_missing")):
            return
        payload: dict[str, Any] = {"controlType": GRID_EVENT_CONTROL.get(fault, "PowerMonitoringMustTrip"),
                                   "gridEventFault": fault, "timestamp": utcnow()}
        if ended:
            payload["alarmEnded"] = True
        st._act(st.safe_call("NotifyDERAlarm", payload))

    def der_rivals(self, c: Control) -> list[Control]:
        return [o for o in self.der.values()
                if o.id != c.id and o.type == c.type and not o.default and not c.default and o.overlaps(c)]

    def der_resolve(self, new: Control) -> list[str]:
        """Mark superseded controls after `new` arrived; returns the ids `new` superseded."""
        st: Any = self
        gone = []
        for other in self.der_rivals(new):
            if new.beats(other) or st.has("der_newest_always_wins"):
                if not other.superseded and not st.has("der_no_supersede"):
                    other.superseded = True
                    gone.append(other.id)
            else:
                new.superseded = True
        return gone

    async def der_run(self, c: Control, superseded: list[str]) -> None:
        """NotifyDERStartStop when a scheduled control starts (naming what it superseded) and when it ends."""
        st: Any = self
        start, end = c.window()
        await asyncio.sleep(max(0.0, start - time.time()))
        if c.superseded or self.der.get(c.id) is not c:
            return
        payload: dict[str, Any] = {"controlId": c.id, "started": True, "timestamp": utcnow()}
        if superseded:
            payload["supersededIds"] = superseded
        await st.safe_call("NotifyDERStartStop", payload)
        if end == float("inf"):
            return
        await asyncio.sleep(max(0.0, end - time.time()))
        if self.der.get(c.id) is c and not c.superseded:
            await st.safe_call("NotifyDERStartStop", {"controlId": c.id, "started": False, "timestamp": utcnow()})

    def der_remove(self, ids: list[str]) -> None:
        for i in ids:
            c = self.der.pop(i)
            if c.task is not None:
                c.task.cancel()


# --- the rows ---------------------------------------------------------------------------------------------------
def _status(status: str, reason: str | None = None, why: str = "") -> dict:
    out: dict[str, Any] = {"status": status}
    if reason:
        out["statusInfo"] = {"reasonCode": reason, "additionalInfo": why[:1024]}
    return out


async def set_der_control(st: Station21, p: dict) -> dict:
    ctype, field = p["controlType"], setting_field(p["controlType"])
    if ctype in st.der_unsupported and not st.has("der_unsupported_accepted"):
        return _status("NotSupported", "UnsupportedParam", f"control type {ctype} is not supported")
    given = [f for f in SETTING_FIELDS if f in p]
    if not st.has("der_unvalidated") and given != [field]:
        return _status("Rejected", "InvalidParam", f"a {ctype} control carries its setting in {field} (and nothing "
                       f"else); this one carries {', '.join(given) or 'none'}")
    setting = p.get(field) or next((p[f] for f in given), {})
    if not p["isDefault"] and not st.has("der_unvalidated") and "startTime" in setting:
        try:
            strict_epoch(setting["startTime"])
        except ValueError:
            return _status("Rejected", "InvalidParam", "startTime is not a date-time")
    st.der_seq += 1
    c = Control(str(p["controlId"]), ctype, bool(p["isDefault"]), dict(setting), st.der_seq)
    if c.id in st.der:
        st.der_remove([c.id])
    if c.default:  # a new default of a type replaces the old one
        st.der_remove([o.id for o in st.der.values() if o.default and o.type == ctype])
    superseded = st.der_resolve(c)
    st.der[c.id] = c
    out = _status("Accepted")
    if superseded:
        out["supersededIds"] = superseded
    return out


async def after_set_der_control(st: Station21, p: dict, result: dict) -> None:
    c = st.der.get(str(p["controlId"]))
    if result.get("status") != "Accepted" or c is None or c.default or c.superseded:
        return
    c.task = st.spawn(st.der_run(c, list(result.get("supersededIds") or [])))


def _selected(st: Station21, p: dict) -> list[Control]:
    return [c for c in st.der.values()
            if ("isDefault" not in p or c.default == p["isDefault"])
            and ("controlType" not in p or c.type == p["controlType"])
            and ("controlId" not in p or c.id == p["controlId"])]


async def get_der_control(st: Station21, p: dict) -> dict:
    if p.get("controlType") in st.der_unsupported:
        return _status("NotSupported")
    return _status("Accepted" if _selected(st, p) else "NotFound")


def report_entry(st: Station21, c: Control) -> tuple[str, dict]:
    if c.type in REPORT:
        key, inner = REPORT[c.type]
        entry: dict[str, Any] = {"id": c.id, inner: c.setting}
    else:
        key, entry = "curve", {"id": c.id, "curveType": c.type, "curve": c.setting}
    if c.type not in NO_DEFAULT_FLAGS:
        entry.update(isDefault=c.default, isSuperseded=c.superseded and not st.has("der_superseded_not_reported"))
    return key, entry


async def after_get_der_control(st: Station21, p: dict, result: dict) -> None:
    if result.get("status") != "Accepted":
        return
    report: dict[str, Any] = {"requestId": p["requestId"]}
    for c in _selected(st, p):
        key, entry = report_entry(st, c)
        report.setdefault(key, []).append(entry)
    await st.safe_call("ReportDERControl", report)


async def clear_der_control(st: Station21, p: dict) -> dict:
    if p.get("controlType") in st.der_unsupported:
        return _status("NotSupported")
    gone = [c.id for c in _selected(st, p)]
    if not gone:
        return _status("NotFound")
    if not st.has("der_clear_ignored"):
        st.der_remove(gone)
    return _status("Accepted")


requests_v21.add({
    "SetDERControl": Request(set_der_control, after_set_der_control),
    "GetDERControl": Request(get_der_control, after_get_der_control),
    "ClearDERControl": Request(clear_der_control),
})

__all__ = ["DerStation", "TYPE_FIELD", "REPORT", "setting_field"]
