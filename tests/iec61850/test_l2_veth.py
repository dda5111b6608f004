"""GOOSE and SV over a real veth pair: a publisher in one network namespace, a subscriber in the other; frames
arrive byte for byte (802.1Q tag included) with kernel receive timestamps. Skipped where namespaces cannot be
made."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Iterator

import pytest

from vgitest.iec61850 import goose, sv
from vgitest.iec61850.data import UtcTime
from vgitest.iec61850.ether import VlanTag
from vgitest.iec61850.l2 import L2Endpoint, Seen
from vgitest.slac import netns

OK, WHY = netns.available()
pytestmark = pytest.mark.skipif(not OK, reason=f"network namespaces unavailable: {WHY}")

GROUP = goose.MULTICAST_PREFIX + b"\x00\x01"


@pytest.fixture(scope="module")
def pair() -> Iterator[netns.NetnsPair]:
    with netns.NetnsPair(prefix="vgigoose") as p:
        yield p


def _frames() -> list[bytes]:
    """A state change and its first repeats (tagged and untagged), plus SV samples: what a publisher sends."""
    base = goose.example_initiate(t=UtcTime(1_700_000_000)).pdu
    out = [goose.frame(dataclasses.replace(base, sq_num=i), bytes.fromhex("020000000a01"),
                       vlan=VlanTag() if i % 2 == 0 else None).encode() for i in range(4)]
    out += [sv.example_soc(smp_cnt=n, soc=0.5 + n / 100).encode() for n in range(3)]
    return out


def _run(pair: netns.NetnsPair, frames: list[bytes], gap: float = 0.01) -> tuple[list[Seen], list[Seen]]:
    ready = threading.Barrier(2, timeout=5.0)

    async def publisher() -> list[Seen]:
        ep = L2Endpoint(pair.ifname)
        try:
            await asyncio.get_running_loop().run_in_executor(None, ready.wait)
            for raw in frames:
                await ep.send(raw)
                await asyncio.sleep(gap)
            return ep.records
        finally:
            ep.close()

    async def subscriber() -> list[Seen]:
        ep = L2Endpoint(pair.ifname, groups=(GROUP, sv.MULTICAST_PREFIX + b"\x00\x01"))
        try:
            ep._start()
            await asyncio.get_running_loop().run_in_executor(None, ready.wait)
            got: list[Seen] = []
            while len(got) < len(frames) and (s := await ep.recv(2.0)) is not None:
                got.append(s)
            return got
        finally:
            ep.close()

    fs = netns.start_coroutine_in_netns(pair.b, subscriber)
    fp = netns.start_coroutine_in_netns(pair.a, publisher)
    return fp.result(15), fs.result(15)


def test_goose_and_sv_cross_the_veth_as_sent(pair: netns.NetnsPair) -> None:
    frames = _frames()
    sent, got = _run(pair, frames)
    assert [s.raw for s in sent] == frames
    assert [s.raw for s in got] == frames  # byte for byte: the 802.1Q tag was put back from PACKET_AUXDATA
    assert all(s.kernel_time and s.direction == "rx" for s in got)
    decoded = [s.decode() for s in got]
    assert [f.pdu.sq_num for f in decoded[:4]] == [0, 1, 2, 3]  # type: ignore[union-attr]
    assert [f.header.vlan is not None for f in decoded[:4]] == [True, False, True, False]
    assert [f.pdu.asdus[0].smp_cnt for f in decoded[4:]] == [0, 1, 2]  # type: ignore[union-attr]
    stamps = [s.t_ns for s in got]
    assert stamps == sorted(stamps)
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    assert all(g >= 5_000_000 for g in gaps), gaps  # the publisher's 10 ms spacing is seen (not batch reads)


def test_other_ethertypes_are_not_recorded(pair: netns.NetnsPair) -> None:
    noise = bytes.fromhex("ffffffffffff020000000a01 88e1") + bytes(46)
    frames = [noise, _frames()[0]]
    _sent, got = _run(pair, frames)
    assert [s.raw for s in got] == frames[1:]


def _publish(pair: netns.NetnsPair, faults: frozenset[str]) -> tuple[list[Seen], int]:
    """The publisher's real-time schedule over the veth (slow curve: 20 ms doubling to 200 ms, so scheduling
    jitter on a loaded machine stays well inside timeAllowedtoLive); returns what the subscriber received and
    when it stopped listening."""
    import time

    from vgitest.iec61850 import data
    from vgitest.iec61850.publisher import GoosePublisher, RetransmissionCurve

    pub = GoosePublisher(goose.example_initiate(), RetransmissionCurve(first=0.02, maximum=0.2), faults)
    changes = [(0.0, [data.boolean(True), data.bits(*[False] * 13)]),
               (0.3, [data.boolean(False), data.bits(*[False] * 13)])]
    ready = threading.Barrier(2, timeout=5.0)

    async def publisher() -> int:
        ep = L2Endpoint(pair.ifname)
        try:
            await asyncio.get_running_loop().run_in_executor(None, ready.wait)
            return await pub.run(ep.send, changes, until=0.8, epoch=time.time())
        finally:
            ep.close()

    async def subscriber() -> tuple[list[Seen], int]:
        ep = L2Endpoint(pair.ifname, groups=(GROUP,))
        try:
            ep._start()
            await asyncio.get_running_loop().run_in_executor(None, ready.wait)
            got: list[Seen] = []
            loop = asyncio.get_running_loop()
            stop = loop.time() + 1.0
            while (left := stop - loop.time()) > 0:
                if (s := await ep.recv(left)) is not None:
                    got.append(s)
            return got, time.monotonic_ns()
        finally:
            ep.close()

    fs = netns.start_coroutine_in_netns(pair.b, subscriber)
    fp = netns.start_coroutine_in_netns(pair.a, publisher)
    sent = fp.result(15)
    got, end_ns = fs.result(15)
    assert len(got) == sent
    return got, end_ns


def test_goose_retransmission_curve_over_veth(pair: netns.NetnsPair) -> None:
    from vgitest.iec61850.streams import check_goose
    got, end_ns = _publish(pair, frozenset())
    pdus = [s.decode().pdu for s in got]
    assert [(p.st_num, p.sq_num) for p in pdus[:5]] == [(1, 0), (1, 1), (1, 2), (1, 3), (2, 0)]
    assert check_goose(got) == []  # end_ns not given: the stream stops on purpose at 0.8 s
    faulty, end_ns = _publish(pair, frozenset({"no_retransmission"}))
    assert "GOOSE-TAL-EXPIRED" in {f.rule_id for f in check_goose(faulty, end_ns=end_ns)}
