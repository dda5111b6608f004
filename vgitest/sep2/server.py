"""The fake IEEE 2030.5 server: an aiohttp server (HTTPS with the CSIP suite, or plain HTTP for development)
that plays the utility's 2030.5 server for a DER client under test.

Every HTTP exchange becomes two frames in the trace — the client's request (method, path, query, body) and
the server's answer (status, body, Location) — with the raw bytes, the socket arrival time and the findings
of the automatic checks (media type, safe and well-formed XML, schema, the client's LFDI against its
certificate). Tests shape the server's data and wait on what the client does through :class:`Sep2Session`.
When a subscribed resource changes, the server notifies the client (:mod:`.notify`); those exchanges are
frames too (the Notification OUT, the client's answer IN).
"""

from __future__ import annotations

import dataclasses
import fnmatch
import logging
import ssl
import time
from typing import Any, Callable

from aiohttp import web

from ..findings import Finding, Severity
from ..httprecord import BadHttp, bad_http_frame, read_body
from ..evidence.allure import StepOutcome, attach_frames, step
from ..expect import Match, PeerSession, exchange_of, matches
from ..trace import Direction, Frame, Trace
from ..verdict import HarnessError, Inconclusive
from ..xmlhttp.client import Outbound
from ..xmlhttp.server import XmlHttpServer
from . import checks, codec, handlers, notify, rules as r, security
from . import connection_point, pricing, routes  # noqa: F401  (the CSIP-AUS resources add their routes)
from .namespaces import MEDIA_TYPE
from .resources import Device, Sep2State

log = logging.getLogger("vgitest.sep2.server")
WRITES = ("POST", "PUT")


