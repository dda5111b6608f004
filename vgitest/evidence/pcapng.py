"""pcapng evidence built from the bytes recorded at the socket (written by :mod:`.pcapwriter`).

The harness does not sniff the interface (that needs privileges a vendor's CI may not have); it records
exactly what it read and wrote on each TCP connection and wraps those bytes in synthetic IP/TCP headers
with consistent sequence numbers, so Wireshark reassembles the stream and dissects HTTP/WebSocket/OCPP.
For TLS connections the bytes are the plaintext inside the tunnel, and the capture says so in a comment.

Every header is built with explicit addresses (MAC and IP, scope ids stripped), nothing is resolved: writing
evidence puts no packet on any network (tests/test_evidence_no_traffic.py).

ISO 15118 roles also record their SDP datagrams (UDP) in the trace as kind "SDP" frames; given the trace's
frames, those become UDP packets in the same capture, so `vgitest analyze` and Wireshark see the discovery too.
"""

from __future__ import annotations

import hashlib
import ipaddress
from pathlib import Path
from typing import Any, Iterable

from ..trace import Direction, Frame
from ..wire import WireLog
from .pcapwriter import PROTO_TCP, PROTO_UDP, Packet, ip_frame, tcp_segment, udp_datagram, write

MAX_SEGMENT = 16000
SDP_PORT = 15118
UNSPECIFIED = ("", "::", "0.0.0.0")
LOOPBACK = ("::1", "127.0.0.1")


def mac_of(address: str) -> str:
    """A stable MAC address for an IP address in a synthetic frame: the one an EUI-64 interface id embeds (as
    IPv6 link-local addresses from SLAAC do), else a locally administered one derived from the address."""
    try:
        ip = ipaddress.ip_address(_addr(address))
    except ValueError:
        ip = ipaddress.ip_address("127.0.0.1")
    packed = ip.packed
    if ip.version == 6 and packed[11:13] == b"\xff\xfe":
        eui = bytearray(packed[8:11] + packed[13:16])
        eui[0] ^= 0x02
        return ":".join(f"{b:02x}" for b in eui)
    digest = hashlib.sha256(packed).digest()
    return ":".join(f"{b:02x}" for b in (0x02,) + tuple(digest[:5]))


def _ends(src: str, dst: str) -> tuple[str, str, str, str]:
    """(source MAC, destination MAC, source IP, destination IP) of a synthetic frame: both addresses of one IP
    version, scope ids stripped (an unreadable or mixed pair becomes loopback)."""
    src, dst = _addr(src), _addr(dst)
    try:
        if ipaddress.ip_address(src).version != ipaddress.ip_address(dst).version:
            raise ValueError("mixed IP versions")
    except ValueError:
        src, dst = "127.0.0.1", "127.0.0.1"
    return mac_of(src), mac_of(dst), src, dst


def _handshake(chunks: list) -> list:
    """The chunks up to and including the server's HTTP 101 answer: Wireshark needs them to dissect WebSocket."""
    out = []
    for c in chunks:
        out.append(c)
        if c.direction is Direction.OUT and b"\r\n\r\n" in c.data:
            break
    return out


def _addr(a: str) -> str:
    return a.split("%", 1)[0]  # a scope id (fe80::1%eth0) is no part of the address on the wire


def sdp_packets(frames: Iterable[Frame], wires: Iterable[WireLog] = (), start_ns: int = 0,
                end_ns: int | None = None) -> list:
    """UDP packets for the SDP datagrams an ISO 15118 role recorded (trace frames of kind "SDP").

    Each frame holds the datagram's bytes, its socket time and the other side's address (``meta["peer"]``);
    the recording side's own address is ``meta["local"]`` when the role recorded it. The fake/reference EVCC
    names its frames ``sdp``, the SECC ``sdp[<peer>]``: an SDPReq travels EVCC -> SECC, an SDPRes back. Without
    ``local`` (the SECC's record) the SECC is written at the address its SDP response announces, port 15118."""
    sdp = [f for f in frames if f.protocol == "iso15118" and f.kind == "SDP" and f.raw and f.meta.get("peer")
           and f.t_ns >= start_ns and (end_ns is None or f.t_ns <= end_ns)]
    if not sdp:
        return []
    announced = None
    for f in sdp:
        if f.name == "SDPRes" and len(f.raw) == 28:
            announced = str(ipaddress.IPv6Address(f.raw[8:24]))
            break
    harness_tcp = [w.client[0] if w.harness_is_client else w.server[0] for w in wires]
    out = []
    for f in sdp:
        peer = (_addr(str(f.meta["peer"][0])), int(f.meta["peer"][1]))
        by_evcc = f.connection == "sdp"
        local: Any = f.meta.get("local")
        if local is None:
            if by_evcc:
                continue  # nowhere to put the EVCC's end
            local = (announced or "::1", SDP_PORT)
        local = (_addr(str(local[0])), int(local[1]))
        if local[0] in UNSPECIFIED:  # bound to any address: the one the datagram used
            if peer[0] in LOOPBACK:
                local = (peer[0], local[1])
            elif not by_evcc and announced:
                local = (announced, local[1])
            elif harness_tcp:
                local = (_addr(harness_tcp[0]), local[1])
        sent = (f.name == "SDPReq") == by_evcc
        (src, sport), (dst, dport) = (local, peer) if sent else (peer, local)
        smac, dmac, src, dst = _ends(src, dst)
        out.append(Packet(ip_frame(smac, dmac, src, dst, PROTO_UDP, udp_datagram(sport, dport, f.raw)), f.wall))
    return out


