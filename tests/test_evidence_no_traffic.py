"""Writing pcapng evidence puts nothing on any network and takes no time.

The writers wrap recorded bytes in synthetic Ethernet/IP/TCP/UDP headers. An Ethernet header without addresses
makes scapy resolve them when the packet is built: for a link-local IPv6 peer it sends a Neighbor Solicitation
on the interface that reaches the device and waits about a second for the answer, per packet. Here every way
scapy (or anything else) could send is forbidden during the write; the write must still succeed, quickly.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from vgitest.trace import Direction, Frame
from vgitest.wire import WireLog

LINK_LOCAL_DUT = "fe80::2:5eff:fe00:1"  # an address only an interface's neighbour cache could resolve
LINK_LOCAL_HARNESS = "fe80::1"


class Forbidden(AssertionError):
    pass


def _refuse(*_a, **_k):  # noqa: ANN002, ANN003
    raise Forbidden("the evidence writer tried to put a packet on the network (or resolve an address)")


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forbid raw/packet sockets, scapy's send/receive functions and its address resolution."""
    import scapy.config
    import scapy.layers.inet6 as inet6
    import scapy.layers.l2 as l2
    import scapy.sendrecv as sendrecv

    real_socket = socket.socket

    class GuardedSocket(real_socket):  # type: ignore[misc, valid-type]
        def __init__(self, family: int = -1, type: int = -1, *a, **k) -> None:  # noqa: A002, ANN002, ANN003
            if family == getattr(socket, "AF_PACKET", object()) or type == socket.SOCK_RAW:
                _refuse()
            super().__init__(family, type, *a, **k)

    monkeypatch.setattr(socket, "socket", GuardedSocket)
    for mod in (sendrecv, inet6, l2):
        for name in ("send", "sendp", "sr", "sr1", "srp", "srp1", "sndrcv", "sniff", "neighsol", "getmacbyip6",
                     "getmacbyip", "arping"):
            if hasattr(mod, name):
                monkeypatch.setattr(mod, name, _refuse)
    monkeypatch.setattr(scapy.config.conf, "L2socket", _refuse)
    monkeypatch.setattr(scapy.config.conf, "L3socket", _refuse)
    monkeypatch.setattr(scapy.config.conf.neighbor, "resolve", _refuse)


def _v2g_wire(n: int) -> WireLog:
    wire = WireLog("v2g-1", (LINK_LOCAL_DUT + "%eth1", 52967), (LINK_LOCAL_HARNESS + "%eth1", 55118))
    t_ns, wall = time.monotonic_ns(), time.time()
    for i in range(n):
        direction = Direction.IN if i % 2 == 0 else Direction.OUT
        wire.add(t_ns + i * 1000, wall + i * 0.001, direction, bytes((1, 0xFE, 0x80, 1, 0, 0, 0, 2, 0x80, i % 256)))
    return wire


def _sdp_frames() -> list[Frame]:
    t_ns, wall = time.monotonic_ns(), time.time()
    req = bytes((1, 0xFE, 0x90, 0, 0, 0, 0, 2, 0x10, 0))
    res = (bytes((1, 0xFE, 0x90, 1, 0, 0, 0, 20)) + socket.inet_pton(socket.AF_INET6, LINK_LOCAL_HARNESS)
           + (55118).to_bytes(2, "big") + bytes((0x10, 0)))
    return [Frame(t_ns, wall, Direction.IN, "iso15118", "sdp", f"sdp[{LINK_LOCAL_DUT}]", "SDP", "SDPReq", raw=req,
                  meta={"peer": [LINK_LOCAL_DUT + "%eth1", 49999], "local": ["::", 15118]}),
            Frame(t_ns + 10, wall + 0.00001, Direction.OUT, "iso15118", "sdp", f"sdp[{LINK_LOCAL_DUT}]", "SDP",
                  "SDPRes", raw=res, meta={"peer": [LINK_LOCAL_DUT + "%eth1", 49999], "local": ["::", 15118]})]


def test_v2g_evidence_sends_nothing_and_is_fast(no_network: None, tmp_path: Path) -> None:
    from vgitest.evidence.pcapng import write_pcapng

    t0 = time.monotonic()
    n = write_pcapng([_v2g_wire(60)], tmp_path / "capture.pcapng", frames=_sdp_frames())
    took = time.monotonic() - t0
    assert n == 60 + 3 + 2  # data segments, the synthetic handshake, the SDP exchange
    assert took < 2.0, f"writing 65 packets took {took:.1f} s"


def test_ocpp_and_http_evidence_sends_nothing(no_network: None, tmp_path: Path) -> None:
    """The same writer serves OCPP (WebSocket) and the HTTP peers (OpenADR, 2030.5): IPv4 and IPv6 peers."""
    from vgitest.evidence.pcapng import write_pcapng

    wires = []
    for i, (client, server) in enumerate([(("192.0.2.10", 40000), ("192.0.2.1", 9000)),
                                          (("2001:db8::10", 40001), ("2001:db8::1", 8443))]):
        w = WireLog(f"ws-{i}", client, server)
        w.add(time.monotonic_ns(), time.time(), Direction.IN, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        w.add(time.monotonic_ns(), time.time(), Direction.OUT, b"HTTP/1.1 101 Switching Protocols\r\n\r\n")
        wires.append(w)
    t0 = time.monotonic()
    assert write_pcapng(wires, tmp_path / "capture.pcapng") == 2 * 5
    assert time.monotonic() - t0 < 2.0


def test_slac_evidence_sends_nothing(no_network: None, tmp_path: Path) -> None:
    from vgitest.slac.capture import write_pcapng

    raw = bytes.fromhex("ffffffffffff" "020000000001" "88e1" "01" "6460" "0000") + bytes(46)
    frames = [Frame(time.monotonic_ns(), time.time(), Direction.IN, "slac", "slac", "slac", "CM_SLAC_PARM.REQ",
                    "CM_SLAC_PARM.REQ", raw=raw)]
    assert write_pcapng(frames, tmp_path / "slac.pcapng") == 1


def test_evidence_frames_carry_explicit_addresses(tmp_path: Path) -> None:
    """The synthetic frames name both MAC addresses (no broadcast filler), the same one per IP address."""
    from vgitest.evidence.pcapng import build_packets

    import scapy.layers.inet  # noqa: F401  (binds IP under Ether: alone, without it, the test read no IP layer)
    import scapy.layers.inet6  # noqa: F401
    from scapy.layers.l2 import Ether
    packets = [Ether(p.data) for p in build_packets([_v2g_wire(4)], frames=_sdp_frames())]
    macs: dict[str, set[str]] = {}
    for p in packets:
        eth, ip = p, p.payload
        for mac, addr in ((eth.src, ip.src), (eth.dst, ip.dst)):
            assert mac and mac != "ff:ff:ff:ff:ff:ff", p.summary()
            macs.setdefault(addr, set()).add(mac)
    assert all(len(m) == 1 for m in macs.values()), macs
    assert len({next(iter(m)) for m in macs.values()}) == len(macs)
