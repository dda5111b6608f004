"""GOOSE and SV frames from a capture file (pcap or pcapng, Ethernet), as :class:`~vgitest.iec61850.l2.Seen`
records the stream checks take, and back to a file for Wireshark.

The bytes are the frame as captured (scapy reads the file; its dissection is not used, so a malformed frame
reaches our strict decoder unchanged). ``t_ns`` is the capture's wall-clock time in ns (the checks only use
differences). Other EtherTypes are skipped; the EtherType is looked up after any 802.1Q tag.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

from .ether import ETHERTYPE_GOOSE, ETHERTYPE_SV, ethertype
from .l2 import Seen

ETHERTYPES = (ETHERTYPE_GOOSE, ETHERTYPE_SV)


def read(path: str | Path, ethertypes: tuple[int, ...] = ETHERTYPES) -> list[Seen]:
    """The GOOSE/SV frames of a capture, in file order."""
    from scapy.utils import PcapReader

    out = []
    with PcapReader(str(path)) as reader:
        for pkt in reader:
            raw = bytes(getattr(pkt, "original", None) or bytes(pkt))
            if ethertype(raw) in ethertypes:
                out.append(Seen(int(Decimal(pkt.time) * 1_000_000_000), "rx", raw))
    return out


def write(path: str | Path, frames: Iterable[tuple[float, bytes]]) -> int:
    """A pcapng of ``(wall-clock seconds, frame)`` pairs; returns how many were written."""
    from scapy.layers.l2 import Ether
    from scapy.utils import wrpcapng

    packets = []
    for t, raw in frames:
        p = Ether(raw)
        p.time = t
        packets.append(p)
    if packets:
        wrpcapng(str(path), packets)
    return len(packets)
