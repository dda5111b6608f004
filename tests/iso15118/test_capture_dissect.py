"""The capture reader's direct header path (vgitest.iso15118.dissect) reads what scapy's dissectors read, without
their cost; and a transport payload ends where the IP and UDP lengths say, not at the end of the frame."""

from __future__ import annotations

import dataclasses
import random
import struct
from pathlib import Path

import pytest

from tests.fuzz_bench import load
from vgitest.iso15118 import capture, dissect
from vgitest.iso15118.capfile import NotACapture

def pcap(packets: list[bytes], linktype: int = 1) -> bytes:
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype)
    for k, p in enumerate(packets):
        out += struct.pack("<IIII", 1_700_000_000, k, len(p), len(p)) + p
    return out


ETH = bytes.fromhex("020000000002020000000001")


def _udp6() -> bytes:
    """Ethernet, IPv6, UDP to 15118, an SDP request."""
    return (ETH + b"\x86\xdd" + bytes.fromhex("6000000000121140") + bytes(15) + b"\x01" + bytes(15) + b"\x02"
            + struct.pack("!HHHH", 55555, 15118, 18, 0) + bytes.fromhex("01fe900000000002") + b"\x10\x00")


def _tcp4(seq: int, flags: int, data: bytes) -> bytes:
    """Ethernet, IPv4, TCP to 15118 carrying ``data``."""
    tcp = struct.pack("!HHIIBBHHH", 50000, 15118, seq, 0, 5 << 4, flags, 1024, 0, 0) + data
    return (ETH + b"\x08\x00\x45\x00" + struct.pack("!HHHBBH", 20 + len(tcp), 0, 0, 64, 6, 0)
            + bytes([10, 0, 0, 1, 10, 0, 0, 2]) + tcp)


def _tcp_header(seq: int, flags: int, words: int) -> bytes:
    return struct.pack("!HHIIBBHHH", 50000, 15118, seq, 0, words << 4, flags, 1024, 0, 0)


def _ext6(headers: list[tuple[int, bytes]], nh: int, body: bytes) -> bytes:
    """Ethernet, IPv6 with extension headers ((type, the header after its next-header byte: length, options)), then
    ``body`` of protocol ``nh``."""
    chain = b""
    types = [t for t, _ in headers] + [nh]
    for (_, rest), following in zip(headers, types[1:]):
        chain += bytes([following]) + rest
    payload = chain + body
    return (ETH + b"\x86\xdd" + b"\x60\x00\x00\x00" + len(payload).to_bytes(2, "big") + bytes([types[0], 64])
            + bytes(15) + b"\x01" + bytes(15) + b"\x02" + payload)


def read(data: bytes) -> object:
    try:
        return dataclasses.asdict(capture.read_capture(Path("x"), data))
    except NotACapture as e:
        return str(e)


def test_direct_reading_equals_scapys_on_mutated_captures(monkeypatch: pytest.MonkeyPatch) -> None:
    """Seeds and mutations of the self-fuzz (Ethernet and raw IP, IPv6 and IPv4, TCP and UDP, damaged headers):
    the capture read with the direct path equals the capture read with scapy dissecting every packet."""
    fuzz = load()
    target = fuzz.targets()["pcap-dissect"]()
    inputs = list(fuzz.generic_inputs(target, 400, seed=3))
    ipv6_udp, ipv4_tcp = _udp6(), _tcp4(100, 0x18, bytes.fromhex("01fe8001000000021234"))
    raw = [pcap([ipv6_udp[14:], ipv4_tcp[14:]], linktype) for linktype in (101, 228, 229)]
    options = [pcap([_ext6(headers, nh, body) for headers, nh, body in (
        ([(0, b"\x00\x01\x04" + bytes(4))], 6, _tcp_header(7, 0x18, 5) + b"\x01\xfe\x80\x01\x00\x00\x00\x00"),
        ([(60, b"\x00\x01\x04" + bytes(4)), (0, b"\x00" * 7)], 17, _udp6()[54:]),
        ([(0, b"\x01\x01\x0c" + bytes(12))], 6, _tcp_header(9, 0x02, 15)),  # TCP options beyond the segment
    )]), pcap([b"", b"\x02\x00\x00\x00E", ipv4_tcp[14:]], 0)]
    rng = random.Random(5)
    jumbo = bytearray(_ext6([(0, b"\x00\xc2\x04\x00\x00\x00\x10")], 6, _tcp_header(3, 0x18, 5) + b"\x01\xfe"))
    jumbo[18:20] = b"\x00\x00"
    options.append(pcap([bytes(jumbo)] * 3))
    more = raw + options
    inputs += target.seeds(rng) + more + [fuzz.exi_fuzz.mutate(rng.choice(more), rng, more) for _ in range(600)]
    direct = [read(d) for d in inputs]
    monkeypatch.setattr(dissect, "direct", lambda linktype, data: None)
    via_scapy = [read(d) for d in inputs]
    differ = [i for i, (a, b) in enumerate(zip(direct, via_scapy)) if a != b]
    assert not differ, (len(differ), inputs[differ[0]].hex())
    assert any(isinstance(r, dict) and r["connections"] for r in direct)  # the comparison saw streams


