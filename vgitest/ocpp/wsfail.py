"""WebSocket-level failures of a station, turned into evidence: the frame the WebSocket library refused (invalid UTF-8,
a framing error, a frame over the size limit) or the handshake it refused, as a trace frame with its raw bytes
(bounded) and a finding. The library closes or refuses the connection correctly (RFC 6455 close code, HTTP 4xx) but
keeps nothing for the report, and logs the peer's mistake as a traceback: that is what this module fills in."""

from __future__ import annotations

import dataclasses
import logging
import struct
from typing import Any

from websockets.exceptions import PayloadTooBig, ProtocolError

from ..findings import Finding
from ..trace import Direction
from ..wire import WireLog
from . import rules as r

RAW_KEEP = 64 * 1024  # bytes of a refused frame or request kept in the trace; the length says how much there was


def keep(data: bytes) -> tuple[bytes, dict[str, Any]]:
    """A bounded copy of `data` and the meta that says so (a 4 MiB frame must not become a 4 MiB trace record)."""
    if len(data) <= RAW_KEEP:
        return bytes(data), {}
    return bytes(data[:RAW_KEEP]), {"raw_truncated": True, "raw_length": len(data)}


def received(wire: WireLog | None, after_handshake: bool) -> bytes:
    """Every byte the station sent on this connection, from the first frame on (or from the request line)."""
    if wire is None:
        return b""
    data = b"".join(c.data for c in wire.chunks if c.direction is Direction.IN)
    if after_handshake:
        end = data.find(b"\r\n\r\n")
        data = data[end + 4:] if end >= 0 else b""
    return data


@dataclasses.dataclass
class FrameHead:
    """One client frame as it arrived: header fields, the unmasked payload received so far, the declared length."""

    fin: bool
    rsv: int
    opcode: int
    length: int
    header: bytes
    payload: bytes  # unmasked; possibly shorter than `length` (the rest never arrived or was never read)


def nth_frame(stream: bytes, n: int) -> FrameHead | None:
    """The `n`-th (0-based) frame of a client byte stream, walking the headers only; None if it did not arrive."""
    pos = 0
    for i in range(n + 1):
        if len(stream) - pos < 2:
            return None
        b0, b1 = stream[pos], stream[pos + 1]
        length, hl = b1 & 0x7F, 2
        if length == 126:
            if len(stream) - pos < 4:
                return None
            length, hl = struct.unpack_from("!H", stream, pos + 2)[0], 4
        elif length == 127:
            if len(stream) - pos < 10:
                return None
            length, hl = struct.unpack_from("!Q", stream, pos + 2)[0], 10
        mask = stream[pos + hl:pos + hl + 4] if b1 & 0x80 else b""
        hl += len(mask)
        if i < n:
            pos += hl + length
            continue
        body = stream[pos + hl:pos + hl + min(length, RAW_KEEP)]
        if len(mask) == 4:
            body = bytes(b ^ mask[j % 4] for j, b in enumerate(body))
        return FrameHead(bool(b0 & 0x80), (b0 >> 4) & 0x7, b0 & 0x0F, length, stream[pos:pos + hl], body)
    return None


def frame_failure(cause: BaseException | None, stream: bytes, frames_ok: int,
                  close_sent: int | None) -> tuple[bytes, list[Finding], dict[str, Any]] | None:
    """Raw bytes, finding and meta for the frame the library refused, or None when the close was no refusal.

    `frames_ok` is how many frames the library accepted before: the refused one is the next in `stream`. A text
    frame with invalid UTF-8 was accepted as a frame and refused when its message was decoded, so `cause.object`
    (the message's bytes) is its payload."""
    meta: dict[str, Any] = {"close_sent": close_sent}
    if isinstance(cause, UnicodeDecodeError):
        raw, bounded = keep(bytes(cause.object))
        meta.update(bounded, error="invalid UTF-8")
        text = (f"text message is not valid UTF-8 ({cause.reason} at position {cause.start}); "
                f"the CSMS closed with {close_sent}")
        return raw, [Finding.of(r.WS_UTF8, text)], meta
    if not isinstance(cause, (ProtocolError, PayloadTooBig)):
        return None
    head = nth_frame(stream, frames_ok)
    raw = head.payload if head is not None else b""
    if head is not None:
        meta.update(opcode=head.opcode, fin=head.fin, rsv=head.rsv, length=head.length, header=head.header.hex(),
                    received=min(head.length, len(stream)))
        if head.length > len(head.payload):
            meta.update(raw_truncated=True, raw_length=head.length)
    if isinstance(cause, PayloadTooBig):
        size = head.length if head is not None else "?"
        text = (f"a frame of {size} bytes is larger than the {r.MAX_MESSAGE} bytes the CSMS accepts ({cause}); "
                f"the CSMS closed with {close_sent}")
        return raw, [Finding.of(r.WS_TOO_BIG, text)], meta
    what = f"opcode {head.opcode:#x}, RSV {head.rsv:#x}" if head is not None else "frame header not recorded"
    return raw, [Finding.of(r.WS_FRAMING, f"WebSocket framing error: {cause} ({what}); the CSMS closed with "
                            f"{close_sent}")], meta


def response_status(wire: WireLog | None) -> int | None:
    """The HTTP status the server answered a handshake with, read off the wire (None: it sent none)."""
    if wire is None:
        return None
    out = b"".join(c.data for c in wire.chunks if c.direction is Direction.OUT)
    parts = out.split(b"\r\n", 1)[0].split()
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


class PeerErrorsWithoutTracebacks(logging.Filter):
    """websockets logs a peer's bad handshake or frame at debug level *with* a traceback; a station's mistake is a
    finding, not a harness crash, so those records keep their message and lose the traceback. Errors (a harness
    or library bug) keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.levelno < logging.ERROR:
            exc = record.exc_info[1]
            if exc is not None:
                record.msg = f"{record.getMessage()}: {type(exc).__name__}: {exc}"
                record.args = None
            record.exc_info = None
            record.exc_text = None
        return True
