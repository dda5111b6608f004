"""R: DER control (use cases U01-U05 of OCPP 2.1) — the CSMS configures the DER controls of a station whose
inverter supports grid codes (SetDERControl, GetDERControl with ReportDERControl, ClearDERControl), controls of one
type supersede each other by priority, and the station reports grid events (NotifyDERAlarm).

The cases use one control type the station supports (PIXIT der_control_type, default FixedPFAbsorb: a fixed power
factor while absorbing) and a second one (PIXIT der_other_control_type, default FixedPFInject), with scheduled
controls (isDefault false) whose times overlap unless a case says otherwise. Each case clears the scheduled controls
it leaves behind."""

from __future__ import annotations

import contextlib
import datetime as _dt
import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from vgitest.ocpp import rules as r
from vgitest.ocpp import states_v201 as s

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.1")

FEATURE = "DERControl"
DER = ("Core", "DERControl")
# the field of SetDERControlRequest that carries a control type's setting (every other type is a curve), and the
# list and inner key ReportDERControlRequest reports it in
FIELD = {"EnterService": "enterService", "FreqDroop": "freqDroop", "FixedPFAbsorb": "fixedPFAbsorb",
         "FixedPFInject": "fixedPFInject", "FixedVar": "fixedVar", "Gradients": "gradient",
         "LimitMaxDischarge": "limitMaxDischarge"}
REPORT_KEY = {"FixedPFAbsorb": "fixedPF", "FixedPFInject": "fixedPF"}
_request_ids = itertools.count(2100)


def when(offset_s: float) -> str:
    t = _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(seconds=offset_s)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def setting(ctype: str, priority: int, start_s: float, duration_s: float) -> dict:
    """A scheduled setting of `ctype` (fixed power factor, var, droop or a curve), from now + start_s."""
    timing = {"priority": priority, "startTime": when(start_s), "duration": duration_s}
    if ctype in ("FixedPFAbsorb", "FixedPFInject"):
        return {**timing, "displacement": 0.95, "excitation": ctype == "FixedPFAbsorb"}
    if ctype == "FixedVar":
        return {**timing, "setpoint": 10.0, "unit": "PctMaxVar"}
    if ctype == "FreqDroop":
        return {**timing, "overFreq": 50.2, "underFreq": 49.8, "overDroop": 0.05, "underDroop": 0.05,
                "responseTime": 1.0}
    if ctype == "LimitMaxDischarge":
        return {**timing, "pctMaxDischargePower": 50.0}
    return {**timing, "yUnit": "PctMaxW", "curveData": [{"x": 49.8, "y": 100.0}, {"x": 50.2, "y": 0.0}]}


def field_of(ctype: str) -> str:
    return FIELD.get(ctype, "curve")


def set_control(st: Any, control_id: str, ctype: str, value: dict, *, field: str | None = None) -> dict:
    return st.call("SetDERControl", {"isDefault": False, "controlId": control_id, "controlType": ctype,
                                     field or field_of(ctype): value})


def types(profile: Any) -> tuple[str, str]:
    return str(profile.param("der_control_type", "FixedPFAbsorb")), \
        str(profile.param("der_other_control_type", "FixedPFInject"))


@contextlib.contextmanager
def der_case(st: Any) -> Iterator[None]:
    """The CSMS takes the station's DER messages; the scheduled controls are cleared after the case."""
    for action in ("ReportDERControl", "NotifyDERStartStop", "NotifyDERAlarm"):
        st.override(action, {})
    try:
        yield
    finally:
        if st.connected:
            st.call("ClearDERControl", {"isDefault": False})


def report(st: Any, t: Any, query: dict) -> tuple[dict, list[Any]]:
    """GetDERControl with `query`: its answer, and (when Accepted) the ReportDERControl messages of its request id."""
    rid = next(_request_ids)
    start = s.mark(st)
    answer = st.call("GetDERControl", {"requestId": rid, **query})
    parts: list[Any] = []
    if answer.get("status") != "Accepted":
        return answer, parts
    pos = start
    while True:
        f = s.require(st, "ReportDERControl", pos, t.wait, r.EXPECTED_MESSAGE,
                      f"no ReportDERControl for GetDERControl request {rid}", {"requestId": rid})
        parts.append(f)
        pos = f.index + 1
        if not f.body.get("tbc"):
            return answer, parts


def reported(parts: list[Any], ctype: str) -> dict[str, dict]:
    """The reported controls of `ctype` by id (entry of the list ReportDERControl uses for the type)."""
    key = field_of(ctype)
    out = {}
    for f in parts:
        for entry in f.body.get(key) or []:
            if key != "curve" or entry.get("curveType") == ctype:
                out[str(entry.get("id"))] = entry
    return out


def accepted(st: Any, answer: dict, what: str) -> None:
    st.check(answer.get("status") == "Accepted", r.STATION_RESPONSE,
             f"SetDERControl of {what} was answered {answer.get('status')}, expected Accepted")


