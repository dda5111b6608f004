"""A user-space impairment relay for TCP and UDP: the device connects to the relay, the relay to the peer.

Per direction it adds the one-way delay with jitter, and (when the kernel does not) a token-bucket rate; it
records every chunk it read and wrote with its times, so a flow's latency can be measured at the device's edge
of the link.

TCP: a stream must never be reordered, so a chunk leaves at ``max(arrival + delay ± jitter, previous chunk's
departure)``: jitter then shows as varying latency and bunching, as it does on a real TCP path (the receiving
stack delivers in order). Loss cannot be modelled honestly here: a byte stream has no packet to drop, and
dropping bytes would corrupt the stream rather than cause a retransmission. TCP loss therefore comes from the
kernel (the link's veth, see :mod:`vgitest.impair.link`); without it a relay with ``loss_pct`` refuses to start.

UDP: datagrams are independent, so each gets its own delay (jitter may reorder them, as netem does) and each is
lost with the given probability: that is what a lossy link does to UDP.

Every wait is bounded (connect, drain, stop); the relay runs on its own event loop thread so it never blocks the
harness, and a peer that stops reading cannot stall it beyond ``drain_timeout``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import random
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

from ..loop import BackgroundLoop
from .profile import Impairment

UP, DOWN = "up", "down"  # up: from the device (the relay's client) to the peer; down: back
CHUNK = 65536
MAX_QUEUED = 1 << 20  # bytes waiting in one direction before the relay stops reading (TCP back-pressure)


@dataclasses.dataclass(frozen=True)
class Chunk:
    """One read and its write on the other side, at the relay's device edge (times: time.monotonic_ns)."""

    conn: int
    direction: str
    size: int
    t_read_ns: int
    t_write_ns: int


