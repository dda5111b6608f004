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
