"""An Ethernet pcapng of a test's SLAC frames (EtherType 0x88E1), from the bytes recorded at the socket: Wireshark
dissects them as HomePlug AV management messages. The TCP capture writer does not apply (no connections)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..evidence.pcapwriter import Packet, write
from ..trace import Direction, Frame


def write_pcapng(frames: Iterable[Frame], path: Path) -> int:
    """Write the "slac" frames among ``frames`` (raw Ethernet, wall-clock time); returns how many."""
    packets = [Packet(f.raw, f.wall, [f"{'DUT -> harness' if f.direction is Direction.IN else 'harness -> DUT'}: "
                                      f"{f.kind}"])
               for f in frames if f.protocol == "slac" and len(f.raw) >= 14]
    return write(path, packets)
