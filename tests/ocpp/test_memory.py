"""Issue 13, memory that grew without bound: what closed connections leave behind in the fake CSMS, and the
per-connection id bookkeeping. Each test failed before its fix."""

from __future__ import annotations

import json
import time
from typing import Iterator

import pytest

from vgitest.bounded import RecentSet
from vgitest.ocpp import csms as csms_mod
from vgitest.ocpp.csms import FakeCsms

from tests.ocpp.rawclient import RawClient


@pytest.fixture
def csms() -> Iterator[FakeCsms]:
    server = FakeCsms(port=0, connect_timeout=3.0).start()
    yield server
    server.stop()


def test_closed_connections_do_not_keep_sessions_and_wire_logs(csms: FakeCsms) -> None:
    """1,000 dropped connections left 1,000 sessions and their wire logs; now only a bounded recent few stay."""
    for i in range(200):
        c = RawClient(csms.url_for(f"D{i}"), ["ocpp1.6"])
        c.boot()
        c.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(s.connected for s in list(csms.sessions.values())):
        time.sleep(0.05)
    RawClient(csms.url_for("LAST"), ["ocpp1.6"]).close()  # one more close: the last ones are pruned too
    time.sleep(0.3)
    # the sweep runs once per KEEP_CLOSED_WIRES openings and closings, so up to twice as many may wait for it
    assert len(csms.sessions) <= csms_mod.KEEP_IDLE_SESSIONS + csms_mod.KEEP_CLOSED_WIRES + 1
    assert len(csms.wires) <= 2 * csms_mod.KEEP_CLOSED_WIRES + 1
    assert "D199" in csms.sessions  # the most recent station keeps its session for a quick reconnect


