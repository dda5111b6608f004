"""RPC-framework cases (OCPP-J 1.6 §4). OCTT has no ids for these, so they carry vgitest's own ids
(TC_VGI_RPC_nn_CS)."""

from __future__ import annotations

import uuid

import pytest

from helpers16 import answer_to, connector, wait_s
from vgitest.case import preamble
from vgitest.findings import Severity
from vgitest.ocpp import rules as r
from vgitest.ocpp.csms import Delay
from vgitest.ocpp.states_v16 import calls_wait
from vgitest.trace import Direction
from vgitest.verdict import Inconclusive

pytestmark = pytest.mark.vgi_protocol("ocpp", "1.6")


def _reply_to(station, mid: str, timeout: float):
    def pred(f):
        return f.meta.get("identity") == station.identity and f.direction is Direction.IN and f.correlation == mid
    return station.csms.trace.wait_for(pred, 0, timeout)


@pytest.mark.vgi_case("TC_VGI_RPC_01_CS", feature="RPC Framework", requires=("Core",))
def test_TC_VGI_RPC_01_CS(booted_station):
    """vgitest's own case: a CALL with an action the station does not know is answered with a CALLERROR
    NotImplemented (and an errorDetails object)."""
    frame = booted_station.call_frame("VgiUnknownAction", {}, validate=False)
    booted_station.check(frame.kind == "CALLERROR" and frame.body.get("errorCode") == "NotImplemented",
                         r.STATION_RESPONSE, f"an unknown action was answered {frame.kind} "
                         f"{(frame.body or {}).get('errorCode', '')}, expected CALLERROR NotImplemented", frame)


@pytest.mark.vgi_case("TC_VGI_RPC_02_CS", feature="RPC Framework", requires=("Core",))
def test_TC_VGI_RPC_02_CS(booted_station):
    """vgitest's own case: a request that breaks its schema gets a CALLERROR with the 1.6 code for the
    problem: a missing required field is an occurrence violation (1.6 spelling OccurenceConstraintViolation),
    a field of the wrong type a TypeConstraintViolation."""
    station = booted_station
    missing = station.call_frame("ChangeAvailability", {"connectorId": 1}, validate=False)
    code = (missing.body or {}).get("errorCode")
    station.check(missing.kind == "CALLERROR" and code in ("OccurenceConstraintViolation", "ProtocolError"),
                  r.STATION_RESPONSE, f"a request without a required field was answered {missing.kind} {code or ''}"
                  ", expected CALLERROR OccurenceConstraintViolation", missing)
    wrong = station.call_frame("GetConfiguration", {"key": "HeartbeatInterval"}, validate=False)
    code = (wrong.body or {}).get("errorCode")
    station.check(wrong.kind == "CALLERROR" and code in ("TypeConstraintViolation", "FormationViolation"),
                  r.STATION_RESPONSE, f"a field of the wrong type was answered {wrong.kind} {code or ''}, "
                  "expected CALLERROR TypeConstraintViolation", wrong)


@pytest.mark.vgi_case("TC_VGI_RPC_03_CS", feature="RPC Framework", requires=("Core",))
def test_TC_VGI_RPC_03_CS(booted_station):
    """vgitest's own case: a CALL whose payload is not a JSON object is a FormationViolation (1.6 spelling),
    answered as a well-formed CALLERROR carrying the CALL's id."""
    station = booted_station
    mid = f"vgi-{uuid.uuid4().hex[:12]}"
    station.send_raw(f'[2,"{mid}","GetConfiguration",[]]')
    reply = _reply_to(station, mid, 3.0)
    if reply is None:
        station.fail(r.EXPECTED_MESSAGE, "no answer to a CALL whose payload is not an object")
    station.check(reply.kind == "CALLERROR" and (reply.body or {}).get("errorCode") == "FormationViolation",
                  r.STATION_RESPONSE, f"answered {reply.kind} {(reply.body or {}).get('errorCode', '')}, expected "
                  "CALLERROR FormationViolation", reply)


