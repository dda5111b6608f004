"""Layer-2 endpoints for SLAC: a raw AF_PACKET socket on a real interface, and an in-memory pair.

Every frame that passes an endpoint is appended to its :class:`Recording` with a ``time.monotonic_ns``
timestamp, so that the checks (and a vendor reading the evidence) see exactly what went over the wire and
when. Only EtherType 0x88E1 frames are kept; the endpoint's own transmissions echoed back by the kernel
are dropped on receive (they are already recorded as ``tx``).
"""

from __future__ import annotations

import abc
import asyncio
import dataclasses
import socket
import struct
import time
from collections.abc import Callable
from typing import Any, Protocol

from .frames import ETHERTYPE, Frame, SlacFrameError, decode

PACKET_OUTGOING = 4  # sll_pkttype of a frame this host sent
RECV_BUFSIZE = 2048
DRAIN_MAX = 256
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux value; the cmsg type is the same number


def _kernel_time(ancdata: list[tuple[int, int, bytes]]) -> int | None:
    """The kernel's receive time (CLOCK_REALTIME) mapped to monotonic_ns, so a busy loop adds no delay."""
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
            sec, nsec = struct.unpack("qq", data[:16])
            return sec * 1_000_000_000 + nsec - (time.time_ns() - time.monotonic_ns())
    return None


@dataclasses.dataclass(frozen=True)
class Record:
    """One frame as one endpoint saw it: ``tx`` (sent by it) or ``rx``; ``via`` names the medium."""

    t_ns: int
    direction: str
    raw: bytes
    via: str = "plc"

    def frame(self) -> Frame | None:
        try:
            return decode(self.raw)
        except SlacFrameError:
            return None

    def to_dict(self) -> dict[str, Any]:
        f = self.frame()
        return {"t_ns": self.t_ns, "dir": self.direction, "via": self.via, "hex": self.raw.hex(),
                "mmtype": f.mmtype.name if f else None}


class Recording(list[Record]):
    """The evidence of one endpoint, in order of time."""

    def add(self, direction: str, raw: bytes, via: str = "plc", t_ns: int | None = None) -> Record:
        rec = Record(time.monotonic_ns() if t_ns is None else t_ns, direction, bytes(raw), via)
        self.append(rec)
        return rec


class Link(Protocol):
    """What the roles need from an endpoint."""

    mac: bytes
    records: Recording

    async def send(self, frame: Frame) -> None: ...

    async def send_raw(self, raw: bytes) -> None: ...

    async def recv(self, timeout: float) -> Frame | None:
        """The next decodable SLAC frame addressed to us (or broadcast), or None after ``timeout`` seconds."""
        ...

    def close(self) -> None: ...


def _for_us(raw: bytes, mac: bytes) -> bool:
    dst = raw[0:6]
    return dst == mac or dst[0] & 1 == 1  # unicast to us, or broadcast/multicast


class _QueuedLink(abc.ABC):
    """Shared receive side: frames are recorded on arrival and queued; :meth:`recv` decodes and filters."""

    mac: bytes

    def __init__(self) -> None:
        self.records = Recording()
        self._queue: asyncio.Queue[bytes] | None = None
        # told of each frame for us that does not decode (a role's robustness faults react to it); None: dropped
        self.on_bad: Callable[[bytes], None] | None = None

    def _q(self) -> asyncio.Queue[bytes]:
        if self._queue is None:
            self._queue = asyncio.Queue()
        return self._queue

    def _arrived(self, raw: bytes, t_ns: int | None = None) -> None:
        if len(raw) < 14 or int.from_bytes(raw[12:14], "big") != ETHERTYPE:
            return
        self.records.add("rx", raw, t_ns=t_ns)
        if _for_us(raw, self.mac):
            self._q().put_nowait(raw)

    def _start(self) -> None:
        """Hook for endpoints that need the running loop before the first receive."""

    async def recv(self, timeout: float) -> Frame | None:
        """The next decodable frame for us, or None after ``timeout`` s; undecodable ones stay recorded only."""
        self._start()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, timeout)
        while (left := deadline - loop.time()) > 0:
            try:
                raw = await asyncio.wait_for(self._q().get(), left)
            except TimeoutError:
                return None
            try:
                return decode(raw)
            except SlacFrameError:
                if self.on_bad is not None:
                    self.on_bad(raw)
                continue
        return None

    async def send(self, frame: Frame) -> None:
        await self.send_raw(frame.encode())

    @abc.abstractmethod
    async def send_raw(self, raw: bytes) -> None:
        """Put one frame on the link (the packet socket, or the other end of an in-memory pair)."""


class PacketLink(_QueuedLink):
    """AF_PACKET endpoint bound to one interface and EtherType 0x88E1 (needs CAP_NET_RAW).

    The socket must be created in the network namespace of the interface; it keeps working from any thread
    afterwards, which is how :mod:`vgitest.slac.netns` hands a namespaced interface to a role. Frames are
    read by a ``loop.add_reader`` callback as soon as they arrive, so timestamps do not depend on when a
    role gets round to reading.
    """

    def __init__(self, ifname: str) -> None:
        super().__init__()
        self.ifname = ifname
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETHERTYPE))
        try:
            self.sock.bind((ifname, ETHERTYPE))
            self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            self.sock.setblocking(False)
            self.mac: bytes = self.sock.getsockname()[4][:6]
        except OSError:
            self.sock.close()
            raise
        self._loop: asyncio.AbstractEventLoop | None = None

    def _start(self) -> None:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            self._loop.add_reader(self.sock.fileno(), self._drain)

    def _drain(self) -> None:
        for _ in range(DRAIN_MAX):  # bounded: a flood must not starve the roles; the reader fires again
            try:
                data, ancdata, _flags, addr = self.sock.recvmsg(RECV_BUFSIZE, socket.CMSG_SPACE(16))
            except OSError:  # EAGAIN when drained; anything else ends this round too
                return
            if len(addr) > 2 and addr[2] == PACKET_OUTGOING:
                continue  # our own transmission, already recorded as tx
            self._arrived(data, _kernel_time(ancdata))

    async def send_raw(self, raw: bytes) -> None:
        """Send bytes as they are (faults use this to put malformed frames on the wire)."""
        self._start()
        self.records.add("tx", raw)
        await asyncio.get_running_loop().sock_sendall(self.sock, raw)

    def close(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self.sock.fileno())
        self._loop = None
        self.sock.close()


class MemoryLink(_QueuedLink):
    """In-process endpoint (two joined by :meth:`pair`, same event loop): no root or interfaces needed."""

    def __init__(self, mac: bytes) -> None:
        super().__init__()
        self.mac = mac
        self.peer: MemoryLink | None = None

    @classmethod
    def pair(cls, mac_a: bytes = bytes.fromhex("020000000a01"),
             mac_b: bytes = bytes.fromhex("020000000b01")) -> tuple[MemoryLink, MemoryLink]:
        a, b = cls(mac_a), cls(mac_b)
        a.peer, b.peer = b, a
        return a, b

    async def send_raw(self, raw: bytes) -> None:
        self.records.add("tx", raw)
        if self.peer is not None:
            self.peer._arrived(bytes(raw))

    def close(self) -> None:
        self.peer = None