def test_forgetting_closed_connections_is_not_quadratic(csms: FakeCsms, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every opening and closing swept every connection: 10,000 connections closing at once held the event loop
    for seconds. The sweep now runs once per KEEP_CLOSED_WIRES of them."""
    sweeps = []
    monkeypatch.setattr(csms_mod, "forget_closed", lambda wires, keep: sweeps.append(len(wires)))
    for _ in range(1000):
        csms._forget_closed()
    assert len(sweeps) <= 1000 // csms_mod.KEEP_CLOSED_WIRES + 1


def test_id_bookkeeping_of_a_connection_is_bounded(csms: FakeCsms) -> None:
    """Every CALL id a station ever sent was kept for the life of the connection (a day-long soak grew)."""
    c = RawClient(csms.url_for("CS1"), ["ocpp1.6"])
    c.boot()
    st = csms.wait_for_station("CS1", timeout=3)
    link = st.link
    assert link is not None and isinstance(link.dut_call_ids, RecentSet)
    link.dut_call_ids.limit = link.answered_dut_calls.limit = 50
    for i in range(120):
        c.send([2, f"h{i}", "Heartbeat", {}])
        c.recv()
    c.close()
    assert len(link.dut_call_ids) <= 50 and len(link.answered_dut_calls) <= 50
    assert "h119" in link.dut_call_ids  # a recent reuse is still caught


def test_recent_set_forgets_the_oldest() -> None:
    s = RecentSet(3)
    for x in "abcd":
        s.add(x)
    assert list(s) == ["b", "c", "d"] and "a" not in s


# --- trace and wire logs --------------------------------------------------------------------------------------
def test_a_frame_keeps_a_bounded_prefix_of_its_raw_bytes() -> None:
    """A huge frame stayed in memory whole; now a prefix, with the wire size and a note."""
    from vgitest import trace as tr
    t = tr.Trace()
    f = t.append(tr.Frame(0, 0.0, tr.Direction.IN, "sep2", "2030.5", "c1", "REQUEST", raw=b"x" * (tr.MAX_RAW + 10)))
    assert len(f.raw) == tr.MAX_RAW and f.size == tr.MAX_RAW + 10 and "raw_note" in f.meta


def test_frames_of_finished_tests_are_released_and_spilled(tmp_path) -> None:
    """Every frame of the run stayed in memory; frames before the running test's start now go beyond a bound,
    to a spill file, and keep their global indices."""
    from vgitest import trace as tr
    t = tr.Trace(keep_frames=100, release_at=200)
    t.spill_path = tmp_path / "spill.jsonl"

    def add(n: int) -> None:
        for _ in range(n):
            t.append(tr.Frame(0, 0.0, tr.Direction.IN, "ocpp", "1.6", "c1", "CALL", "Heartbeat", raw=b"[]"))
    add(150)
    start, _ = t.mark(test_start=True)
    add(500)
    assert len(t) == 650 and t.released == 150  # everything before the running test, none of its frames
    assert t[649].index == 649 and t.since(start)[0].index == start and len(t.since(0)) == 500
    t.mark()  # a mark inside a test does not let its frames go
    add(300)
    assert t.since(start)[0].index == start
    nxt, _ = t.mark(test_start=True)  # the next test: the last one's frames may go too
    add(200)
    assert t.released > start and len(t.since(0)) <= 200 and t.since(nxt)[0].index == nxt
    assert t.flush_spill(10)  # written by a thread of its own, not inside append on the peer's event loop
    spilled = [json.loads(line)["index"] for line in t.spill_path.read_text().splitlines()]
    assert spilled == list(range(t.released))


def test_spilling_happens_off_the_appending_thread(tmp_path, monkeypatch) -> None:
    """Released frames were encoded inside `append`, on the fake peer's event loop (~0.2 s for 30,000 frames)."""
    import threading

    from vgitest import trace as tr
    writers = set()
    real = tr.spill_line

    def spill_line(fr, encode):  # type: ignore[no-untyped-def]
        writers.add(threading.current_thread().name)
        return real(fr, encode)
    monkeypatch.setattr(tr, "spill_line", spill_line)
    t = tr.Trace(keep_frames=10, release_at=20)
    t.spill_path = tmp_path / "spill.jsonl"
    for _ in range(100):
        t.mark(test_start=True)
        t.append(tr.Frame(0, 0.0, tr.Direction.IN, "ocpp", "1.6", "c1", "CALL", "Heartbeat", raw=b"[]"))
    assert t.flush_spill(10) and t.released > 0
    assert threading.current_thread().name not in writers and writers == {"vgitest-spill"}


def test_a_wire_log_keeps_the_handshake_and_a_bounded_tail() -> None:
    """A 100 MiB body stayed in the wire log whole; now the handshake and at most `max_bytes` are kept, and the
    rest is counted so that a capture's TCP sequence numbers stay right."""
    from vgitest.trace import Direction
    from vgitest.wire import WireLog
    w = WireLog("c1", ("127.0.0.1", 1), ("127.0.0.1", 2), max_bytes=1 << 20)
    w.add(1, 0.0, Direction.IN, b"GET / HTTP/1.1\r\n\r\n")
    w.add(2, 0.0, Direction.OUT, b"HTTP/1.1 101 OK\r\n\r\n")
    for i in range(400):  # 25 MiB
        w.add(10 + i, 0.0, Direction.IN, b"y" * 65536)
    kept = sum(len(c.data) for c in w.chunks)
    assert kept <= (1 << 20) + 100 and w.chunks[0].data.startswith(b"GET")
    assert w.total_bytes == 400 * 65536 + len(b"GET / HTTP/1.1\r\n\r\n") + len(b"HTTP/1.1 101 OK\r\n\r\n")
    w.release(10_000)
    assert len(w.chunks) == 2 and w.total_bytes == 400 * 65536 + 37


def test_a_capture_after_released_bytes_keeps_sequence_numbers() -> None:
    from vgitest.evidence.pcapng import build_packets
    from vgitest.trace import Direction
    from vgitest.wire import WireLog
    full = WireLog("c1", ("127.0.0.1", 1), ("127.0.0.1", 2))
    cut = WireLog("c1", ("127.0.0.1", 1), ("127.0.0.1", 2))
    for w in (full, cut):
        w.add(1, 1.0, Direction.IN, b"GET / HTTP/1.1\r\n\r\n")
        w.add(2, 1.0, Direction.OUT, b"HTTP/1.1 101 OK\r\n\r\n")
        for i in range(20):
            w.add(10 + i, 1.0 + i, Direction.IN, b"z" * 1000)
    cut.release(25)
    import scapy.layers.inet  # noqa: F401  (binds IP and TCP under Ether for the dissection)
    from scapy.layers.l2 import Ether
    decoded = [[Ether(p.data) for p in build_packets([w], 25)] for w in (full, cut)]
    seqs = [[(int(p["TCP"].seq), bytes(p["TCP"].payload)) for p in ps if len(p["TCP"].payload)] for ps in decoded]
    assert seqs[0] == seqs[1]


def test_the_http_peers_forget_the_logs_of_old_closed_connections() -> None:
    """10,000 short HTTP connections to a fake kept 10,000 wire logs after they closed; now the recent few."""
    import urllib.request

    from vgitest import wire as wire_mod
    from vgitest.sep2.server import FakeSep2Server
    server = FakeSep2Server().start()
    try:
        for _ in range(wire_mod.KEEP_CLOSED + 40):
            req = urllib.request.Request(server.base_url + "/dcap", headers={"Connection": "close"})
            try:
                urllib.request.urlopen(req, timeout=3).read()
            except Exception:  # any answer will do: the connection is what counts
                pass
        time.sleep(0.2)
        urllib.request.urlopen(urllib.request.Request(server.base_url + "/dcap"), timeout=3).read()
        assert len(server.wires) <= 2 * wire_mod.KEEP_CLOSED + 2  # swept once per KEEP_CLOSED connections
    finally:
        server.stop()


def test_the_spill_file_is_rotated_at_its_size_limit(tmp_path, monkeypatch) -> None:
    """A day at full rate spilled ~380 MiB a minute without limit; the spill now keeps the newest two files."""
    from vgitest import trace as tr
    monkeypatch.setenv("VGITEST_SPILL_MAX_MB", str(20_000 / 2 ** 20))  # ~20 kB
    t = tr.Trace(keep_frames=10, release_at=20)
    t.spill_path = tmp_path / "released-frames.jsonl"
    for _ in range(2000):
        t.mark(test_start=True)
        t.append(tr.Frame(0, 0.0, tr.Direction.IN, "ocpp", "1.6", "c1", "CALL", "Heartbeat", raw=b"[]"))
    assert t.flush_spill(10)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["released-frames.1.jsonl", "released-frames.jsonl"]
    older, newer = (tmp_path / files[0]).read_text().splitlines(), (tmp_path / files[1]).read_text().splitlines()
    assert sum(len(x) + 1 for x in older) < 2 * 20_000 and len(newer) > 0
    last = [json.loads(x)["index"] for x in older + newer]
    assert last == sorted(last) and last[-1] == t.released - 1  # the newest frames, in order


def test_a_capture_that_starts_mid_connection_is_one_clean_stream() -> None:
    """Issue 19: a test's capture left the earlier tests' bytes out but kept their room in the sequence numbers,
    so tshark reported 'previous segment not captured'. Now the numbers close up, and a comment says how much is
    left out."""
    from vgitest.evidence.pcapng import build_packets
    from vgitest.trace import Direction
    from vgitest.wire import WireLog
    w = WireLog("c1", ("127.0.0.1", 1), ("127.0.0.1", 2))
    w.add(1, 1.0, Direction.IN, b"GET / HTTP/1.1\r\n\r\n")
    w.add(2, 1.0, Direction.OUT, b"HTTP/1.1 101 OK\r\n\r\n")
    for i in range(10):  # five earlier exchanges, then five in the window
        w.add(10 + 2 * i, 2.0 + i, Direction.IN, b"q" * (100 + i))
        w.add(11 + 2 * i, 2.5 + i, Direction.OUT, b"a" * (50 + i))
    import scapy.layers.inet  # noqa: F401  (binds IP and TCP under Ether for the dissection)
    from scapy.layers.l2 import Ether
    packets = build_packets([w], 20)
    tcp = [Ether(p.data)["TCP"] for p in packets]
    payload = [(t, p) for t, p in zip(tcp, packets) if len(t.payload)]
    assert len(payload) == 2 + 10  # the handshake and the window's five exchanges
    nxt: dict[int, int] = {}
    for t in tcp:  # each segment starts where the previous one of its direction ended: no hole anywhere
        if t.sport in nxt:
            assert int(t.seq) == nxt[t.sport], (t.sport, int(t.seq), nxt[t.sport])
        nxt[t.sport] = int(t.seq) + len(t.payload) + (1 if t.flags & 0x03 else 0)
    first_in_window = payload[2][1]
    assert first_in_window.comments and "510 bytes from the device and 260 from the harness" in \
        first_in_window.comments[0]
