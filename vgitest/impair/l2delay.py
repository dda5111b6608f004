"""Delay, jitter and loss for a whole Ethernet link, multicast included: the link's veth pair split in two, joined
by a user-space forwarder in a middle network namespace that holds each frame for delay ± jitter.

    ns a (slac0) ==veth== ns m (ma) -> forwarder -> (mb) ==veth== ns b (slac0)

Why: the IEC 61850 flow's GOOSE and SV are layer-2 multicast, which the TCP/UDP relay (:mod:`.relay`) cannot
carry, and the kernels here have no `netem`. The forwarder reads every frame (any EtherType: ARP, IPv4 with MMS
over TCP, GOOSE, SV) from one middle interface with an AF_PACKET socket and writes it to the other after its
delay, at ``max(arrival + delay ± jitter, previous departure)`` per direction, like the relay: frames are never
reordered, so jitter shows as varying latency and bunching (a TCP stream is never reordered either).

The namespaces ``a`` and ``b`` keep the interface name and addresses of :class:`~vgitest.iec61850.netpair.FlowPair`,
so a flow runs unchanged over this pair. The middle namespace has no address: it neither answers nor routes.
Checksums: a veth hands over TCP/UDP segments whose checksum the sender left to "hardware"
(CHECKSUM_PARTIAL); a frame written again through a packet socket is checked for real by the receiver, so the
forwarder completes the IPv4 TCP/UDP checksum of each frame it passes (no ethtool here to switch offload off).
802.1Q tags the kernel moves into packet metadata are not put back (the flow's GOOSE and SV are untagged).

Loss: the kernel's eBPF drop for every EtherType (:func:`.kernel.attach_drop`) on the middle interfaces' egress,
so the forwarder is the sender the drop is reported to (ENOBUFS from send(), counted in ``dropped``). On the ends'
own egress the reference roles' GOOSE/SV send() would fail instead, which a sender on a real lossy wire never sees;
on an ingress it would not work at all (packet sockets see a frame before the ingress classifier does).
"""

from __future__ import annotations

import collections
import errno
import random
import select
import socket
import struct
import subprocess
import threading
import time

from ..iec61850.netpair import DEVICE_IP, HARNESS_IP, PREFIX, FlowPair
from ..slac import netns
from ..slac.link import ETH_P_ALL, PACKET_OUTGOING
from .profile import Impairment

MIDDLE_IFS = ("ma", "mb")  # the middle namespace's ends: towards a, towards b
POLL_S = 0.1  # how often an idle forwarder looks at its stop flag


class ForwardedFlowPair(FlowPair):
    """A :class:`FlowPair` whose link passes through a forwarder in namespace ``m``; ``imp`` gives its delay
    and jitter (the caller applies rate and loss with the kernel: :data:`MIDDLE_IFS` are where loss goes)."""

    def __init__(self, imp: Impairment, seed: int | None = None) -> None:
        super().__init__()
        self.m = self.a.removesuffix("-a") + "-m"
        self.imp, self.seed = imp, seed
        self.forwarder: Forwarder | None = None

    def create(self) -> ForwardedFlowPair:
        try:
            for ns in (self.a, self.m, self.b):
                netns._ip("netns", "add", ns)
                self._made.append(ns)
            for ns, mid in ((self.a, MIDDLE_IFS[0]), (self.b, MIDDLE_IFS[1])):
                netns._ip("link", "add", self.ifname, "netns", ns, "type", "veth", "peer", "name", mid, "netns",
                          self.m)
                netns._ip("-n", ns, "link", "set", self.ifname, "up")
                netns._ip("-n", self.m, "link", "set", "dev", mid, "up", "promisc", "on")
            for ns, ip in ((self.a, HARNESS_IP), (self.b, DEVICE_IP)):
                subprocess.run(["ip", "-n", ns, "addr", "add", f"{ip}/{PREFIX}", "dev", self.ifname],
                               capture_output=True, text=True, timeout=10, check=True)
            socks = netns.run_in_netns(self.m, lambda: tuple(_packet_socket(i) for i in MIDDLE_IFS), timeout=10)
            self.forwarder = Forwarder(socks[0], socks[1], self.imp.delay_ms / 1000, self.imp.jitter_ms / 1000,
                                       self.seed).start()
        except BaseException:
            self.destroy()
            raise
        return self

    def destroy(self) -> None:
        if self.forwarder is not None:
            self.forwarder.stop()
            self.forwarder = None
        super().destroy()