# --- configure DER controls (U02) -------------------------------------------------------------------------------------
@pytest.mark.vgi_case("TC_R_102_CS", feature=FEATURE, requires=DER)
def test_TC_R_102_CS(booted_station, vgi_profile, t) -> None:
    """Clearing by control type: with two scheduled controls of one type and one of another, ClearDERControl for
    the first type is Accepted; GetDERControl then finds nothing of that type (NotFound), while the control of the
    other type is still reported. Clearing without a type then removes it too (GetDERControl: NotFound)."""
    st, (one, other) = booted_station, types(vgi_profile)
    with der_case(st):
        for cid, ctype, start in (("vgi-r102-a", one, 60), ("vgi-r102-b", one, 300), ("vgi-r102-c", other, 60)):
            accepted(st, set_control(st, cid, ctype, setting(ctype, 1, start, 60)), f"{ctype} {cid}")
        answer = st.call("ClearDERControl", {"isDefault": False, "controlType": one})
        st.check(answer.get("status") == "Accepted", r.STATION_RESPONSE,
                 f"ClearDERControl of the {one} controls was answered {answer.get('status')}, expected Accepted")
        answer, _ = report(st, t, {"isDefault": False, "controlType": one})
        st.check(answer.get("status") == "NotFound", r.STATION_RESPONSE,
                 f"after clearing the {one} controls GetDERControl for them was answered {answer.get('status')}, "
                 "expected NotFound")
        answer, parts = report(st, t, {"isDefault": False, "controlType": other})
        st.check(answer.get("status") == "Accepted", r.STATION_RESPONSE,
                 f"clearing the {one} controls also lost the {other} control: GetDERControl answered "
                 f"{answer.get('status')}")
        st.check("vgi-r102-c" in reported(parts, other), r.EXPECTED_MESSAGE,
                 f"the {other} control vgi-r102-c is not in the report after clearing the {one} controls",
                 parts[-1] if parts else None)
        answer = st.call("ClearDERControl", {"isDefault": False})
        st.check(answer.get("status") == "Accepted", r.STATION_RESPONSE,
                 f"ClearDERControl of every scheduled control was answered {answer.get('status')}, expected Accepted")
        answer, _ = report(st, t, {"isDefault": False})
        st.check(answer.get("status") == "NotFound", r.STATION_RESPONSE,
                 f"after clearing every scheduled control GetDERControl was answered {answer.get('status')}, "
                 "expected NotFound")


@pytest.mark.vgi_case("TC_R_103_CS", feature=FEATURE, requires=DER)
def test_TC_R_103_CS(booted_station, vgi_profile, t) -> None:
    """SetDERControl is checked: a control whose setting is given in another type's field, or whose setting is
    missing, is Rejected; the well-formed control is Accepted; a control type the station does not support
    (PIXIT der_unsupported_control, when given) is answered NotSupported."""
    st, (one, other) = booted_station, types(vgi_profile)
    wrong_type = other if field_of(other) != field_of(one) else "FreqDroop"
    wrong = field_of(wrong_type)
    with der_case(st):
        for what, payload in ((f"its setting in {wrong}", {wrong: setting(wrong_type, 1, 60, 60)}),
                              ("no setting", {})):
            answer = st.call("SetDERControl", {"isDefault": False, "controlId": "vgi-r103-bad",
                                               "controlType": one, **payload})
            st.check(answer.get("status") == "Rejected", r.STATION_RESPONSE,
                     f"a {one} control with {what} was answered {answer.get('status')}, expected Rejected")
        accepted(st, set_control(st, "vgi-r103-good", one, setting(one, 1, 60, 60)), f"a well-formed {one} control")
        unsupported = str(vgi_profile.param("der_unsupported_control", "") or "").split(",")[0].strip()
        if unsupported:
            answer = set_control(st, "vgi-r103-unsupported", unsupported, setting(unsupported, 1, 60, 60))
            st.check(answer.get("status") == "NotSupported", r.STATION_RESPONSE,
                     f"a {unsupported} control (declared unsupported, PIXIT der_unsupported_control) was answered "
                     f"{answer.get('status')}, expected NotSupported")


def _supersede_report(st: Any, t: Any, ctype: str, superseded: str, winner: str) -> None:
    """GetDERControl of `ctype` reports `superseded` with isSuperseded true and `winner` with false."""
    answer, parts = report(st, t, {"isDefault": False, "controlType": ctype})
    st.check(answer.get("status") == "Accepted", r.STATION_RESPONSE,
             f"GetDERControl of the {ctype} controls was answered {answer.get('status')}")
    got = reported(parts, ctype)
    for cid, flag in ((superseded, True), (winner, False)):
        entry = got.get(cid)
        st.check(entry is not None and entry.get("isSuperseded") is flag, r.EXPECTED_MESSAGE,
                 f"control {cid} is reported " + ("not at all" if entry is None else
                                                   f"with isSuperseded {entry.get('isSuperseded')}")
                 + f", expected isSuperseded {str(flag).lower()}", parts[-1] if parts else None)


