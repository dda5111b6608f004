"""pcapng evidence built from the bytes recorded at the socket (scapy writes the file).

The harness does not sniff the interface (that needs privileges a vendor's CI may not have); it records
exactly what it read and wrote on each TCP connection and wraps those bytes in synthetic IP/TCP headers
with consistent sequence numbers, so Wireshark reassembles the stream and dissects HTTP/WebSocket/OCPP.
For TLS connections the bytes are the plaintext inside the tunnel, and the capture says so in a comment.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Iterable

from ..trace import Direction
from ..wire import WireLog

MAX_SEGMENT = 16000


def _ip_layer(src: str, dst: str):  # noqa: ANN202 - scapy types
    from scapy.layers.inet import IP
    from scapy.layers.inet6 import IPv6
    try:
        v6 = ipaddress.ip_address(src).version == 6
    except ValueError:
        v6, src, dst = False, "127.0.0.1", "127.0.0.1"
    return IPv6(src=src, dst=dst) if v6 else IP(src=src, dst=dst)


def _handshake(chunks: list) -> list:
    """The chunks up to and including the server's HTTP 101 answer: Wireshark needs them to dissect WebSocket."""
    out = []
    for c in chunks:
        out.append(c)
        if c.direction is Direction.OUT and b"\r\n\r\n" in c.data:
            break
    return out


def build_packets(wires: Iterable[WireLog], start_ns: int = 0, end_ns: int | None = None) -> list:
    from scapy.layers.inet import TCP
    from scapy.layers.l2 import Ether
    from scapy.packet import Raw

    packets = []
    for wire in wires:
        all_chunks = wire.between(0, end_ns)
        in_window = [c for c in all_chunks if c.t_ns >= start_ns]
        if not in_window:
            continue
        handshake = _handshake(all_chunks)
        (caddr, cport), (saddr, sport) = wire.client, wire.server
        seq = {Direction.IN: 1000, Direction.OUT: 50000}

        from_client = Direction.OUT if wire.harness_is_client else Direction.IN

        def pkt(direction: Direction, flags: str, payload: bytes, t: float, comment: str | None = None):
            src, dst = (caddr, saddr) if direction is from_client else (saddr, caddr)
            sp, dp = (cport, sport) if direction is from_client else (sport, cport)
            other = Direction.OUT if direction is Direction.IN else Direction.IN
            p = Ether() / _ip_layer(src, dst) / TCP(sport=sp, dport=dp, flags=flags, seq=seq[direction],
                                                    ack=seq[other] if "A" in flags else 0, window=65535)
            if payload:
                p = p / Raw(payload)
            p.time = t
            if comment:
                p.comments = [comment.encode()]
            seq[direction] += len(payload) + (1 if ("S" in flags or "F" in flags) else 0)
            return p

        note = f"vgitest {wire.connection}: bytes recorded at the socket" + (
            " (TLS plaintext)" if wire.tls else "")
        t0 = all_chunks[0].wall - 0.000002
        from_server = Direction.IN if from_client is Direction.OUT else Direction.OUT
        packets.append(pkt(from_client, "S", b"", t0, note))
        packets.append(pkt(from_server, "SA", b"", t0 + 0.000001))
        packets.append(pkt(from_client, "A", b"", t0 + 0.0000015))
        for c in all_chunks:  # sequence numbers follow the whole stream; only the handshake and the window are kept
            keep = c in handshake or c.t_ns >= start_ns
            data = c.data
            for i in range(0, len(data), MAX_SEGMENT):
                p = pkt(c.direction, "PA", data[i:i + MAX_SEGMENT], c.wall)
                if keep:
                    packets.append(p)
    packets.sort(key=lambda p: float(p.time))
    return packets


def write_pcapng(wires: Iterable[WireLog], path: Path, start_ns: int = 0, end_ns: int | None = None) -> int:
    from scapy.utils import wrpcapng

    packets = build_packets(wires, start_ns, end_ns)
    if packets:
        wrpcapng(str(path), packets)
    return len(packets)
