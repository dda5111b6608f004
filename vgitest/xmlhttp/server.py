"""The life cycle of an XML-over-HTTP fake server (aiohttp on a background loop), with every connection and
request recorded: bytes for pcapng, socket times for latencies, refused TLS handshakes and requests that are
not HTTP as frames of their own. A protocol's server subclasses :class:`XmlHttpServer` and writes only what its
protocol defines: how a request is judged and answered (`_handle`, `_bad_http`) and what its URL is."""

from __future__ import annotations

import abc
import asyncio
import itertools
import logging
import ssl
from typing import Any

from aiohttp import web

from .. import tlsutil
from ..findings import Finding
from ..httprecord import RAW_KEPT, BadHttp, Body, RecordingHandler, accepted_wire
from ..loop import BackgroundLoop
from ..trace import Direction, Frame, Trace, now
from ..wire import WireLog


class XmlHttpServer(abc.ABC):
    """Start/stop, TLS (and swapping its certificate), recorded connections, marks in the trace.

    Subclasses set the class attributes below and implement `_handle` (an aiohttp handler for every path)
    and `_bad_http` (the answer to a request the HTTP parser refused); hooks: `_make_validator` (at start),
    `_started` (on the loop, once listening) and `_closing` (on the loop, before the listener closes)."""

    protocol = ""  # a frame's protocol and version, e.g. "openadr", "2.0b"
    version = ""
    loop_name = "vgitest-http"  # the background loop's thread
    wire_label = "http"  # connection logs are named <wire_label>-<n>
    exchange_prefix = "h"  # request correlations are <exchange_prefix><n>
    # close a connection accepted under a certificate that `set_tls` has since replaced (its handshake ends
    # after the swap): every request is then known to have seen the current certificate
    close_stale_tls = False

    session: Any  # the test-facing session (it has a `cursor`)

    def _init_server(self, *, host: str, port: int, ssl_context: ssl.SSLContext | None, trace: Trace | None,
                     max_body_bytes: int) -> None:
        self.host, self.port = host, port
        self.ssl_context = ssl_context
        self.trace = trace or Trace()
        self.wires: list[WireLog] = []
        self.max_body_bytes = max_body_bytes
        self.connection_attempts = 0  # TCP connections accepted (with or without a completed TLS handshake)
        self.tls_generation = 0  # counts set_tls calls; a connection is tagged with the one it was accepted in
        self._transports: set[asyncio.BaseTransport] = set()
        self._validator: Any = None
        self._exchange = itertools.count(1)
        self._conn = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._server: asyncio.base_events.Server | None = None
        self.loop: BackgroundLoop | None = None

    # hooks ----------------------------------------------------------------------------------------------
    def _make_validator(self) -> Any:
        """The schema validator, made at start so a missing schema fails there; None: no validation."""
        return None

    async def _started(self) -> None:
        """On the loop, once the server listens."""

    async def _closing(self) -> None:
        """On the loop, before the listener closes (outbound clients close here)."""

    @abc.abstractmethod
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        """Answer one request (the protocol's own handling)."""

    @abc.abstractmethod
    def _bad_http(self, bad: BadHttp) -> web.Response:
        """A request that is not HTTP/1.1 (refused by the parser): a frame with its bytes, a finding, and the
        answer HTTP defines, all in the trace."""

    # lifecycle ------------------------------------------------------------------------------------------
    def start(self) -> Any:
        self._validator = self._make_validator()
        self.loop = BackgroundLoop(self.loop_name)
        self.loop.run(self._start())
        return self

    async def _start(self) -> None:
        app = web.Application(client_max_size=self.max_body_bytes * 4)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await self._listen()
        await self._started()

    async def _listen(self) -> None:
        assert self._runner is not None and self._runner.server is not None
        runner_server = self._runner.server
        if self.ssl_context is not None:
            tlsutil.record_handshake_failures(self.ssl_context, self._handshake_failed)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: self._protocol(runner_server), self.host, self.port,
                                                ssl=self.ssl_context, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    def set_tls(self, ssl_context: ssl.SSLContext) -> None:
        """Serve with another certificate (chain) from now on, on the same port; open connections are closed,
        so the device's next request needs a new handshake. For the security tests (an untrusted, expired or
        differently deep chain)."""
        async def _swap() -> None:
            assert self._server is not None
            self._server.close()
            for tr in list(self._transports):
                tr.close()
            await self._server.wait_closed()
            self.ssl_context = ssl_context
            self.tls_generation += 1
            await self._listen()

        assert self.loop is not None
        self.loop.run(_swap(), timeout=10)

    def stop(self) -> None:
        if self.loop is None:
            return

        async def _close() -> None:
            await self._closing()
            if self._server is not None:
                self._server.close()
            if self._runner is not None:
                await self._runner.cleanup()

        try:
            self.loop.run(_close(), timeout=8)
        except Exception:
            logging.getLogger(type(self).__module__).exception("closing the %s server", self.protocol)
        self.loop.stop()
        self.loop = None

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def validator(self) -> Any:
        return self._validator

    def begin_body(self, index: int) -> None:
        """A case's body starts at trace `index`: the session's waits look from there on."""
        self.session.cursor = max(self.session.cursor, index)

    def note(self, text: str) -> Frame:
        """A mark in the trace (kind MARK), e.g. that the test made the device restart."""
        t, w = now()
        return self.trace.append(Frame(t, w, Direction.OUT, self.protocol, self.version, "harness", "MARK", text))

    # connections ----------------------------------------------------------------------------------------
    def _protocol(self, server: web.Server) -> Any:
        """aiohttp's protocol, with the raw bytes and arrival time recorded at the socket. asyncio makes it
        when it accepts a connection, before any TLS handshake: the count of attempts includes connections
        a device ended during the handshake (which a server does not always see as an error)."""
        self.connection_attempts += 1
        generation = self.tls_generation
        handler = RecordingHandler(server, loop=asyncio.get_running_loop(), **getattr(server, "_kwargs", {}),
                                   on_connect=lambda tr: self._connected(tr, generation),
                                   on_bad_http=self._bad_http, wire_cap=self.max_body_bytes * 4 + RAW_KEPT)
        handler.vgi_tag = generation  # which certificate this connection was served
        return handler

    def _connected(self, transport: asyncio.BaseTransport, generation: int = 0) -> WireLog:
        wire = accepted_wire(transport, f"{self.wire_label}-{next(self._conn)}", self.wires)
        self._transports = {t for t in self._transports if not t.is_closing()}
        self._transports.add(transport)
        if self.close_stale_tls and generation != self.tls_generation:
            transport.close()  # accepted before a certificate swap, handshake done after: not kept
        return wire

    def _handshake_failed(self, exc: ssl.SSLError) -> None:
        """A refused TLS handshake: no request ever reaches the server, so it is kept as a frame of its own."""
        t, w = now()
        self.trace.append(Frame(t, w, Direction.IN, self.protocol, self.version, "tls", "TLS", "(handshake refused)",
                                meta={"tls_error": tlsutil.describe_handshake_error(exc), "error": str(exc)}))

    # the exchange ---------------------------------------------------------------------------------------
    def _exchange_id(self) -> str:
        return f"{self.exchange_prefix}{next(self._exchange)}"

    def _request_frame(self, request: web.Request, raw: bytes, name: str | None, exchange: str,
                       meta: dict[str, Any]) -> Frame:
        """The IN frame of a request, stamped with the arrival of its last byte; the TLS session (described by
        `_describe_tls`) in meta["tls"]."""
        t_ns, wall = getattr(request.protocol, "_vgi_rx", None) or now()
        ssl_obj = getattr(request.protocol, "vgi_ssl_object", None)
        if ssl_obj is not None:
            meta["tls"] = self._describe_tls(ssl_obj)
        return Frame(t_ns, wall, Direction.IN, self.protocol, self.version, meta["peer"], "REQUEST", name, exchange,
                     raw, None, meta=meta)

    @abc.abstractmethod
    def _describe_tls(self, ssl_obj: Any) -> dict[str, Any]:
        """What a request frame keeps of its connection's TLS session (plain JSON)."""

    def _malformed_body(self, frame: Frame, body: Body, rule_id: str) -> None:
        """The chunked framing broke mid-body: the frame is kept with the finding (bad HTTP, answered 400)."""
        frame.meta["http_error"] = body.malformed
        self.trace.append(frame)
        frame.findings.append(Finding.of(rule_id, f"the body's framing is not valid HTTP/1.1: {body.malformed}",
                                         frame.index))

    def _answer_frame(self, request: Frame, name: str, data: bytes, body: Any, meta: dict[str, Any]) -> Frame:
        """The OUT frame of the answer to `request`, with the harness's own latency (request to answer)."""
        t_ns, wall = now()
        meta["harness_latency_us"] = round((t_ns - request.t_ns) / 1000, 1)
        return self.trace.append(Frame(t_ns, wall, Direction.OUT, self.protocol, self.version, request.connection,
                                       "RESPONSE", name, request.correlation, data, body, meta=meta))
