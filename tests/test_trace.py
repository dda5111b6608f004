"""The trace keeps every frame and hands each test exactly its own findings."""

from __future__ import annotations

import threading
import time

from vgitest.findings import Finding
from vgitest.ocpp import rules as r
from vgitest.trace import Direction, Frame, Trace


def frame(kind: str = "CALL") -> Frame:
    return Frame(time.monotonic_ns(), time.time(), Direction.IN, "ocpp", "1.6", "c1", kind, raw=b"[]")


def test_frameless_finding_belongs_only_to_the_test_that_made_it() -> None:
    t = Trace()
    a = t.mark()
    t.append(frame())
    t.add_finding(Finding.of(r.EXPECTED_MESSAGE, "test A waited in vain"))
    b = t.mark()  # test B starts without any new frame in between
    assert [f.message for f in t.findings_since(*a)] == ["test A waited in vain"]
    assert t.findings_since(*b) == []  # test B does not inherit test A's failure
    t.add_finding(Finding.of(r.EXPECTED_MESSAGE, "test B waited in vain"))
    assert [f.message for f in t.findings_since(*b)] == ["test B waited in vain"]


def test_frame_findings_and_wait_for() -> None:
    t = Trace()
    f = frame()
    f.findings.append(Finding.of(r.MSGID_EMPTY, "empty id", 0))
    t.append(f)
    assert [x.rule_id for x in t.findings_since(0)] == [r.MSGID_EMPTY] and t.findings_since(1) == []
    threading.Timer(0.05, lambda: t.append(frame("CALLRESULT"))).start()
    got = t.wait_for(lambda x: x.kind == "CALLRESULT", 0, 2.0)
    assert got is not None and got.index == 1
    assert t.wait_for(lambda x: x.kind == "CALLERROR", 0, 0.05) is None


def test_undecodable_bytes_are_kept_as_hex() -> None:
    f = Frame(0, 0.0, Direction.IN, "ocpp", "1.6", "c1", "MALFORMED", raw=b"\xff\xfe[2,")
    d = f.to_dict()
    assert d["raw_hex"] == "fffe5b322c" and "raw" not in d and d["size"] == 5