@dataclasses.dataclass
class Raw:
    """An answer sent exactly as given (negative tests): status, body bytes, headers."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    announce: int | None = None  # a cut answer (fuzz suites): this Content-Length, `body` sent, then the connection
    # is closed (the body ends short)


Answer = Any  # handlers.Reply | Raw | Callable[[Frame], Answer] | None (the default)


class Sep2Session(PeerSession):
    """The test's handle on the client under test: what it requested, and what the server holds. A message
    here is a request: its method and a path glob (see :func:`path_matches`)."""

    expected_rule, forbidden_rule, who = r.EXPECTED_REQUEST, r.FORBIDDEN_REQUEST, "the client"
    background = True  # Notifications

    def __init__(self, server: "FakeSep2Server") -> None:
        self._init_session(server)
        self.server = server

    def reset_for_test(self) -> None:
        self._reset_session()
        self.server.outage_until = 0.0
        self.server.notifier.max_items = None

    @property
    def state(self) -> Sep2State:
        return self.server.state

    # shaping --------------------------------------------------------------------------------------------
    def override(self, method: str, path: str, answer: Answer, *, once: bool = False) -> None:  # type: ignore[override]
        """Answer `method` on paths matching the glob `path` with `answer` instead of the default."""
        super().override((method.upper(), path), answer, once=once)

    def clear_override(self, method: str, path: str) -> None:  # type: ignore[override]
        super().clear_override((method.upper(), path))

    def forbid(self, method: str, path: str, reason: str = "") -> None:  # type: ignore[override]
        """`method` on a path matching the glob `path` is a finding (SEP2-FORBIDDEN-REQUEST) until `allow`."""
        super().forbid((method.upper(), path), reason)

    def allow(self, method: str, path: str) -> None:  # type: ignore[override]
        super().allow((method.upper(), path))

    def _glob_of(self, table: dict, method: str, path: str) -> tuple[str, str] | None:
        """The first (method, glob) of `table` (overrides or forbidden) that `method` on `path` falls under."""
        return next((key for key in table if key[0] == method and path_matches(key[1], path)), None)

    def outage(self, seconds: float, status: int = 500) -> None:
        """Answer every request with `status` for `seconds` (a communication loss the client must ride out)."""
        self.server.outage_status = status
        self.server.outage_until = time.monotonic() + seconds

    # waiting --------------------------------------------------------------------------------------------
    def requests(self, since: int | None = None) -> list[Frame]:
        return [f for f in self.server.trace.since(self.cursor if since is None else since)
                if f.direction is Direction.IN and f.kind == "REQUEST"]

    def expect(self, method: str, path: str, timeout: float = 10.0, match: Match = None, *, fresh: bool = False,
               rule: str = r.EXPECTED_REQUEST) -> Frame:
        """Wait for the client's `method` request on a path matching `path` (see :func:`path_matches`), optionally
        with a body matching `match` (see :func:`vgitest.expect.matches`); consume it. SEP2-EXPECTED-REQUEST on
        timeout (or `rule`, where what was late says more, e.g. SEP2-NOTIFICATION-IGNORED)."""
        return self._expect(f"{method} {path}", _request_pred(method, path, match), timeout, match,
                            start=self._start(fresh), rule=rule,
                            received=lambda start: ", ".join(f"{f.meta['method']} {f.meta['path']}"
                                                             for f in self.requests(start)[-8:]))

    def expect_none(self, method: str, path: str, within: float, match: Match = None) -> None:
        """Fail (SEP2-FORBIDDEN-REQUEST) if the client makes that request within `within` seconds."""
        self._expect_none(f"{method} {path}", _request_pred(method, path, match), within)

    def expect_response(self, subject: str, status: int, timeout: float = 10.0, *,
                        rule: str = r.EXPECTED_REQUEST) -> Frame:
        """Wait for the client's Response with this subject (a DERControl's mRID) and status (1 received,
        2 started, 3 completed, 6 cancelled, 7 superseded, ...)."""
        def match(body: Any) -> bool:
            return isinstance(body, dict) and body.get("subject") == subject and body.get("status") == str(status)

        return self.expect("POST", handlers.RESPONSES, timeout, match, rule=rule)

    # subscriptions and notifications ---------------------------------------------------------------------
    def subscriptions(self, path: str = "**") -> list[dict]:
        """The Subscriptions the server holds (of every client) whose subscribedResource matches the glob."""
        return [sub for _, sub in self._subscribed(path)]

    def _subscribed(self, path: str) -> list[tuple[Device, dict]]:
        return [(dev, sub) for dev in list(self.state.devices.values()) for sub in list(dev.subscriptions.values())
                if path_matches(path, str(sub.get("subscribedResource", "")))]

    def expect_subscription(self, path: str, timeout: float = 10.0) -> dict:
        """Wait until the client holds a Subscription for a resource matching `path` (made now or earlier:
        subscriptions outlive tests); SEP2-SUBSCRIPTION on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.subscriptions(path)
            if found:
                return found[0]
            if time.monotonic() >= deadline:
                held = ", ".join(str(s.get("subscribedResource")) for s in self.subscriptions()) or "none"
                self.fail(r.SUBSCRIPTION, f"no Subscription for {path} within {timeout:g} s; the client holds: "
                          f"{held}", expected=path)
            time.sleep(0.05)

    def notifications(self, path: str = "**", since: int | None = None) -> list[Frame]:
        """The Notifications the server sent (OUT frames) about resources matching `path`, from the cursor on."""
        return [f for f in self.server.trace.since(self.cursor if since is None else since)
                if f.direction is Direction.OUT and f.kind == "REQUEST" and f.meta.get("notification")
                and path_matches(path, str(f.meta.get("subscribed", "")))]

    def expect_notification(self, path: str, timeout: float = 10.0, *, since: int | None = None) -> Frame:
        """Wait for the server to have notified a change of a resource matching `path` (from trace index `since`,
        default the cursor) and for the outcome; returns the client's answer frame (its status in meta, judged
        when it arrived). Inconclusive when the server sent none (the client held no subscription for it: see
        `expect_subscription`).

        One Allure step with the Notification and the client's answer: the server sends it from its loop, where
        no step can be opened, so the step is made here, where the test waits for it."""
        start = self.cursor if since is None else since
        with step(f"notify {path} -> client") as outcome:
            sent = self.server.trace.wait_for(lambda f: f.direction is Direction.OUT and f.kind == "REQUEST"
                                              and bool(f.meta.get("notification"))
                                              and path_matches(path, str(f.meta.get("subscribed", ""))), start,
                                              timeout)
            if sent is None:
                raise Inconclusive(f"the server sent no Notification about {path} within {timeout:g} s")
            answer = self.server.trace.wait_for(lambda f: f.direction is Direction.IN and f.kind == "RESPONSE"
                                                and f.correlation == sent.correlation, sent.index,
                                                self.server.notifier.timeout_s + 2)
            attach_frames([sent] if answer is None else [sent, answer], "request and answer")
            if answer is None:
                raise Inconclusive(f"the delivery of the Notification about {path} did not end")
            _outcome(outcome, answer)
        self.shown(answer)
        return answer

    def limit_notification_items(self, n: int | None) -> None:
        """Send at most `n` items of a list in a Notification, fewer than the subscription's limit if need be
        (a server may send fewer); None: the limit alone (the default, restored for every test)."""
        self.server.notifier.max_items = n

    def notify(self, path: str, raw: bytes, *, expect: int = 400) -> Frame:
        """POST `raw` (bytes a test makes up, e.g. a broken Notification) to the notificationURI of the client's
        subscription for `path`, after any Notification already on its way; the answer frame, with a
        SEP2-NOTIFICATION-ANSWER finding unless the client answered `expect`."""
        sub = self._one_subscription(path)
        with step(f"notify {path} -> client with a made-up body (HTTP {expect} expected)") as outcome:
            return self._exchange(outcome, self.server.notifier.send(sub, raw, None, frozenset({expect}), "probe"))

    def cancel_subscription(self, path: str) -> Frame:
        """The server ends the client's subscription for `path` and tells it (Notification status 1, no
        Resource); the client's answer frame (201 expected)."""
        dev, sub = next(iter(self._subscribed(path)), (None, None))
        if dev is None or sub is None:
            raise Inconclusive(f"the client holds no Subscription for {path}")
        number = int(str(sub["@href"]).rsplit("/", 1)[1])
        dev.subscriptions.pop(number, None)
        self.state.notified.pop(sub["@href"], None)
        n = self.server.notifier
        body = n.notification(sub, notify.CANCELLED)
        with step(f"notify {path} -> client: subscription cancelled") as outcome:
            return self._exchange(outcome, n.send(sub, codec.encode("Notification", body), body, notify.TAKEN,
                                                  "cancel"))

    def _exchange(self, outcome: StepOutcome, coro: Any) -> Frame:
        """Run a Notification the test sends and attach it and the client's answer to the step it runs in."""
        start = len(self.server.trace)
        answer = self._run(coro)
        attach_frames(exchange_of(self.server.trace, answer, start), "request and answer")
        _outcome(outcome, answer)
        self.shown(answer)
        return answer

    def _background_answer(self, frame: Frame) -> bool:
        return frame.direction is Direction.IN and frame.kind == "RESPONSE" and bool(frame.meta.get("notification"))

    def _background_step(self, sent: Frame | None, answer: Frame) -> tuple[str, str | None]:
        what = {"cancel": ": subscription ended", "probe": " with a made-up body"}.get(answer.meta["notification"], "")
        path = sent.meta.get("subscribed") if sent is not None else answer.meta.get("subscription")
        return f"notify {path} -> client{what}", _unanswered(answer)

    def _one_subscription(self, path: str) -> dict:
        found = self.subscriptions(path)
        if not found:
            raise Inconclusive(f"the client holds no Subscription for {path}")
        return found[0]

    def _run(self, coro: Any) -> Frame:
        if self.server.loop is None:
            raise HarnessError("the fake 2030.5 server is not started")
        return self.server.loop.run(coro, timeout=self.server.notifier.timeout_s * 3 + 5)


