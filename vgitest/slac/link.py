"""Layer-2 endpoints for SLAC: a raw AF_PACKET socket on a real interface, and an in-memory pair (the raw socket,
:class:`PacketSocket`, is parametrised by EtherType and multicast groups and also serves GOOSE/SV).

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
ETH_P_ALL = 0x0003
SOL_PACKET = 263  # Linux <linux/socket.h>, <linux/if_packet.h>
PACKET_ADD_MEMBERSHIP, PACKET_MR_MULTICAST, PACKET_AUXDATA = 1, 0, 8
TP_STATUS_VLAN_VALID, TP_STATUS_VLAN_TPID_VALID = 0x10, 0x40
ANCBUFSIZE = socket.CMSG_SPACE(16) + socket.CMSG_SPACE(20)  # a timespec and a tpacket_auxdata


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


class PacketSocket:
    """AF_PACKET socket on one interface for a set of EtherTypes, with kernel receive timestamps (needs
    CAP_NET_RAW). Shared by SLAC and the IEC 61850 GOOSE/SV endpoints.

    One EtherType binds the socket to it (the kernel filters). Several, or ``tagged``, bind ETH_P_ALL and filter
    here: only a tap sees an IEEE 802.1Q-tagged frame before the kernel's VLAN handling (which drops the tag of
    a priority-tagged frame, VLAN id 0, before protocol sockets see it), and the tag the kernel moved into the
    packet metadata is put back from PACKET_AUXDATA, so a frame is recorded as it was on the wire.
    ``multicast`` MAC addresses are joined (PACKET_ADD_MEMBERSHIP), so a real NIC's filter lets them in.
    """

    def __init__(self, ifname: str, ethertypes: tuple[int, ...] = (ETHERTYPE,), multicast: tuple[bytes, ...] = (),
                 tagged: bool = False) -> None:
        self.ethertypes = frozenset(ethertypes)
        self.tapping = tagged or len(self.ethertypes) != 1
        proto = ETH_P_ALL if self.tapping else next(iter(self.ethertypes))
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(proto))
        try:
            self.sock.bind((ifname, proto))
            self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            if self.tapping:
                self.sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
            ifindex = socket.if_nametoindex(ifname)
            for group in multicast:
                mreq = struct.pack("iHH8s", ifindex, PACKET_MR_MULTICAST, len(group), group)
                self.sock.setsockopt(SOL_PACKET, PACKET_ADD_MEMBERSHIP, mreq)
            self.sock.setblocking(False)
            self.mac: bytes = self.sock.getsockname()[4][:6]
        except OSError:
            self.sock.close()
            raise

    def drain(self, on_frame: Callable[[bytes, int | None], None]) -> None:
        """Hand every queued frame of our EtherTypes (not our own transmissions) to ``on_frame`` with its kernel
        receive time; bounded, so a flood cannot starve the loop (the reader fires again)."""
        for _ in range(DRAIN_MAX):
            try:
                data, ancdata, _flags, addr = self.sock.recvmsg(RECV_BUFSIZE, ANCBUFSIZE)
            except OSError:  # EAGAIN when drained; anything else ends this round too
                return
            if len(addr) > 2 and addr[2] == PACKET_OUTGOING:
                continue  # our own transmission, already recorded as tx
            if self.tapping:
                data = _retag(data, ancdata)
                if len(data) < 14 or _ethertype(data) not in self.ethertypes:
                    continue
            on_frame(data, _kernel_time(ancdata))

    async def send(self, raw: bytes) -> None:
        await asyncio.get_running_loop().sock_sendall(self.sock, raw)

    def close(self) -> None:
        self.sock.close()


def _retag(data: bytes, ancdata: list[tuple[int, int, bytes]]) -> bytes:
    """The frame with the 802.1Q tag the kernel moved to PACKET_AUXDATA put back after the MAC addresses."""
    for level, kind, aux in ancdata:
        if level == SOL_PACKET and kind == PACKET_AUXDATA and len(aux) >= 20:
            status, _len, _snap, _mac, _net, tci, tpid = struct.unpack("IIIHHHH", aux[:20])
            if status & TP_STATUS_VLAN_VALID and len(data) >= 12:
                tpid = tpid if status & TP_STATUS_VLAN_TPID_VALID else 0x8100
                return data[:12] + struct.pack(">HH", tpid, tci) + data[12:]
    return data


def _ethertype(raw: bytes) -> int:
    """The EtherType after any 802.1Q tags."""
    pos = 12
    while len(raw) >= pos + 6 and int.from_bytes(raw[pos:pos + 2], "big") in (0x8100, 0x88A8):
        pos += 4
    return int.from_bytes(raw[pos:pos + 2], "big") if len(raw) >= pos + 2 else -1


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
        self.packet = PacketSocket(ifname, (ETHERTYPE,))
        self.sock = self.packet.sock
        self.mac: bytes = self.packet.mac
        self._loop: asyncio.AbstractEventLoop | None = None

    def _start(self) -> None:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            self._loop.add_reader(self.sock.fileno(), self._drain)

    def _drain(self) -> None:
        self.packet.drain(self._arrived)

    async def send_raw(self, raw: bytes) -> None:
        """Send bytes as they are (faults use this to put malformed frames on the wire)."""
        self._start()
        self.records.add("tx", raw)
        await self.packet.send(raw)

    def close(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self.sock.fileno())
        self._loop = None
        self.packet.close()


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