class TokenBucket:
    """Rate limit in user space, for when the kernel's tbf is not available: a bucket of one 1500-byte frame."""

    def __init__(self, rate_kbps: float, burst: int = 1500) -> None:
        self.rate_Bps = rate_kbps * 1000 / 8
        self.burst = burst
        self.tokens = float(burst)
        self.t = time.monotonic()

    def wait_s(self, size: int) -> float:
        """Take `size` bytes; how long to wait before they may leave."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.t) * self.rate_Bps)
        self.t = now
        self.tokens -= size
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate_Bps


class Delayer:
    """Departure times for one direction: arrival + delay ± jitter, never before the previous one if `ordered`."""

    def __init__(self, imp: Impairment, rng: random.Random, *, ordered: bool) -> None:
        self.imp, self.rng, self.ordered = imp, rng, ordered
        self.last = 0.0

    def due(self, arrival: float) -> float:
        d = self.imp.delay_ms
        if self.imp.jitter_ms:
            d += self.rng.uniform(-self.imp.jitter_ms, self.imp.jitter_ms)
        t = arrival + d / 1000
        if self.ordered:
            t = max(t, self.last)
            self.last = t
        return t


Connector = Callable[[], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]


class Relay:
    """A relay of `impairment` in front of `target` ((host, port)). Use as a context manager, or start()/stop().

    ``user`` says which aspects the relay applies itself ("delay", "rate", "loss"); the rest is the kernel's
    (the link decides). ``sock`` is a listening socket to serve instead of ``listen``. ``connect`` overrides how the relay reaches the target (the link's path through a veth
    pair); ``transform`` may rewrite a datagram (direction, bytes) -> bytes, e.g. an SDP answer's port."""

    def __init__(self, impairment: Impairment, target: tuple[str, int], *, proto: str = "tcp",
                 listen: tuple[str, int] = ("127.0.0.1", 0), user: frozenset[str] | None = None,
                 connect: Connector | None = None, transform: Callable[[str, bytes], bytes] | None = None,
                 seed: int | None = None, connect_timeout: float = 10.0, drain_timeout: float = 60.0,
                 sock: socket.socket | None = None) -> None:
        if proto not in ("tcp", "udp"):
            raise ValueError("proto must be tcp or udp")
        self.imp, self.target, self.proto, self.listen_addr = impairment, target, proto, listen
        self.user = frozenset(("delay", "rate", "loss")) if user is None else user
        if proto == "tcp" and impairment.loss_pct and "loss" in self.user:
            raise ValueError("a TCP relay cannot model packet loss (see the module docstring): apply it in the "
                             "kernel (vgitest.impair.link)")
        self._connect = connect
        self._sock = sock  # a listening socket made elsewhere (e.g. inside a network namespace)
        self.transform = transform
        self.rng = random.Random(seed)
        self.connect_timeout, self.drain_timeout = connect_timeout, drain_timeout
        self.chunks: list[Chunk] = []
        self.dropped = 0  # UDP datagrams the relay lost on purpose
        self.errors: list[str] = []  # what went wrong on the relay's side (harness, not device)
        self.connections = 0
        self._ids = itertools.count(1)
        self._loop: BackgroundLoop | None = None
        self._server: Any = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.port = 0

    # life cycle ------------------------------------------------------------------------------------------------
    def start(self) -> "Relay":
        self._loop = BackgroundLoop(f"impair-relay-{self.proto}")
        self._loop.run(self._start(), timeout=10)
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        with contextlib.suppress(TimeoutError, RuntimeError):
            self._loop.run(self._stop(), timeout=10)
        self._loop.stop()
        self._loop = None

    def __enter__(self) -> "Relay":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def address(self) -> tuple[str, int]:
        return self.listen_addr[0], self.port

    def records(self, since_ns: int = 0) -> list[Chunk]:
        return [c for c in list(self.chunks) if c.t_read_ns >= since_ns]

    def bytes_by_direction(self) -> dict[str, int]:
        out = {UP: 0, DOWN: 0}
        for c in list(self.chunks):
            out[c.direction] += c.size
        return out

    async def _start(self) -> None:
        host, port = self.listen_addr
        if self.proto == "tcp":
            if self._sock is not None:
                self._server = await asyncio.start_server(self._accept, sock=self._sock)
            else:
                self._server = await asyncio.start_server(self._accept, host, port)
            self.port = self._server.sockets[0].getsockname()[1]
        else:
            loop = asyncio.get_running_loop()
            transport, _ = await loop.create_datagram_endpoint(lambda: _UdpFront(self), local_addr=(host, port))
            self._server = transport
            self.port = transport.get_extra_info("sockname")[1]

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for t in list(self._tasks):
            t.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)

    # TCP -------------------------------------------------------------------------------------------------------
    async def _open_target(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._connect is not None:
            return await asyncio.wait_for(self._connect(), self.connect_timeout)
        return await asyncio.wait_for(asyncio.open_connection(*self.target), self.connect_timeout)

    async def _accept(self, c_reader: asyncio.StreamReader, c_writer: asyncio.StreamWriter) -> None:
        conn = next(self._ids)
        self.connections += 1
        try:
            s_reader, s_writer = await self._open_target()
        except (OSError, asyncio.TimeoutError) as exc:
            self.errors.append(f"conn {conn}: cannot reach the target {self.target}: {exc!r}")
            c_writer.close()
            return
        up = self._spawn_pump(conn, UP, c_reader, s_writer)
        down = self._spawn_pump(conn, DOWN, s_reader, c_writer)
        await asyncio.gather(up, down, return_exceptions=True)
        for w in (c_writer, s_writer):
            w.close()

    def _spawn_pump(self, conn: int, direction: str, reader: asyncio.StreamReader,
                    writer: asyncio.StreamWriter) -> asyncio.Future[Any]:
        task = asyncio.ensure_future(self._pump(conn, direction, reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _pump(self, conn: int, direction: str, reader: asyncio.StreamReader,
                    writer: asyncio.StreamWriter) -> None:
        """Read as data comes; a second task writes each chunk at its due time (reading never waits on delay)."""
        delayer = Delayer(self.imp, self.rng, ordered=True)
        bucket = TokenBucket(self.imp.rate_kbps) if self.imp.rate_kbps and "rate" in self.user else None
        queue: asyncio.Queue[tuple[float, int, bytes] | None] = asyncio.Queue()
        queued = asyncio.Semaphore(MAX_QUEUED // CHUNK)
        writer_task = asyncio.ensure_future(self._writer(conn, direction, queue, queued, writer, bucket))
        try:
            while True:
                await queued.acquire()
                data = await reader.read(CHUNK)
                t_ns = time.monotonic_ns()
                if not data:
                    break
                due = delayer.due(t_ns / 1e9) if "delay" in self.user else t_ns / 1e9
                queue.put_nowait((due, t_ns, data))
        except (ConnectionError, OSError):
            pass
        finally:
            queue.put_nowait(None)
            await asyncio.wait([writer_task], timeout=self.drain_timeout + 5)
            if not writer_task.done():
                writer_task.cancel()

    async def _writer(self, conn: int, direction: str, queue: asyncio.Queue[tuple[float, int, bytes] | None],
                      queued: asyncio.Semaphore, writer: asyncio.StreamWriter, bucket: TokenBucket | None) -> None:
        try:
            while (item := await queue.get()) is not None:
                due, t_read, data = item
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                for i in range(0, len(data), 1500 if bucket else len(data)):
                    piece = data[i:i + 1500] if bucket else data
                    if bucket:
                        await asyncio.sleep(bucket.wait_s(len(piece)))
                    writer.write(piece)
                    t_write = time.monotonic_ns()  # handed to the socket: stamped before drain() yields, so an
                    # answer the receiver sends at once is never read (and stamped) before this write
                    if i + len(piece) >= len(data):
                        self.chunks.append(Chunk(conn, direction, len(data), t_read, t_write))
                    await asyncio.wait_for(writer.drain(), self.drain_timeout)
                queued.release()
            if writer.can_write_eof():
                writer.write_eof()
        except (ConnectionError, OSError, asyncio.TimeoutError) as exc:
            if isinstance(exc, asyncio.TimeoutError):
                self.errors.append(f"conn {conn} {direction}: the receiver did not read for {self.drain_timeout} s")
            writer.transport.abort()

    # UDP -------------------------------------------------------------------------------------------------------
    def _udp_send(self, direction: str, conn: int, data: bytes, t_ns: int, delayer: Delayer,
                  bucket: TokenBucket | None, send: Callable[[bytes], None]) -> None:
        if self.imp.loss_pct and "loss" in self.user and self.rng.random() * 100 < self.imp.loss_pct:
            self.dropped += 1
            return
        if self.transform is not None:
            data = self.transform(direction, data)
        due = delayer.due(t_ns / 1e9) if "delay" in self.user else t_ns / 1e9
        if bucket is not None:
            due = max(due, time.monotonic() + bucket.wait_s(len(data) + 28))

        def fire() -> None:
            try:
                send(data)
            except OSError as exc:
                self.errors.append(f"udp {direction}: {exc!r}")
                return
            self.chunks.append(Chunk(conn, direction, len(data), t_ns, time.monotonic_ns()))

        asyncio.get_running_loop().call_later(max(0.0, due - time.monotonic()), fire)


@dataclasses.dataclass
class _UdpPath:
    """The relay's own socket towards the target for one device address (answers go back to that address)."""

    conn: int
    sock: socket.socket
    up: Delayer
    down: Delayer
    up_bucket: TokenBucket | None
    down_bucket: TokenBucket | None


class _UdpFront(asyncio.DatagramProtocol):
    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self.transport: asyncio.DatagramTransport | None = None
        self.paths: dict[Any, _UdpPath] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        loop = asyncio.get_event_loop()
        for path in self.paths.values():
            loop.remove_reader(path.sock.fileno())
            path.sock.close()
        self.paths.clear()

    def _path(self, addr: Any) -> _UdpPath:
        relay = self.relay
        if addr not in self.paths:
            family = socket.AF_INET6 if ":" in relay.target[0] else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_DGRAM)
            sock.setblocking(False)
            sock.connect(relay.target)  # UDP: no packet sent, only the default destination set
            relay.connections += 1

            def bucket() -> TokenBucket | None:
                return TokenBucket(relay.imp.rate_kbps) if relay.imp.rate_kbps and "rate" in relay.user else None
            path = _UdpPath(next(relay._ids), sock, Delayer(relay.imp, relay.rng, ordered=False),
                            Delayer(relay.imp, relay.rng, ordered=False), bucket(), bucket())
            self.paths[addr] = path
            asyncio.get_running_loop().add_reader(sock.fileno(), self._answer, addr, path)
        return self.paths[addr]

    def datagram_received(self, data: bytes, addr: Any) -> None:
        t_ns = time.monotonic_ns()
        path = self._path(addr)
        self.relay._udp_send(UP, path.conn, data, t_ns, path.up, path.up_bucket, path.sock.send)

    def _answer(self, addr: Any, path: _UdpPath) -> None:
        try:
            data = path.sock.recv(65535)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:  # e.g. ICMP port unreachable from a target that is gone
            self.relay.errors.append(f"udp conn {path.conn}: {exc!r}")
            return
        front = self.transport
        if front is not None:
            self.relay._udp_send(DOWN, path.conn, data, time.monotonic_ns(), path.down, path.down_bucket,
                                 lambda d: front.sendto(d, addr))