def _unanswered(answer: Frame) -> str | None:
    """Why a Notification's step fails: the client never answered it (None when it did; a wrong answer shows its
    rule in the frames)."""
    if "status" in answer.meta:
        return None
    return f"the client did not answer the Notification at {answer.meta.get('url')}: {answer.meta.get('error')}"


def _outcome(outcome: StepOutcome, answer: Frame) -> None:
    """A Notification the client never answered fails its step."""
    why = _unanswered(answer)
    if why is not None:
        outcome.failed(why)


def _request_pred(method: str, path: str, match: Match) -> Callable[[Frame], bool]:
    def pred(f: Frame) -> bool:
        return (f.direction is Direction.IN and f.kind == "REQUEST" and f.meta.get("method") == method.upper()
                and path_matches(path, str(f.meta.get("path"))) and (match is None or matches(f.body, match)))
    return pred


def path_matches(pattern: str, path: str) -> bool:
    """Glob per path segment: ``/edev/*`` is one EndDevice (not ``/edev/3/fsa``); ``**`` matches any path."""
    if "**" in pattern:
        return fnmatch.fnmatchcase(path, pattern.replace("**", "*"))
    want, got = pattern.split("/"), path.split("/")
    return len(want) == len(got) and all(fnmatch.fnmatchcase(g, w) for w, g in zip(want, got))


