"""OCPP 2.1 faults of block R (DER control; behaviour in der_v21.py): which case of
suites/ocpp21/test_R_der_control.py catches each, and with which rule."""

from __future__ import annotations

from .. import rules as r
from .faults import fault

V = "2.1"


def _f(name: str, description: str, tests: str | tuple[str, ...], rule: str) -> None:
    names = (tests,) if isinstance(tests, str) else tests
    fault(name, description, version=V, tests=tuple(f"test_{t}" for t in names), rule=rule)


_f("der_clear_ignored", "ClearDERControl answers Accepted but the controls stay", "TC_R_102_CS", r.STATION_RESPONSE)
_f("der_unvalidated", "SetDERControl accepts a control whose setting is missing or given in another type's field",
   "TC_R_103_CS", r.STATION_RESPONSE)
_f("der_no_supersede", "a control of higher priority does not supersede an overlapping one of the same type (no "
   "supersededIds, nothing marked superseded)", ("TC_R_104_CS", "TC_R_105_CS"), r.STATION_RESPONSE)
_f("der_superseded_not_reported", "ReportDERControl says isSuperseded false for a superseded control",
   ("TC_R_104_CS", "TC_R_106_CS"), r.EXPECTED_MESSAGE)
_f("der_newest_always_wins", "a new control supersedes an overlapping one of the same type even when its priority "
   "is lower", "TC_R_106_CS", r.STATION_RESPONSE)
_f("der_alarm_missing", "a grid event at the inverter is not reported (no NotifyDERAlarm)", "TC_R_108_CS",
   r.EXPECTED_MESSAGE)
_f("der_alarm_end_missing", "the end of a grid event is not reported (no NotifyDERAlarm with alarmEnded)",
   "TC_R_108_CS", r.EXPECTED_MESSAGE)
_f("der_unsupported_accepted", "a control of a type the station does not support is answered Accepted instead of "
   "NotSupported", "TC_R_103_CS", r.STATION_RESPONSE)
