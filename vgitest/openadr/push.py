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
from typing import Any, Callable

import aiohttp

from ..findings import Finding
from ..httprecord import recording_session
from ..trace import Direction, Frame, now
from ..xmlhttp.client import Outbound, post
from . import codec, rules as r

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
    """The fake VTN's HTTP client for a push VEN. Pushes go out one at a time, in the order queued.

    It knows of the VTN only what `outbound` holds (trace, connection logs, TLS context, timeout, answer cap),
    the payload names of its schema, and `validator`, which gives the VTN's schema validator (made when the
    VTN starts; None: no validation)."""

    def __init__(self, outbound: Outbound, *, names: codec.NameMap | None = None,
                 validator: Callable[[], Any] = lambda: None) -> None:
        self.outbound = outbound
        self.ssl_context = outbound.ssl_context
        self.timeout_s = outbound.timeout_s
        self.names = names
        self.validator = validator
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
            self._http = recording_session(ssl_context=self.ssl_context, wires=self.outbound.wires,
                                           counter=self._conn, label="push", timeout_s=self.timeout_s)
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
        trace = self.outbound.trace
        service = SERVICE_OF_PUSH.get(name, "EiEvent")
        url = f"{address.rstrip('/')}/{service}"
        raw = codec.encode(name, body, names=self.names)
        exchange = f"p{next(self._exchange)}"
        t_ns, wall = now()
        out = trace.append(Frame(t_ns, wall, Direction.OUT, "openadr", "2.0b", url, "REQUEST", name, exchange,
                                 raw, body, meta={"method": "POST", "url": url, "service": service,
                                                  "pushed": True, "seq": seq}))
        meta: dict[str, Any] = {"url": url, "pushed": True, **({"probe": True} if probe else {})}
        got = await post(self._session(), url, raw, content_type="application/xml",
                         cap=self.outbound.max_body_bytes * 4, sent_ns=t_ns)
        if got.status is not None:
            meta.update(status=got.status, content_type=got.content_type, truncated=got.truncated,
                        latency_ms=got.latency_ms)
        else:
            meta["error"] = got.error
        frame = Frame(got.rx[0], got.rx[1], Direction.IN, "openadr", "2.0b", url, "RESPONSE", None, exchange,
                      got.data, None, meta=meta)
        problems = self._judge(name, frame, got.data)
        if probe:
            problems = [p for p in problems if p[0] != r.PUSH_RESPONSE]
        trace.append(frame)
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
        decoded = codec.decode(data, max_bytes=self.outbound.max_body_bytes, names=self.names)
        problems += decoded.problems
        frame.name = decoded.name or ("(malformed)" if decoded.doc is None else "(not an oadrPayload)")
        frame.body = decoded.body
        validator = self.validator()
        if decoded.doc is not None and validator is not None:
            frame.findings.extend(validator.validate(decoded.doc, frame_index=None))
        if decoded.name is not None and decoded.name not in allowed:
            expected = " or ".join("an empty body" if a is None else a for a in allowed)
            problems.append((r.PUSH_RESPONSE, f"the VEN answered the pushed {name} with {decoded.name}; expected "
                             f"{expected}"))
        return problems
