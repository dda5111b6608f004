"""One captured packet reduced to what the capture reader keeps: IP addresses, transport, ports, and the transport
payload as the IP and UDP length fields bound it.

Plain Ethernet II, raw IPv4 and raw IPv6 packets carrying TCP or UDP (behind IPv6 hop-by-hop and destination options
too), which is all V2G traffic on a PLC or Ethernet link, are read directly from their headers (a few microseconds),
and so are packets that cannot hold TCP or UDP (ARP, SLAC, ICMP, fewer than 28 bytes, ...). Everything else (VLAN
tags, LLC, cooked captures, IPv6 routing and fragment headers, tunnels, TCP headers cut short) goes to scapy's
dissectors (~50 µs to 1 ms a packet), whose layers are then read the same way. Why: at scapy's cost a 64 KiB
capture of small packets took 40-250 ms to read, over the 50 ms the self-fuzz allows
(``benchmarks/fuzz_parsers.py --parser pcap-dissect``).

The payload is always cut by the IP payload length and the UDP length, never taken as "everything after the
header": bytes after the IP packet (Ethernet padding of a short IPv4 segment, a trailer, a captured FCS) are not
the peer's data. Scapy's own ``bytes(tcp.payload)`` includes them, which once made a padded IPv4 ACK put zeros into
a reassembled stream.
"""

from __future__ import annotations

import dataclasses
import socket
import sys

ETHERNET, RAW, RAW_ALT, IPV4, IPV6 = 1, 101, 12, 228, 229
TCP, UDP = 6, 17
# IP protocol numbers behind which scapy may find TCP or UDP: IPv6 extension headers (hop-by-hop, routing, fragment,
# destination options, mobility, HIP, shim6, experiments), IP-in-IP, IPv6-in-IP, GRE, ESP, AH
_ENCAPSULATING_IP = frozenset({0, 4, 41, 43, 44, 47, 50, 51, 60, 135, 139, 140, 253, 254})
_ENCAPSULATING_IPV4 = frozenset({4, 41, 47, 50, 51})  # what scapy binds under IPv4 that may lead to TCP or UDP
_OPTION_HEADERS = frozenset({0, 60})  # IPv6 hop-by-hop and destination options: next header, length, options
MIN_TRANSPORT_PACKET = 28  # an IPv4 header and a UDP header: no link layer puts TCP or UDP in fewer bytes


@dataclasses.dataclass(frozen=True)
class Packet:
    """A TCP segment or UDP datagram (``proto``), or just the IP addresses when there is no transport to read."""

    src: str
    dst: str
    proto: int | None = None  # TCP, UDP, or None
    sport: int = 0
    dport: int = 0
    seq: int = 0
    flags: int = 0
    payload: bytes = b""


def _transport(src: str, dst: str, proto: int, seg: bytes) -> Packet | None:
    """TCP or UDP inside an IP payload already cut to its length; None if the header is not whole (scapy decides)."""
    if not seg:
        return Packet(src, dst)  # no bytes, no transport layer (scapy dissects none)
    if proto == UDP:
        if len(seg) < 8:
            return None
        length = int.from_bytes(seg[4:6], "big")
        if length < 8:
            return None
        return Packet(src, dst, UDP, int.from_bytes(seg[0:2], "big"), int.from_bytes(seg[2:4], "big"),
                      payload=seg[8:length])
    if len(seg) < 20:
        return None
    offset = (seg[12] >> 4) * 4
    # options running past the segment's end: no payload (scapy reads what options there are, and nothing after);
    # a data offset under 5 words is no TCP header: no payload either (as via_scapy reads it)
    return Packet(src, dst, TCP, int.from_bytes(seg[0:2], "big"), int.from_bytes(seg[2:4], "big"),
                  int.from_bytes(seg[4:8], "big"), seg[13], seg[offset:] if offset >= 20 else b"")


def _jumbo_length(payload: bytes) -> int | None:
    """Where a jumbogram's payload ends, found as scapy finds it (``IPv6.extract_padding``: the hop-by-hop header's
    length plus the Jumbo Payload option's value, in host byte order, looked for at every fourth byte from the
    third); None where scapy's search runs off the bytes: scapy then drops the whole IPv6 layer (no IP)."""
    if len(payload) < 8:
        return 0
    jumbo = 0
    for offset in range(2, len(payload) + 1, 4):
        if offset == len(payload):
            return None
        if payload[offset] == 0xC2:
            value = payload[offset + 2:offset + 6]
            if len(value) < 4:
                return None
            jumbo = int.from_bytes(value, sys.byteorder)
            break
    return 8 + payload[1] * 8 + jumbo


