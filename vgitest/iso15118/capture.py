"""Read a pcap/pcapng capture into V2G building blocks: SDP datagrams and reassembled TCP connections.

Why this exists: EXI messages are only meaningful per TCP connection and in stream order, so the capture is
reduced to (a) the SDP exchange on UDP 15118 (or another port, recognised by its V2GTP SDP header) and (b) each
TCP connection's two byte streams, split into V2GTP frames that carry the time their last byte was captured.
Nothing is dropped: malformed headers, truncated frames and TCP gaps are reported to the caller as problems, and
TLS streams are recognised and kept opaque. A damaged file (cut short, corrupt block headers) is read as far as
is safe and the damage is kept in ``Capture.file`` (see :mod:`.capfile`), never passed off as a whole capture.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Iterator
from pathlib import Path

from .capfile import FileStats, parse_capture, read_packets
from .dissect import TCP, UDP, Packet, dissect
from .layers import SDP_REQ_LEN, SDP_RES_LEN, V2GTP_PORT, header_problems

Endpoint = tuple[str, int]  # (IP address, port)
FlowKey = tuple[str, int, str, int]  # (src ip, src port, dst ip, dst port)

HEADER_LEN = 8
MAX_FRAME_PAYLOAD = 1 << 24  # no V2G message comes near 16 MiB; a larger length means the stream lost framing
TLS_RECORD_TYPES = (0x14, 0x15, 0x16, 0x17)
SEQ_MOD = 1 << 32


@dataclasses.dataclass
class SdpDatagram:
    """One V2GTP datagram on UDP 15118 (SDP request/response or anything else sent there)."""

    time: float
    src: Endpoint
    dst: Endpoint
    payload_type: int
    raw: bytes
    fields: dict[str, object]
    problems: list[str]


@dataclasses.dataclass
class V2gtpFrame:
    """One V2GTP frame cut out of a TCP byte stream."""

    time: float  # capture time of the segment that completed the frame
    offset: int  # stream offset of the header
    payload_type: int
    header: bytes
    payload: bytes
    problems: list[str]


@dataclasses.dataclass
class TcpStream:
    """One direction of a TCP connection after reassembly.

    ``chunk_ends`` holds, in stream order, the end offset of each run of bytes and the time those bytes were
    *first* captured: a retransmission, a duplicate or a re-segmented copy never makes bytes look later than
    they first crossed the wire, and a segment captured out of order does not make a frame look complete before
    its last missing byte arrived (:meth:`time_of`)."""

    src: Endpoint
    dst: Endpoint
    data: bytes = b""
    chunk_ends: list[tuple[int, float]] = dataclasses.field(default_factory=list)  # (end offset, first seen)
    gaps: int = 0
    first_time: float | None = None
    retransmitted: int = 0  # segments whose bytes had all been captured before (duplicates, retransmissions)

    def time_at(self, offset: int) -> float:
        """Capture time at which stream byte ``offset`` was first seen."""
        i = bisect.bisect_right(self.chunk_ends, (offset, float("inf")))
        if i < len(self.chunk_ends):
            return self.chunk_ends[i][1]
        return self.chunk_ends[-1][1] if self.chunk_ends else 0.0

    def time_of(self, start: int, end: int) -> float:
        """When bytes ``start``..``end`` (exclusive) had all been captured: the latest first-seen time among them."""
        i = bisect.bisect_right(self.chunk_ends, (start, float("inf")))
        latest = 0.0
        for stop, t in self.chunk_ends[i:]:  # bounded by the number of runs
            latest = max(latest, t)
            if stop >= end:
                break
        return latest if self.chunk_ends else 0.0

    @property
    def is_tls(self) -> bool:
        d = self.data
        return len(d) >= 3 and d[0] in TLS_RECORD_TYPES and d[1] == 0x03

    def frames(self) -> tuple[list[V2gtpFrame], list[str]]:
        """Split the stream into V2GTP frames; the second item lists stream-level problems (truncation)."""
        out: list[V2gtpFrame] = []
        problems: list[str] = []
        d, i = self.data, 0
        while i < len(d):  # every iteration advances i by at least HEADER_LEN or stops
            if len(d) - i < HEADER_LEN:
                problems.append(f"stream ends with {len(d) - i} byte(s) that are no complete V2GTP header "
                                f"(offset {i})")
                break
            header = d[i:i + HEADER_LEN]
            length = int.from_bytes(header[4:8], "big")
            if length > MAX_FRAME_PAYLOAD:
                problems.append(f"V2GTP payload length {length} at offset {i} is implausible; framing lost")
                break
            avail = min(length, len(d) - i - HEADER_LEN)
            payload = d[i + HEADER_LEN:i + HEADER_LEN + avail]
            payload_type = int.from_bytes(header[2:4], "big")  # no scapy packet per frame (thousands per stream)
            frame_problems = header_problems(header[0], header[1], payload_type, length, avail)
            if avail < length:
                problems.append(f"stream ends inside the V2GTP frame at offset {i} ({avail} of {length} bytes)")
            end = i + HEADER_LEN + avail
            out.append(V2gtpFrame(self.time_of(i, end), i, payload_type, header, payload, frame_problems))
            i = end
        return out, problems


@dataclasses.dataclass
class TcpConnection:
    """Both directions of one TCP connection; ``client`` sent the SYN (or, without one, the first data)."""

    client: Endpoint
    server: Endpoint
    syn_time: float | None = None
    end_time: float | None = None  # FIN or RST seen
    streams: dict[Endpoint, TcpStream] = dataclasses.field(default_factory=dict)  # keyed by sender

    @property
    def name(self) -> str:
        return f"[{self.client[0]}]:{self.client[1]} -> [{self.server[0]}]:{self.server[1]}"

    def stream_from(self, sender: Endpoint) -> TcpStream:
        other = self.server if sender == self.client else self.client
        return self.streams.get(sender) or TcpStream(sender, other)

    @property
    def is_tls(self) -> bool:
        return any(s.is_tls for s in self.streams.values())


@dataclasses.dataclass
class Capture:
    """What a capture file holds for V2G: SDP datagrams and TCP connections in order of appearance."""

    path: Path
    sdp: list[SdpDatagram] = dataclasses.field(default_factory=list)
    connections: list[TcpConnection] = dataclasses.field(default_factory=list)
    packets: int = 0
    file: FileStats | None = None  # what was read of the file, with every damaged place


def _packets(path: Path, cap: Capture, data: bytes | None) -> Iterator[tuple[float, Packet]]:
    """The file's readable packets that have an IP layer, reduced by :mod:`.dissect`, with their capture times."""
    raw, cap.file = read_packets(path) if data is None else parse_capture(data)
    for rp in raw:
        cap.packets += 1
        pkt = dissect(rp.linktype, rp.data)
        if pkt is not None:
            yield rp.time, pkt