@pytest.mark.vgi_case("TC_R_104_CS", feature=FEATURE, requires=DER)
def test_TC_R_104_CS(booted_station, vgi_profile, t) -> None:
    """A control that has not started yet is superseded by a new control of the same type, time and higher
    priority (a lower number): the new one's SetDERControl answer names the older one in supersededIds, and the
    report marks the older one superseded and the new one not."""
    st, (one, _) = booted_station, types(vgi_profile)
    with der_case(st):
        accepted(st, set_control(st, "vgi-r104-low", one, setting(one, 5, 60, 60)), "the future low-priority control")
        answer = set_control(st, "vgi-r104-high", one, setting(one, 1, 60, 60))
        accepted(st, answer, "the future high-priority control")
        st.check("vgi-r104-low" in (answer.get("supersededIds") or []), r.STATION_RESPONSE,
                 f"the higher-priority control's answer names supersededIds {answer.get('supersededIds')}, "
                 "expected the future low-priority control vgi-r104-low")
        _supersede_report(st, t, one, "vgi-r104-low", "vgi-r104-high")


@pytest.mark.vgi_case("TC_R_105_CS", feature=FEATURE, requires=DER)
def test_TC_R_105_CS(booted_station, vgi_profile, t) -> None:
    """A running control is superseded by a new one of the same type and higher priority that starts now: the
    first one's start is reported (NotifyDERStartStop started), the new one's answer names the first in
    supersededIds, and the new one's start is reported with the first in its supersededIds."""
    st, (one, _) = booted_station, types(vgi_profile)
    with der_case(st):
        start = s.mark(st)
        accepted(st, set_control(st, "vgi-r105-low", one, setting(one, 5, -1, 60)), "the running low-priority control")
        s.require(st, "NotifyDERStartStop", start, t.wait, r.EXPECTED_MESSAGE,
                  "the start of the running control vgi-r105-low was not reported",
                  {"controlId": "vgi-r105-low", "started": True})
        start = s.mark(st)
        answer = set_control(st, "vgi-r105-high", one, setting(one, 1, -1, 60))
        accepted(st, answer, "the high-priority control")
        st.check("vgi-r105-low" in (answer.get("supersededIds") or []), r.STATION_RESPONSE,
                 f"the higher-priority control's answer names supersededIds {answer.get('supersededIds')}, "
                 "expected the running control vgi-r105-low")
        f = s.require(st, "NotifyDERStartStop", start, t.wait, r.EXPECTED_MESSAGE,
                      "the start of the superseding control vgi-r105-high was not reported",
                      {"controlId": "vgi-r105-high", "started": True})
        st.check("vgi-r105-low" in (f.body.get("supersededIds") or []), r.EXPECTED_MESSAGE,
                 f"the start of vgi-r105-high names supersededIds {f.body.get('supersededIds')}, expected "
                 "vgi-r105-low", f)


@pytest.mark.vgi_case("TC_R_106_CS", feature=FEATURE, requires=DER)
def test_TC_R_106_CS(booted_station, vgi_profile, t) -> None:
    """A running control of higher priority keeps its place: a new control of the same type, overlapping time and
    lower priority is Accepted without superseding it, and the report marks the new one superseded."""
    st, (one, _) = booted_station, types(vgi_profile)
    with der_case(st):
        accepted(st, set_control(st, "vgi-r106-high", one, setting(one, 1, -1, 60)),
                 "the running high-priority control")
        answer = set_control(st, "vgi-r106-low", one, setting(one, 5, -1, 60))
        accepted(st, answer, "the new low-priority control")
        st.check("vgi-r106-high" not in (answer.get("supersededIds") or []), r.STATION_RESPONSE,
                 "a lower-priority control claims to supersede the running higher-priority control vgi-r106-high "
                 f"(supersededIds {answer.get('supersededIds')})")
        _supersede_report(st, t, one, "vgi-r106-low", "vgi-r106-high")


# --- DER events (U05) -------------------------------------------------------------------------------------------
@pytest.mark.vgi_case("TC_R_108_CS", feature=FEATURE, requires=DER)
def test_TC_R_108_CS(booted_station, dut, vgi_profile, t) -> None:
    """A grid event at the inverter (an over-voltage, or PIXIT der_grid_event) is reported by NotifyDERAlarm
    naming that gridEventFault and a control type; its end is reported again with alarmEnded true."""
    st = booted_station
    fault = str(vgi_profile.param("der_grid_event", "OverVoltage"))
    with der_case(st):
        start = s.mark(st)
        dut.perform("grid_event", fault=fault)
        f = s.require(st, "NotifyDERAlarm", start, t.wait, r.EXPECTED_MESSAGE,
                      f"the grid event {fault} was not reported", {"gridEventFault": fault})
        st.check(not f.body.get("alarmEnded"), r.EXPECTED_MESSAGE,
                 "the alarm of a grid event that is still going on says alarmEnded true", f)
        start = s.mark(st)
        dut.perform("grid_event", fault=fault, ended=True)
        s.require(st, "NotifyDERAlarm", start, t.wait, r.EXPECTED_MESSAGE,
                  f"the end of the grid event {fault} was not reported (NotifyDERAlarm with alarmEnded true)",
                  {"gridEventFault": fault, "alarmEnded": True})
