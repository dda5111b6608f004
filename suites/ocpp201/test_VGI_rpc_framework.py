"""vgitest's own RPC-framework cases for OCPP-J 2.0.1 (Part 4). OCTT has no ids for these, so they carry
vgitest ids (TC_VGI_*): unknown action, invalid payload, CALLERROR structure, message ids, one outstanding
CALL, unknown message type, answers on time, heartbeat cadence."""

from __future__ import annotations

import pytest

from vgitest.case import preamble
from vgitest.ocpp import rules as r
from vgitest.ocpp import states_v201 as s
from vgitest.ocpp.checks import heartbeat_tolerance
from vgitest.ocpp.csms import Delay
from vgitest.trace import Direction
from vgitest.verdict import Inconclusive

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.0.1", "2.1")
CODES_201 = {"FormatViolation", "GenericError", "InternalError", "MessageTypeNotSupported", "NotImplemented",
             "NotSupported", "OccurrenceConstraintViolation", "PropertyConstraintViolation", "ProtocolError",
             "RpcFrameworkError", "SecurityError", "TypeConstraintViolation"}


def error_code(station, frame, what: str) -> str:
    station.check(frame.kind == "CALLERROR", r.STATION_RESPONSE, f"{what} was answered {frame.kind}, not CALLERROR",
                  frame)
    return str((frame.body or {}).get("errorCode"))


@pytest.mark.vgi_case("TC_VGI_RPC_01_CS", feature="RPC", requires=("Core",))
def test_TC_VGI_RPC_01_CS(booted_station) -> None:
    """A CALL with an action the station does not know is answered CALLERROR NotImplemented."""
    st = booted_station
    frame = st.call_frame("VgiNoSuchAction", {}, validate=False)
    code = error_code(st, frame, "an unknown action")
    st.check(code == "NotImplemented", r.STATION_RESPONSE, f"unknown action answered {code}, not NotImplemented",
             frame)


@pytest.mark.vgi_case("TC_VGI_RPC_02_CS", feature="RPC", requires=("Core",))
def test_TC_VGI_RPC_02_CS(booted_station) -> None:
    """Payloads that break the schema are answered with a 2.0.1 error code that names the kind of violation:
    a missing required field, and a field of the wrong type. Both requests are Core messages every station
    implements (GetBaseReport, ChangeAvailability), so the answer is about the payload, not the action."""
    st = booted_station
    missing = st.call_frame("GetBaseReport", {"requestId": 7}, validate=False)
    code = error_code(st, missing, "a GetBaseReport without reportBase")
    st.check(code in ("OccurrenceConstraintViolation", "FormatViolation"), r.STATION_RESPONSE,
             f"a missing required field was answered {code}", missing)
    typed = st.call_frame("ChangeAvailability", {"operationalStatus": 1}, validate=False)
    code = error_code(st, typed, "a ChangeAvailability with a numeric operationalStatus")
    st.check(code in ("TypeConstraintViolation", "FormatViolation"), r.STATION_RESPONSE,
             f"a field of the wrong type was answered {code}", typed)


@pytest.mark.vgi_case("TC_VGI_RPC_03_CS", feature="RPC", requires=("Core",))
def test_TC_VGI_RPC_03_CS(booted_station) -> None:
    """A CALLERROR is a 5-element array: the CALL's id, a 2.0.1 error code, a description string of at most 255
    characters and an errorDetails object."""
    st = booted_station
    frame = st.call_frame("VgiNoSuchAction", {}, validate=False)
    error_code(st, frame, "an unknown action")
    body = frame.body or {}
    st.check(body.get("errorCode") in CODES_201, r.ERROR_CODE, f"{body.get('errorCode')!r} is no 2.0.1 code", frame)
    st.check(isinstance(body.get("errorDescription"), str) and len(body["errorDescription"]) <= 255,
             r.ERROR_DESCRIPTION, f"errorDescription {body.get('errorDescription')!r}", frame)
    st.check(isinstance(body.get("errorDetails"), dict), r.ERROR_DETAILS,
             f"errorDetails is {body.get('errorDetails')!r}, not an object", frame)


@pytest.mark.vgi_case("TC_VGI_RPC_04_CS", feature="RPC", requires=("Core", "TriggerMessage"))
def test_TC_VGI_RPC_04_CS(booted_station, t) -> None:
    """The station's CALL ids are non-empty strings of at most 36 characters, never reused on the connection."""
    st = booted_station
    start = s.mark(st)
    for what in ("Heartbeat", "Heartbeat", "StatusNotification"):
        mark = s.mark(st)
        st.call("TriggerMessage", {"requestedMessage": what})
        s.require(st, what, mark, t.wait, r.EXPECTED_MESSAGE, f"the triggered {what} did not come")
    seen: dict[tuple[str, str], int] = {}
    for f in station_calls(st, start):
        st.check(f.correlation, r.MSGID_EMPTY, f"{f.name} has an empty message id", f)
        st.check(len(f.correlation) <= 36, r.MSGID_LENGTH, f"{f.name} id has {len(f.correlation)} characters", f)
        key = (f.connection, f.correlation)
        st.check(key not in seen, r.MSGID_REUSED, f"{f.name} reuses message id {f.correlation!r}", f)
        seen[key] = f.index


def station_calls(st, start: int) -> list:
    return [f for f in st.csms.trace.since(start) if f.direction is Direction.IN and f.kind == "CALL"
            and f.meta.get("identity") == st.identity]


