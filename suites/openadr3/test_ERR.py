"""Throttling answers: the VEN waits for the time a 429 or 503 answer's Retry-After gives before its next request,
and does not drop the report the VTN could not take."""

from __future__ import annotations

import pytest

from helpers_oa3 import event, ok, reports_of, status
from vgitest.openadr3 import rules as r
from vgitest.openadr3.vtn import Raw, problem
from vgitest.trace import Direction, Frame

pytestmark = pytest.mark.vgi_protocol("openadr3", "3.0.1")

# the VEN reads Retry-After after the VTN sent it: a request sooner than this before its end is the VEN's
TOLERANCE_S = 0.25


def throttled(code: int, retry_after: int) -> Raw:
    return Raw(code, problem(code, "Too Many Requests" if code == 429 else "Service Unavailable").body,
               {"Retry-After": str(retry_after)})


def too_soon(ven, answer: Frame, retry_after: int) -> None:
    """No request of the VEN within Retry-After (less the tolerance) of `answer`."""
    end = answer.t_ns + (retry_after - TOLERANCE_S) * 1_000_000_000
    early = [f for f in ven.frames(answer.index + 1) if f.direction is Direction.IN and f.kind == "REQUEST"
             and f.t_ns < end]
    ven.check(not early, r.RETRY, f"{early[0].name if early else ''} came "
              f"{(early[0].t_ns - answer.t_ns) / 1e9 if early else 0:.2f} s after an answer {status(answer)} with "
              f"Retry-After: {retry_after}", early[0] if early else None)


@pytest.mark.vgi_case("TC_VGI_OA3_26", feature="Errors")
def test_TC_VGI_OA3_26(registered_ven3, t) -> None:
    """After its read of the events is answered 429 with Retry-After: 2, the VEN sends nothing for those two
    seconds, then reads the events again."""
    ven = registered_ven3
    ven.override("GET /events", throttled(429, 2), once=True)
    _, answer = ven.expect_answered("GET /events", t.wait, ok(429), fresh=True)
    ven.expect_answered("GET /events", 2 + t.wait, ok(200))
    too_soon(ven, answer, 2)


@pytest.mark.vgi_case("TC_VGI_OA3_27", feature="Reports", requires=("Reports",))
def test_TC_VGI_OA3_27(registered_ven3, t) -> None:
    """A report the VTN answers 503 with Retry-After: 1 is sent again after that second (and created), not
    dropped."""
    ven = registered_ven3
    ven.override("POST /reports", throttled(503, 1), once=True)
    ven.cursor = len(ven.vtn.trace)
    ev = ven.create_event(event(name="busy VTN", report="USAGE"))
    _, answer = ven.expect_answered("POST /reports", t.wait, lambda q, a: reports_of(ev["id"], False)(q, a)
                                    and status(a) == 503)
    ven.expect_answered("POST /reports", 1 + t.wait, reports_of(ev["id"]))
    too_soon(ven, answer, 1)
