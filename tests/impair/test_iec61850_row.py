"""The IEC 61850 row of the impairment matrix: the Table 5 flow (reference EVSE and EV) judged by its own timers,
the layer-2 forwarder that delays and loses every EtherType (MMS's TCP, GOOSE, SV), and a FAIL once the same
measured flow is judged against a budget below its latency. The runs need namespaces (skipped without)."""

from __future__ import annotations

import dataclasses
import socket
import struct
import time

import pytest

from vgitest.iec61850.ether import ETHERTYPE_GOOSE
from vgitest.impair import kernel
from vgitest.impair.envelope import judge
from vgitest.impair.flows import Iec61850
from vgitest.impair.l2delay import MIDDLE_IFS, Forwarder, ForwardedFlowPair, complete_checksum
from vgitest.impair.profile import Impairment, column
from vgitest.slac import netns

OK, WHY = netns.available()
needs_netns = pytest.mark.skipif(not OK, reason=f"network namespaces unavailable: {WHY}")


def _sum16(data: bytes) -> int:
    data += b"\0" * (len(data) % 2)
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def test_complete_checksum_makes_a_tcp_segment_verify() -> None:
    """A segment whose checksum the sender left to the NIC (here: zero) verifies after the forwarder completes
    it: the ones' complement sum over pseudo header and segment is 0xFFFF."""
    tcp = struct.pack("!HHIIBBHHH", 40000, 102, 1, 0, 5 << 4, 0x18, 1024, 0, 0) + b"\x03\x00\x00\x07\x02\xf0\x80"
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0, bytes([10, 61, 85, 1]),
                     bytes([10, 61, 85, 2]))
    frame = bytes(6) + bytes(6) + b"\x08\x00" + ip + tcp
    fixed = complete_checksum(frame)
    seg = fixed[34:]
    assert seg[16:18] != b"\0\0" and len(fixed) == len(frame)
    assert _sum16(fixed[26:34] + struct.pack("!BBH", 0, 6, len(seg)) + seg) == 0xFFFF
    goose_frame = bytes(12) + ETHERTYPE_GOOSE.to_bytes(2, "big") + bytes(50)
    assert complete_checksum(goose_frame) == goose_frame


def test_forwarder_departures_never_reorder_under_jitter() -> None:
    a, b = socket.socketpair()
    try:
        fwd = Forwarder(a, b, 0.1, 0.05, seed=3)
        last, out = 0.0, []
        for i in range(500):
            last = fwd.departure(i * 0.001, last)
            out.append(last)
        assert out == sorted(out) and all(0.05 <= d - i * 0.001 <= 0.65 for i, d in enumerate(out))
    finally:
        a.close()
        b.close()


@needs_netns
def test_the_forwarder_loses_goose_frames_without_the_sender_seeing_it() -> None:
    """30 % loss by the eBPF drop on the forwarder's egress: about 30 % of 400 GOOSE frames from ns a are
    missing in ns b (4 binomial sd: 21-39 %), and the sender's send() never failed."""
    pair = ForwardedFlowPair(Impairment("loss", loss_pct=30)).create()
    try:
        for dev in MIDDLE_IFS:
            kernel.attach_drop(pair.m, dev, 30.0, "all")

        def sock() -> socket.socket:
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETHERTYPE_GOOSE))
            s.bind((pair.ifname, ETHERTYPE_GOOSE))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)  # all 400 wait to be read
            s.settimeout(0.5)
            return s
        rx = netns.run_in_netns(pair.b, sock, 10)
        tx = netns.run_in_netns(pair.a, sock, 10)
        frame = b"\x01\x0c\xcd\x01\x00\x01" + bytes(6) + ETHERTYPE_GOOSE.to_bytes(2, "big") + bytes(60)
        for _ in range(400):
            tx.send(frame)  # raises on ENOBUFS: a drop on the sender's own egress would
            time.sleep(0.0005)
        got = 0
        try:
            while True:
                rx.recv(2048)
                got += 1
        except TimeoutError:
            pass
        assert pair.forwarder is not None
        lost = 400 - got
        assert 0.21 * 400 <= lost <= 0.39 * 400, lost
        # the drop takes every EtherType: the link's own IPv6 neighbour and listener frames are lost and counted too
        assert pair.forwarder.dropped["a->b"] >= lost and not pair.forwarder.errors
    finally:
        pair.destroy()


