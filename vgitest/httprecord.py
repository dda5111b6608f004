"""aiohttp's server and client protocols with the socket's view kept: every byte both ways (for pcapng
evidence), the time the last byte arrived (for latencies measured at the socket), and, on the server side,
the TLS session as the connection began (a client may close right after its request, and aiohttp then
forgets the transport).

Shared by the HTTP fakes (the OpenADR VTN, the IEEE 2030.5 server): the server side for the DUT's requests,
the client side for what a fake POSTs to the DUT (OpenADR push, 2030.5 notifications)."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import ssl
import time
from typing import Any, Callable, Iterator

import aiohttp
from aiohttp import web
from aiohttp.client_proto import ResponseHandler
from aiohttp.http_exceptions import HttpProcessingError, LineTooLong
from aiohttp.web_protocol import RequestHandler

from .trace import Direction, now
from .wire import KEEP_CLOSED, WireLog, forget_closed


RAW_KEPT = 64 * 1024  # bytes of a request that is not HTTP kept as its frame's evidence


@dataclasses.dataclass
class BadHttp:
    """A request aiohttp's parser refused before any handler saw it: the bytes since the last answer on the
    connection (at most RAW_KEPT of `received`), the answer HTTP defines for it and why."""

    raw: bytes
    received: int
    status: int
    reason: str
    peer: str


def bad_http_frame(trace: Any, bad: BadHttp, protocol: str, version: str, correlation: str, rule_id: str) -> Any:
    """The trace frame of a request the parser refused: its bytes, where it came from, and the finding."""
    from .findings import Finding
    from .trace import Frame
    t_ns, wall = now()
    frame = trace.append(Frame(t_ns, wall, Direction.IN, protocol, version, bad.peer, "REQUEST", "(bad HTTP)",
                               correlation, bad.raw, None,
                               meta={"peer": bad.peer, "received": bad.received, "http_error": bad.reason}))
    frame.findings.append(Finding.of(rule_id, bad.reason, frame.index))
    return frame


def accepted_wire(transport: asyncio.BaseTransport, name: str, wires: list[WireLog]) -> WireLog:
    """The wire log of a connection a fake server just accepted, added to `wires` (closed ones forgotten)."""
    peer = transport.get_extra_info("peername") or ("?", 0)
    sock = transport.get_extra_info("sockname") or ("?", 0)
    wire = WireLog(name, (str(peer[0]), int(peer[1])), (str(sock[0]), int(sock[1])),
                   tls=transport.get_extra_info("sslcontext") is not None)
    if len(wires) % KEEP_CLOSED == 0:  # a run of many short connections kept every log (issue 13); the sweep
        forget_closed(wires)  # reads every log, so it runs once per KEEP_CLOSED connections, not on each one
    wires.append(wire)
    return wire


class RecordingHandler(RequestHandler):
    """aiohttp's request handler that also keeps every byte (for pcapng) and the time the last one arrived.

    `wire_cap`: the bytes one connection's WireLog keeps (a 100 MiB body must not stay in memory for the
    capture; the WireLog counts the bytes it lets go, so the capture's sequence numbers stay right).
    `on_bad_http`: the owner's answer to a request that is not HTTP/1.1 (bad framing, an oversized header, TLS
    or HTTP/2 on a plain port), so that it becomes a frame and a finding rather than a logged traceback and a
    bare 400."""

    __slots__ = ("_vgi_wire", "_vgi_rx", "_vgi_on_connect", "vgi_ssl_object", "vgi_tag", "_vgi_on_bad_http",
                 "_vgi_wire_cap", "_vgi_in_total", "_vgi_recent")

    def __init__(self, *args: Any, on_connect: Callable[[asyncio.BaseTransport], WireLog],
                 on_bad_http: Callable[[BadHttp], web.StreamResponse] | None = None, wire_cap: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._vgi_on_connect = on_connect
        self._vgi_on_bad_http = on_bad_http
        self._vgi_wire_cap = wire_cap
        self._vgi_in_total = 0
        self._vgi_recent = bytearray()  # what arrived since the last byte the harness wrote (bounded)
        self._vgi_rx = now()
        self.vgi_ssl_object: Any = None
        self.vgi_tag: Any = None  # the owner's label for this connection (e.g. which certificate it was served)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        wire = self._vgi_wire = self._vgi_on_connect(transport)
        if self._vgi_wire_cap is not None:
            wire.max_bytes = min(wire.max_bytes, self._vgi_wire_cap)
        # kept: a VEN may close the connection right after its request, and aiohttp then forgets the transport
        self.vgi_ssl_object = transport.get_extra_info("ssl_object")
        write = transport.write  # type: ignore[attr-defined]

        def _write(data: bytes) -> None:
            t, w = now()
            wire.add(t, w, Direction.OUT, bytes(data))
            self._vgi_recent.clear()
            write(data)

        transport.write = _write  # type: ignore[attr-defined]
        super().connection_made(transport)

    def data_received(self, data: bytes) -> None:
        t = self._vgi_rx = now()
        self._vgi_in_total += len(data)
        self._vgi_wire.add(t[0], t[1], Direction.IN, data)  # the WireLog keeps at most its max_bytes
        if len(self._vgi_recent) < RAW_KEPT:
            self._vgi_recent += data[:RAW_KEPT - len(self._vgi_recent)]
        super().data_received(data)
        self._vgi_fail_body()

    def _vgi_fail_body(self) -> None:
        """A framing error in the body of the request being handled (a bad chunk size after the headers):
        aiohttp's C parser drops that request's body stream without an error (its reader would wait for
        ever) and queues the error as a request of its own. It goes to the body instead, so the owner judges
        one request; the connection closes after the answer (the parser cannot go on)."""
        request = self._current_request
        if request is None or not self._messages:
            return
        exc = getattr(self._messages[-1][0], "exc", None)
        if isinstance(exc, HttpProcessingError) and not request.content.is_eof():
            self._messages.pop()
            request.content.set_exception(exc)
            self._lingering_time = 0.0  # nothing more to read: the bytes after the error are not HTTP
            self.close()

    def handle_error(self, request: Any, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        """A request the parser refused goes to the owner (a frame, a finding, the answer HTTP defines);
        anything else (a harness fault) keeps aiohttp's handling, traceback included."""
        if not isinstance(exc, HttpProcessingError) or self._vgi_on_bad_http is None or \
                request.writer.output_size > 0:
            return super().handle_error(request, status, exc, message)
        raw = bytes(self._vgi_recent)
        code, reason = classify(raw, exc)
        resp = self._vgi_on_bad_http(BadHttp(raw, self._vgi_in_total, code, reason, str(request.remote)))
        resp.force_close()
        return resp

    def connection_lost(self, exc: BaseException | None) -> None:
        wire = getattr(self, "_vgi_wire", None)
        if wire is not None:
            wire.closed = True  # its owner forgets it once enough newer connections closed
        super().connection_lost(exc)