def test_plain_packets_are_read_without_scapy(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 64 KiB capture of ~740 minimal IPv6/UDP SDP datagrams took 84-93 ms through scapy (over the self-fuzz's
    50 ms); such packets, and those that cannot hold TCP or UDP, now never reach scapy."""
    from scapy.packet import Packet

    calls = []
    dissect_packet = Packet.dissect

    def counting(self: Packet, s: bytes) -> None:
        calls.append(type(self).__name__)
        dissect_packet(self, s)

    monkeypatch.setattr(Packet, "dissect", counting)
    packets = [_udp6()] * 700 + [ETH + b"\x08\x06" + bytes(28), b"", ETH + b"\x88\xe1" + bytes(46)]
    cap = capture.read_capture(Path("x"), pcap(packets))
    assert len(cap.sdp) == 700 and cap.sdp[0].fields == {"security": 0x10, "transport": 0}
    assert calls == []
    # the run of make fuzz after the first fix: IPv6 options headers, TCP options running past the segment, and
    # empty packets of another link type still went to scapy (~1 ms each with garbage options): 55-250 ms
    options = [_ext6([(0, b"\x00\x01\x04" + bytes(4))], 6, _tcp_header(7, 0x18, 5) + b"\x01\xfe"),
               _ext6([(60, b"\x00\x01\x04" + bytes(4)), (0, b"\x00" * 7)], 17, _udp6()[54:]),
               _ext6([(0, b"\x01\x01\x0c" + bytes(12))], 6, _tcp_header(9, 0x02, 15))]
    cap = capture.read_capture(Path("x"), pcap(options * 100))
    assert len(cap.sdp) == 100 and [len(c.streams) for c in cap.connections] == [1]
    # and the run after that: payload length 0 with a hop-by-hop header (scapy looks for a jumbo option), an IPv4
    # total length under the header's (scapy takes everything after the header), IPv4 protocol 0
    jumbo = bytearray(options[0])
    jumbo[18:20] = b"\x00\x00"
    short_total = bytearray(_tcp4(5, 0x18, b"\x01\xfe"))
    short_total[16:18] = b"\x00\x00"
    proto0 = bytearray(_tcp4(5, 0x18, b"\x01\xfe"))
    proto0[23] = 0
    cap = capture.read_capture(Path("x"), pcap([bytes(jumbo), bytes(short_total), bytes(proto0)] * 100))
    assert [c.client for c in cap.connections] == [("10.0.0.1", 50000)]  # the jumbogram has no jumbo option
    capture.read_capture(Path("x"), pcap([b""] * 1000, linktype=0))
    assert calls == []


@pytest.mark.parametrize("tail", [b"\x00" * 6, b"FCS!"], ids=["ethernet-padding", "fcs"])
def test_bytes_after_the_ip_packet_are_not_stream_data(tail: bytes) -> None:
    """A short IPv4 segment padded to Ethernet's 60 bytes (or a frame captured with its FCS) put those bytes into
    the stream: scapy's bytes(tcp.payload) runs to the end of the frame. Found while writing the direct path."""
    frame = bytes.fromhex("01fe8001000000021234")
    packets = [_tcp4(100, 0x10, b"") + tail, _tcp4(100, 0x18, frame) + tail]
    for force_scapy in (False, True):
        original = dissect.direct
        if force_scapy:
            dissect.direct = lambda linktype, data: None  # type: ignore[assignment]
        try:
            cap = capture.read_capture(Path("x"), pcap(packets))
        finally:
            dissect.direct = original
        (conn,) = cap.connections
        assert conn.streams[("10.0.0.1", 50000)].data == frame, force_scapy


@pytest.mark.parametrize("force_scapy", [False, True], ids=["direct", "scapy"])
def test_an_sdp_datagram_ends_at_the_udp_length(force_scapy: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same for UDP: a frame captured with its FCS made every SDP request 4 bytes too long (no fields, and a
    payload-length problem the device never had)."""
    if force_scapy:
        monkeypatch.setattr(dissect, "direct", lambda linktype, data: None)
    (sdp,) = capture.read_capture(Path("x"), pcap([_udp6() + b"FCS!"])).sdp
    assert sdp.raw == bytes.fromhex("01fe9000000000021000")
    assert sdp.fields == {"security": 0x10, "transport": 0} and sdp.problems == []
