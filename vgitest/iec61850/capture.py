"""A pcapng of a test's Table 5 flow for Wireshark: the GOOSE and SV frames as the socket carried them, and each MMS
frame inside the Ethernet, IPv4 and TCP headers it is measured with (:mod:`vgitest.iec61850.flowtrace`: 54 bytes,
no TCP options), so every packet in the file has exactly the size the Table 5 row was compared with.

The MMS packets are rebuilt, not captured: the harness logs each TPKT at its TCP socket, where the kernel's
headers are not visible. Addresses are the pair's (:mod:`vgitest.iec61850.netpair`), port 102 on the server's side
and a per-connection number on the client's, sequence numbers counted per direction so Wireshark reassembles the
stream and dissects TPKT, COTP, session, presentation and MMS."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..evidence.pcapwriter import PROTO_TCP, Packet, ip_frame, tcp_segment, write
from ..trace import Direction, Frame
from .netpair import DEVICE_IP, HARNESS_IP

HARNESS_MAC, DEVICE_MAC = "02:00:00:61:85:01", "02:00:00:61:85:02"
CLIENT_PORT_BASE = 40000


def packets(frames: Iterable[Frame]) -> list[Packet]:
    """The packets of the flow frames among ``frames`` (wall-clock time, direction in the comment)."""
    out = []
    seq: dict[tuple[str, bool], int] = {}
    ports: dict[str, int] = {}
    for f in frames:
        if f.protocol != "iec61850" or not f.raw:
            continue
        from_dut = f.direction is Direction.IN
        if "tpkt_size" not in f.meta:
            data = f.raw
        else:
            port = ports.setdefault(f.connection, CLIENT_PORT_BASE + len(ports))
            dut_is_client = f.meta.get("harness") == "server"
            sport, dport = (port, 102) if from_dut == dut_is_client else (102, port)
            src, dst = (DEVICE_IP, HARNESS_IP) if from_dut else (HARNESS_IP, DEVICE_IP)
            smac, dmac = (DEVICE_MAC, HARNESS_MAC) if from_dut else (HARNESS_MAC, DEVICE_MAC)
            key = (f.connection, from_dut)
            n = seq.setdefault(key, 1)
            seq[key] = n + len(f.raw)
            data = ip_frame(smac, dmac, src, dst, PROTO_TCP, tcp_segment(sport, dport, n, 0, "PA", f.raw))
        out.append(Packet(data, f.wall, [f"{'DUT -> harness' if from_dut else 'harness -> DUT'}: {f.name}"]))
    return out


def write_pcapng(frames: Iterable[Frame], path: Path) -> int:
    """Write the flow's packets to ``path`` (nothing when there are none); returns how many."""
    return write(path, packets(frames))