class FakeSep2Server(XmlHttpServer):
    """IEEE 2030.5 (CSIP) server for a DER client under test."""

    protocol, version = "sep2", "2030.5"
    loop_name, wire_label, exchange_prefix = "vgitest-sep2", "https", "s"
    close_stale_tls = True  # COMM-004 judges each request by the chain its connection was served

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, ssl_context: ssl.SSLContext | None = None,
                 state: Sep2State | None = None, schema_version: str = "2018", csip_aus: bool | str = False,
                 lenient: bool = False, schema_path: str | None = None, validate: bool = True,
                 max_body_bytes: int = codec.DEFAULT_MAX_BODY, trace: Trace | None = None,
                 notify_ssl_context: ssl.SSLContext | None = None,
                 notify_timeout_s: float = notify.DEFAULT_TIMEOUT_S) -> None:
        self._init_server(host=host, port=port, ssl_context=ssl_context, trace=trace, max_body_bytes=max_body_bytes)
        self.state = state or Sep2State()
        # CSIP-AUS mode (True: v1.2, or "v1.3-beta/storage"): its resources (ConnectionPoint...) and namespace
        from .schemas import aus_version
        self.state.csip_aus = aus_version(csip_aus) or self.state.csip_aus
        # TLS as a client, for notifications: the server's certificate, the client's listener checked against
        # the same trust anchors (None on plain HTTP)
        self.notifier = notify.Notifier(Outbound(self.trace, self.wires, ssl_context=notify_ssl_context,
                                                 timeout_s=notify_timeout_s, max_body_bytes=max_body_bytes),
                                        self.state, loop=lambda: self.loop, base_url=lambda: self.base_url)
        self.state.listeners.append(self.notifier.kick)
        self.session = Sep2Session(self)
        # An XML declaration on every body the server sends (XML 1.0 makes it optional; UTF-8 is the default
        # either way). Off for a client that cannot parse one: cactus-client 1.3.3 decodes a body to text before
        # lxml, which refuses text that declares an encoding.
        self.xml_declaration = True
        self.outage_until = 0.0
        self.outage_status = 500
        # called with every request frame as it arrives, before the server chooses its answer (a CACTUS step that
        # changes the data the request is then answered from: vgitest.sep2.cactus.engine)
        self.request_hooks: list[Callable[[Frame], None]] = []
        self.served_hooks: list[Callable[[Frame], None]] = []  # the same once the server has processed it
        self._validator_args = (schema_version, csip_aus, lenient, schema_path) if validate else None

    def set_csip_aus(self, csip_aus: bool | str) -> str | None:
        """Speak another CSIP-AUS version from now on (its namespace and schema; a CACTUS procedure runs in the
        version it targets, docs/csip-aus.md); returns the version spoken before."""
        from .schemas import aus_version
        before, self.state.csip_aus = self.state.csip_aus, aus_version(csip_aus)
        if self._validator_args is not None:
            version, _, lenient, path = self._validator_args
            self._validator_args = (version, self.state.csip_aus or False, lenient, path)
            if self._validator is not None:
                self._validator = self._make_validator()
        self.state.changed()
        return before

    # lifecycle ------------------------------------------------------------------------------------------
    def _make_validator(self) -> Any:
        if self._validator_args is None:
            return None
        from .validator import Sep2Validator
        version, aus, lenient, path = self._validator_args
        return Sep2Validator(version=version, csip_aus=aus, lenient=lenient, schema_path=path)

    async def _started(self) -> None:
        await self.notifier.start()

    async def _closing(self) -> None:
        await self.notifier.close()

    _describe_tls = staticmethod(security.describe_tls)

    def _bad_http(self, bad: BadHttp) -> web.Response:
        frame = bad_http_frame(self.trace, bad, "sep2", "2030.5", self._exchange_id(), r.HTTP_MALFORMED)
        return self._respond(frame, Raw(bad.status))

    @property
    def base_url(self) -> str:
        return f"{'https' if self.ssl_context else 'http'}://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """Where the client starts: the DeviceCapability URL (out-of-band discovery)."""
        return f"{self.base_url}/dcap"

    # the exchange ---------------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        exchange = self._exchange_id()
        body = await read_body(request, self.max_body_bytes * 4)
        raw = body.data
        ssl_obj = getattr(request.protocol, "vgi_ssl_object", None)
        client_lfdi = security.client_lfdi(ssl_obj) if ssl_obj is not None else None
        meta: dict[str, Any] = {"method": request.method, "path": request.path, "query": dict(request.query),
                                "content_type": request.headers.get("Content-Type", ""), "peer": str(request.remote),
                                "client_lfdi": client_lfdi, "tls_generation": getattr(request.protocol, "vgi_tag", 0)}
        frame = self._request_frame(request, raw, f"{request.method} {request.path}", exchange, meta)
        if body.malformed is not None:  # the chunked framing broke mid-body: bad HTTP, answered 400
            self._malformed_body(frame, body, r.HTTP_MALFORMED)
            return self._respond(frame, handlers.Reply(400))
        if body.truncated:  # past the read cap: only its start was read; judged by its size alone
            meta["received"], meta["announced"] = body.received, body.announced
            self.trace.append(frame)
            frame.findings.append(Finding.of(r.BODY_TOO_LARGE, body.too_large(self.max_body_bytes),
                                             frame.index))
            return self._respond(frame, handlers.Reply(413))
        if any(ord(c) < 0x20 or ord(c) == 0x7f for c in request.path):
            self.trace.append(frame)
            frame.findings.append(Finding.of(r.HTTP_MALFORMED, f"the path {request.path!r} holds a control "
                                             "character (percent-encoded); no 2030.5 resource has one",
                                             frame.index))
            return self._respond(frame, handlers.Reply(400))
        if body.error is not None:  # the client gave up its own request half-way: nothing to judge the body by
            meta["incomplete"] = True
            frame.findings.append(Finding.of(r.REQUEST_INCOMPLETE, f"the request was not processed: {body.error} "
                                             f"({len(raw)} of {request.content_length} body bytes arrived)"))
            self.trace.append(frame)
            return self._respond(frame, handlers.Reply(400))
        answer = self._process(frame, client_lfdi)
        for hook in list(self.served_hooks):
            hook(frame)
        if isinstance(answer, Raw) and answer.announce is not None:
            return await self._cut(request, frame, answer)
        return self._respond(frame, answer)

    async def _cut(self, request: web.Request, frame: Frame, answer: Raw) -> web.StreamResponse:
        """An answer whose body ends before its announced length: the bytes given, then the connection closed."""
        self._answer_frame(frame, f"HTTP {answer.status} (cut)", answer.body, None,
                           {"status": answer.status, "announced": answer.announce})
        resp = web.StreamResponse(status=answer.status, headers=answer.headers)
        resp.content_length = answer.announce
        await resp.prepare(request)
        await resp.write(answer.body)
        if request.transport is not None:
            request.transport.close()
        return resp

    def _process(self, frame: Frame, client_lfdi: str | None) -> Answer:
        """Decode, check and record the request; choose the answer. Never raises for what a client sends."""
        meta = frame.meta
        method = meta["method"]
        problems: list[Finding] = []
        name: str | None = None
        body: Any = None
        if method in WRITES or frame.raw:
            if method in WRITES:
                ct = checks.content_type(meta["content_type"])
                if ct is not None:
                    problems.append(ct)
            decoded = codec.decode(frame.raw, max_bytes=self.max_body_bytes, ns=self.state.wire_ns())
            problems += checks.decode_findings(decoded.problems)
            name, body = decoded.name, decoded.body
            if decoded.doc is not None and self._validator is not None:
                problems += self._validator.validate(decoded.doc, frame_index=None, written=method in WRITES)
            if name is not None and client_lfdi is not None:
                problems += checks.identity_findings(name, body, client_lfdi)
        frame.body = body
        if name is not None:
            frame.meta["payload"] = name
        allowed = handlers.allowed(meta["path"])
        if allowed and method not in allowed:
            problems.append(Finding.of(r.HTTP_METHOD, f"{method} {meta['path']}: the resource allows "
                                       f"{', '.join(allowed)}"))
        forbidden = self.session._glob_of(self.session.forbidden, method, meta["path"])
        if forbidden is not None:
            why = self.session.forbidden[forbidden]
            problems.append(Finding.of(r.FORBIDDEN_REQUEST, f"{method} {meta['path']} made although "
                                       f"{why or 'the scenario forbids it'}"))
        self.trace.append(frame)
        for f in problems:
            f.frame_index = frame.index
        frame.findings.extend(problems)
        for hook in list(self.request_hooks):
            hook(frame)
        if time.monotonic() < self.outage_until:
            return Raw(self.outage_status)
        key = self.session._glob_of(self.session.overrides, method, meta["path"])
        if key is not None:
            _, answer = self.session._take_override(key)
            return answer(frame) if callable(answer) else answer
        if method in WRITES and any(f.rule_id in (r.XML_MALFORMED, r.XML_HOSTILE, r.XML_TOO_COMPLEX,
                                                  r.BODY_TOO_LARGE, r.SCHEMA)
                                    and f.severity is Severity.FAIL for f in problems):
            return handlers.Reply(413 if any(f.rule_id == r.BODY_TOO_LARGE for f in problems) else 400)
        req = handlers.Request(method, meta["path"], meta["query"], name, body, client_lfdi)
        reply = handlers.answer(self.state, req)
        frame.findings.extend(Finding.of(rule, text, frame.index) for rule, text in reply.problems)
        return reply

    def _respond(self, request: Frame, answer: Answer) -> web.Response:
        if answer is None:
            answer = handlers.Reply(404)
        if isinstance(answer, Raw):
            status, data, headers, name, body = answer.status, answer.body, dict(answer.headers), None, None
        else:
            status, headers, name, body = answer.status, dict(answer.headers), answer.name, answer.body
            data = codec.encode(name, body, xml_declaration=self.xml_declaration, ns=self.state.wire_ns()) \
                if name is not None and request.meta["method"] != "HEAD" else b""
            if answer.raw is not None:  # not 2030.5 XML (the JSON of /.well-known/csipaus)
                data = answer.raw if request.meta["method"] != "HEAD" else b""
            if name is not None:
                headers.setdefault("Content-Type", MEDIA_TYPE)
        meta: dict[str, Any] = {"status": status}
        if "Location" in headers:
            meta["location"] = headers["Location"]
        self._answer_frame(request, name or f"HTTP {status}", data, body, meta)
        return web.Response(body=data, status=status, headers=headers)