def _packet_socket(ifname: str) -> socket.socket:
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    try:
        s.bind((ifname, ETH_P_ALL))
        s.setblocking(False)
    except OSError:
        s.close()
        raise
    return s


class Forwarder:
    """Two directions, one thread each: read what arrives on one socket, write it to the other after its delay.
    ``counts`` and ``errors`` say what was passed (a send the kernel refuses is counted, never raised);
    ``dropped``: frames the link's loss dropped (ENOBUFS from send(): the eBPF drop on the egress)."""

    def __init__(self, sa: socket.socket, sb: socket.socket, delay_s: float, jitter_s: float,
                 seed: int | None = None) -> None:
        self.socks = (sa, sb)
        self.delay_s, self.jitter_s = delay_s, jitter_s
        self.rng = random.Random(seed)
        self.counts = {"a->b": 0, "b->a": 0}
        self.dropped = {"a->b": 0, "b->a": 0}
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(sa, sb, "a->b"), daemon=True, name="l2delay-ab"),
                         threading.Thread(target=self._run, args=(sb, sa, "b->a"), daemon=True, name="l2delay-ba")]

    def start(self) -> Forwarder:
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(2 * POLL_S + 1)
        for s in self.socks:
            s.close()

    def departure(self, arrival: float, previous: float) -> float:
        """When a frame that arrived at ``arrival`` leaves: delay ± jitter later, never before the previous."""
        d = self.delay_s + (self.rng.uniform(-self.jitter_s, self.jitter_s) if self.jitter_s else 0.0)
        return max(arrival + d, previous)

    def _run(self, src: socket.socket, dst: socket.socket, key: str) -> None:
        queue: collections.deque[tuple[float, bytes]] = collections.deque()
        last = 0.0
        while not self._stop.is_set():
            wait = POLL_S if not queue else max(0.0, min(POLL_S, queue[0][0] - time.monotonic()))
            try:
                ready = select.select([src], [], [], wait)[0]
            except (OSError, ValueError):
                return  # the socket was closed by stop()
            if ready:
                for _ in range(256):
                    try:
                        data, addr = src.recvfrom(65535)
                    except OSError:
                        break
                    if len(addr) > 2 and addr[2] == PACKET_OUTGOING:
                        continue  # what the other direction wrote on this interface
                    last = self.departure(time.monotonic(), last)
                    queue.append((last, complete_checksum(data)))
            now = time.monotonic()
            while queue and queue[0][0] <= now:
                _, frame = queue.popleft()
                try:
                    dst.send(frame)
                    self.counts[key] += 1
                except OSError as exc:
                    if exc.errno == errno.ENOBUFS:
                        self.dropped[key] += 1
                    elif len(self.errors) < 20:
                        self.errors.append(f"{key}: {len(frame)}-byte frame not sent: {exc}")


def _sum16(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def complete_checksum(frame: bytes) -> bytes:
    """The frame with its IPv4 TCP or UDP checksum computed (other frames unchanged)."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return frame
    ihl = (frame[14] & 0x0F) * 4
    proto = frame[23]
    total_len = struct.unpack("!H", frame[16:18])[0]
    l4 = 14 + ihl
    end = 14 + total_len
    if proto not in (6, 17) or total_len < ihl or end > len(frame):
        return frame
    offset = l4 + (16 if proto == 6 else 6)
    if offset + 2 > end or struct.unpack("!H", frame[20:22])[0] & 0x3FFF:  # a fragment: leave it
        return frame
    seg = bytearray(frame[l4:end])
    seg[offset - l4:offset - l4 + 2] = b"\0\0"
    pseudo = frame[26:34] + struct.pack("!BBH", 0, proto, len(seg))
    csum = 0xFFFF - _sum16(pseudo + bytes(seg))
    if proto == 17 and csum == 0:
        csum = 0xFFFF
    return frame[:offset] + struct.pack("!H", csum) + frame[offset + 2:]