def _sdp_fields(pt: int, payload: bytes) -> dict[str, object]:
    import ipaddress

    if pt == 0x9000 and len(payload) == SDP_REQ_LEN:
        return {"security": payload[0], "transport": payload[1]}
    if pt == 0x9001 and len(payload) == SDP_RES_LEN:
        return {"secc_ip": str(ipaddress.IPv6Address(payload[:16])), "secc_port": int.from_bytes(payload[16:18], "big"),
                "security": payload[18], "transport": payload[19]}
    return {}


def _is_sdp(raw: bytes) -> bool:
    """An SDP datagram on another port than 15118 (a lab setup, a test's ephemeral port): V2GTP version 1 with
    its inverse and an SDP payload type."""
    return len(raw) >= HEADER_LEN and raw[:2] == b"\x01\xfe" and int.from_bytes(raw[2:4], "big") in (0x9000, 0x9001)


def read_capture(path: Path | str, data: bytes | None = None) -> Capture:
    """Read every packet once; keep UDP 15118 datagrams (and SDP datagrams on other ports) and all TCP segments
    with their capture times. ``data``: the file's bytes when already in memory (``path`` then only names it).
    Raises only :class:`~.capfile.NotACapture` (and ``OSError`` reading ``path``); damage is recorded in
    ``Capture.file``, undissectable packets are skipped."""
    path = Path(path)
    cap = Capture(path)
    segments: dict[FlowKey, list[tuple[int, bytes, float]]] = {}
    conns: dict[frozenset[Endpoint], TcpConnection] = {}
    for t, pkt in _packets(path, cap, data):
        if pkt.proto == UDP:
            raw = pkt.payload
            if V2GTP_PORT not in (pkt.sport, pkt.dport) and not _is_sdp(raw):
                continue
            if len(raw) < HEADER_LEN:
                continue
            pt, length, payload = int.from_bytes(raw[2:4], "big"), int.from_bytes(raw[4:8], "big"), raw[HEADER_LEN:]
            cap.sdp.append(SdpDatagram(t, (pkt.src, pkt.sport), (pkt.dst, pkt.dport), pt, raw,
                                       _sdp_fields(pt, payload), header_problems(raw[0], raw[1], pt, length,
                                                                                 len(payload))))
            continue
        if pkt.proto != TCP:
            continue
        src, dst = (pkt.src, pkt.sport), (pkt.dst, pkt.dport)
        ck = frozenset((src, dst))
        conn = conns.get(ck)
        flags = pkt.flags
        if conn is None:
            syn_only = flags & 0x02 and not flags & 0x10
            client, server = (src, dst) if syn_only or not flags & 0x02 else (dst, src)
            conn = conns[ck] = TcpConnection(client, server)
            cap.connections.append(conn)
        if flags & 0x02 and not flags & 0x10 and conn.syn_time is None:
            conn.syn_time = t
        if flags & 0x05:  # FIN or RST
            conn.end_time = t if conn.end_time is None else conn.end_time
        if pkt.payload:
            segments.setdefault((*src, *dst), []).append((pkt.seq, pkt.payload, t))
    for key, segs in segments.items():
        src, dst = (key[0], key[1]), (key[2], key[3])
        conns[frozenset((src, dst))].streams[src] = reassemble(src, dst, segs)
    cap.connections = [c for c in cap.connections if c.streams]
    return cap


