"""One V2G TCP (or TLS) connection as a role sees it: frames read and written with socket times, decoded with
the grammar the SAP negotiation chose, every byte kept in the trace and in the wire log for pcapng evidence.

Why a link object: both SECC and EVCC roles need the same bookkeeping (which schema decodes the next frame,
which side is the device under test, where a malformed frame goes) and none of it is protocol logic.
"""

from __future__ import annotations

import asyncio
import gc
import time
from typing import Any

from ..exi import ExiError, decode, encode
from ..findings import Finding
from ..trace import Direction, Frame, Trace
from ..wire import WireLog
from . import v2gtp
from .family import Family
from .versions import SAP

SAP_SCHEMA = "app-protocol"
# Every this many frames the live objects move to the collector's permanent generation. The trace keeps every
# frame for the evidence, so a long charge loop grows the heap, and a full collection over it paused the loop
# for 45-70 ms on a 2-core VM (benchmarks/v2g_charge_loop.py) - beyond the 25 ms of a CurrentDemandRes.
FREEZE_EVERY = 256


class Link:
    """Reads and writes V2GTP frames; ``peer_is_dut`` decides the trace direction (IN = sent by the DUT)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, trace: Trace,
                 wire: WireLog | None, *, connection: str, peer_is_dut: bool = True) -> None:
        self.reader, self.writer = reader, writer
        self.trace, self.wire = trace, wire
        self.connection = connection
        self.peer_is_dut = peer_is_dut
        self.family: Family | None = None
        self.version = SAP  # until the SAP handshake chose a family (versions.py)
        self.closed = False
        self.last_in: Frame | None = None
        self.last_out: Frame | None = None
        self.rx_ns = 0  # socket time of the last chunk read (set by `tap`)
        self.rx_wall = 0.0
        tap(writer, self)
        early = bytes(getattr(reader, "_buffer", b""))  # bytes that arrived before the tap (e.g. during a TLS
        if early and wire is not None:  # upgrade): keep them in the wire log, at the earliest time we know
            self.rx_ns, self.rx_wall = time.monotonic_ns(), time.time()
            wire.add(self.rx_ns, self.rx_wall, self.rx, early)

    @property
    def rx(self) -> Direction:
        return Direction.IN if self.peer_is_dut else Direction.OUT

    @property
    def tx(self) -> Direction:
        return Direction.OUT if self.peer_is_dut else Direction.IN

    def event(self, kind: str, direction: Direction | None = None, **meta: Any) -> Frame:
        t, w = time.monotonic_ns(), time.time()
        return self.trace.append(Frame(t, w, direction or self.rx, "iso15118", self.version, self.connection, kind,
                                       meta=meta))

    def schema_for(self, payload_type: int, name_hint: str | None = None) -> str | None:
        if self.family is None:
            return SAP_SCHEMA if payload_type == 0x8001 else None
        if self.family.name == "iso-20":
            from .layers import EXI_SCHEMA_BY_PAYLOAD
            return EXI_SCHEMA_BY_PAYLOAD.get(payload_type)
        return self.family.name if payload_type == 0x8001 else None

    async def recv(self, timeout: float | None) -> Frame | None:
        """The next frame as a trace entry: kind REQUEST/RESPONSE (by name) or MALFORMED; None = peer closed.

        Raises asyncio.TimeoutError when nothing complete arrived in time, and v2gtp.FramingLost."""
        try:
            raw = await v2gtp.read_frame(self.reader, timeout)
        except v2gtp.FramingLost as exc:
            data = exc.args[1] if len(exc.args) > 1 else b""
            f = self._frame(self.rx, "MALFORMED", None, data, None)
            f.meta["error"] = str(exc.args[0])
            self.last_in = f
            raise
        except asyncio.TimeoutError:  # a subclass of OSError since Python 3.11: not a closed connection
            raise
        except (ConnectionError, OSError):
            return None
        if raw is None:
            return None
        t_ns, wall = (self.rx_ns, self.rx_wall) if self.rx_ns else (raw.t_ns, raw.wall)
        f = Frame(t_ns, wall, self.rx, "iso15118", self.version, self.connection, "MALFORMED", raw=raw.raw,
                  meta={"payload_type": raw.payload_type})
        if raw.problems:
            f.meta["header_problems"] = raw.problems
        schema = self.schema_for(raw.payload_type)
        if schema is None:
            f.meta["error"] = f"no grammar for payload type {raw.payload_type:#06x} here"
        elif not raw.problems:
            try:
                msg = decode(raw.payload, schema)
            except ExiError as exc:
                f.meta["error"] = f"EXI decode with {schema}: {exc}"
            else:
                f.body = msg
                f.meta["schema"] = schema
                name = self._name(msg)
                f.name = name
                f.kind = "REQUEST" if name.endswith("Req") else "RESPONSE" if name.endswith("Res") else "MESSAGE"
        self.trace.append(f)
        self.last_in = f
        return f

    def _name(self, msg: dict[str, Any]) -> str:
        if self.family is not None and "V2G_Message" in msg:
            return self.family.unwrap(msg)[0]
        return next(iter(msg), "?")

    def _frame(self, direction: Direction, kind: str, name: str | None, raw: bytes, body: Any) -> Frame:
        t, w = time.monotonic_ns(), time.time()
        return self.trace.append(Frame(t, w, direction, "iso15118", self.version, self.connection, kind, name,
                                       raw=raw, body=body))

    def encode(self, name: str, body: dict[str, Any], sid: bytes) -> tuple[int, bytes, dict[str, Any]]:
        """(payload type, EXI bytes, message dict) for a family message."""
        assert self.family is not None
        msg = self.family.wrap(name, body, sid)
        schema = self.family.schema_of(name)
        return self.family.payload_type_of(name), encode(msg, schema), msg

    async def send(self, name: str, msg: dict[str, Any] | None, payload: bytes, payload_type: int = 0x8001, *,
                   header: bytes | None = None) -> Frame:
        """Write one frame now; its trace time is the moment it is handed to the socket."""
        hdr = v2gtp.header(payload_type, len(payload))
        if header is not None:  # a fault or a test replaces the first bytes (version, inverse) or all of it
            hdr = header + hdr[len(header):]
        data = hdr + payload
        kind = "REQUEST" if name.endswith("Req") else "RESPONSE" if name.endswith("Res") else "MESSAGE"
        t, w = time.monotonic_ns(), time.time()
        f = Frame(t, w, self.tx, "iso15118", self.version, self.connection, kind, name, raw=data, body=msg,
                  meta={"payload_type": payload_type})
        if header is not None:
            f.meta["header_override"] = header.hex()
        self.writer.write(data)
        if self.wire is not None:
            self.wire.add(t, w, self.tx, data)
        self.trace.append(f)
        self.last_out = f
        if f.index % FREEZE_EVERY == 0:
            gc.freeze()  # the trace only grows: keep it out of full collections (see FREEZE_EVERY)
        try:
            await self.writer.drain()
        except (ConnectionError, OSError):
            self.closed = True
        return f

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self.writer.close()
            await asyncio.wait_for(self.writer.wait_closed(), 2)
        except (ConnectionError, OSError, asyncio.TimeoutError, RuntimeError):
            pass

    def add_finding(self, finding: Finding, frame: Frame | None) -> Finding:
        if frame is not None:
            finding.frame_index = frame.index
            frame.findings.append(finding)
        else:
            self.trace.add_finding(finding)
        return finding


def tap(writer: asyncio.StreamWriter, link: Link) -> None:
    """Note the socket time of every chunk the connection reads, and keep the bytes in the wire log: a frame
    takes the time its last byte arrived, not the time the role got round to reading it."""
    transport = writer.transport
    proto = transport.get_protocol() if transport else None
    if proto is None or getattr(proto, "_vgi_link", None) is not None:
        return
    orig = proto.data_received

    def data_received(data: bytes) -> None:
        t, w = time.monotonic_ns(), time.time()
        if link.wire is not None:
            link.wire.add(t, w, link.rx, data)
        link.rx_ns, link.rx_wall = t, w
        orig(data)

    proto.data_received = data_received  # type: ignore[method-assign]
    proto._vgi_link = link  # type: ignore[attr-defined]
