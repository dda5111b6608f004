"""A fake CSMS that holds a fleet (issue 19, item 5): the fast path keeps message order and back-pressure, the fleet
budgets bound what each connection keeps, and a long single test's frames spill without losing a finding."""

from __future__ import annotations

import json
import os
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from vgitest.findings import Finding
from vgitest.ocpp import csms as csms_mod
from vgitest.ocpp import rules as r
from vgitest.ocpp.csms import FakeCsms, _Link
from vgitest.ocpp.versions import VERSIONS
from vgitest.trace import Direction, Frame, Trace

from .wsraw import handshake


@pytest.fixture
def csms() -> Iterator[FakeCsms]:
    server = FakeCsms(port=0, heartbeat_interval=3600).start()
    yield server
    server.stop()


def _frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    """A masked client frame that may be a fragment (`fin=False`)."""
    mask = os.urandom(4)
    return (struct.pack("!BB", (0x80 if fin else 0) | opcode, 0x80 | len(payload)) + mask
            + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))


def _read_texts(sock, n: int, timeout: float = 5.0) -> list[str]:
    """The first `n` text messages the server sends (unfragmented, unmasked, < 64 KiB)."""
    buf, out, end = b"", [], time.monotonic() + timeout
    while len(out) < n and time.monotonic() < end:
        while len(buf) >= 2:
            size, pos = buf[1] & 0x7F, 2
            if size == 126:
                if len(buf) < 4:
                    break
                size, pos = struct.unpack("!H", buf[2:4])[0], 4
            if len(buf) < pos + size:
                break
            if buf[0] & 0x0F == 1:
                out.append(buf[pos:pos + size].decode())
            buf = buf[pos + size:]
        if len(out) < n:
            buf += sock.recv(65536)
    return out


def test_a_fragmented_message_and_the_ones_behind_it_keep_their_order(csms: FakeCsms) -> None:
    """The fast path must not overtake a message the library is still assembling: a CALL in two fragments, then
    two whole CALLs in the same TCP segment, are traced and answered in the order they were sent."""
    sock, head = handshake(csms.port, "/ocpp/FLEET1")
    try:
        assert b" 101 " in head
        boot = json.dumps([2, "b", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}])
        sock.sendall(_frame(1, boot.encode()))
        assert _read_texts(sock, 1)[0].startswith('[3,"b"')
        call = json.dumps([2, "frag", "Heartbeat", {}]).encode()
        burst = (_frame(1, call[:5], fin=False) + _frame(0, call[5:]) + _frame(1, b'[2,"w1","Heartbeat",{}]')
                 + _frame(1, b'[2,"w2","Heartbeat",{}]'))
        sock.sendall(burst)
        answers = [json.loads(t)[1] for t in _read_texts(sock, 3)]
        assert answers == ["frag", "w1", "w2"]
        time.sleep(0.1)
        ins = [f.correlation for f in csms.trace if f.direction is Direction.IN and f.kind == "CALL"]
        assert ins == ["b", "frag", "w1", "w2"]
        # the frames are checked as before: a reused id on the fast path is still a finding
        sock.sendall(_frame(1, b'[2,"w2","Heartbeat",{}]'))
        _read_texts(sock, 1)
        time.sleep(0.1)
        assert r.MSGID_REUSED in [f.rule_id for f in csms.trace.findings_since(0)]
    finally:
        sock.close()


def test_the_fast_path_declines_while_the_station_does_not_read() -> None:
    """A full write buffer (the transport paused writing): the message goes to the queued path, which waits for the
    station to read before reading on; nothing is handled or traced by the fast path."""
    server = FakeCsms(port=0)
    link = SimpleNamespace(ws=SimpleNamespace(paused=True))
    text = '[2,"1","Heartbeat",{}]'
    assert server._on_text_now(server.session("S"), link, text, (0, 0.0)) is False  # type: ignore[arg-type]
    assert len(server.trace) == 0


def _links(server: FakeCsms, n: int) -> list[_Link]:
    out = []
    for i in range(n):
        s = server.session(f"S{i}")
        s.link = _Link(SimpleNamespace(), VERSIONS["1.6"], f"conn{i}")  # type: ignore[arg-type]
        out.append(s.link)
    return out


