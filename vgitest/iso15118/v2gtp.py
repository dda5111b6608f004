"""V2GTP framing on a live asyncio stream: read one frame with a deadline, write one frame.

Why separate from the scapy layer (:mod:`.layers`): the roles need to read frames as they arrive, never block
without a deadline, and keep a peer's malformed header as evidence instead of raising. A frame whose header is
wrong (version, inverse version, payload type) is still read whole when its length is plausible, so the stream
stays in step; an implausible length ends the connection (the framing is lost).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time

HEADER_LEN = 8
VERSION = 0x01
INVERSE = 0xFE
MAX_PAYLOAD = 1 << 16  # the largest V2G messages (certificate installation) are ~8 KB
EXI_TYPES = frozenset((0x8001, 0x8002, 0x8003, 0x8004, 0x8005, 0x8006))
KNOWN_TYPES = EXI_TYPES | {0x8101, 0x8102, 0x8103, 0x8104, 0x9000, 0x9001, 0x9002, 0x9003}


class FramingLost(Exception):
    """The byte stream can no longer be split into frames (implausible length, connection cut mid-frame)."""


@dataclasses.dataclass
class RawFrame:
    header: bytes
    payload: bytes
    t_ns: int  # monotonic time when the last byte arrived
    wall: float
    problems: list[str]

    @property
    def payload_type(self) -> int:
        return int.from_bytes(self.header[2:4], "big")

    @property
    def raw(self) -> bytes:
        return self.header + self.payload


def header(payload_type: int, length: int, *, version: int = VERSION, inverse: int | None = None) -> bytes:
    """An 8-byte V2GTP header (faults may pass a wrong version or inverse)."""
    inv = (~version & 0xFF) if inverse is None else inverse
    return bytes((version, inv)) + payload_type.to_bytes(2, "big") + length.to_bytes(4, "big")


def frame(payload_type: int, payload: bytes) -> bytes:
    return header(payload_type, len(payload)) + payload


def header_problems(hdr: bytes, *, allowed: frozenset[int] = KNOWN_TYPES) -> list[str]:
    out = []
    if hdr[0] != VERSION:
        out.append(f"protocol version {hdr[0]:#04x} (expected 0x01)")
    if hdr[1] != (~hdr[0] & 0xFF):
        out.append(f"inverse protocol version {hdr[1]:#04x} is not the complement of {hdr[0]:#04x}")
    pt = int.from_bytes(hdr[2:4], "big")
    if pt not in allowed and not 0xA000 <= pt <= 0xFFFF:
        out.append(f"payload type {pt:#06x} is not one this connection carries")
    if int.from_bytes(hdr[4:8], "big") == 0:
        out.append("payload length 0")
    return out


async def read_frame(reader: asyncio.StreamReader, timeout: float | None) -> RawFrame | None:
    """The next frame, or None when the peer closed the connection cleanly between frames.

    Raises ``asyncio.TimeoutError`` when no complete frame arrived within ``timeout`` seconds, and
    :class:`FramingLost` when the stream cannot be framed (the bytes read so far are in the exception's args).
    """
    async def _read() -> RawFrame | None:
        try:
            hdr = await reader.readexactly(HEADER_LEN)
        except asyncio.IncompleteReadError as exc:
            if not exc.partial:
                return None
            raise FramingLost(f"connection closed after {len(exc.partial)} header byte(s)", exc.partial) from None
        length = int.from_bytes(hdr[4:8], "big")
        if length > MAX_PAYLOAD:
            raise FramingLost(f"payload length {length} exceeds {MAX_PAYLOAD} bytes; framing lost", hdr)
        try:
            payload = await reader.readexactly(length) if length else b""
        except asyncio.IncompleteReadError as exc:
            raise FramingLost(f"connection closed inside a frame ({len(exc.partial)} of {length} payload bytes)",
                              hdr + exc.partial) from None
        return RawFrame(hdr, payload, time.monotonic_ns(), time.time(), header_problems(hdr))

    if timeout is None:
        return await _read()
    return await asyncio.wait_for(_read(), timeout)
