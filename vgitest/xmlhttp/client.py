"""The outbound half of an XML-over-HTTP fake: POSTing to the device under test (OpenADR push, 2030.5
notifications), with the socket's view kept.

A client gets an :class:`Outbound`, the narrow part of its owner it needs (the trace to write frames to,
the list of connection logs, its TLS context, its timeout, how much of an answer to keep), never the owner
itself: so a sender cannot reach back into the server, and the import graph has no circle."""

from __future__ import annotations

import asyncio
import dataclasses
import ssl
from typing import Any, Callable

import aiohttp

from ..httprecord import RecordingClient
from ..trace import Trace, now
from ..wire import WireLog


@dataclasses.dataclass
class Outbound:
    """What an outbound client needs: where its frames and connection logs go, its TLS context (None: plain
    HTTP only), the bound on one exchange, and the bytes of an answer it keeps."""

    trace: Trace
    wires: list[WireLog]
    ssl_context: ssl.SSLContext | None = None
    timeout_s: float = 10.0
    max_body_bytes: int = 1 << 20


@dataclasses.dataclass
class Answer:
    """The device's answer to one POST: status and body, or `error` (with `stage` "connect" when the device was
    never reached: refused, TLS failure, connect timeout; "answer" when it was, but did not answer in time)."""

    status: int | None = None
    content_type: str = ""
    data: bytes = b""
    truncated: bool = False
    error: str | None = None
    stage: str | None = None
    rx: tuple[int, float] = dataclasses.field(default_factory=now)  # the socket time of the answer's last byte
    latency_ms: float | None = None  # from the request's last byte to the answer's


CONNECT_ERRORS = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)
ANSWER_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, OSError, ssl.SSLError)


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


async def read_capped(resp: aiohttp.ClientResponse, cap: int) -> tuple[bytes, bool]:
    """The answer's body, at most `cap` bytes (one more is read to tell it was longer: truncated)."""
    chunks: list[bytes] = []
    total = 0
    while total <= cap:
        chunk = await resp.content.read(cap + 1 - total)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    data = b"".join(chunks)
    return data[:cap], len(data) > cap


async def post(http: aiohttp.ClientSession, url: str, raw: bytes, *, content_type: str, cap: int, sent_ns: int,
               served_by: Callable[[], RecordingClient | None] | None = None) -> Answer:
    """POST `raw` and read the answer; never raises for what the device does. `sent_ns`: when the request
    frame was made (the latency counts from the later of it and the last byte written). `served_by`: the
    connection that carried the request, where aiohttp may release it before the answer is seen (a session
    with one connection at a time reports each new one)."""
    answer = Answer()
    proto: Any = None
    try:
        async with http.post(url, data=raw, headers={"Content-Type": content_type}) as resp:
            conn = resp.connection
            proto = conn.protocol if conn is not None else None
            answer.data, answer.truncated = await read_capped(resp, cap)
            answer.status, answer.content_type = resp.status, resp.headers.get("Content-Type", "")
    except CONNECT_ERRORS as exc:
        answer.error, answer.stage = describe(exc), "connect"
    except ANSWER_ERRORS as exc:
        answer.error, answer.stage = describe(exc), "answer"
    if served_by is not None:
        proto = served_by()
    if not isinstance(proto, RecordingClient):
        proto = None
    answer.rx = proto.vgi_rx if proto is not None and answer.status is not None else now()
    if answer.status is not None:
        tx_ns = proto.vgi_tx[0] if proto is not None else sent_ns
        answer.latency_ms = round((answer.rx[0] - max(tx_ns, sent_ns)) / 1e6, 3)
    return answer