@pytest.mark.vgi_case("TC_VGI_RPC_04_CS", feature="RPC Framework", requires=("Core",))
def test_TC_VGI_RPC_04_CS(booted_station, dut, vgi_profile):
    """vgitest's own case: across a restart, every CALL the station sends on a connection has a non-empty
    message id of at most 36 characters, never reused on that connection."""
    from vgitest.ocpp.states_v16 import reboot
    station = booted_station
    boot = reboot(station, dut, vgi_profile)
    station.call("TriggerMessage", {"requestedMessage": "Heartbeat"})
    station.expect("Heartbeat", wait_s(vgi_profile))
    seen: set[str] = set()
    for f in station.frames(boot.index):
        if f.direction is not Direction.IN or f.kind != "CALL" or f.connection != boot.connection:
            continue
        mid = f.correlation or ""
        station.check(mid != "", r.MSGID_EMPTY, f"{f.name} has an empty message id", f)
        station.check(len(mid) <= 36, r.MSGID_LENGTH, f"{f.name} message id has {len(mid)} characters", f)
        station.check(mid not in seen, r.MSGID_REUSED, f"{f.name} reuses message id {mid!r}", f)
        seen.add(mid)


@pytest.mark.vgi_case("TC_VGI_RPC_05_CS", feature="RPC Framework", requires=("Core", "RemoteTrigger"))
def test_TC_VGI_RPC_05_CS(booted_station, vgi_profile):
    """vgitest's own case: while the CSMS holds back its answer to a station CALL (a triggered StatusNotification),
    the station does not send its next CALL (a triggered Heartbeat) (1.6: SHOULD NOT; NON_STRICT, a failure with
    --vgi-strict). A station that sends no second CALL leaves nothing to judge: INCONCLUSIVE."""
    station, c = booted_station, connector(vgi_profile)
    hold = 1.5
    station.override("StatusNotification", Delay(hold), once=True)
    with preamble(f"a StatusNotification for connector {c} triggered, its answer held back {hold:g} s"):
        station.call("TriggerMessage", {"requestedMessage": "StatusNotification", "connectorId": c})
        first = station.expect("StatusNotification", wait_s(vgi_profile), match={"connectorId": c})
    mark = len(station.csms.trace)
    res = station.call("TriggerMessage", {"requestedMessage": "Heartbeat"})
    second = calls_wait(station, "Heartbeat", mark, hold + wait_s(vgi_profile))
    if res.get("status") != "Accepted" or second is None:
        raise Inconclusive(f"the station sent no second CALL while its StatusNotification was unanswered (the "
                           f"triggered Heartbeat was answered {res.get('status')} and "
                           f"{'never came' if second is None else 'came'}): nothing to judge")
    answer = answer_to(station, first, hold + 2)
    if (answer is None or second.t_ns < answer.t_ns) and not any(f.rule_id == r.CALL_CONCURRENT
                                                                 for f in second.findings):
        station.record(r.CALL_CONCURRENT, "Heartbeat sent before the StatusNotification was answered", second,
                       severity=Severity.WARN)


@pytest.mark.vgi_case("TC_VGI_RPC_06_CS", feature="RPC Framework", requires=("Core",))
def test_TC_VGI_RPC_06_CS(booted_station):
    """vgitest's own case: a frame with a message type OCPP 1.6 does not define is ignored: no answer, and the
    connection stays open."""
    station = booted_station
    mid = f"vgi-{uuid.uuid4().hex[:12]}"
    station.send_raw(f'[7,"{mid}",{{}}]')
    reply = _reply_to(station, mid, 1.5)
    if reply is not None:
        station.fail(r.FORBIDDEN_MESSAGE, f"the station answered an unknown message type with {reply.kind} "
                     f"{(reply.body or {}).get('errorCode', '')}; OCPP 1.6 ignores such frames", reply)
    station.check(station.connected, r.EXPECTED_MESSAGE, "the station closed the connection")
