"""Issue 13: hostile HTTP from a 2030.5 client never crashes or stalls the server; each case is a frame with
its raw bytes (bounded), a finding, and an answer that is in the trace too."""

from __future__ import annotations

import time
from typing import Iterator

import pytest

from vgitest.sep2 import rules as r
from vgitest.sep2.server import FakeSep2Server

from ..hostile_http import (BAD_FRAMING, MID_BODY_CHUNK, assert_bad_http_recorded, assert_body_too_large, exchange,
                            fill, many_attributes, status_of, wait_for)

CAP = 64 * 1024
SEP = "application/sep+xml"


@pytest.fixture
def server(sep2_schema_dir: object) -> Iterator[FakeSep2Server]:
    srv = FakeSep2Server(max_body_bytes=CAP).start()
    yield srv
    srv.stop()


def _put(path: str, body: bytes) -> bytes:
    return (f"PUT {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {SEP}\r\nContent-Length: {len(body)}\r\n"
            f"Connection: close\r\n\r\n").encode() + body


@pytest.mark.parametrize("n", [50_000, 100_000])
def test_many_attributes_are_refused_fast_with_one_finding(sep2_schema_dir: object, n: int) -> None:
    with FakeSep2Server() as srv:  # the default 1 MiB cap: the body is under it
        body = many_attributes(b'<EndDevice xmlns="urn:ieee:std:2030.5:ns"', n) + b"<sFDI>1</sFDI></EndDevice>"
        assert len(body) < 1 << 20
        t0 = time.monotonic()
        answer = exchange(srv.host, srv.port, _put("/edev/1", body), timeout=14)
        took = time.monotonic() - t0
        assert status_of(answer) == 400, answer[:200]
        assert took < 1.5, f"answered after {took:.2f} s"
        frame = srv.trace[0]
        assert frame.raw == body and len(frame.findings) <= 5
        assert r.XML_TOO_COMPLEX in [f.rule_id for f in frame.findings]


def test_a_control_character_in_the_path_is_answered_and_kept(server: FakeSep2Server) -> None:
    answer = exchange(server.host, server.port, b"GET /edev%00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status_of(answer) == 400, answer[:200]
    assert wait_for(lambda: len(server.trace) >= 2)
    request, response = server.trace[0], server.trace[1]
    assert r.HTTP_MALFORMED in [f.rule_id for f in request.findings]
    assert response.kind == "RESPONSE" and response.meta["status"] == status_of(answer)


@pytest.mark.parametrize("size", [5 << 20])
def test_a_body_over_the_read_limit_is_413_fail_and_kept_bounded(server: FakeSep2Server, size: int) -> None:
    body = b"<EndDevice>" + b"x" * size + b"</EndDevice>"
    frame = assert_body_too_large(server, _put("/edev/1", body), body, CAP, r.BODY_TOO_LARGE)
    assert r.REQUEST_INCOMPLETE not in [f.rule_id for f in frame.findings]


@pytest.mark.parametrize("kind", list(BAD_FRAMING))
def test_bad_http_is_a_frame_a_finding_and_an_answer(server: FakeSep2Server, kind: str,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    assert_bad_http_recorded(server, kind, "/edev", SEP, r.HTTP_MALFORMED, caplog)


def test_a_bad_chunk_size_mid_body_is_bad_http_not_an_abort(server: FakeSep2Server) -> None:
    sent = [fill(part, "/edev", SEP) for part in MID_BODY_CHUNK]
    answer = exchange(server.host, server.port, sent)
    assert status_of(answer) == 400, answer[:200]
    assert wait_for(lambda: len(server.trace) >= 2)
    request, response = server.trace[0], server.trace[1]
    assert r.HTTP_MALFORMED in [f.rule_id for f in request.findings] and request.raw == b"<a/>"
    assert response.kind == "RESPONSE" and response.meta["status"] == 400
