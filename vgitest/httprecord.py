"""aiohttp's server protocol with the socket's view kept: every byte both ways (for pcapng evidence), the
time the last byte of a request arrived (for latencies measured at the socket), and the TLS session as the
connection began (a client may close right after its request, and aiohttp then forgets the transport).

Shared by the HTTP fakes (the OpenADR VTN, the IEEE 2030.5 server)."""

from __future__ import annotations

import asyncio
from typing import Any, Callable

from aiohttp.web_protocol import RequestHandler

from .trace import Direction, now
from .wire import WireLog


class RecordingHandler(RequestHandler):
    """aiohttp's request handler that also keeps every byte (for pcapng) and the time the last one arrived."""

    __slots__ = ("_vgi_wire", "_vgi_rx", "_vgi_on_connect", "vgi_ssl_object", "vgi_tag")

    def __init__(self, *args: Any, on_connect: Callable[[asyncio.BaseTransport], WireLog], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._vgi_on_connect = on_connect
        self._vgi_rx = now()
        self.vgi_ssl_object: Any = None
        self.vgi_tag: Any = None  # the owner's label for this connection (e.g. which certificate it was served)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        wire = self._vgi_wire = self._vgi_on_connect(transport)
        # kept: a VEN may close the connection right after its request, and aiohttp then forgets the transport
        self.vgi_ssl_object = transport.get_extra_info("ssl_object")
        write = transport.write  # type: ignore[attr-defined]

        def _write(data: bytes) -> None:
            t, w = now()
            wire.add(t, w, Direction.OUT, bytes(data))
            write(data)

        transport.write = _write  # type: ignore[attr-defined]
        super().connection_made(transport)

    def data_received(self, data: bytes) -> None:
        t = self._vgi_rx = now()
        self._vgi_wire.add(t[0], t[1], Direction.IN, data)
        super().data_received(data)