def _ipv6(data: bytes) -> Packet | None:
    if len(data) < 40:
        return None
    plen, nh = int.from_bytes(data[4:6], "big"), data[6]
    if plen == 0 and nh == 0:  # a jumbogram: its length is in a hop-by-hop option
        plen = _jumbo_length(data[40:])
        if plen is None:
            return NO_IP
    src, dst = socket.inet_ntop(socket.AF_INET6, data[8:24]), socket.inet_ntop(socket.AF_INET6, data[24:40])
    body = data[40:40 + plen]
    pos = 0
    while nh in _OPTION_HEADERS:  # hop-by-hop and destination options: skipped whole, by their length
        if len(body) - pos < 2 or len(body) - pos < (body[pos + 1] + 1) * 8:
            return Packet(src, dst)  # cut short: its options run to the end, nothing follows them
        nh, pos = body[pos], pos + (body[pos + 1] + 1) * 8
    if nh in _ENCAPSULATING_IP:
        return None
    if nh not in (TCP, UDP):  # ICMPv6 (its error messages quote a TCP/UDP header, which is not one), no next header
        return Packet(src, dst)
    return _transport(src, dst, nh, body[pos:])


def _ipv4(data: bytes) -> Packet | None:
    if len(data) < 20:
        return None
    ihl = (data[0] & 0x0F) * 4
    total = int.from_bytes(data[2:4], "big")
    if ihl < 20 or ihl > len(data):
        return None
    src, dst = socket.inet_ntoa(data[12:16]), socket.inet_ntoa(data[16:20])
    if int.from_bytes(data[6:8], "big") & 0x1FFF:  # a later fragment: no transport header in it
        return Packet(src, dst)
    if data[9] in _ENCAPSULATING_IPV4:
        return None
    if data[9] not in (TCP, UDP):
        return Packet(src, dst)
    return _transport(src, dst, data[9], data[ihl:total] if total >= ihl else data[ihl:])  # scapy: no length, all


def _ip(data: bytes) -> Packet | None:
    version = data[0] >> 4 if data else 0
    return _ipv6(data) if version == 6 else _ipv4(data) if version == 4 else None


NO_IP = Packet("", "")  # direct(): the packet has no IP layer (scapy would find none either)
# EtherTypes behind which scapy may still find IP (VLAN tags, PPPoE, MPLS, NSH); below 0x0600 an 802.3 length
# (LLC/SNAP may carry IP). Any other EtherType (ARP, HomePlug AV/SLAC, LLDP, PTP, ...) has no IP layer.
_ENCAPSULATING = frozenset({0x8100, 0x88A8, 0x9100, 0x9200, 0x8863, 0x8864, 0x8847, 0x8848, 0x894F})


def direct(linktype: int, data: bytes) -> Packet | None:
    """The packet read from its headers, :data:`NO_IP`, or None when scapy must dissect it."""
    if len(data) < MIN_TRANSPORT_PACKET:
        return NO_IP  # whatever scapy makes of it, it has no TCP or UDP for the reader to keep
    if linktype == ETHERNET:
        ethertype = int.from_bytes(data[12:14], "big")
        if ethertype == 0x86DD:
            return _ipv6(data[14:])
        if ethertype == 0x0800:
            return _ipv4(data[14:])
        return None if ethertype < 0x0600 or ethertype in _ENCAPSULATING else NO_IP
    if linktype == IPV6:
        return _ipv6(data)
    if linktype == IPV4:
        return _ipv4(data)
    if linktype in (RAW, RAW_ALT):
        return _ip(data)
    return None


def via_scapy(linktype: int, data: bytes) -> Packet | None:
    """The packet dissected by scapy's layer for ``linktype``, read the same way; None without an IP layer."""
    from scapy.config import conf
    from scapy.layers.inet import IP
    from scapy.layers.inet import TCP as ScapyTCP
    from scapy.layers.inet import UDP as ScapyUDP
    from scapy.layers.inet6 import IPv6

    cls = conf.l2types.num2layer.get(linktype, conf.raw_layer)
    try:
        pkt = cls(data)
    except Exception:  # scapy's dissectors raise anything on garbage: no layers to read
        return None
    ip = next((pkt[layer] for layer in (IPv6, IP) if layer in pkt), None)
    if ip is None:
        return None
    if ScapyUDP in pkt:
        udp = pkt[ScapyUDP]
        seg = bytes(udp.original or b"")
        length = int(udp.len) if udp.len is not None else len(seg)
        return Packet(ip.src, ip.dst, UDP, int(udp.sport), int(udp.dport),
                      payload=seg[8:length] if length >= 8 else b"")
    if ScapyTCP in pkt:
        tcp = pkt[ScapyTCP]
        seg = bytes(tcp.original or b"")
        offset = (int(tcp.dataofs) if tcp.dataofs is not None else 5) * 4
        return Packet(ip.src, ip.dst, TCP, int(tcp.sport), int(tcp.dport), int(tcp.seq), int(tcp.flags),
                      seg[offset:] if offset >= 20 else b"")
    return Packet(ip.src, ip.dst)


def dissect(linktype: int, data: bytes) -> Packet | None:
    """What the capture reader keeps of one packet (None: no IP layer)."""
    pkt = direct(linktype, data)
    if pkt is None:
        return via_scapy(linktype, data)
    return None if pkt is NO_IP else pkt
