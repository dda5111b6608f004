"""The shared recording HTTP client: what a fake POSTs to a DUT lands byte for byte in a WireLog named after
its use, with the socket times of the last write and read (the 2030.5 notifications and OpenADR pushes rely
on it for their evidence and latencies)."""

from __future__ import annotations

import asyncio
import itertools

from aiohttp import web

from vgitest.httprecord import RecordingClient, recording_session
from vgitest.trace import Direction
from vgitest.wire import WireLog


def test_a_recorded_post_keeps_both_directions_and_times() -> None:
    async def scenario() -> tuple[list[WireLog], int, bool]:
        async def answer(request: web.Request) -> web.Response:
            return web.Response(status=201, body=b"ok:" + await request.read())

        app = web.Application()
        app.router.add_post("/ntfy", answer)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        wires: list[WireLog] = []
        made: list[RecordingClient] = []
        http = recording_session(ssl_context=None, wires=wires, counter=itertools.count(1), label="notify",
                                 timeout_s=5, made=made.append)
        try:
            async with http.post(f"http://127.0.0.1:{port}/ntfy", data=b"<x/>") as resp:
                await resp.read()
                ordered = len(made) == 1 and made[0].vgi_tx[0] <= made[0].vgi_rx[0]
                return wires, resp.status, ordered
        finally:
            await http.close()
            await runner.cleanup()

    wires, status, ordered = asyncio.run(scenario())
    assert status == 201 and ordered
    assert [w.connection for w in wires] == ["notify-1"] and not wires[0].tls
    out = b"".join(c.data for c in wires[0].chunks if c.direction is Direction.OUT)
    back = b"".join(c.data for c in wires[0].chunks if c.direction is Direction.IN)
    assert out.startswith(b"POST /ntfy HTTP/1.1") and out.endswith(b"<x/>")
    assert back.startswith(b"HTTP/1.1 201") and back.endswith(b"ok:<x/>")


class _Stream:
    """An aiohttp-like body stream: hands out `parts`, then raises `fail` (if any) instead of ending."""

    def __init__(self, parts: list[bytes], fail: Exception | None) -> None:
        self.parts, self.fail, self._buffer = list(parts), fail, []

    async def read(self, n: int) -> bytes:
        if self.parts:
            return self.parts.pop(0)
        if self.fail is not None:
            raise self.fail
        return b""


class _Request:
    def __init__(self, parts: list[bytes], announced: int | None, fail: Exception | None = None) -> None:
        self.content, self.content_length = _Stream(parts, fail), announced


def test_read_body_judges_completeness_by_the_bytes_that_arrived() -> None:
    import asyncio

    from vgitest.httprecord import read_body

    def read(req: _Request) -> object:
        return asyncio.run(read_body(req, cap=1000, timeout=1))

    whole = read(_Request([b"<a>", b"</a>"], 7))
    assert whole.data == b"<a></a>" and whole.error is None
    reset_after_all = read(_Request([b"<a></a>"], 7, ConnectionResetError("lost")))  # a reset after the body
    assert reset_after_all.data == b"<a></a>" and reset_after_all.error is None
    reset_half_way = read(_Request([b"<a>"], 7, ConnectionResetError("lost")))
    assert reset_half_way.data == b"<a>" and "ConnectionResetError" in str(reset_half_way.error)
    ended_early = read(_Request([b"<a>"], 7))
    assert ended_early.error == "the body ended after 3 of 7 bytes"
    too_long = read(_Request([b"x" * 1500], None))
    assert too_long.truncated and len(too_long.data) == 1000 and too_long.error is None


def test_a_body_past_the_cap_is_too_large_not_cut_short() -> None:
    """Issue 13: the read stops one byte past the cap; that is a body too large (with its announced size),
    not a connection that ended before its Content-Length."""
    import asyncio

    from vgitest.httprecord import read_body

    over = asyncio.run(read_body(_Request([b"x" * 600, b"x" * 600], 5 << 20), cap=1000, timeout=1))
    assert over.truncated and over.error is None and len(over.data) == 1000 and over.announced == 5 << 20
    assert str(5 << 20) in over.too_large(100)


def test_what_the_parser_refused_gets_the_status_http_defines() -> None:
    from aiohttp.http_exceptions import BadHttpMessage, LineTooLong

    from vgitest.httprecord import classify

    assert classify(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", BadHttpMessage("x"))[0] == 505
    assert classify(b"GET / HTTP/1.1\r\nX: " + b"a" * 9000, LineTooLong("header", "8190"))[0] == 431
    assert classify(b"GET /" + b"a" * 9000, LineTooLong("line", "8190"))[0] == 414
    status, reason = classify(bytes.fromhex("16030100c4"), BadHttpMessage("x"))
    assert status == 400 and "TLS" in reason