def build_packets(wires: Iterable[WireLog], start_ns: int = 0, end_ns: int | None = None,
                  frames: Iterable[Frame] | None = None) -> list[Packet]:
    """The capture's packets in time order: per connection a synthetic TCP handshake, the recorded bytes with
    sequence numbers that follow the whole stream, and the SDP datagrams of `frames`."""
    wires = list(wires)
    packets = sdp_packets(frames, wires, start_ns, end_ns) if frames is not None else []
    for wire in wires:
        all_chunks = wire.between(0, end_ns)
        in_window = [c for c in all_chunks if c.t_ns >= start_ns]
        if not in_window:
            continue
        handshake = _handshake(all_chunks)
        (caddr, cport), (saddr, sport) = wire.client, wire.server
        seq = {Direction.IN: 1000, Direction.OUT: 50000}

        from_client = Direction.OUT if wire.harness_is_client else Direction.IN

        def pkt(direction: Direction, flags: str, payload: bytes, t: float, comment: str | None = None) -> Packet:
            src, dst = (caddr, saddr) if direction is from_client else (saddr, caddr)
            sp, dp = (cport, sport) if direction is from_client else (sport, cport)
            other = Direction.OUT if direction is Direction.IN else Direction.IN
            smac, dmac, src, dst = _ends(src, dst)
            segment = tcp_segment(sp, dp, seq[direction], seq[other] if "A" in flags else 0, flags, payload)
            p = Packet(ip_frame(smac, dmac, src, dst, PROTO_TCP, segment), t, [comment] if comment else [])
            seq[direction] += len(payload) + (1 if ("S" in flags or "F" in flags) else 0)
            return p

        note = f"vgitest {wire.connection}: bytes recorded at the socket" + (
            " (TLS plaintext)" if wire.tls else "")
        t0 = all_chunks[0].wall - 0.000002
        from_server = Direction.IN if from_client is Direction.OUT else Direction.OUT
        packets.append(pkt(from_client, "S", b"", t0, note))
        packets.append(pkt(from_server, "SA", b"", t0 + 0.000001))
        packets.append(pkt(from_client, "A", b"", t0 + 0.0000015))
        left_out = dict(getattr(wire, "skipped", {}))  # bytes the wire log released (issue 13)
        for c in all_chunks:  # the handshake and the window are kept; the bytes between them (earlier tests) are
            keep = c in handshake or c.t_ns >= start_ns  # left out and the sequence numbers close up over them, so
            data = c.data  # the test's capture reads as one clean stream ("previous segment not captured" before)
            if not keep:
                left_out[c.direction] = left_out.get(c.direction, 0) + c.size
                continue
            if sum(left_out.values()) and c not in handshake:
                note_gap = (f"vgitest: {left_out.get(Direction.IN, 0)} bytes from the device and "
                            f"{left_out.get(Direction.OUT, 0)} from the harness on this connection are not in "
                            "this capture (earlier tests, or released by the wire log's cap); sequence numbers "
                            "closed up over them")
                left_out = {}
            else:
                note_gap = None
            for i in range(0, len(data), MAX_SEGMENT):
                packets.append(pkt(c.direction, "PA", data[i:i + MAX_SEGMENT], c.wall, note_gap if i == 0 else None))
            if c.size > len(data):  # only a prefix of this chunk was kept: the capture shows the gap
                seq[c.direction] += c.size - len(data)
                if packets:
                    packets[-1].comments = [f"vgitest: {c.size - len(data)} more bytes of this chunk were not "
                                            f"kept (wire log capped)"]
    packets.sort(key=lambda p: p.time)
    return packets


def write_pcapng(wires: Iterable[WireLog], path: Path, start_ns: int = 0, end_ns: int | None = None,
                 frames: Iterable[Frame] | None = None) -> int:
    """Write the capture; ``frames`` (a trace or its slice) adds the SDP datagrams recorded there as UDP."""
    return write(path, build_packets(wires, start_ns, end_ns, frames))
