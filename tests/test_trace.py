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


def test_a_large_trace_slows_the_garbage_collector_until_it_is_gone() -> None:
    """A fleet's trace holds tens of thousands of frames; full collections walking them all cost a quarter of the
    fake CSMS's CPU (vgitest/gcpolicy.py). The slower pace lasts while such a trace exists, and no longer."""
    import gc

    from vgitest import gcpolicy, trace as trace_mod
    before = gc.get_threshold()
    small, large = Trace(), Trace()
    for i in range(trace_mod.LARGE_TRACE - 1):
        for t in (small, large):
            t.append(Frame(i, 0.0, Direction.IN, "ocpp", "1.6", "c", "CALL"))
    assert not gcpolicy.active() and gc.get_threshold() == before  # below the size: nothing changes
    large.append(Frame(0, 0.0, Direction.IN, "ocpp", "1.6", "c", "CALL"))
    assert gcpolicy.active() and gc.get_threshold() == gcpolicy.LARGE_HEAP
    other = Trace()
    gcpolicy.hold(other)
    del large, t
    gc.collect()
    assert gc.get_threshold() == gcpolicy.LARGE_HEAP  # another large trace still holds it
    gcpolicy.release(other)
    assert not gcpolicy.active() and gc.get_threshold() == before


def test_frames_and_wire_chunks_have_no_dict() -> None:
    """Slots: one object per frame and per wire chunk for the collector, not two (a fleet holds 50,000 frames)."""
    from vgitest.wire import Chunk
    frame = Frame(0, 0.0, Direction.IN, "ocpp", "1.6", "c", "CALL")
    assert not hasattr(frame, "__dict__") and not hasattr(Chunk(0, 0.0, Direction.IN, b"x"), "__dict__")


def test_frame_timestamps_read_as_datetime_writes_them() -> None:
    """`iso_ms` (the fast formatter a fleet's spill uses) gives what datetime's isoformat gives, at the edges of
    a millisecond and a second too (microseconds rounded half to even, then cut)."""
    import datetime as dt
    import random

    from vgitest.trace import iso_ms

    def slow(w: float) -> str:
        return dt.datetime.fromtimestamp(w, dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    rnd = random.Random(7)
    walls = [rnd.uniform(0, 4e9) for _ in range(20000)]
    walls += [s + f for s in (0, 1765000000) for f in (0.0, 0.0005, 0.9995, 0.9999994, 0.9999995, 0.9999996)]
    walls += [1765000000 + i / 1e6 for i in range(0, 2_000_000, 997)]
    assert [w for w in walls if iso_ms(w) != slow(w)] == []


def test_a_spilled_line_is_the_frame_record() -> None:
    """The spill writes with orjson (a fleet's hot path), json where orjson cannot: each line must read back as
    the record `to_dict` gives, whatever the frame holds."""
    import json

    from vgitest.trace import spill_line

    encode = json.JSONEncoder(default=str).encode
    weird = 'q"\\\n\u00e9\u2028\U0001f600'
    frames = [
        Frame(1, 1765152000.1235, Direction.IN, "ocpp", "1.6", "CP1#1", "CALL", "MeterValues", "42",
              b'[2,"42","MeterValues",{"connectorId":1}]', {"connectorId": 1}, [],
              {"identity": "CP1", "harness_latency_us": 12.5, "n": 3, "gone": None}),
        Frame(2, 0.0, Direction.OUT, "ocpp", "2.0.1", weird, "CALLERROR", None, None, weird.encode(),
              {"errorCode": "x", "big": 2 ** 70}, [Finding.of(r.SCHEMA, weird, 7)],
              {"nested": {"a": [1, 2]}, "flag": True, weird: weird, "obj": object(), 3: "int key"}),
        Frame(3, 12.5, Direction.IN, "iso15118", "-2", "c", "SessionSetupReq", "SessionSetupReq", None,
              b"\x80\x9a\xff", {"EVCCID": "0102", "lone": "\ud800"}, meta={"dec": 2.5}),
        Frame(4, 13.0, Direction.IN, "ocpp", "1.6", "c", "OPEN"),
    ]
    for i, fr in enumerate(frames):
        fr.index = i
        line = spill_line(fr, encode)
        assert line.endswith(b"\n") and line.count(b"\n") == 1
        assert json.loads(line) == json.loads(encode(fr.to_dict()))