@needs_netns
def test_the_row_passes_unimpaired_and_fails_a_budget_below_its_latency() -> None:
    """Two flows on a clean link: every exchange kind is there (two MMS associations of five exchanges, GOOSE
    judged by the TAL before it, SV deliveries), the row PASSes its own timers, and FAILs when the step timeout
    is below the measured MMS latency."""
    flow = Iec61850(step_s=20)
    flow.open(column("none"))
    try:
        reps = [flow.run_once(i) for i in range(2)]
    finally:
        flow.close()
    assert all(r.finished for r in reps), [r.why for r in reps]
    names = [e.name for e in reps[0].exchanges]
    mms = [n for n in names if n not in ("GOOSE", "SV")]
    assert sorted(mms) == sorted(["COTP connect", "MMS initiate", "MMS Write", "MMS conclude", "ACSE release",
                                  "COTP connect", "MMS initiate", "MMS Read", "MMS conclude", "ACSE release"])
    goose = [e for e in reps[0].exchanges if e.name == "GOOSE"]
    assert len(goose) >= 6 and goose[0].limit_s == 0.032 and all(e.answered for e in goose)
    assert names.count("SV") >= 3
    env = flow.envelope()
    ok = judge(env, [(r.exchanges, r.finished) for r in reps])
    assert ok.verdict == "PASS" and ok.reliability_pct == 100, ok
    mms_lat = [e.latency_s for r in reps for e in r.exchanges if e.name not in ("GOOSE", "SV")]
    tight = dataclasses.replace(env, default_timer_s=min(mms_lat) / 2, tolerance_s=0.0, tolerance_rel=0.0)
    bad = judge(tight, [(r.exchanges, r.finished) for r in reps])
    assert bad.verdict == "FAIL" and bad.attempts - bad.completed >= len(mms_lat), bad


@needs_netns
def test_the_forwarder_delays_mms_goose_and_sv() -> None:
    """50 ms one way, no jitter: each MMS exchange takes at least the 100 ms round trip, each SV update and the
    first GOOSE at least 50 ms; the flow still ends (the GOOSE's TAL is then missed: 32 ms < 50 ms)."""
    flow = Iec61850(step_s=20)
    flow.open(Impairment("50 ms", delay_ms=50))
    try:
        rep = flow.run_once(0)
    finally:
        flow.close()
    assert rep.finished, rep.why
    by = {n: [e.latency_s for e in rep.exchanges if (e.name in ("GOOSE", "SV")) == (n != "MMS") and
              (n == "MMS" or e.name == n)] for n in ("MMS", "GOOSE", "SV")}
    assert len(by["MMS"]) == 10 and all(x is not None and x >= 0.099 for x in by["MMS"]), by["MMS"]
    assert by["GOOSE"][0] is not None and by["GOOSE"][0] >= 0.049
    assert by["SV"] and all(x is not None and x >= 0.049 for x in by["SV"]), by["SV"]
    assert judge(flow.envelope(), [(rep.exchanges, rep.finished)]).verdict == "FAIL"


def test_settings_for_a_link_follow_its_rate() -> None:
    """A LAN keeps the LAN curve; at 9.6 kbit/s the first repeat and the SoC period are twice their frames' wire
    time (101-byte GOOSE: 84 ms; 62-byte SV: 52 ms), the heartbeat never below the first repeat."""
    from vgitest.iec61850.flow import FlowTimers
    lan = FlowTimers()
    assert lan.for_link(None) == lan
    slow = lan.for_link(9.6)
    assert slow.curve.first == pytest.approx(2 * 101 * 8 / 9600) and slow.curve.maximum == slow.curve.first
    assert slow.sv_interval == pytest.approx(2 * 62 * 8 / 9600) and slow.charge_s >= 3 * slow.sv_interval
    assert lan.for_link(1e6) == lan


@needs_netns
def test_at_9_6_kbps_the_lan_settings_fail_and_the_link_settings_pass() -> None:
    """The same link, two configurations of the reference pair: with the LAN curve the GOOSE repeats queue behind
    each other and arrive after the TAL of the one before (a true FAIL of that configuration); with the curve
    configured for the rate every GOOSE and SoC update arrives in time."""
    flow = Iec61850(step_s=30)
    flow.open(column("9.6 kbps"))
    try:
        tuned = [flow.run_once(i) for i in range(2)]
        flow.flow_timers = flow.lan_timers
        lan = [flow.run_once(i) for i in range(2)]
    finally:
        flow.close()
    env = flow.envelope()
    late = [e for r in lan for e in r.exchanges if e.name == "GOOSE" and e.limit_s is not None
            and (e.latency_s is None or e.latency_s > env.limits(e.name, e.limit_s)[0])]
    assert late and judge(env, [(r.exchanges, r.finished) for r in lan]).verdict == "FAIL"
    ok = judge(env, [(r.exchanges, r.finished) for r in tuned])
    assert ok.verdict == "PASS" and ok.reliability_pct == 100, (ok, [r.why for r in tuned])
