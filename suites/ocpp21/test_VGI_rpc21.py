"""vgitest's own cases for what OCPP-J 2.1 changes in the RPC framework (2.1 Part 4 §4), for a charging station
under test: frames that take no answer (an unknown message type, a CALLRESULTERROR, a SEND) and message ids that
are unique over every connection of the station's identity. The 2.0.1 cases of suites/ocpp201/test_VGI_rpc_framework
that hold unchanged in 2.1 run there; these are the ones whose expectation is new in 2.1 (so TC_VGI_* ids)."""

from __future__ import annotations

import datetime
import uuid

import pytest

from vgitest.ocpp import rules as r
from vgitest.ocpp import states_v201 as s
from vgitest.trace import Direction, Frame

pytestmark = pytest.mark.vgi_protocol("ocpp", "2.1")
HEARTBEAT_INTERVAL = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}
FRAMING = ("CALL", "CALLRESULT", "CALLERROR", "CALLRESULTERROR", "SEND", "UNKNOWN", "MALFORMED")


def answer_to_raw(st, mid: str, start: int, within: float) -> Frame | None:
    """Any frame from the station after `start` that carries message id `mid` (or "-1", the id of a frame one could
    not read): for a frame that takes no answer, every one of these is an answer too many."""
    return st.csms.trace.wait_for(lambda f: f.direction is Direction.IN and f.kind in FRAMING
                                  and f.correlation in (mid, "-1") and f.meta.get("identity") == st.identity,
                                  start, within)


def still_serves(st, what: str) -> None:
    """After a frame that takes no answer the station is still connected and answers a CSMS CALL (it did not take the
    frame for a broken link)."""
    st.check(st.connected, r.EXPECTED_MESSAGE, f"the station closed the connection after {what}")
    st.call_frame("GetVariables", {"getVariableData": [HEARTBEAT_INTERVAL]})


def forbid_answer(st, mid: str, start: int, quiet: float, what: str) -> None:
    reply = answer_to_raw(st, mid, start, quiet)
    if reply is not None:
        code = (reply.body or {}).get("errorCode", "") if isinstance(reply.body, dict) else ""
        st.fail(r.FORBIDDEN_MESSAGE, f"the station answered {what} with {reply.kind} {code}".rstrip()
                + "; in 2.1 it takes no answer", reply)


@pytest.mark.vgi_case("TC_VGI_RPC21_01_CS", feature="RPC", requires=("Core",))
def test_TC_VGI_RPC21_01_CS(booted_station, t) -> None:
    """A frame of a message type 2.1 does not define (7) is ignored: no CALLERROR (2.0.1 answered one, 2.1 does not),
    no other answer, and the station stays connected and keeps answering the CSMS."""
    st = booted_station
    start = s.mark(st)
    mid = f"vgi-type7-{uuid.uuid4().hex[:8]}"
    st.send_raw(f'[7,"{mid}",{{}}]')
    forbid_answer(st, mid, start, t.quiet, "a frame of unknown message type 7")
    still_serves(st, "a frame of unknown message type 7")


@pytest.mark.vgi_case("TC_VGI_RPC21_02_CS", feature="RPC", requires=("Core",))
def test_TC_VGI_RPC21_02_CS(booted_station, t) -> None:
    """When the CSMS answers one of the station's CALLRESULTs with a CALLRESULTERROR (type 5, the CSMS could not
    accept that result), the station does not answer the CALLRESULTERROR (no CALLRESULT, CALLERROR or
    CALLRESULTERROR with its id) and stays connected. The CALLRESULT is that of a Core GetVariables; the harness
    reports it as unacceptable on purpose, which the station cannot tell from a real rejection."""
    st = booted_station
    result = st.call_frame("GetVariables", {"getVariableData": [HEARTBEAT_INTERVAL]})
    st.check(result.kind == "CALLRESULT", r.STATION_RESPONSE, f"GetVariables was answered {result.kind}", result)
    start = s.mark(st)
    mid = result.correlation
    st.send_raw(f'[5,"{mid}","PropertyConstraintViolation","vgitest: this CALLRESULT is reported as not '
                f'acceptable (conformance case TC_VGI_RPC21_02_CS)",{{}}]')
    forbid_answer(st, mid, start, t.quiet, "the CSMS's CALLRESULTERROR")
    still_serves(st, "a CALLRESULTERROR")


