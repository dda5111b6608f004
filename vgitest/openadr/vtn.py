"""The fake VTN: an aiohttp server that plays the OpenADR 2.0b VTN for a VEN under test.

Every HTTP exchange becomes two frames in the trace (the VEN's request and the VTN's answer) with the raw
bytes, the socket arrival time and the findings of the automatic checks. Tests speak to it through a
synchronous :class:`VenSession` (``expect``, ``queue`` for the next poll, overrides, raw answers), like the
fake CSMS's StationSession.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
import ssl
from collections import deque
from pathlib import Path
from typing import Any, Callable

from aiohttp import web

from ..budgets import Budgets
from ..httprecord import BadHttp, bad_http_frame, read_body
from ..findings import Finding, Severity
from ..evidence.allure import attach_frames, step
from ..expect import Match, PeerSession, exchange_of, matches, summary
from ..trace import Direction, Frame, Trace
from ..verdict import HarnessError, Inconclusive
from ..xmlhttp.client import Outbound
from ..xmlhttp.server import XmlHttpServer
from . import codec, messages as m, rules as r, security, signature
from .handlers import SERVICE_OF, VEN_PAYLOADS, Reply, VtnState, default_answer, note_delivery
from .push import PushClient

log = logging.getLogger("vgitest.openadr.vtn")
PATH_PREFIX = "/OpenADR2/Simple/2.0b"
SERVICES = ("EiRegisterParty", "EiEvent", "EiReport", "EiOpt", "OadrPoll")
SENT = ("REQUEST", "RESPONSE")  # IN frames: what the VEN sent as a request, or in its answer to a push
XML_TYPES = ("application/xml", "text/xml")


@dataclasses.dataclass
class Raw:
    """An answer sent exactly as given (for negative tests): body bytes, HTTP status, content type."""

    body: bytes
    status: int = 200
    content_type: str = "application/xml"
    broken: str | None = None  # sent broken on purpose (a fuzz case's mutation): no delivery the VEN must act on


@dataclasses.dataclass
class Delay:
    """Answer after `seconds` (the default answer, or `then`)."""

    seconds: float
    then: Any = None


Answer = Any  # (name, body) | Reply | Raw | Delay | Callable[[Frame], Answer] | None (use the default)


class VenSession(PeerSession):
    """The test's handle on the VEN under test: what it sent, what the VTN answers and delivers.

    Per test: `override(payload, answer, once=...)` answers the VEN's `payload` with `answer` instead of the
    default; `forbid(payload, reason)` fails the test (OADR-FORBIDDEN-MESSAGE) if the VEN sends it."""

    expected_rule, forbidden_rule, who = r.EXPECTED_MESSAGE, r.FORBIDDEN_MESSAGE, "the VEN"
    background = True  # pushes

    def __init__(self, vtn: "FakeVtn") -> None:
        self._init_session(vtn)
        self.vtn = vtn
        self.outbox: deque[tuple[str, dict, int]] = deque()
        self._seq = itertools.count(1)
        self._last_queued = 0
        self._queued_at = 0
        self._last_name: str | None = None  # the last queued payload and whether it was pushed (for its step)
        self._last_pushed = False

    # configuration per test ----------------------------------------------------------------------------
    def reset_for_test(self) -> None:
        """Per-test behaviour back to defaults. The registration, reports and opts persist (like a real VTN's
        database); the events are each test's own, so a test's distributes carry only its events."""
        self._reset_session()
        self.outbox.clear()
        self.vtn.state.events.clear()

    def queue(self, name: str, body: dict) -> int:
        """Deliver `name` to the VEN; returns its delivery number (see `wait_delivered`).

        A pull VEN gets it in answer to its next oadrPoll; a push VEN (registered with oadrHttpPullModel=false)
        gets it POSTed to its oadrTransportAddress right away. So a scenario reads the same for both."""
        self._last_name, self._last_pushed = name, self.vtn.pushes
        if self.vtn.pushes:
            self._queued_at = len(self.vtn.trace)
            self._last_queued = next(self._seq)
            self.vtn.push(name, body, self._last_queued)
            return self._last_queued
        if not self.outbox:
            self._queued_at = len(self.vtn.trace)
        self._last_queued = next(self._seq)
        self.outbox.append((name, body, self._last_queued))
        return self._last_queued

    @property
    def state(self) -> VtnState:
        return self.vtn.state

    @property
    def ven_id(self) -> str | None:
        return self.vtn.state.ven_id

    @property
    def registered(self) -> bool:
        return self.vtn.state.registration_id is not None

    # waiting -------------------------------------------------------------------------------------------
    def frames(self, since: int | None = None) -> list[Frame]:
        return self.vtn.trace.since(self.cursor if since is None else since)

    def expect(self, payload: str, timeout: float = 10.0, match: Match = None, *, fresh: bool = False) -> Frame:
        """Wait for the VEN to send `payload` (optionally matching a partial body, see
        :func:`vgitest.expect.matches`); consume it.

        Searches from the session cursor, so a payload that arrived just before the call is found; raises
        NonConformance (OADR-EXPECTED-MESSAGE) on timeout."""
        return self._expect(payload, _sent(payload, match), timeout, match, start=self._start(fresh),
                            received=lambda start: summary(f.name or f.kind for f in self.vtn.trace.since(start)
                                                           if f.direction is Direction.IN))

    def expect_none(self, payload: str, within: float, match: Match = None) -> None:
        """Fail (OADR-FORBIDDEN-MESSAGE) if the VEN sends `payload` within `within` seconds from now."""
        self._expect_none(payload, _sent(payload, match), within)

    def probe_push(self, name: str, body: dict, ssl_context: ssl.SSLContext, timeout: float = 15.0) -> Frame:
        """Push `name` over a new connection made with `ssl_context` (e.g. a rogue VTN certificate) and return
        the frame of the VEN's answer; a refused handshake shows as name "(no answer)" with meta "error"."""
        if self.vtn.loop is None:
            raise HarnessError("the fake VTN is not started")
        if not self.vtn.state.transport_address:
            raise Inconclusive("the VEN gave no oadrTransportAddress: it is not registered for push delivery")
        with step(f"push {name} -> VEN over a new connection with another TLS identity"):
            start = len(self.vtn.trace)
            answer = self.vtn.loop.run(self.vtn.push_client.probe(self.vtn.state.transport_address, name, body,
                                                                  ssl_context), timeout=timeout)
            attach_frames(exchange_of(self.vtn.trace, answer, start), "request and answer")
        self.shown(answer)
        return answer

    def wait_delivered(self, timeout: float) -> Frame | None:
        """Wait until the VEN has the last queued payload: the poll answer that carried it (pull), or the VEN's
        HTTP 200 answer to the push (a push it refused or left unanswered never counts as delivered).

        One Allure step with the exchange that carried it (the push and the VEN's answer, or the VEN's oadrPoll
        and the VTN's answer), failed when it was not delivered: the push runs on the VTN's loop, where no step
        can be opened, so the step is made here, where the test waits for it."""
        last, start, name, pushed = self._last_queued, self._queued_at, self._last_name, self._last_pushed

        def carried(f: Frame) -> bool:
            return f.meta.get("delivered") == last

        title = f"push {name} -> VEN" if pushed else f"deliver {name} -> VEN in the answer to its next oadrPoll"
        with step(title if name else "deliver (nothing queued) -> VEN") as outcome:
            frame = self.vtn.trace.wait_for(carried, start, timeout)
            if frame is not None:
                attach_frames(exchange_of(self.vtn.trace, frame, start), "request and answer")
            elif pushed:
                attach_frames(self._push_frames(last, start), "request and answer")
            if frame is None:
                outcome.failed(self._undelivered(name, pushed, last, start, timeout))
        for f in self._push_frames(last, start)[1:] if pushed else []:
            self.shown(f)
        return frame

    def _background_answer(self, frame: Frame) -> bool:
        return frame.direction is Direction.IN and frame.kind == "RESPONSE" and bool(frame.meta.get("pushed"))

    def _background_step(self, push: Frame | None, answer: Frame) -> tuple[str, str | None]:
        name = push.name if push is not None else "a payload"
        if answer.meta.get("probe"):
            return f"push {name} -> VEN over a new connection with another TLS identity", None
        if "delivered" in answer.meta:
            return f"push {name} -> VEN", None
        return f"push {name} -> VEN", _refused(name, answer)

    def _push_frames(self, seq: int, start: int) -> list[Frame]:
        """The push of delivery `seq` and the VEN's answer to it (none yet: the push alone)."""
        sent = [f for f in self.vtn.trace.since(start)
                if f.direction is Direction.OUT and f.meta.get("pushed") and f.meta.get("seq") == seq]
        if not sent:
            return []
        answers = [f for f in self.vtn.trace.since(sent[0].index) if f.direction is Direction.IN
                   and f.kind == "RESPONSE" and f.correlation == sent[0].correlation]
        return [sent[0], *answers[:1]]

    def _undelivered(self, name: str | None, pushed: bool, seq: int, start: int, timeout: float) -> str:
        """Why the last queued payload did not reach the VEN, in the words of the step that waited for it."""
        if not pushed:
            return f"{name} did not reach the VEN within {timeout:g} s (no oadrPoll answered with it)"
        frames = self._push_frames(seq, start)
        if len(frames) < 2:
            return f"the VEN did not answer the pushed {name} within {timeout:g} s"
        return _refused(name, frames[1])