_VERSION = re.compile(rb"^[!-~]+ [!-~]+ HTTP/(\d+)")


def classify(raw: bytes, exc: BaseException) -> tuple[int, str]:
    """(the status HTTP defines for what the parser refused, a sentence saying what it was)."""
    said = f"{type(exc).__name__}: {getattr(exc, 'message', '') or exc}"[:300]
    if raw[:1] == b"\x16" and raw[1:2] == b"\x03":
        return 400, f"a TLS handshake on a plain-HTTP port ({said})"
    version = _VERSION.match(raw)
    if version is not None and int(version.group(1)) >= 2:
        return 505, f"HTTP/{version.group(1).decode()} is not supported on this port: HTTP/1.1 only ({said})"
    if isinstance(exc, LineTooLong):
        line_end = raw.find(b"\r\n")
        if line_end < 0 or line_end > 8190:
            return 414, f"the request line is too long ({said})"
        return 431, f"a header field is too long ({said})"
    return 400, f"not a valid HTTP/1.1 request ({said})"


class RecordingClient(ResponseHandler):
    """aiohttp's client protocol that also keeps the bytes (a WireLog named `label`-n per connection, appended to
    `wires`) and the socket times of the last write (`vgi_tx`) and the last read (`vgi_rx`)."""

    def __init__(self, *args: Any, wires: list[WireLog], counter: Iterator[int], label: str = "push",
                 made: Callable[["RecordingClient"], None] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.vgi_wires, self.vgi_counter, self.vgi_label, self.vgi_made = wires, counter, label, made
        self.vgi_tx = self.vgi_rx = now()
        self.vgi_wire: WireLog | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername") or ("?", 0)
        sock = transport.get_extra_info("sockname") or ("?", 0)
        wire = self.vgi_wire = WireLog(f"{self.vgi_label}-{next(self.vgi_counter)}", (str(peer[0]), int(peer[1])),
                                       (str(sock[0]), int(sock[1])),
                                       tls=transport.get_extra_info("sslcontext") is not None)
        forget_closed(self.vgi_wires)
        self.vgi_wires.append(wire)
        write = transport.write  # type: ignore[attr-defined]

        def _write(data: bytes) -> None:
            t = self.vgi_tx = now()
            wire.add(t[0], t[1], Direction.OUT, bytes(data))
            write(data)

        transport.write = _write  # type: ignore[attr-defined]
        super().connection_made(transport)
        if self.vgi_made is not None:
            self.vgi_made(self)

    def data_received(self, data: bytes) -> None:
        t = self.vgi_rx = now()
        if self.vgi_wire is not None:
            self.vgi_wire.add(t[0], t[1], Direction.IN, data)
        super().data_received(data)

    def connection_lost(self, exc: BaseException | None) -> None:
        if self.vgi_wire is not None:
            self.vgi_wire.closed = True
        super().connection_lost(exc)


def recording_session(*, ssl_context: ssl.SSLContext | None, wires: list[WireLog], counter: Iterator[int],
                      label: str, timeout_s: float, limit: int = 1, force_close: bool = False,
                      made: Callable[[RecordingClient], None] | None = None) -> aiohttp.ClientSession:
    """An aiohttp client session (call inside the running loop) whose connections are `RecordingClient`s: the
    fake's requests to the DUT, bounded by `timeout_s` (connecting by at most 5 s of it). `made` hears of each
    new connection: aiohttp may release a connection before the caller sees the answer (a short body is read
    at once), and with `limit` 1 and one request at a time the last one made is the one that served it.
    `force_close`: a connection per request (a peer that closes idle connections is then never caught
    mid-request on a stale one)."""
    connector = aiohttp.TCPConnector(ssl=ssl_context if ssl_context is not None else False, limit=limit,
                                     force_close=force_close)
    loop = asyncio.get_running_loop()
    connector._factory = lambda: RecordingClient(  # type: ignore[attr-defined]  # to see the socket
        loop=loop, wires=wires, counter=counter, label=label, made=made)
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(
        total=timeout_s, sock_connect=min(5.0, timeout_s)))


