"""SECC Discovery Protocol over UDP (IPv6): the SECC's responder and the EVCC's discovery with retries.

The EVCC multicasts a 2-byte request (security, transport) to ff02::1 port 15118 (or, on loopback, sends it to
::1) and repeats it every 250 ms until an answer arrives, at most 50 times; the SECC answers with its IPv6
address, TCP port, security and transport. Both sides record every datagram with its socket time, so a test can
judge the peer's retries and the answer.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import socket
import time
from typing import Callable

from .v2gtp import header_problems

SDP_PORT = 15118
REQ, RES = 0x9000, 0x9001
TLS, NO_TLS = 0x00, 0x10
TCP, UDP = 0x00, 0x10
RETRY_S = 0.25  # [V2G2-159]: wait at least this long for an answer before repeating
MAX_REQUESTS = 50  # [V2G2-161]


@dataclasses.dataclass
class Datagram:
    t_ns: int
    wall: float
    sent: bool  # sent by the side that records it
    peer: tuple[str, int]
    data: bytes
    local: tuple[str, int] | None = None  # the recording side's own UDP address ("::" when bound to any)

    @property
    def payload_type(self) -> int:
        return int.from_bytes(self.data[2:4], "big") if len(self.data) >= 4 else -1


@dataclasses.dataclass(frozen=True)
class SdpAnswer:
    address: str
    port: int
    security: int
    transport: int


def request(security: int = NO_TLS, transport: int = TCP) -> bytes:
    return bytes((1, 0xFE)) + REQ.to_bytes(2, "big") + (2).to_bytes(4, "big") + bytes((security, transport))


def response(address: str, port: int, security: int, transport: int = TCP) -> bytes:
    ip = ipaddress.IPv6Address(address.split("%")[0]).packed
    return (bytes((1, 0xFE)) + RES.to_bytes(2, "big") + (20).to_bytes(4, "big") + ip + port.to_bytes(2, "big")
            + bytes((security, transport)))


def parse_request(data: bytes) -> tuple[int, int] | str:
    """(security, transport), or the reason the datagram is no valid SDP request."""
    if len(data) < 8:
        return f"{len(data)} bytes: shorter than a V2GTP header"
    problems = header_problems(data[:8], allowed=frozenset({REQ}))
    if int.from_bytes(data[2:4], "big") != REQ:
        return f"payload type {int.from_bytes(data[2:4], 'big'):#06x} is not an SDP request (0x9000)"
    if int.from_bytes(data[4:8], "big") != 2 or len(data) != 10:
        problems.append(f"payload length {int.from_bytes(data[4:8], 'big')} with {len(data) - 8} bytes present "
                        "(an SDP request carries 2)")
    if problems:
        return "; ".join(problems)
    sec, tr = data[8], data[9]
    if sec not in (TLS, NO_TLS) or tr not in (TCP, UDP):
        return f"security {sec:#04x} / transport {tr:#04x} out of range"
    return sec, tr


def parse_response(data: bytes) -> SdpAnswer | str:
    if len(data) < 8:
        return f"{len(data)} bytes: shorter than a V2GTP header"
    problems = header_problems(data[:8], allowed=frozenset({RES}))
    if int.from_bytes(data[2:4], "big") != RES:
        return f"payload type {int.from_bytes(data[2:4], 'big'):#06x} is not an SDP response (0x9001)"
    if int.from_bytes(data[4:8], "big") != 20 or len(data) != 28:
        problems.append(f"payload length {int.from_bytes(data[4:8], 'big')} with {len(data) - 8} bytes present "
                        "(an SDP response carries 20)")
    if problems:
        return "; ".join(problems)
    addr = str(ipaddress.IPv6Address(data[8:24]))
    return SdpAnswer(addr, int.from_bytes(data[24:26], "big"), data[26], data[27])


class SdpResponder(asyncio.DatagramProtocol):
    """The SECC side: answers valid requests with ``answer(security, transport)``; records every datagram.

    ``answer`` returns the response bytes, or None to stay silent (a test or a fault decides)."""

    def __init__(self, answer: Callable[[int, int, tuple[str, int]], bytes | None],
                 on_datagram: Callable[[Datagram, str | None], None] | None = None) -> None:
        self.answer = answer
        self.on_datagram = on_datagram
        self.log: list[Datagram] = []
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        peer = (str(addr[0]), int(addr[1]))
        local = _sockname(self.transport)
        d = Datagram(time.monotonic_ns(), time.time(), False, peer, bytes(data), local)
        self.log.append(d)
        parsed = parse_request(data)
        if self.on_datagram:
            self.on_datagram(d, parsed if isinstance(parsed, str) else None)
        if isinstance(parsed, str):
            return  # [V2G2-...]: an invalid request is ignored
        out = self.answer(parsed[0], parsed[1], peer)
        if out is not None and self.transport is not None:
            sent = Datagram(time.monotonic_ns(), time.time(), True, peer, out, local)
            self.transport.sendto(out, addr)
            self.log.append(sent)
            if self.on_datagram:
                self.on_datagram(sent, None)


def _sockname(transport: asyncio.BaseTransport | None) -> tuple[str, int] | None:
    sock = transport.get_extra_info("socket") if transport is not None else None
    try:
        name = sock.getsockname() if sock is not None else None
    except OSError:
        return None
    return (str(name[0]), int(name[1])) if name else None


async def start_responder(host: str, port: int, responder: SdpResponder) -> tuple[asyncio.DatagramTransport, int]:
    """Bind the responder (IPv6 UDP); returns the transport and the bound port (port 0 = any free one)."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    info = socket.getaddrinfo(host, port, socket.AF_INET6, socket.SOCK_DGRAM)[0][4]
    sock.bind(info)
    transport, _ = await loop.create_datagram_endpoint(lambda: responder, sock=sock)
    return transport, sock.getsockname()[1]  # type: ignore[return-value]


class _Collector(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.queue: asyncio.Queue[Datagram] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        self.queue.put_nowait(Datagram(time.monotonic_ns(), time.time(), False, (str(addr[0]), int(addr[1])),
                                       bytes(data)))


async def discover(target: str, port: int = SDP_PORT, *, security: int = NO_TLS, transport: int = TCP,
                   retry_s: float = RETRY_S, max_requests: int = MAX_REQUESTS,
                   log: list[Datagram] | None = None, payload: bytes | None = None) -> SdpAnswer | None:
    """The EVCC side: send requests to ``target`` (``::1``, ``ff02::1%eth0``, a link-local address) until a valid
    answer arrives; None after ``max_requests`` unanswered tries. Invalid answers are logged and ignored."""
    loop = asyncio.get_running_loop()
    info = socket.getaddrinfo(target, port, socket.AF_INET6, socket.SOCK_DGRAM)[0][4]
    coll = _Collector()
    tr, _ = await loop.create_datagram_endpoint(lambda: coll, family=socket.AF_INET6)
    log = log if log is not None else []
    data = payload if payload is not None else request(security, transport)
    try:
        for _ in range(max_requests):
            tr.sendto(data, info)
            local = _sockname(tr)  # bound by the first send
            log.append(Datagram(time.monotonic_ns(), time.time(), True, (target, port), data, local))
            deadline = time.monotonic() + retry_s
            while (left := deadline - time.monotonic()) > 0:
                try:
                    d = await asyncio.wait_for(coll.queue.get(), left)
                except asyncio.TimeoutError:
                    break
                d.local = local
                log.append(d)
                ans = parse_response(d.data)
                if isinstance(ans, SdpAnswer):
                    return ans
        return None
    finally:
        tr.close()