def reassemble(src: Endpoint, dst: Endpoint, segments: list[tuple[int, bytes, float]]) -> TcpStream:
    """One direction's byte stream from its captured segments (seq, payload, capture time), whatever their order.

    Sequence numbers are taken relative to the lowest one (mod 2^32, so a segment captured out of order before the
    first one still sorts first). Every byte keeps the time it was *first* captured: segments are laid down in
    capture order and only fill bytes not seen before, so duplicates, retransmissions and retransmissions that
    re-segment (coalesce) earlier data add nothing and move no timestamp. Bytes never captured are gaps."""
    stream = TcpStream(src, dst)
    if not segments:
        return stream
    first = segments[0][0]
    half = SEQ_MOD // 2
    rels = [((seq - first) % SEQ_MOD) for seq, _, _ in segments]
    rels = [r - SEQ_MOD if r >= half else r for r in rels]  # before the first captured segment: negative
    low = min(rels)
    placed: list[tuple[int, int, float, bytes]] = []  # (start, end, first seen, bytes), disjoint
    covered: list[tuple[int, int]] = []  # sorted, merged intervals already placed
    for (seq, data, t), rel in sorted(zip(segments, rels), key=lambda x: x[0][2]):  # in capture order
        start = rel - low
        fresh = _uncovered(covered, start, start + len(data))
        if not fresh:
            stream.retransmitted += 1
            continue
        for a, b in fresh:
            placed.append((a, b, t, data[a - start:b - start]))
            covered = _cover(covered, a, b)
    placed.sort()
    out = bytearray()
    for a, b, t, chunk in placed:
        if a > len(out):
            stream.gaps += 1  # bytes missing from the capture: frames after this point may be misaligned
            a_out = len(out)
        else:
            a_out = a
        out += chunk
        stream.chunk_ends.append((a_out + len(chunk), t))
    stream.data = bytes(out)
    stream.first_time = min(t for _, _, t in segments)
    return stream


def _uncovered(covered: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    """The parts of [start, end) that no interval in ``covered`` (sorted, disjoint) holds."""
    out = []
    pos = start
    for a, b in covered:  # bounded by the number of intervals
        if b <= pos:
            continue
        if a >= end:
            break
        if a > pos:
            out.append((pos, a))
        pos = max(pos, b)
        if pos >= end:
            break
    if pos < end:
        out.append((pos, end))
    return out


def _cover(covered: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    """``covered`` with [start, end) added, kept sorted and merged."""
    merged: list[tuple[int, int]] = []
    for a, b in sorted([*covered, (start, end)]):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


__all__ = ["Capture", "SdpDatagram", "TcpConnection", "TcpStream", "V2gtpFrame", "read_capture", "reassemble"]
