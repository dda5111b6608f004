"""A GOOSE/SV endpoint on one Ethernet interface: publish frames, receive the ones on the link, record both.

Built on :class:`vgitest.slac.link.PacketSocket` (one AF_PACKET socket for EtherTypes 0x88B8 and 0x88BA, tapping
so that an 802.1Q tag is recorded as it was on the wire). Every frame sent or received is a :class:`Seen` with a
``time.monotonic_ns`` timestamp; received ones carry the kernel's receive time (SO_TIMESTAMPNS), so the timing
checks measure the link, not when the harness got round to reading. Frames that do not decode are recorded
and queued too: judging them is the checks' job, not the socket's.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time

from ..slac.link import PacketSocket
from . import goose, sv
from .ether import ETHERTYPE_GOOSE, ETHERTYPE_SV, FrameError, ethertype

Frame = goose.GooseFrame | sv.SvFrame


@dataclasses.dataclass(frozen=True)
class Seen:
    """One frame at this endpoint: ``tx`` or ``rx``; ``kernel_time`` when t_ns is the kernel's receive stamp."""

    t_ns: int
    direction: str
    raw: bytes
    kernel_time: bool = False

    def decode(self) -> Frame:
        """The GOOSE or SV frame, or FrameError (the EtherType after any tag picks the decoder)."""
        etype = ethertype(self.raw)
        if etype == ETHERTYPE_GOOSE:
            return goose.decode(self.raw)
        if etype == ETHERTYPE_SV:
            return sv.decode(self.raw)
        raise FrameError(f"EtherType {etype if etype is None else hex(etype)} is neither GOOSE nor SV", 12)


class L2Endpoint:
    """Publisher and subscriber of GOOSE/SV on ``ifname`` (create it inside the interface's namespace).

    ``groups`` are the multicast destinations to join (e.g. 01-0C-CD-01-00-01): a veth delivers every frame
    anyway, a real NIC only the groups joined."""

    def __init__(self, ifname: str, groups: tuple[bytes, ...] = ()) -> None:
        self.ifname = ifname
        self.packet = PacketSocket(ifname, (ETHERTYPE_GOOSE, ETHERTYPE_SV), multicast=groups, tagged=True)
        self.mac = self.packet.mac
        self.records: list[Seen] = []
        self._queue: asyncio.Queue[Seen] = asyncio.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None

    def _start(self) -> None:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            self._loop.add_reader(self.packet.sock.fileno(), self.packet.drain, self._arrived)

    def _arrived(self, raw: bytes, t_ns: int | None) -> None:
        seen = Seen(time.monotonic_ns() if t_ns is None else t_ns, "rx", raw, t_ns is not None)
        self.records.append(seen)
        self._queue.put_nowait(seen)

    async def send(self, frame: Frame | bytes) -> Seen:
        """Put a frame (or raw bytes, for faults) on the link; returns its record."""
        self._start()
        raw = frame if isinstance(frame, bytes) else frame.encode()
        seen = Seen(time.monotonic_ns(), "tx", raw)
        self.records.append(seen)
        await self.packet.send(raw)
        return seen

    async def recv(self, timeout: float) -> Seen | None:
        """The next frame received, or None after ``timeout`` seconds."""
        self._start()
        try:
            return await asyncio.wait_for(self._queue.get(), max(0.0, timeout))
        except TimeoutError:
            return None

    def close(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self.packet.sock.fileno())
        self._loop = None
        self.packet.close()