@pytest.mark.vgi_case("TC_VGI_RPC_05_CS", feature="RPC", requires=("Core", "TriggerMessage"))
def test_TC_VGI_RPC_05_CS(booted_station, t) -> None:
    """While the CSMS holds back its answer to a station CALL (a triggered Heartbeat), the station sends no other
    CALL (2.0.1: SHALL NOT); the triggered StatusNotification goes out after the answer. A station that sends no
    second CALL leaves nothing to judge: INCONCLUSIVE."""
    st = booted_station
    hold = 1.2
    st.override("Heartbeat", Delay(hold), once=True)
    with preamble(f"a triggered Heartbeat whose answer is held back {hold:g} s"):
        start = s.mark(st)
        st.call("TriggerMessage", {"requestedMessage": "Heartbeat"})
        hb = s.require(st, "Heartbeat", start, t.wait, r.EXPECTED_MESSAGE, "the triggered Heartbeat did not come")
    res = st.call("TriggerMessage", {"requestedMessage": "StatusNotification",
                                     "evse": {"id": t.connector, "connectorId": 1}})
    sn = s.wait_call(st, "StatusNotification", hb.index, hold + t.wait)
    if res.get("status") != "Accepted" or sn is None:
        raise Inconclusive(f"the station sent no second CALL while its Heartbeat was unanswered (the triggered "
                           f"StatusNotification was answered {res.get('status')} and "
                           f"{'never came' if sn is None else 'came'}): nothing to judge")
    answer = s.answer_to(st, hb, hold + t.wait)
    st.check(answer is not None and answer.index < sn.index, r.CALL_CONCURRENT,
             "StatusNotification was sent while the Heartbeat CALL was still unanswered", sn)


@pytest.mark.vgi_protocol("ocpp", "2.0.1")  # 2.1 ignores an unknown message type (2.1 Part 4 §4.1.3)
@pytest.mark.vgi_case("TC_VGI_RPC_06_CS", feature="RPC", requires=("Core",))
def test_TC_VGI_RPC_06_CS(booted_station, t) -> None:
    """A frame with a message type 2.0.1 does not define is answered CALLERROR MessageTypeNotSupported, with the
    frame's message id."""
    st = booted_station
    start = s.mark(st)
    mid = "vgi-unknown-type-1"
    st.send_raw(f'[7,"{mid}",{{}}]')
    reply = st.csms.trace.wait_for(lambda f: f.direction is Direction.IN and f.kind not in ("OPEN", "CLOSE")
                                   and f.correlation in (mid, "-1") and f.meta.get("identity") == st.identity,
                                   start, t.wait)
    if reply is None:
        st.fail(r.EXPECTED_MESSAGE, f"no answer at all to a frame of unknown message type 7 within {t.wait:g} s")
    if reply.kind != "CALLERROR":
        problems = "; ".join(str(f) for f in reply.findings)
        st.fail(r.STATION_RESPONSE, f"the answer to an unknown message type is not a well-formed CALLERROR: "
                f"{reply.kind} {reply.raw[:200]!r}{' (' + problems + ')' if problems else ''}", reply)
    code = (reply.body or {}).get("errorCode")
    st.check(code == "MessageTypeNotSupported", r.STATION_RESPONSE,
             f"unknown message type answered {code}, not MessageTypeNotSupported", reply)
    st.check(reply.correlation == mid, r.STATION_RESPONSE,
             f"the CALLERROR carries message id {reply.correlation!r}, not the frame's {mid!r}", reply)


@pytest.mark.vgi_case("TC_VGI_RPC_07_CS", feature="RPC", requires=("Core",))
def test_TC_VGI_RPC_07_CS(booted_station) -> None:
    """Every CSMS CALL is answered within the response timeout, with the CALL's own message id (a late or
    mis-addressed answer fails through the fake CSMS's RPC checks). The requests are Core GetVariables of
    HeartbeatInterval; any answer, CALLRESULT or CALLERROR, counts: the case is about the answer, not its content."""
    st = booted_station
    var = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}
    for _ in range(2):
        st.call_frame("GetVariables", {"getVariableData": [var]})


@pytest.mark.vgi_case("TC_VGI_HB_01_CS", feature="RPC", requires=("Core",))
def test_TC_VGI_HB_01_CS(booted_station, t, vgi_profile, vgi_budgets) -> None:
    """After the CSMS sets a new HeartbeatInterval, an idle station sends a Heartbeat whenever the link has
    been silent for that interval: never later than the interval plus a tolerance that scales with it (a MUST)."""
    st = booted_station
    interval = int(vgi_profile.param("heartbeat_test_interval", 3))
    tol = heartbeat_tolerance(vgi_budgets, interval)
    var = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}
    old = str(int(st.heartbeat_interval))
    try:
        res = st.call("SetVariables", {"setVariableData": [{**var, "attributeValue": str(interval)}]})
        st.check(res["setVariableResult"][0]["attributeStatus"] == "Accepted", r.STATION_RESPONSE,
                 f"SetVariables HeartbeatInterval={interval}: {res['setVariableResult'][0]['attributeStatus']}")
        start = s.mark(st)
        prev = st.csms.trace[start - 1]
        for _ in range(2):
            hb = s.require(st, "Heartbeat", prev.index + 1, interval + tol + 1, r.HEARTBEAT_GAP,
                           f"no Heartbeat on an idle link within HeartbeatInterval {interval} s + tolerance {tol:g} s")
            silent = [f for f in st.csms.trace.since(prev.index) if f.index < hb.index
                      and f.kind in ("CALL", "CALLRESULT", "CALLERROR")]
            gap = (hb.t_ns - silent[-1].t_ns) / 1e9 if silent else 0.0
            st.check(gap <= interval + tol, r.HEARTBEAT_GAP,
                     f"Heartbeat after {gap:.2f} s of silence; interval {interval} s + tolerance {tol:g} s", hb)
            prev = hb
    finally:
        st.call("SetVariables", {"setVariableData": [{**var, "attributeValue": old}]})
