"""The pcapng writer (vgitest/evidence/pcapwriter.py) against an independent reader: scapy reads back every field
it wrote, the IP/TCP/UDP checksums are the ones scapy computes itself, and comments and times survive; writing
evidence imports no scapy (that import was most of a short case's CPU)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from vgitest.evidence.pcapwriter import PROTO_TCP, PROTO_UDP, Packet, ip_frame, tcp_segment, udp_datagram, write

ROOT = Path(__file__).resolve().parent.parent


def _recomputed(pkt):  # noqa: ANN001, ANN202 - scapy types
    """The same packet with every checksum left for scapy to compute."""
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.layers.l2 import Ether
    copy = Ether(bytes(pkt))
    for layer in (IP, TCP, UDP):
        if copy.haslayer(layer):
            del copy[layer].chksum
    return bytes(copy)


@pytest.mark.parametrize("src,dst", [("127.0.0.1", "10.1.2.3"), ("fe80::1", "fe80::2:5eff:fe00:1")])
def test_scapy_reads_back_every_field_and_agrees_on_the_checksums(tmp_path: Path, src: str, dst: str) -> None:
    from scapy.layers.inet import TCP, UDP
    from scapy.utils import rdpcap
    packets = [Packet(ip_frame("02:00:00:00:00:01", "02:00:00:00:00:02", src, dst, PROTO_TCP,
                               tcp_segment(5000, 102, 2 ** 32 + 7, 99, "PA", b"\x03\x00\x00\x07abc")),
                      1765100000.123456, ["harness -> DUT: one", "two"]),
               Packet(ip_frame("02:00:00:00:00:02", "02:00:00:00:00:01", dst, src, PROTO_UDP,
                               udp_datagram(15118, 49999, b"\x01\xfe\x90\x00")), 1765100001.5),
               Packet(ip_frame("02:00:00:00:00:01", "02:00:00:00:00:02", src, dst, PROTO_TCP,
                               tcp_segment(5000, 102, 1, 0, "S")), 1765100002.0)]
    assert write(tmp_path / "c.pcapng", packets) == 3
    read = rdpcap(str(tmp_path / "c.pcapng"))
    assert [bytes(p) for p in read] == [p.data for p in packets]
    assert [bytes(p) for p in read] == [_recomputed(p) for p in read]  # checksums as scapy computes them
    tcp, udp, syn = read
    assert (tcp[TCP].sport, tcp[TCP].dport, tcp[TCP].seq, tcp[TCP].ack, str(tcp[TCP].flags)) == (5000, 102, 7, 99, "PA")
    assert bytes(tcp[TCP].payload) == b"\x03\x00\x00\x07abc" and tcp.src == "02:00:00:00:00:01"
    assert (udp[UDP].sport, udp[UDP].dport, bytes(udp[UDP].payload)) == (15118, 49999, b"\x01\xfe\x90\x00")
    assert str(syn[TCP].flags) == "S"
    assert [float(p.time) for p in read] == pytest.approx([1765100000.123456, 1765100001.5, 1765100002.0], abs=1e-6)
    assert [c.decode() for c in tcp.comments] == ["harness -> DUT: one", "two"]


def test_nothing_to_write_leaves_no_file(tmp_path: Path) -> None:
    assert write(tmp_path / "none.pcapng", []) == 0 and not (tmp_path / "none.pcapng").exists()


def test_writing_an_ocpp_capture_imports_no_scapy(tmp_path: Path) -> None:
    code = ("import sys, time\nfrom vgitest.evidence.pcapng import write_pcapng\nfrom vgitest.trace import Direction\n"
            "from vgitest.wire import WireLog\nw = WireLog('c1', ('127.0.0.1', 1), ('127.0.0.1', 2))\n"
            "w.add(1, time.time(), Direction.IN, b'GET / HTTP/1.1\\r\\n\\r\\n')\n"
            "w.add(2, time.time(), Direction.OUT, b'HTTP/1.1 101 OK\\r\\n\\r\\n')\n"
            f"assert write_pcapng([w], __import__('pathlib').Path({str(tmp_path / 'o.pcapng')!r})) == 5\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scapy'))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
