"""Hostile WebSocket input from a station (issue 13): bytes no WebSocket library would send, written on a raw socket.

Each one must end as a frame in the trace (raw bytes kept, bounded) with a finding, the protocol-correct answer
(RFC 6455 close code, or an HTTP 4xx for a bad handshake) and no traceback in the log. Before the fix the
connection was closed or refused with nothing in the trace but an OPEN/CLOSE pair, and the bytes only in the pcapng.
"""

from __future__ import annotations

import logging
import time
from typing import Iterator

import pytest

from vgitest.ocpp.csms import FakeCsms
from vgitest.trace import Direction, Frame

from tests.ocpp import wsraw
from tests.ocpp.test_rules_raw import provokes



@pytest.fixture
def csms(caplog: pytest.LogCaptureFixture) -> Iterator[FakeCsms]:
    caplog.set_level(logging.DEBUG, logger="vgitest")  # websockets logs its tracebacks at debug level
    server = FakeCsms(port=0, connect_timeout=3.0).start()
    yield server
    server.stop()


def judged(csms: FakeCsms, rule_id: str, timeout: float = 3.0) -> Frame:
    """The trace frame carrying a finding of `rule_id` (fails after `timeout`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for f in csms.trace:
            if f.direction is Direction.IN and any(x.rule_id == rule_id for x in f.findings):
                return f
        time.sleep(0.02)
    raise AssertionError(f"no frame with {rule_id}; trace: {[(f.kind, [x.rule_id for x in f.findings]) for f in csms.trace]}")


def no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    tracebacks = [r.getMessage() for r in caplog.records if r.exc_info]
    assert not tracebacks and "Traceback" not in caplog.text, tracebacks


@provokes("OCPPJ-WS-UTF8")
def test_invalid_utf8_in_a_text_frame(csms: FakeCsms, caplog: pytest.LogCaptureFixture) -> None:
    payload = b'[2,"u1","Heartbeat",{"x":"\xc3\x28"}]'
    s, head = wsraw.handshake(csms.port, "/ocpp/CS1")
    assert wsraw.status(head) == 101
    s.sendall(wsraw.frame(0x1, payload))
    assert wsraw.close_code(s) == 1007
    s.close()
    f = judged(csms, "OCPPJ-WS-UTF8")
    assert f.raw == payload and f.meta["identity"] == "CS1"
    assert "position 26" in f.findings[0].message
    close = judged_close(csms)
    assert close.meta["sent"] == 1007
    no_traceback(caplog)


@provokes("OCPPJ-WS-FRAMING")
def test_reserved_opcode(csms: FakeCsms, caplog: pytest.LogCaptureFixture) -> None:
    s, head = wsraw.handshake(csms.port, "/ocpp/CS1")
    assert wsraw.status(head) == 101
    sent = wsraw.frame(0x3, b"hi")
    s.sendall(sent)
    assert wsraw.close_code(s) == 1002
    s.close()
    f = judged(csms, "OCPPJ-WS-FRAMING")
    assert f.raw == b"hi" and f.meta["opcode"] == 3 and f.meta["header"] == sent[:6].hex()  # header as received
    assert "opcode" in f.findings[0].message
    no_traceback(caplog)


@provokes("OCPPJ-WS-TOO-BIG")
def test_frame_over_4_mib(csms: FakeCsms, caplog: pytest.LogCaptureFixture) -> None:
    declared = 4 * 2 ** 20 + 10
    s, head = wsraw.handshake(csms.port, "/ocpp/CS1")
    assert wsraw.status(head) == 101
    s.sendall(wsraw.frame(0x1, b"[" * 100_000, declared=declared))  # the rest never needs to be sent
    assert wsraw.close_code(s) == 1009
    s.close()
    f = judged(csms, "OCPPJ-WS-TOO-BIG")
    assert f.meta["length"] == declared and len(f.raw) <= 65536 and f.raw.startswith(b"[[[")
    assert str(declared) in f.findings[0].message
    no_traceback(caplog)


@provokes("OCPPJ-HANDSHAKE")
def test_ten_thousand_character_url(csms: FakeCsms, caplog: pytest.LogCaptureFixture) -> None:
    path = "/ocpp/" + "A" * 10_000
    s, head = wsraw.handshake(csms.port, path)
    s.close()
    assert wsraw.status(head) == 414
    f = judged(csms, "OCPPJ-HANDSHAKE")
    assert f.kind == "REJECT" and f.raw.startswith(b"GET /ocpp/AAAA") and f.meta["status"] == 414
    assert len(f.raw) <= 65536
    no_traceback(caplog)


@provokes("OCPPJ-IDENTITY-CHARS")
@pytest.mark.parametrize("ident", ["%00", "A%00B", "%ZZ", "%C0%AF", "..", ".", "A%0AB", "%E2%82%AC", "A%"])
def test_malformed_identity_is_refused(csms: FakeCsms, caplog: pytest.LogCaptureFixture, ident: str) -> None:
    s, head = wsraw.handshake(csms.port, "/ocpp/" + ident)
    s.close()
    assert wsraw.status(head) == 400
    f = judged(csms, "OCPPJ-IDENTITY-CHARS")
    assert f.kind == "REJECT" and f"/ocpp/{ident} ".encode() in f.raw
    assert not csms.sessions  # no station session under a mangled name
    assert [x.rule_id for f in csms.trace for x in f.findings] == ["OCPPJ-IDENTITY-CHARS"]
    no_traceback(caplog)


@pytest.mark.parametrize("ident", ["CS1", "cs-01_A.b~9", "CS%2D1"])
def test_a_legal_identity_passes_unchanged(csms: FakeCsms, ident: str) -> None:
    s, head = wsraw.handshake(csms.port, "/ocpp/" + ident)
    try:
        assert wsraw.status(head) == 101
        st = csms.wait_for_station(timeout=3)
        assert st.identity == ident.replace("%2D", "-")
        assert not [x for f in csms.trace for x in f.findings]
    finally:
        s.close()


def judged_close(csms: FakeCsms, timeout: float = 3.0) -> Frame:
    frame = csms.trace.wait_for(lambda f: f.kind == "CLOSE", 0, timeout)
    assert frame is not None
    return frame


def test_an_upgrade_request_without_upgrade_header(csms: FakeCsms, caplog: pytest.LogCaptureFixture) -> None:
    """A request the library parses but refuses itself (after process_request) is kept too."""
    import socket
    s = socket.create_connection(("127.0.0.1", csms.port), timeout=5)
    s.sendall(b"GET /ocpp/CS1 HTTP/1.1\r\nHost: 127.0.0.1\r\nSec-WebSocket-Version: 13\r\n\r\n")
    head = s.recv(65536)
    s.close()
    assert 400 <= wsraw.status(head) < 500
    f = judged(csms, "OCPPJ-HANDSHAKE")
    assert f.kind == "REJECT" and f.raw.startswith(b"GET /ocpp/CS1") and f.meta["status"] == wsraw.status(head)
    assert "Connection header" in f.findings[0].message
    no_traceback(caplog)


def test_printable_identity_outside_unreserved_is_accepted_with_a_warning(csms: FakeCsms) -> None:
    """1.6 only asks for percent-encoding; 2.0.1 Part 2 wants unreserved characters: warn, do not refuse."""
    s, head = wsraw.handshake(csms.port, "/ocpp/CS%2A1")
    try:
        assert wsraw.status(head) == 101
        assert csms.wait_for_station(timeout=3).identity == "CS*1"
        opened = csms.trace.wait_for(lambda f: f.kind == "OPEN", 0, 3)
        assert opened is not None and [(x.rule_id, x.severity.value) for x in opened.findings] == \
            [("OCPPJ-IDENTITY-CHARS", "warn")]
    finally:
        s.close()
