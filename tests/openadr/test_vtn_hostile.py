"""Issue 13: hostile HTTP from a VEN never crashes or stalls the VTN; each case is a frame with its raw bytes
(bounded), a finding, and an answer that is in the trace too."""

from __future__ import annotations

import time
from typing import Iterator
from urllib.parse import urlsplit

import pytest

from vgitest.openadr import rules as r
from vgitest.openadr.vtn import FakeVtn

from ..hostile_http import (BAD_FRAMING, MID_BODY_CHUNK, assert_bad_http_recorded, assert_body_too_large, exchange,
                            fill, many_attributes, status_of, wait_for)

CAP = 64 * 1024


@pytest.fixture
def vtn(oadr_schema_dir: object) -> Iterator[FakeVtn]:
    server = FakeVtn(poll_freq_s=2, max_body_bytes=CAP).start()
    yield server
    server.stop()


def _post(vtn: FakeVtn, service: str, body: bytes) -> bytes:
    return (f"POST {urlsplit(vtn.url).path}/{service} HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body


def test_fifty_thousand_attributes_are_refused_fast_with_one_finding(oadr_schema_dir: object) -> None:
    with FakeVtn(poll_freq_s=2) as vtn:  # the default 1 MiB cap: the body is under it
        body = (b'<oadrPayload xmlns="http://openadr.org/oadr-2.0b/2012/07"><oadrSignedObject>'
                + many_attributes(b"<oadrPoll", 50_000) + b"</oadrPoll></oadrSignedObject></oadrPayload>")
        t0 = time.monotonic()
        answer = exchange(vtn.host, vtn.port, _post(vtn, "OadrPoll", body), timeout=12)
        took = time.monotonic() - t0
        assert status_of(answer) == 400, answer[:200]
        assert took < 1.5, f"answered after {took:.2f} s"
        frame = vtn.trace[0]
        assert frame.raw == body and len(frame.findings) <= 5
        assert r.XML_TOO_COMPLEX in [f.rule_id for f in frame.findings]
        assert vtn.trace[1].kind == "RESPONSE" and vtn.trace[1].meta["status"] == 400


def test_a_control_character_in_the_path_is_answered_and_kept(vtn: FakeVtn) -> None:
    answer = exchange(vtn.host, vtn.port, b"GET /edev%00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status_of(answer) in (400, 404, 405), answer[:200]
    assert wait_for(lambda: len(vtn.trace) >= 2)
    request, response = vtn.trace[0], vtn.trace[1]
    assert r.HTTP_PATH in [f.rule_id for f in request.findings]
    assert response.kind == "RESPONSE" and response.meta["status"] == status_of(answer)


@pytest.mark.parametrize("size", [5 << 20])
def test_a_body_over_the_read_limit_is_413_fail_and_kept_bounded(vtn: FakeVtn, size: int) -> None:
    body = b"<oadrPayload>" + b"x" * size + b"</oadrPayload>"
    assert_body_too_large(vtn, _post(vtn, "OadrPoll", body), body, CAP, r.BODY_TOO_LARGE)


@pytest.mark.parametrize("kind", list(BAD_FRAMING))
def test_bad_http_is_a_frame_a_finding_and_an_answer(vtn: FakeVtn, kind: str,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    assert_bad_http_recorded(vtn, kind, urlsplit(vtn.url).path + "/OadrPoll", "application/xml", r.HTTP_MALFORMED,
                             caplog)


def test_a_bad_chunk_size_mid_body_is_bad_http_not_an_abort(vtn: FakeVtn) -> None:
    sent = [fill(part, urlsplit(vtn.url).path + "/OadrPoll", "application/xml") for part in MID_BODY_CHUNK]
    answer = exchange(vtn.host, vtn.port, sent)
    assert status_of(answer) == 400, answer[:200]
    assert wait_for(lambda: len(vtn.trace) >= 2)
    request, response = vtn.trace[0], vtn.trace[1]
    assert r.HTTP_MALFORMED in [f.rule_id for f in request.findings] and request.raw == b"<a/>"
    assert response.kind == "RESPONSE" and response.meta["status"] == 400


def test_telemetry_reports_are_kept_bounded() -> None:
    """A VEN reports every few seconds for as long as it runs: the VTN kept every oadrReport body (issue 13)."""
    from vgitest.openadr import handlers
    state = handlers.VtnState(vtn_id="V", assigned_ven_id="VEN", poll_freq_s=10)
    for i in range(handlers.REPORTS_KEPT + 500):
        body = {"oadrReport": {"reportRequestID": f"R{i}"}}
        handlers._update_report(state, None, None, body, f"r{i}")  # type: ignore[arg-type]
    assert len(state.report_data) == handlers.REPORTS_KEPT
    assert state.report_data[-1]["reportRequestID"] == f"R{handlers.REPORTS_KEPT + 499}"
