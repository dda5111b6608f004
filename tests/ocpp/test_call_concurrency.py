"""One outstanding CALL per direction (OCPP-J 1.6 §4.1.1, 2.0.1 Part 4 §4.1.1), judged on raw frames: a CALL is
outstanding from the moment the station sends it until the CSMS's answer is written, whatever path wrote the
answer, and a second CALL that reached the socket before that answer was written was sent while the first was
unanswered, even when the harness happened to answer the first before reading the second (issue 13)."""

from __future__ import annotations

import json
import time
from typing import Iterator

import pytest
from websockets.frames import Frame as WsFrame, Opcode

from vgitest.findings import Severity
from vgitest.ocpp import rules as r
from vgitest.ocpp.csms import FakeCsms

from tests.ocpp.rawclient import RawClient

NOW = "2026-12-06T10:00:00Z"


@pytest.fixture
def csms() -> Iterator[FakeCsms]:
    server = FakeCsms(port=0).start()
    yield server
    server.stop()


def client(csms: FakeCsms, version: str) -> RawClient:
    c = RawClient(csms.url_for("CS1"), ["ocpp1.6" if version == "1.6" else "ocpp2.0.1"])
    assert c.boot(version)[0] == 3
    return c


def send_together(c: RawClient, *messages: list) -> None:
    """Several masked WebSocket frames in one TCP write: a station pipelining CALLs without waiting."""
    data = b"".join(WsFrame(Opcode.TEXT, json.dumps(m).encode()).serialize(mask=True, extensions=[])
                    for m in messages)
    c.ws.socket.sendall(data)


def concurrent(csms: FakeCsms) -> list:
    time.sleep(0.05)
    return [f for f in csms.trace.findings_since(0) if f.rule_id == r.CALL_CONCURRENT]


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_a_call_answered_with_callerror_is_no_longer_outstanding(csms: FakeCsms, version: str) -> None:
    """A schema-invalid CALL got a CALLERROR but its id stayed outstanding: every later CALL was
    OCPPJ-CALL-CONCURRENT until the response timeout ran out."""
    c = client(csms, version)
    try:
        c.send([2, "bad1", "StatusNotification", {}])  # required fields missing: CALLERROR
        assert c.recv()[:2] == [4, "bad1"]
        for i in range(3):
            c.send([2, f"hb{i}", "Heartbeat", {}])
            assert c.recv()[:2] == [3, f"hb{i}"]
        assert concurrent(csms) == []
    finally:
        c.close()


@pytest.mark.parametrize("version,severity", [("1.6", Severity.WARN), ("2.0.1", Severity.FAIL)])
def test_pipelined_calls_are_concurrent(csms: FakeCsms, version: str, severity: Severity) -> None:
    """Two CALLs in one TCP read: the harness answered the first before reading the second, so nothing was
    pending when the second was judged, and the station's pipelining went unnoticed."""
    c = client(csms, version)
    try:
        send_together(c, [2, "p1", "Heartbeat", {}], [2, "p2", "Heartbeat", {}])
        assert {c.recv()[1], c.recv()[1]} == {"p1", "p2"}
        found = concurrent(csms)
        assert [f.severity for f in found] == [severity], found
        assert "'p1'" in found[0].message and "'p2'" in found[0].message
        frame = csms.trace[found[0].frame_index]
        assert frame.correlation == "p2" and frame.kind == "CALL"
    finally:
        c.close()


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_a_station_that_waits_for_each_answer_is_never_concurrent(csms: FakeCsms, version: str) -> None:
    """The socket-time check must not flag a station that sends its next CALL as soon as the answer arrives."""
    c = client(csms, version)
    try:
        for i in range(30):
            c.send([2, f"w{i}", "Heartbeat", {}])
            assert c.recv()[:2] == [3, f"w{i}"]
        c.send([2, "bad2", "StatusNotification", {}])
        assert c.recv()[:2] == [4, "bad2"]
        c.send([2, "w-last", "Heartbeat", {}])
        assert c.recv()[:2] == [3, "w-last"]
        assert concurrent(csms) == []
    finally:
        c.close()