@pytest.mark.vgi_case("TC_VGI_RPC21_03_CS", feature="RPC", requires=("Core",))
def test_TC_VGI_RPC21_03_CS(booted_station, t) -> None:
    """A SEND (type 6, an unconfirmed message) is never answered, even one the station has no use for (the
    periodic-event-stream notification, which only stations send). A SEND may come while a CALL is outstanding
    (2.1 lifts the one-message-at-a-time rule for SEND): the CSMS sends one right behind a GetVariables CALL, and
    the station answers the CALL and nothing else."""
    st = booted_station
    start = s.mark(st)
    call_id, send_id = f"vgi-call-{uuid.uuid4().hex[:8]}", f"vgi-send-{uuid.uuid4().hex[:8]}"
    basetime = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    st.send_raw(f'[2,"{call_id}","GetVariables",{{"getVariableData":[{{"component":{{"name":"OCPPCommCtrlr"}},'
                f'"variable":{{"name":"HeartbeatInterval"}}}}]}}]')
    st.send_raw(f'[6,"{send_id}","NotifyPeriodicEventStream",{{"id":1,"pending":0,"basetime":"{basetime}",'
                f'"data":[{{"t":0,"v":"1"}}]}}]')
    answer = answer_to_raw(st, call_id, start, t.wait)
    if answer is None:
        st.fail(r.EXPECTED_MESSAGE, f"no answer to the GetVariables CALL sent just before a SEND within {t.wait:g} s")
    st.check(answer.kind == "CALLRESULT", r.STATION_RESPONSE,
             f"the GetVariables CALL sent just before a SEND was answered {answer.kind}", answer)
    forbid_answer(st, send_id, start, t.quiet, "a SEND")
    still_serves(st, "a SEND")


def station_messages(st) -> list[Frame]:
    """The station's CALLs and SENDs under its identity, on every connection the trace still holds."""
    return [f for f in st.csms.trace if f.direction is Direction.IN and f.kind in ("CALL", "SEND")
            and f.meta.get("identity") == st.identity and f.correlation]


@pytest.mark.vgi_case("TC_VGI_RPC21_04_CS", feature="RPC", requires=("Core", "TriggerMessage"))
def test_TC_VGI_RPC21_04_CS(booted_station, t) -> None:
    """The station's message ids are unique over all its connections (2.1 widens the scope from one connection
    to the identity): the CSMS closes the connection, and the CALLs the station sends after it reconnected reuse
    no id it sent before, on any connection, unless a CALL is a resend of the very same message."""
    st = booted_station
    start = s.mark(st)
    st.call("TriggerMessage", {"requestedMessage": "Heartbeat"})
    before = s.require(st, "Heartbeat", start, t.wait, r.EXPECTED_MESSAGE, "the triggered Heartbeat did not come")
    st.disconnect()
    reopened = st.csms.trace.wait_for(lambda f: f.kind == "OPEN" and f.meta.get("identity") == st.identity
                                      and f.connection != before.connection, start, t.wait)
    if reopened is None:
        st.fail(r.EXPECTED_MESSAGE, f"the station did not reconnect within {t.wait:g} s after the CSMS closed the "
                "connection")
    st.wait_connected(t.wait)
    for _ in range(3):  # Heartbeats: every station sends them whichever form its connector states take
        mark = s.mark(st)
        st.call("TriggerMessage", {"requestedMessage": "Heartbeat"})
        s.require(st, "Heartbeat", mark, t.wait, r.EXPECTED_MESSAGE, "the triggered Heartbeat did not come after "
                  "the reconnection")
    first: dict[str, Frame] = {}
    after = [f for f in station_messages(st) if f.index > reopened.index]
    for f in station_messages(st):
        if f.index <= reopened.index:
            first.setdefault(f.correlation, f)
    st.check(after, r.EXPECTED_MESSAGE, "the station sent nothing after the reconnection")
    for f in after:
        earlier = first.setdefault(f.correlation, f)
        if earlier is not f and (earlier.name, earlier.body) != (f.name, f.body):  # a resend may keep its id
            st.fail(r.MSGID_REUSED, f"{f.name} after the reconnection reuses message id {f.correlation!r} of the "
                    f"{earlier.name} of frame {earlier.index}", f)