def test_fleet_budgets_are_shared_out_and_a_few_stations_keep_the_full_amounts() -> None:
    few = FakeCsms(port=0)
    links = _links(few, 2)
    few._fit_fleet()
    assert few._wire_cap == csms_mod.MAX_WIRE_BYTES
    assert links[0].dut_call_ids.limit == csms_mod.RECENT_IDS
    assert few.sessions["S0"].latencies_ns.maxlen == csms_mod.KEEP_LATENCIES

    fleet = FakeCsms(port=0)
    links = _links(fleet, 2000)
    fleet._fit_fleet()
    assert fleet._wire_cap == max(csms_mod.MIN_WIRE_BYTES, csms_mod.FLEET_WIRE_BYTES // 2000)
    ids = max(csms_mod.MIN_IDS, csms_mod.FLEET_IDS // 2000)
    assert all(s.limit == ids for link in links for s in (link.dut_call_ids, link.answered_dut_calls,
                                                          link.our_answered))
    for i in range(ids + 50):
        links[0].dut_call_ids.add(f"id{i}")
    assert len(links[0].dut_call_ids) == ids  # the window is what the budget allows, not more
    keep = max(csms_mod.MIN_LATENCIES, csms_mod.FLEET_LATENCIES // 2000)
    s0 = fleet.sessions["S0"]
    assert s0.latencies_ns.maxlen == keep
    s0.latencies_ns.extend(range(keep + 10))
    assert len(s0.latencies_ns) == keep
    assert fleet.session("NEW").latencies_ns.maxlen == keep  # a station that connects later gets its share too


def _frames(t: Trace, n: int, bad_every: int = 0) -> None:
    for i in range(n):
        f = Frame(time.monotonic_ns(), time.time(), Direction.IN, "ocpp", "1.6", "c", "CALL", "Heartbeat", str(i),
                  b'[2,"x","Heartbeat",{}]', {})
        if bad_every and i % bad_every == 0:
            f.findings.append(Finding.of(r.MSGID_REUSED, f"frame {i}"))
        t.append(f)
        for x in f.findings:
            x.frame_index = f.index


def test_a_long_single_test_spills_its_oldest_frames_and_keeps_their_findings(tmp_path: Path) -> None:
    t = Trace(keep_frames=10, release_at=20, hold_max=30)
    t.spill_path = tmp_path / "released-frames.jsonl"
    start, fstart = t.mark(test_start=True)
    _frames(t, 100, bad_every=7)
    assert len(t) == 100 and t.released > 0
    assert len(t) - t.released <= 30  # memory holds at most hold_max frames of the running test
    found = sorted(int(f.message.split()[1]) for f in t.findings_since(start, fstart))
    assert found == list(range(0, 100, 7))  # the verdict still sees the findings of released frames
    assert t.flush_spill(10)
    spilled = [json.loads(x) for x in t.spill_path.read_text().splitlines()]
    assert [d["index"] for d in spilled] == list(range(t.released))
    # a new test starts: the findings of the previous test's released frames are no longer its own
    start2, fstart2 = t.mark(test_start=True)
    assert t.findings_since(start2, fstart2) == []


def test_without_a_spill_file_the_running_test_keeps_every_frame() -> None:
    """Nothing the DUT sent may be dropped: with nowhere to spill, the running test's frames stay in memory."""
    t = Trace(keep_frames=10, release_at=20, hold_max=30)
    t.mark(test_start=True)
    _frames(t, 100)
    assert t.released == 0 and len(t.since(0)) == 100


def test_a_spill_thread_that_falls_behind_holds_up_the_writer_instead_of_memory(tmp_path: Path) -> None:
    """Released batches wait for the spill thread up to SPILL_BACKLOG; the next release waits for it to catch up
    (a fleet at full rate released faster than the thread wrote: RSS grew to 1 GiB in ten minutes)."""
    import threading

    from vgitest import trace as trace_mod

    gate = threading.Event()

    class Stuck(trace_mod._Spiller):
        def _run(self) -> None:
            gate.wait(10)
            super()._run()

    spiller = Stuck(tmp_path / "spill.jsonl")
    for _ in range(trace_mod.SPILL_BACKLOG):  # the thread is stuck: these wait in the queue
        spiller.put([])
    third = threading.Thread(target=spiller.put, args=([],), daemon=True)
    third.start()
    third.join(0.3)
    assert third.is_alive()  # held up: the backlog is full
    gate.set()
    third.join(5)
    assert not third.is_alive() and spiller.flush(5)
