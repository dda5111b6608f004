"""Synthetic Ethernet frames and the pcapng file that holds them, written with `struct` alone.

Every evidence capture (the TCP streams of a test, SDP datagrams, SLAC and IEC 61850 frames) is a list of
:class:`Packet`: the frame's bytes, its wall-clock time and optional comments. Building the headers here instead of
with scapy keeps scapy out of every suite process: importing it (and its look at the host's interfaces and routes)
cost more CPU than the rest of a short case, and the fault matrix starts hundreds of such processes on two cores.
Nothing here touches a network: the addresses are given, never resolved.

Formats: pcapng (IETF draft-ietf-opsawg-pcapng: Section Header, Interface Description with link type 1 = Ethernet,
Enhanced Packet blocks with `opt_comment`); IPv4 (RFC 791), IPv6 (RFC 8200), TCP (RFC 9293), UDP (RFC 768) with
their checksums, so Wireshark shows no checksum errors.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import struct
from pathlib import Path
from typing import Iterable

ETH_IPV4, ETH_IPV6 = 0x0800, 0x86DD
PROTO_TCP, PROTO_UDP = 6, 17
TCP_FLAGS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10}
LINKTYPE_ETHERNET = 1


@dataclasses.dataclass
class Packet:
    """One captured frame: the Ethernet frame's bytes, when it was seen (Unix seconds) and its comments."""

    data: bytes
    time: float
    comments: list[str] = dataclasses.field(default_factory=list)


def _mac(text: str) -> bytes:
    return bytes(int(b, 16) for b in text.split(":"))


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ip_frame(src_mac: str, dst_mac: str, src: str, dst: str, proto: int, l4: bytes) -> bytes:
    """Ethernet + IPv4 or IPv6 (by the addresses) around the transport segment `l4`, whose checksum field must be
    zero: it is filled in here, over the pseudo-header of the chosen IP version."""
    s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    if s.version == 6:
        pseudo = s.packed + d.packed + struct.pack("!I3xB", len(l4), proto)
        ip = struct.pack("!IHBB", 6 << 28, len(l4), proto, 64) + s.packed + d.packed
        ethertype = ETH_IPV6
    else:
        pseudo = s.packed + d.packed + struct.pack("!xBH", proto, len(l4))
        head = struct.pack("!BBHHHBBH", 0x45, 0, 20 + len(l4), 1, 0, 64, proto, 0) + s.packed + d.packed
        ip = head[:10] + struct.pack("!H", _checksum(head)) + head[12:]
        ethertype = ETH_IPV4
    offset = 16 if proto == PROTO_TCP else 6  # where the transport checksum sits
    csum = _checksum(pseudo + l4)
    if proto == PROTO_UDP and csum == 0:
        csum = 0xFFFF  # RFC 768: a computed zero is sent as all ones
    l4 = l4[:offset] + struct.pack("!H", csum) + l4[offset + 2:]
    return _mac(dst_mac) + _mac(src_mac) + struct.pack("!H", ethertype) + ip + l4


def tcp_segment(sport: int, dport: int, seq: int, ack: int, flags: str, payload: bytes = b"") -> bytes:
    """A TCP header without options (checksum zero, filled by :func:`ip_frame`) and its payload."""
    bits = 0
    for f in flags:
        bits |= TCP_FLAGS[f]
    return struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, bits, 65535, 0,
                       0) + payload


def udp_datagram(sport: int, dport: int, payload: bytes) -> bytes:
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def _block(kind: int, body: bytes) -> bytes:
    length = 12 + len(body)
    return struct.pack("<II", kind, length) + body + struct.pack("<I", length)


def _pad(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 4)


def _options(comments: Iterable[str]) -> bytes:
    out = b""
    for c in comments:
        raw = c.encode("utf-8")
        out += struct.pack("<HH", 1, len(raw)) + _pad(raw)
    return out + struct.pack("<HH", 0, 0) if out else b""


def pcapng_bytes(packets: Iterable[Packet]) -> bytes:
    """One section, one Ethernet interface (microsecond timestamps, the default resolution), one Enhanced Packet
    block per packet in the order given."""
    out = [_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)),
           _block(0x00000001, struct.pack("<HHI", LINKTYPE_ETHERNET, 0, 262144))]
    for p in packets:
        us = int(round(p.time * 1_000_000))
        body = struct.pack("<IIIII", 0, us >> 32, us & 0xFFFFFFFF, len(p.data), len(p.data)) + _pad(p.data)
        out.append(_block(0x00000006, body + _options(p.comments)))
    return b"".join(out)


def write(path: Path | str, packets: list[Packet]) -> int:
    """Write `packets` as a pcapng file (nothing when there are none); returns how many were written."""
    if packets:
        Path(path).write_bytes(pcapng_bytes(packets))
    return len(packets)


__all__ = ["Packet", "ip_frame", "pcapng_bytes", "tcp_segment", "udp_datagram", "write"]
