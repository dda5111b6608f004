"""The fake CSMS's side of the OCPP-J 2.1 RPC framework (2.1 Part 4 §4), judged on raw frames: a SEND is never
answered and never counts as a second outstanding CALL, message ids are unique over all connections of an identity
(per connection in 2.0.1), a CALLRESULT the CSMS cannot accept gets a CALLRESULTERROR (2.1 only), and a station's
CALLRESULTERROR must name a CALLRESULT the CSMS sent."""

from __future__ import annotations

import concurrent.futures
import time
from typing import Iterator

import pytest
from websockets.exceptions import ConnectionClosed

from vgitest.ocpp import rules as r
from vgitest.ocpp.csms import Delay, FakeCsms

from tests.ocpp.rawclient import RawClient

SUBPROTOCOL = {"2.0.1": "ocpp2.0.1", "2.1": "ocpp2.1"}
STREAM = {"id": 1, "pending": 0, "basetime": "2026-12-07T10:00:00Z", "data": [{"t": 0, "v": "1"}]}


@pytest.fixture
def csms() -> Iterator[FakeCsms]:
    server = FakeCsms(port=0).start()
    yield server
    server.stop()


def client(csms: FakeCsms, version: str, boot_id: str = "boot-1") -> RawClient:
    c = RawClient(csms.url_for("CS1"), [SUBPROTOCOL[version]])
    c.send([2, boot_id, "BootNotification", {"reason": "PowerUp", "chargingStation": {"model": "M",
                                                                                       "vendorName": "V"}}])
    assert c.recv()[:2] == [3, boot_id]
    return c


def rules(csms: FakeCsms) -> list[str]:
    time.sleep(0.1)
    return [f.rule_id for f in csms.trace.findings_since(0)]


def silent(c: RawClient, within: float = 0.4) -> bool:
    try:
        c.recv(within)
    except TimeoutError:
        return True
    return False


def test_a_send_is_not_answered_and_may_come_while_a_call_is_outstanding(csms: FakeCsms) -> None:
    c = client(csms, "2.1")
    try:
        csms.session("CS1").override("Heartbeat", Delay(0.5), once=True)
        c.send([2, "hb1", "Heartbeat", {}])
        c.send([6, "s1", "NotifyPeriodicEventStream", STREAM])
        c.send([6, "s2", "NotifyPeriodicEventStream", {"id": "not a number"}])  # broken: a finding, still no answer
        assert c.recv()[:2] == [3, "hb1"]
        assert silent(c)
        found = rules(csms)
        assert r.CALL_CONCURRENT not in found and r.SCHEMA in found, found
        assert [f.rule_id for f in csms.trace.findings_since(0) if f.frame_index is not None
                and csms.trace[f.frame_index].correlation == "s1"] == []
    finally:
        c.close()


def test_the_same_send_before_a_call_in_2_0_1_is_an_unknown_type(csms: FakeCsms) -> None:
    """The counter-check: 2.0.1 has no SEND, so the frame is an unknown message type and is answered."""
    c = client(csms, "2.0.1")
    try:
        c.send([6, "s1", "NotifyPeriodicEventStream", STREAM])
        reply = c.recv()
        assert reply[:3] == [4, "s1", "MessageTypeNotSupported"]
        assert r.TYPE_UNKNOWN in rules(csms)
    finally:
        c.close()


@pytest.mark.parametrize("version,flagged", [("2.1", True), ("2.0.1", False)])
def test_message_ids_are_unique_per_identity_in_2_1(csms: FakeCsms, version: str, flagged: bool) -> None:
    c = client(csms, version)
    c.send([2, "hb-1", "Heartbeat", {}])
    assert c.recv()[:2] == [3, "hb-1"]
    c.close()
    c = client(csms, version, boot_id="boot-2")
    try:
        c.send([2, "hb-1", "Heartbeat", {}])  # the id of the first connection's Heartbeat
        assert c.recv()[:2] == [3, "hb-1"]
        assert (r.MSGID_REUSED in rules(csms)) is flagged
    finally:
        c.close()


@pytest.mark.parametrize("version,answered", [("2.1", True), ("2.0.1", False)])
def test_an_invalid_callresult_gets_a_callresulterror_in_2_1(csms: FakeCsms, version: str, answered: bool) -> None:
    c = client(csms, version)
    session = csms.session("CS1")
    try:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            fut = pool.submit(session.call_frame, "ClearCache", {}, 2.0)
            call = c.recv()
            assert call[0] == 2 and call[2] == "ClearCache"
            c.send([3, call[1], {"status": "Maybe"}])  # not a ClearCacheStatus
            assert fut.result(5).kind == "CALLRESULT"
        if answered:
            reply = c.recv()
            assert reply[:3] == [5, call[1], "PropertyConstraintViolation"] and reply[4] == {}
        else:
            assert silent(c)
        c.send([2, "hb-after", "Heartbeat", {}])
        assert c.recv()[:2] == [3, "hb-after"]
    finally:
        c.close()


def test_a_station_callresulterror_must_name_a_csms_callresult(csms: FakeCsms) -> None:
    c = client(csms, "2.1")
    try:
        c.send([5, "boot-1", "FormatViolation", "the BootNotification answer was not acceptable", {}])
        assert r.RESULT_ORPHAN not in rules(csms)
        c.send([5, "no-such-result", "FormatViolation", "", {}])
        assert rules(csms).count(r.RESULT_ORPHAN) == 1
        assert silent(c)  # a CALLRESULTERROR is not answered either
    except ConnectionClosed:
        pytest.fail("the fake CSMS closed the connection on a CALLRESULTERROR")
    finally:
        c.close()
