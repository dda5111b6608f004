"""Push delivery: the fake VTN POSTs its payloads to the address a push VEN registered.

In the 2.0b push exchange the VTN is the HTTP client: it POSTs a payload to the VEN's
``oadrTransportAddress`` + ``/<service>``, and the VEN answers in the HTTP response, either with the payload
that acknowledges it (``oadrCreatedReport`` for ``oadrCreateReport``, ...) or, for ``oadrDistributeEvent``, with
a bare HTTP 200, sending its ``oadrCreatedEvent`` later as a request of its own. Both halves become frames in
the trace: the VTN's request (OUT, kind REQUEST) and the VEN's answer (IN, kind RESPONSE), with the bytes
and the socket times, so the same expectations and checks apply as in pull mode.
"""

from __future__ import annotations

import asyncio
import itertools
import ssl
from typing import TYPE_CHECKING, Any

import aiohttp

from ..findings import Finding
from ..httprecord import RecordingClient, recording_session
from ..trace import Direction, Frame, now
from . import codec, rules as r

if TYPE_CHECKING:
    from .vtn import FakeVtn

SERVICE_OF_PUSH = {  # which of the VEN's endpoints each VTN payload goes to
    "oadrDistributeEvent": "EiEvent", "oadrCreateReport": "EiReport", "oadrCancelReport": "EiReport",
    "oadrRegisterReport": "EiReport", "oadrUpdateReport": "EiReport", "oadrRequestReregistration": "EiRegisterParty",
    "oadrCancelPartyRegistration": "EiRegisterParty", "oadrCreatedOpt": "EiOpt", "oadrCanceledOpt": "EiOpt",
}
# What the VEN may answer in the HTTP response to each pushed payload; None: an empty body
ANSWERS: dict[str, tuple[str | None, ...]] = {
    "oadrDistributeEvent": (None, "oadrResponse"), "oadrCreateReport": ("oadrCreatedReport",),
    "oadrCancelReport": ("oadrCanceledReport",), "oadrRegisterReport": ("oadrRegisteredReport",),
    "oadrUpdateReport": ("oadrUpdatedReport",), "oadrRequestReregistration": ("oadrResponse",),
    "oadrCancelPartyRegistration": ("oadrCanceledPartyRegistration",),
}