@dataclasses.dataclass
class Body:
    """A request body as it arrived: `truncated` when more than the cap came (only the cap is kept), `error`
    when the connection failed or ended before the Content-Length the client announced (the bytes that did
    arrive are kept as evidence; such a request is not judged by its content)."""

    data: bytes
    truncated: bool = False
    error: str | None = None
    malformed: str | None = None  # the body's framing broke HTTP (a bad chunk size): the client's fault
    received: int = 0  # bytes read (the read stops one past the cap)
    announced: int | None = None  # the Content-Length, if any

    def too_large(self, accepted: int) -> str:
        """The finding text for a body over the read cap: how big it said or proved to be."""
        size = f"{self.announced} bytes (Content-Length)" if self.announced is not None else \
            f"more than {self.received - 1} bytes"
        return (f"the body has {size}, more than the {accepted} accepted; reading stopped after "
                f"{self.received - 1} bytes, the first {len(self.data)} are kept")


async def read_body(request: Any, cap: int, timeout: float = 30.0) -> Body:
    """Read a request body to its end, bounded by `cap` bytes (one more tells it was longer) and `timeout`
    seconds. One read returns only what has arrived so far, so it reads until the end; aiohttp's read raises
    once a body is known to be cut short and then hides what was buffered, which is kept anyway."""
    chunks: list[bytes] = []
    total = 0
    deadline = time.monotonic() + timeout
    try:
        while total <= cap:
            chunk = await asyncio.wait_for(request.content.read(cap + 1 - total),
                                           max(0.1, deadline - time.monotonic()))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except asyncio.CancelledError:
        raise
    except HttpProcessingError as exc:  # the chunked framing broke mid-body: bad HTTP, not a lost connection
        data = b"".join(chunks + _unread(request.content))
        return Body(data[:cap], len(data) > cap, None, f"{type(exc).__name__}: {exc.message}"[:300],
                    len(data), request.content_length)
    except Exception as exc:  # a timeout, a reset, or the payload error of a body cut short
        data = b"".join(chunks + _unread(request.content))
        error: str | None = repr(exc)
    else:
        data, error = b"".join(chunks), None
    announced = request.content_length
    if len(data) > cap or (announced is not None and len(data) >= announced):
        error = None  # over the cap (the rest is not read), or every announced byte arrived
    elif announced is not None and error is None:
        error = f"the body ended after {len(data)} of {announced} bytes"
    return Body(data[:cap], len(data) > cap, error, None, len(data), announced)


def _unread(stream: Any) -> list[bytes]:
    """What an aiohttp stream had buffered when it failed. aiohttp keeps no public way to it, hence the
    guarded private access; nothing is lost when the attributes are absent."""
    buf = getattr(stream, "_buffer", None)
    if not buf:
        return []
    parts = [bytes(b) for b in buf]
    parts[0] = parts[0][int(getattr(stream, "_buffer_offset", 0) or 0):]
    return parts