def _refused(name: str | None, answer: Frame) -> str:
    """Why the VEN's answer to a push is no delivery: the rules it broke, else its HTTP status."""
    said = "; ".join(f.message for f in answer.findings)
    return said or f"the VEN answered the pushed {name} with HTTP {answer.meta.get('status')}"


def _sent(payload: str, match: Match) -> Callable[[Frame], bool]:
    """The frames in which the VEN sent `payload` (as a request, or in its answer to a push) matching `match`."""
    def pred(f: Frame) -> bool:
        return (f.direction is Direction.IN and f.kind in SENT and f.name == payload
                and (match is None or matches(f.body, match)))
    return pred


class FakeVtn(XmlHttpServer):
    """OpenADR 2.0b VTN for a VEN under test (simple HTTP, pull; push delivery to the VEN's address)."""

    protocol, version = "openadr", "2.0b"
    loop_name, wire_label, exchange_prefix = "vgitest-vtn", "http", "h"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, vtn_id: str = "VGI-VTN",
                 ven_id: str = "VGI-VEN-1", poll_freq_s: float = 10.0, path_prefix: str = PATH_PREFIX,
                 ssl_context: ssl.SSLContext | None = None, budgets: Budgets | None = None, lenient: bool = False,
                 schema_path: str | None = None, max_body_bytes: int = codec.DEFAULT_MAX_BODY,
                 fingerprints: security.FingerprintCheck | None = None,
                 trace: Trace | None = None, validate: bool = True,
                 push_ssl_context: ssl.SSLContext | None = None, push_timeout_s: float = 10.0) -> None:
        if poll_freq_s < 1 or float(poll_freq_s) != int(poll_freq_s):
            raise HarnessError(f"poll frequency {poll_freq_s!r} s cannot be granted: 2.0b durations are whole "
                               "seconds (xcal DurationValueType), so use an integer of at least 1")
        self._init_server(host=host, port=port, ssl_context=ssl_context, trace=trace, max_body_bytes=max_body_bytes)
        self.path_prefix = path_prefix.rstrip("/")
        self.budgets = budgets or Budgets.load()
        self.lenient = lenient
        self.schema_path = schema_path
        self.fingerprints = fingerprints  # venID -> certificate fingerprint (checked on every TLS request)
        self.signatures = signature.SignatureCheck()  # XML signatures: policy (run.py sets it) and nonces seen
        self.state = VtnState(vtn_id=vtn_id, assigned_ven_id=ven_id, poll_freq_s=poll_freq_s)
        self.session = VenSession(self)
        self.names = codec.name_map(None if schema_path is None else Path(schema_path))
        self._want_validation = validate
        self.push_client = PushClient(Outbound(self.trace, self.wires, ssl_context=push_ssl_context,
                                               timeout_s=push_timeout_s, max_body_bytes=self.max_body_bytes),
                                      names=self.names, validator=lambda: self._validator)

    # lifecycle ------------------------------------------------------------------------------------------
    def _make_validator(self) -> Any:
        if not self._want_validation:
            return None
        from .validator import OadrValidator
        return OadrValidator(lenient=self.lenient, schema_path=self.schema_path)

    async def _closing(self) -> None:
        await self.push_client.close()

    _describe_tls = staticmethod(security.describe_tls)

    def _bad_http(self, bad: BadHttp) -> web.Response:
        frame = bad_http_frame(self.trace, bad, "openadr", "2.0b", self._exchange_id(), r.HTTP_MALFORMED)
        body = f"{bad.status} {bad.reason}\n".encode()
        self._answer_frame(frame, "(raw)", body, None, {"status": bad.status, "content_type": "text/plain"})
        return web.Response(status=bad.status, body=body, content_type="text/plain")

    @property
    def pushes(self) -> bool:
        """The VEN registered for push delivery (oadrHttpPullModel false, with an address to POST to)."""
        return not self.state.http_pull and bool(self.state.transport_address)

    def push(self, name: str, body: dict, seq: int) -> None:
        """POST `name` to the push VEN now (in the background; the trace shows the request and the answer)."""
        if self.loop is None or not self.state.transport_address:
            raise HarnessError("push without a started VTN and a VEN transport address (push_mode says when)")
        note_delivery(self.state, name, body)
        self.loop.submit(self.push_client.push(self.state.transport_address, name, body, seq))

    @property
    def url(self) -> str:
        """The base URL a VEN is configured with (services are POSTed to url + '/' + service)."""
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://{self.host}:{self.port}{self.path_prefix}"

    # the exchange ---------------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        exchange = self._exchange_id()
        body = await read_body(request, self.max_body_bytes * 4)
        raw, truncated, read_error = body.data, body.truncated, body.error
        meta: dict[str, Any] = {"method": request.method, "path": request.path, "service": self._service(request.path),
                                "content_type": request.headers.get("Content-Type", ""),
                                "content_length": request.headers.get("Content-Length"),
                                "peer": f"{request.remote}", "truncated": truncated}
        if read_error is not None:
            meta["read_error"] = read_error
        frame = self._request_frame(request, raw, None, exchange, meta)
        if body.malformed is not None:  # the chunked framing broke mid-body: bad HTTP, answered 400
            frame.name = "(bad HTTP)"
            self._malformed_body(frame, body, r.HTTP_MALFORMED)
            return self._respond(frame, Raw(f"400 {body.malformed}\n".encode(), 400, "text/plain"))
        if truncated:
            meta["received"], meta["announced"] = body.received, body.announced
        if "read_error" in meta:  # the VEN dropped the connection mid-request: kept as evidence, not judged
            frame.name = "(aborted)"
            self.trace.append(frame)
            return web.Response(status=400)
        answer = self._process(frame, request, body.too_large(self.max_body_bytes) if truncated else None)
        if isinstance(answer, Delay):
            await asyncio.sleep(answer.seconds)
            answer = answer.then if answer.then is not None else self._default(frame)
        return self._respond(frame, answer)

    def _service(self, path: str) -> str | None:
        if not path.startswith(self.path_prefix + "/"):
            return None
        name = path[len(self.path_prefix) + 1:].strip("/")
        return name if name in SERVICES else None

    def _process(self, frame: Frame, request: web.Request, too_large: str | None = None) -> Answer:
        """Decode, check, record the frame; choose the answer. Never raises for bad input. `too_large`: the
        body went past the read cap (only its start was read): that finding, no decoding."""
        problems: list[tuple[str, str]] = []
        meta = frame.meta
        if request.method != "POST":
            problems.append((r.HTTP_METHOD, f"{request.method} {request.path}: only POST is defined"))
        if meta["service"] is None:
            problems.append((r.HTTP_PATH, f"{request.path} is not one of {self.path_prefix}/{{{','.join(SERVICES)}}}"))
        ctype = meta["content_type"].split(";")[0].strip().lower()
        if request.method == "POST" and ctype not in XML_TYPES:
            problems.append((r.CONTENT_TYPE, f"Content-Type is {meta['content_type'] or 'missing'!r}"))
        decoded = codec.Decoded(problems=[(r.BODY_TOO_LARGE, too_large)]) if too_large is not None else \
            codec.decode(frame.raw, max_bytes=self.max_body_bytes, names=self.names) if frame.raw else \
            codec.Decoded(problems=[(r.XML_MALFORMED, "the request has no body")])
        problems += decoded.problems
        frame.name = decoded.name or ("(malformed)" if decoded.doc is None else "(not an oadrPayload)")
        frame.body = decoded.body
        if decoded.doc is not None and self._validator is not None:
            frame.findings.extend(self._validator.validate(decoded.doc, frame_index=None))
        if decoded.name is not None:
            problems += self._payload_problems(decoded.name, meta["service"])
        refused = self.signatures.screen(frame, decoded, self.state, request)  # judged before anyone sees the frame
        self.trace.append(frame)
        for f in frame.findings:
            f.frame_index = frame.index
        for rule_id, text in problems:
            frame.findings.append(Finding.of(rule_id, text, frame.index))
        if decoded.name in self.session.forbidden:
            why = self.session.forbidden[decoded.name]
            frame.findings.append(Finding.of(r.FORBIDDEN_MESSAGE, f"{decoded.name} sent although "
                                             f"{why or 'the scenario forbids it'}", frame.index))
        fatal = any(rid in (r.HTTP_METHOD, r.HTTP_PATH, r.BODY_TOO_LARGE, r.XML_MALFORMED, r.XML_HOSTILE,
                            r.XML_TOO_COMPLEX)
                    for rid, _ in problems) or decoded.name is None
        if fatal:
            status = 405 if any(rid == r.HTTP_METHOD for rid, _ in problems) else \
                404 if any(rid == r.HTTP_PATH for rid, _ in problems) else \
                413 if any(rid == r.BODY_TOO_LARGE for rid, _ in problems) else 400
            return Raw(codec.encode("oadrResponse", m.response("", 454 if status == 400 else status,
                                                               _printable(problems[0][1][:200]) if problems
                                                               else "invalid"),
                                    names=self.names), status)
        invalid = any(f.rule_id == r.SCHEMA and f.severity is Severity.FAIL for f in frame.findings) or \
            any(rid in (r.WRONG_SERVICE, r.UNEXPECTED_PAYLOAD) for rid, _ in problems)
        if invalid:
            request_id = self.state.request_id_of(decoded.body)
            return ("oadrResponse", m.response(request_id, 454, "the payload is not valid OpenADR 2.0b here",
                                               self.state.ven_id))
        if self.fingerprints is not None and self.ssl_context is not None:
            ven_id = self.state.ven_id_of(decoded.body) or self.state.ven_id or self.state.assigned_ven_id
            cert = security.peer_certificate(getattr(request.protocol, "vgi_ssl_object", None))
            reason = self.fingerprints.check(ven_id, cert)
            if reason is not None:
                frame.findings.append(Finding.of(r.TLS_FINGERPRINT, reason, frame.index))
                return ("oadrResponse", m.response(self.state.request_id_of(decoded.body),
                                                   security.FINGERPRINT_MISMATCH_CODE, "certificate does not match "
                                                   "the venID", self.state.ven_id))
        if refused is not None:  # a bad, stale, replayed or owed XML signature
            return refused
        overridden, answer = self.session._take_override(decoded.name)
        if overridden:
            return answer(frame) if callable(answer) else answer
        return self._default(frame)

    def _payload_problems(self, name: str, service: str | None) -> list[tuple[str, str]]:
        if name not in VEN_PAYLOADS:
            return [(r.UNEXPECTED_PAYLOAD, f"{name} is not a payload a VEN sends to a VTN")]
        allowed = SERVICE_OF.get(name, ())
        if service is not None and service not in allowed:
            return [(r.WRONG_SERVICE, f"{name} was posted to {service}; it belongs to {' or '.join(allowed)}")]
        return []

    def _default(self, frame: Frame) -> Answer:
        return default_answer(self.state, self.session, frame)

    def _respond(self, request: Frame, answer: Answer) -> web.Response:
        if answer is None:
            answer = self._default(request)
        delivered = 0
        broken = None
        if isinstance(answer, Raw):
            body, status, ctype, broken = answer.body, answer.status, answer.content_type, answer.broken
        else:
            if isinstance(answer, Reply):
                answer, delivered = (answer.name, answer.body), answer.delivered
            name, payload = answer
            body, status, ctype = codec.encode(name, payload, names=self.names), 200, "application/xml"
        meta: dict[str, Any] = {"status": status, "content_type": ctype}
        if delivered:
            meta["delivered"] = delivered
        if broken:
            meta["broken"] = broken
        decoded = codec.decode(body, max_bytes=len(body) + 1, names=self.names)
        self._answer_frame(request, decoded.name or "(raw)", body, decoded.body, meta)
        return web.Response(body=body, status=status, content_type=ctype.split(";")[0])


def _printable(text: str) -> str:
    """`text` fit for an XML answer: a control character a VEN put in its path (``%00``) is written as an
    escape, since XML cannot carry it and the answer must not fail for it."""
    return "".join(c if c.isprintable() or c in "\t\n" else f"\\x{ord(c):02x}" for c in text)