class PushClient:
    """The fake VTN's HTTP client for a push VEN. Pushes go out one at a time, in the order queued."""

    def __init__(self, vtn: "FakeVtn", *, ssl_context: ssl.SSLContext | None = None, timeout_s: float = 10.0) -> None:
        self.vtn = vtn
        self.ssl_context = ssl_context
        self.timeout_s = timeout_s
        self._http: aiohttp.ClientSession | None = None
        self._lock: asyncio.Lock | None = None
        self._exchange = itertools.count(1)
        self._conn = itertools.count(1)

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = recording_session(ssl_context=self.ssl_context, wires=self.vtn.wires, counter=self._conn,
                                           label="push", timeout_s=self.timeout_s)
        return self._http

    async def push(self, address: str, name: str, body: dict, seq: int) -> Frame:
        """POST `name` to the VEN; returns the frame of the VEN's answer (which may say it never came)."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            return await self._push(address, name, body, seq)

    async def probe(self, address: str, name: str, body: dict, ssl_context: ssl.SSLContext) -> Frame:
        """One push over a connection made with another TLS context (a rogue certificate, say), for the security
        tests: whether the VEN accepts it is for the test to judge, so the answer frame carries no finding."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            saved = self.ssl_context
            await self.close()
            self.ssl_context = ssl_context
            try:
                return await self._push(address, name, body, 0, probe=True)
            finally:
                await self.close()
                self.ssl_context = saved

    async def _push(self, address: str, name: str, body: dict, seq: int, *, probe: bool = False) -> Frame:
        vtn = self.vtn
        service = SERVICE_OF_PUSH.get(name, "EiEvent")
        url = f"{address.rstrip('/')}/{service}"
        raw = codec.encode(name, body, names=vtn.names)
        exchange = f"p{next(self._exchange)}"
        t_ns, wall = now()
        out = vtn.trace.append(Frame(t_ns, wall, Direction.OUT, "openadr", "2.0b", url, "REQUEST", name, exchange,
                                     raw, body, meta={"method": "POST", "url": url, "service": service,
                                                      "pushed": True, "seq": seq}))
        meta: dict[str, Any] = {"url": url, "pushed": True, **({"probe": True} if probe else {})}
        data = b""
        proto: RecordingClient | None = None
        try:
            async with self._session().post(url, data=raw, headers={"Content-Type": "application/xml"}) as resp:
                conn = resp.connection
                proto = conn.protocol if conn is not None else None  # type: ignore[assignment]
                data, truncated = await self._read(resp)
                meta.update(status=resp.status, content_type=resp.headers.get("Content-Type", ""),
                            truncated=truncated)
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError, ssl.SSLError) as exc:
            meta["error"] = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        rx = proto.vgi_rx if isinstance(proto, RecordingClient) else now()
        tx = proto.vgi_tx if isinstance(proto, RecordingClient) else (t_ns, wall)
        if "status" in meta:
            meta["latency_ms"] = round((rx[0] - max(tx[0], t_ns)) / 1e6, 3)
        frame = Frame(rx[0], rx[1], Direction.IN, "openadr", "2.0b", url, "RESPONSE", None, exchange, data, None,
                      meta=meta)
        problems = self._judge(name, frame, data)
        if probe:
            problems = [p for p in problems if p[0] != r.PUSH_RESPONSE]
        vtn.trace.append(frame)
        for f in frame.findings:
            f.frame_index = frame.index
        for rule_id, text in problems:
            frame.findings.append(Finding.of(rule_id, text, frame.index))
        if not problems and frame.meta.get("status") == 200 and not probe:
            frame.meta["delivered"] = seq
        out.meta["answered_by"] = frame.index
        if "status" in meta:
            out.meta["status"] = meta["status"]  # what the VEN made of it (the trace checks count 200 as delivered)
        return frame

    async def _read(self, resp: aiohttp.ClientResponse) -> tuple[bytes, bool]:
        cap = self.vtn.max_body_bytes * 4
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

    def _judge(self, name: str, frame: Frame, data: bytes) -> list[tuple[str, str]]:
        """Decode the VEN's answer and say what is wrong with it (never raises)."""
        meta = frame.meta
        if "error" in meta:
            frame.name = "(no answer)"
            return [(r.PUSH_RESPONSE, f"the VEN did not answer the pushed {name} at {meta['url']}: {meta['error']}")]
        problems: list[tuple[str, str]] = []
        status = meta["status"]
        if status != 200:
            problems.append((r.PUSH_RESPONSE, f"the VEN answered the pushed {name} with HTTP {status}, not 200"))
        allowed = ANSWERS.get(name, (None, "oadrResponse"))
        if not data.strip():
            frame.name = "(empty)"
            if None not in allowed and status == 200:
                problems.append((r.PUSH_RESPONSE, f"the VEN answered the pushed {name} with an empty body; it must "
                                 f"answer with {' or '.join(a for a in allowed if a)}"))
            return problems
        vtn = self.vtn
        decoded = codec.decode(data, max_bytes=vtn.max_body_bytes, names=vtn.names)
        problems += decoded.problems
        frame.name = decoded.name or ("(malformed)" if decoded.doc is None else "(not an oadrPayload)")
        frame.body = decoded.body
        if decoded.doc is not None and vtn.validator is not None:
            frame.findings.extend(vtn.validator.validate(decoded.doc, frame_index=None))
        if decoded.name is not None and decoded.name not in allowed:
            expected = " or ".join("an empty body" if a is None else a for a in allowed)
            problems.append((r.PUSH_RESPONSE, f"the VEN answered the pushed {name} with {decoded.name}; expected "
                             f"{expected}"))
        return problems
