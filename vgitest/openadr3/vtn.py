"""The fake OpenADR 3 VTN: an aiohttp server playing the VTN's REST API (programs, events, reports,
subscriptions, VENs and their resources, OAuth 2 client credentials) for a VEN under test.

Every request of the VEN and every answer is a frame in the trace, with the raw bytes, the socket time and the
findings of the checks (transport, token, query, body against the object it must be, references). When an
object changes, the VTN POSTs a notification to the callback URL of every subscription that asked for it; that
request and the VEN's answer are frames too. Tests speak to it through :class:`VenSession` (expect a request,
override an answer, create programs and events as the business logic would).
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import datetime as dt
import itertools
import json
import logging
import re
import ssl
import time
from typing import Any, Callable
from urllib.parse import parse_qs

import aiohttp
from aiohttp import web

from .. import isoduration
from ..evidence.allure import attach_frames, step
from ..expect import Match, PeerSession, exchange_of, matches, summary
from ..findings import Finding
from ..httprecord import BadHttp, bad_http_frame, read_body, recording_session
from ..trace import Direction, Frame, Trace, now
from ..verdict import HarnessError
from ..xmlhttp.server import XmlHttpServer
from . import rules as r
from .schema import MAX_LIMIT, Schemas
from .store import OBJECT_TYPE, Client, Store
from .versions import Dialect, dialect

log = logging.getLogger("vgitest.openadr3.vtn")
PATH_PREFIX = "/openadr3/3.0.1"  # 3.0.1's; a VTN of another version serves below its dialect's prefix
DEFAULT_PROGRAM = "VGI-PROGRAM"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"

# route template -> (methods it takes, the object a POST/PUT body must be)
ROUTES: dict[str, tuple[tuple[str, ...], str | None]] = {
    "/auth/server": (("GET",), None),
    "/auth/token": (("POST",), "clientCredentialRequest"),
    "/programs": (("GET", "POST"), "program"),
    "/programs/{programID}": (("GET", "PUT", "DELETE"), "program"),
    "/events": (("GET", "POST"), "event"),
    "/events/{eventID}": (("GET", "PUT", "DELETE"), "event"),
    "/reports": (("GET", "POST"), "report"),
    "/reports/{reportID}": (("GET", "PUT", "DELETE"), "report"),
    "/subscriptions": (("GET", "POST"), "subscription"),
    "/subscriptions/{subscriptionID}": (("GET", "PUT", "DELETE"), "subscription"),
    "/vens": (("GET", "POST"), "ven"),
    "/vens/{venID}": (("GET", "PUT", "DELETE"), "ven"),
    "/vens/{venID}/resources": (("GET", "POST"), "resource"),
    "/vens/{venID}/resources/{resourceID}": (("GET", "PUT", "DELETE"), "resource"),
}


def _patterns(templates: Any) -> list[tuple[str, re.Pattern[str]]]:
    return [(t, re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", t) + "$")) for t in templates]


_PATTERNS = _patterns(ROUTES)
BL_ONLY = ("programs", "events")  # only the business logic writes them (scopes write_programs, write_events)
# a request that reuses a refused token this soon after the refusal may have been sent before the VEN read the 401
# (a VEN with requests in parallel): not counted against it
IN_FLIGHT_S = 0.5
FILTERS = {"events": ("programID",), "reports": ("programID", "eventID", "clientName"),
           "subscriptions": ("programID", "clientName"), "vens": ("venName",), "programs": (),
           "resources": ("resourceName",)}


def routes_of(d: Dialect) -> dict[str, tuple[tuple[str, ...], str | None]]:
    """The routes the VTN of dialect `d` serves: 3.0.1's, less those the version dropped, plus its own."""
    out = {t: v for t, v in ROUTES.items() if t not in d.dropped_routes}
    out.update({t: (methods, None) for t, methods in d.extra_routes.items()})
    return out


def route_of(path: str, patterns: list[tuple[str, re.Pattern[str]]] | None = None) -> tuple[str | None, dict[str, str]]:
    """The route template a path (below the prefix) matches, and its path parameters."""
    for template, pattern in _PATTERNS if patterns is None else patterns:
        m = pattern.match(path)
        if m:
            return template, m.groupdict()
    return None, {}


@dataclasses.dataclass
class Raw:
    """An answer sent exactly as given (negative tests): status and JSON-able body."""

    status: int
    body: Any = None
    headers: dict[str, str] | None = None  # extra response headers (Retry-After)


def problem(status: int, title: str, detail: str = "") -> Raw:
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail[:300]
    return Raw(status, body)


Answer = Any  # Raw | Callable[[Frame], Raw] | None (the default)


class VenSession(PeerSession):
    """The test's handle on the VEN under test: its requests, the VTN's answers, and the business logic's side
    (programs and events created, tokens revoked). Messages are "METHOD /route/{template}" strings."""

    expected_rule, forbidden_rule, who = r.EXPECTED_REQUEST, r.FORBIDDEN_REQUEST, "the VEN"
    background = True  # notifications

    def __init__(self, vtn: "FakeVtn3") -> None:
        self._init_session(vtn)
        self.vtn = vtn

    def reset_for_test(self) -> None:
        """Per-test behaviour back to defaults. VENs, subscriptions and reports persist (like a real VTN's
        database); the events are each test's own."""
        self._reset_session()
        self.vtn.store.token_lifetime_s = self.vtn.token_lifetime_s
        for ev in self.vtn.store.all("events"):
            self.vtn.store.delete("events", ev["id"])

    @property
    def store(self) -> Store:
        return self.vtn.store

    @property
    def program_id(self) -> str:
        return self.vtn.default_program["id"]

    # the business logic's side --------------------------------------------------------------------------
    def create_program(self, name: str) -> dict[str, Any]:
        return self.vtn.bl_create("programs", {"programName": name})

    def create_event(self, body: dict[str, Any], *, notify: bool = True) -> dict[str, Any]:
        """A new event (in the default program unless `body` names one), notified to the subscribers."""
        return self.vtn.bl_create("events", {"programID": self.program_id, **body}, notify=notify)

    def update_event(self, ev: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        """The business logic changes an event (a new modificationDateTime), notified as a PUT."""
        body = {k: v for k, v in {**ev, **changes}.items()
                if k not in ("id", "createdDateTime", "modificationDateTime", "objectType")}
        errors = self.vtn.schemas.errors("event", body)
        if errors:
            raise HarnessError(f"the case built an invalid event: {'; '.join(errors)}")
        new = self.vtn.store.replace("events", ev["id"], body)
        assert new is not None
        self.vtn.note(f"the business logic changed EVENT {ev['id']}")
        self.vtn._notify("events", "PUT", new)
        return new

    def delete_object(self, collection: str, obj_id: str) -> None:
        """The VTN's side deletes an object (an operator, the business logic): the VEN's first request to it is
        answered 404 without a finding (it could not know); asking again after that 404 is the VEN's doing."""
        gone = self.vtn.store.delete(collection, obj_id)
        self.vtn.gone[obj_id] = None
        self.vtn.note(f"the VTN deleted {OBJECT_TYPE[collection]} {obj_id}")
        if gone is not None:
            self.vtn._notify(collection, "DELETE", gone)

    def set_token_lifetime(self, seconds: int) -> None:
        """Tokens issued from now on live `seconds` (back to the VTN's default at the next case)."""
        self.vtn.store.token_lifetime_s = seconds

    def post_raw(self, url: str, data: bytes, bearer: str | None, timeout: float) -> Frame | None:
        """POST `data` to the VEN's callback `url` as if it were a notification (negative tests); the answer frame
        (None: none within `timeout` s). One Allure step with the request and the answer."""
        assert self.vtn.loop is not None
        with step(f"notify a made-up notification -> VEN at {url}") as outcome:
            start = len(self.vtn.trace)
            self.vtn.loop.call_soon(self.vtn._spawn_raw, url, bearer, data)
            answer = self.vtn.trace.wait_for(lambda f: f.kind == "NOTIFY-ANSWER" and f.meta.get("raw"), start,
                                             timeout)
            if answer is not None:
                attach_frames(exchange_of(self.vtn.trace, answer, start), "request and answer")
            else:
                attach_frames([f for f in self.vtn.trace.since(start) if f.kind == "NOTIFY" and f.meta.get("raw")],
                              "request")
            if answer is None or answer.meta.get("status") is None:
                outcome.failed(f"the VEN's callback {url} did not answer within {timeout:g} s" if answer is None
                               else f"the VEN's callback {url} did not answer: {answer.meta.get('error')}")
        if answer is not None:
            self.shown(answer)
        return answer

    def _background_answer(self, frame: Frame) -> bool:
        return frame.kind == "NOTIFY-ANSWER"

    def _background_step(self, sent: Frame | None, answer: Frame) -> tuple[str, str | None]:
        return _notify_step(sent, answer)

    def revoke_tokens(self) -> None:
        n = self.vtn.store.revoke_all()
        self.vtn.note(f"the business logic revoked every token issued so far ({n})")

    def forget_ven(self, ven_name: str) -> None:
        """Remove the VEN object named `ven_name` and its subscriptions, as an operator would: the VEN must then
        register again."""
        st = self.vtn.store
        for ven in st.find("vens", venName=ven_name):
            st.delete("vens", ven["id"])
        for sub in st.find("subscriptions", clientName=ven_name):
            st.delete("subscriptions", sub["id"])
        self.vtn.note(f"the VTN forgot VEN {ven_name!r} and its subscriptions")

    def forget_subscriptions(self, client_name: str) -> None:
        for sub in self.vtn.store.find("subscriptions", clientName=client_name):
            self.vtn.store.delete("subscriptions", sub["id"])
        self.vtn.note(f"the VTN forgot the subscriptions of {client_name!r}")

    # waiting ----------------------------------------------------------------------------------------------
    def frames(self, since: int | None = None) -> list[Frame]:
        return self.vtn.trace.since(self.cursor if since is None else since)

    def expect(self, message: str, timeout: float = 10.0, match: Match = None, *, fresh: bool = False) -> Frame:
        """Wait for the VEN's request `message` ("GET /events"); `match` is on its JSON body, or a callable on the
        frame when `match` is given as ``frame=...`` (see :meth:`expect_frame`)."""
        return self.expect_frame(message, timeout, None if match is None else
                                 (lambda f: matches(f.body, match)), fresh=fresh, desc=match)

    def expect_frame(self, message: str, timeout: float, pred: Callable[[Frame], bool] | None = None, *,
                     fresh: bool = False, desc: Any = None) -> Frame:
        def wanted(f: Frame) -> bool:
            return f.direction is Direction.IN and f.kind == "REQUEST" and f.name == message and \
                (pred is None or pred(f))
        return self._expect(message, wanted, timeout, desc if desc is not None or pred is None else "(a condition)",
                            start=self._start(fresh),
                            received=lambda start: summary(f.name or f.kind for f in self.vtn.trace.since(start)
                                                           if f.direction is Direction.IN and f.kind == "REQUEST"))

    def expect_answered(self, message: str, timeout: float, pred: Callable[[Frame, Frame], bool], *,
                        fresh: bool = False) -> tuple[Frame, Frame]:
        """The VEN's request `message` whose answer satisfies `pred(request, answer)`."""
        def ok(f: Frame) -> bool:
            a = self.answer_to(f, timeout=2.0)
            return a is not None and pred(f, a)
        req = self.expect_frame(message, timeout, ok, fresh=fresh)
        answer = self.answer_to(req, timeout=2.0)
        assert answer is not None
        return req, answer

    def notifications(self, since: int) -> list[Frame]:
        """The VTN's notification requests since trace index `since`."""
        return [f for f in self.vtn.trace.since(since) if f.kind == "NOTIFY" and f.direction is Direction.OUT]

    def expect_none(self, message: str, within: float) -> None:
        self._expect_none(message, lambda f: f.direction is Direction.IN and f.kind == "REQUEST" and
                          f.name == message, within)


class FakeVtn3(XmlHttpServer):
    """The OpenADR 3 VTN for a VEN under test (HTTP or HTTPS on loopback or the lab's address)."""

    protocol, version = "openadr3", "3.0.1"
    loop_name, wire_label, exchange_prefix = "vgitest-vtn3", "http", "h"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, clients: tuple[Client, ...] = (),
                 ssl_context: ssl.SSLContext | None = None, spec_path: str | None = None,
                 max_body_bytes: int = 1 << 20, token_lifetime_s: int = 3600, notify_timeout_s: float = 5.0,
                 trace: Trace | None = None, version: str = "3.0.1") -> None:
        self.dialect = dialect(version)  # what differs between the versions it plays (versions.py)
        self.version = version
        self.routes = routes_of(self.dialect)
        self._patterns = _patterns(self.routes)
        self._init_server(host=host, port=port, ssl_context=ssl_context, trace=trace, max_body_bytes=max_body_bytes)
        self.store = Store(clients or (Client("vgi-ven", "vgi-secret"),), token_lifetime_s)
        self.schemas = Schemas.load(spec_path, version)
        self.notify_timeout_s = notify_timeout_s
        self.token_lifetime_s = token_lifetime_s
        self.gone: dict[str, float | None] = {}  # ids the VTN's side deleted -> when a request for one got its 404
        self.session = VenSession(self)
        self.default_program = self.store.create("programs", {"programName": DEFAULT_PROGRAM})
        self._notify_seq = itertools.count(1)
        self._http: aiohttp.ClientSession | None = None
        self._notifying: set[asyncio.Task] = set()

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://{self.host}:{self.port}{self.dialect.prefix}"

    @property
    def token_url(self) -> str:
        return self.url + "/auth/token"

    # lifecycle ------------------------------------------------------------------------------------------
    async def _started(self) -> None:
        self._http = recording_session(ssl_context=None, wires=self.wires, counter=itertools.count(1),
                                       label="notify", timeout_s=self.notify_timeout_s, limit=4)

    async def _closing(self) -> None:
        for t in list(self._notifying):
            t.cancel()
        if self._http is not None:
            await self._http.close()

    def _describe_tls(self, ssl_obj: Any) -> dict[str, Any]:
        cipher = ssl_obj.cipher() if ssl_obj is not None else None
        return {"version": ssl_obj.version() if ssl_obj is not None else None, "cipher": cipher[0] if cipher else None}

    def _bad_http(self, bad: BadHttp) -> web.Response:
        frame = bad_http_frame(self.trace, bad, self.protocol, self.version, self._exchange_id(), r.HTTP_MALFORMED)
        body = json.dumps(problem(bad.status, bad.reason).body).encode()
        self._answer_frame(frame, f"{bad.status}", body, None, {"status": bad.status, "content_type": JSON})
        return web.Response(status=bad.status, body=body, content_type=JSON)

    # the exchange ---------------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        exchange = self._exchange_id()
        body = await read_body(request, self.max_body_bytes)
        meta: dict[str, Any] = {"method": request.method, "path": request.path, "query": request.query_string,
                                "content_type": request.headers.get("Content-Type", ""), "peer": f"{request.remote}"}
        frame = self._request_frame(request, body.data, None, exchange, meta)
        if body.error is not None or body.malformed is not None:  # cut short: kept as evidence, not judged
            frame.name = "(aborted)"
            self.trace.append(frame)
            return web.Response(status=400)
        problems: list[tuple[str, str]] = []
        answer = self._process(frame, request, body.truncated, problems)
        self.trace.append(frame)
        for rule_id, text in problems:
            extra = {"checked_by": frame.meta.get("checked_by", self.schemas.label)} if rule_id == r.SCHEMA else {}
            frame.findings.append(Finding.of(rule_id, text, frame.index, **extra))
        if frame.name in self.session.forbidden:
            frame.findings.append(Finding.of(r.FORBIDDEN_REQUEST, f"{frame.name} sent although "
                                             f"{self.session.forbidden[frame.name] or 'the scenario forbids it'}",
                                             frame.index))
        overridden, over = self.session._take_override(frame.name)
        if overridden and over is not None:
            answer = over(frame) if callable(over) else over
        return self._respond(frame, answer)

    def _process(self, frame: Frame, request: web.Request, truncated: bool,
                 problems: list[tuple[str, str]]) -> Raw:
        """Judge the request (its problems go into `problems`) and choose the answer. Never raises."""
        method = request.method
        path = request.path
        prefix = self.dialect.prefix
        if not path.startswith(prefix + "/"):
            frame.name = f"{method} {path[:80]}"
            problems.append((r.HTTP_PATH, f"{path[:120]} is not below {prefix}"))
            return problem(404, "Not Found")
        template, params = route_of(path[len(prefix):], self._patterns)
        frame.name = f"{method} {template or path[len(prefix):][:80]}"
        frame.meta["route"], frame.meta["params"] = template, params
        if template is None:
            problems.append((r.HTTP_PATH, f"{path[:120]} is not a path of the OpenADR {self.version} API"))
            return problem(404, "Not Found")
        methods, obj_name = self.routes[template]
        obj_name = self.dialect.request_objects.get(template, obj_name)
        if method not in methods:
            problems.append((r.HTTP_METHOD, f"{method} is not defined for {template}"))
            return problem(405, "Method Not Allowed")
        if truncated:
            problems.append((r.BODY_TOO_LARGE, f"the body is larger than {self.max_body_bytes} bytes"))
            return problem(413, "Payload Too Large")
        if template == "/auth/server":
            return Raw(200, {"tokenURL": self.token_url})
        if template == "/auth/token":
            return self._token(frame, request, problems)
        client = self._authorize(frame, request, problems)
        if isinstance(client, Raw):
            return client
        if template == "/notifiers":  # 3.1.0: webhooks are the one notifier binding this VTN has (no MQTT)
            return Raw(200, {"WEBHOOK": True})
        data: Any = None
        if method in ("POST", "PUT"):
            ctype = frame.meta["content_type"].split(";")[0].strip().lower()
            if ctype != JSON:
                problems.append((r.CONTENT_TYPE, f"Content-Type is {frame.meta['content_type'] or 'missing'!r}; the "
                                 f"body must be {JSON}"))
                return problem(415, "Unsupported Media Type")
            try:
                data = json.loads(frame.raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                problems.append((r.JSON_MALFORMED, f"not JSON: {exc}"))
                return problem(400, "Bad Request", "the body is not JSON")
            frame.body = data
            if not isinstance(data, dict):
                problems.append((r.JSON_MALFORMED, f"the body is a JSON {type(data).__name__}, not an object"))
                return problem(400, "Bad Request", "the body is not a JSON object")
            errors = self.schemas.errors(obj_name or "", data)
            if errors:
                frame.meta["checked_by"] = self.schemas.label_for(obj_name or "")
                problems.append((r.SCHEMA, f"not a valid {obj_name} ({frame.meta['checked_by']}): "
                                 + "; ".join(errors)))
                return problem(400, "Bad Request", "; ".join(errors))
        collection = template.strip("/").split("/")[0] if "resources" not in template else "resources"
        if method != "GET" and collection in BL_ONLY and client.role != "bl":
            problems.append((r.FORBIDDEN_WRITE, f"{method} {template}: only the business logic writes {collection}"))
            return problem(403, "Forbidden", f"a VEN does not write {collection}")
        return self._crud(frame, method, collection, params, data, client, problems)

    def _token(self, frame: Frame, request: web.Request, problems: list[tuple[str, str]]) -> Raw:
        ctype = frame.meta["content_type"].split(";")[0].strip().lower()
        if ctype != FORM:
            problems.append((r.CONTENT_TYPE, f"a token request is form-encoded ({FORM}); this one is "
                             f"{frame.meta['content_type'] or 'undeclared'}"))
            return Raw(400, {"error": "invalid_request"})
        form = {k: v[0] for k, v in parse_qs(frame.raw.decode("utf-8", "replace")).items()}
        basic = request.headers.get("Authorization", "")
        if basic.lower().startswith("basic "):  # RFC 6749 §2.3.1: the client may authenticate with Basic instead
            try:
                cid, _, secret = base64.b64decode(basic[6:].strip()).decode().partition(":")
                form.setdefault("client_id", cid)
                form.setdefault("client_secret", secret)
            except (ValueError, UnicodeDecodeError):
                pass
        frame.body = {k: ("***" if k == "client_secret" else v) for k, v in form.items()}
        errors = self.schemas.errors("clientCredentialRequest", form)
        if form.get("grant_type") != "client_credentials" or errors:
            problems.append((r.AUTH_CLIENT, f"not a client-credentials grant: {'; '.join(errors) or form}"))
            return Raw(400, {"error": "unsupported_grant_type" if form.get("grant_type") != "client_credentials"
                             else "invalid_request"})
        client = self.store.clients.get(form["client_id"])
        if client is None or client.secret != form["client_secret"]:
            problems.append((r.AUTH_CLIENT, f"client {form['client_id']!r} with a secret the VTN does not know"))
            return Raw(401, {"error": "invalid_client"})
        token, lifetime = self.store.issue(client)
        frame.meta["client"] = client.client_id
        return Raw(200, {"access_token": token, "token_type": "Bearer", "expires_in": lifetime})

    def _authorize(self, frame: Frame, request: web.Request, problems: list[tuple[str, str]]) -> Client | Raw:
        header = request.headers.get("Authorization", "")
        if not header.lower().startswith("bearer ") or not header[7:].strip():
            frame.meta["auth"] = "none"
            problems.append((r.AUTH_MISSING, "no bearer token (Authorization: Bearer ...)"))
            return problem(401, "Unauthorized", "a bearer token is required")
        token = self.store.token(header[7:].strip())
        if token is None:
            frame.meta["auth"] = "unknown"
            problems.append((r.AUTH_MISSING, "a bearer token the VTN never issued"))
            return problem(401, "Unauthorized", "unknown token")
        frame.meta["client"] = token.client.client_id
        if token.revoked:  # the first refusal is the VTN's doing; using it again after that is the VEN's
            frame.meta["auth"] = "revoked"
            at = time.monotonic()
            if token.refused_at is not None and at - token.refused_at > IN_FLIGHT_S:
                problems.append((r.AUTH_MISSING, f"the VEN sent again a token the VTN had refused (401) "
                                 f"{at - token.refused_at:.1f} s before; it must get a new one"))
            if token.refused_at is None:
                token.refused_at = at
            return problem(401, "Unauthorized", "the token is no longer valid")
        at = time.monotonic()
        if at > token.expires:  # expired: the VEN should have renewed it (expires_in) before
            frame.meta["auth"] = "expired"
            if at - token.expires > IN_FLIGHT_S:
                problems.append((r.AUTH_EXPIRED, f"the token expired {at - token.expires:.1f} s before this request "
                                 "(expires_in of its token response)"))
            return problem(401, "Unauthorized", "the token has expired")
        frame.meta["auth"] = "bearer"
        return token.client

    def _crud(self, frame: Frame, method: str, collection: str, params: dict[str, str], data: Any, client: Client,
              problems: list[tuple[str, str]]) -> Raw:
        st = self.store
        ven_id: str | None = None
        item = next(iter(params.values()), None)
        if collection == "resources":
            ven_id, item = params["venID"], params.get("resourceID")
            if st.get("vens", ven_id) is None:
                problems.append((r.NOT_FOUND, f"VEN {ven_id} does not exist"))
                return problem(404, "Not Found", f"no VEN {ven_id}")
            if method != "GET" and client.role != "bl" and st.owners.get(ven_id) not in (None, client.client_id):
                problems.append((r.FORBIDDEN_WRITE, f"{method} of a resource of VEN {ven_id}, another client's"))
                return problem(403, "Forbidden", "not this client's VEN")
        if method == "GET" and item is None:
            return self._search(frame, collection, ven_id, problems)
        if method == "POST":
            return self._create(frame, collection, data, ven_id, client, problems)
        obj = st.get(collection, str(item), ven_id=ven_id)
        if obj is None and str(item) in self.gone and self._first_404(str(item)):
            return problem(404, "Not Found", f"{OBJECT_TYPE[collection].lower()} {item} was deleted")
        if obj is None:
            problems.append((r.NOT_FOUND, f"{collection} {item} does not exist"))
            return problem(404, "Not Found", f"no {OBJECT_TYPE[collection].lower()} {item}")
        if method == "GET":
            return Raw(200, obj)
        owner = st.owners.get(str(item))
        if client.role != "bl" and owner != client.client_id:
            problems.append((r.FORBIDDEN_WRITE, f"{method} of {OBJECT_TYPE[collection].lower()} {item}, which "
                             f"{'the business logic' if owner is None else 'another client'} created"))
            return problem(403, "Forbidden", "not this client's object")
        if method == "PUT":
            new = st.replace(collection, str(item), data, ven_id=ven_id)
            self._notify(collection, "PUT", new)
            return Raw(200, new)
        gone = st.delete(collection, str(item), ven_id=ven_id)
        self._notify(collection, "DELETE", gone)
        return Raw(200, gone)

    def _first_404(self, item: str) -> bool:
        """Whether this 404 for an object the VTN's side deleted is excused: the first one (and requests in flight
        with it); asking again later is a finding."""
        at = time.monotonic()
        first = self.gone.get(item)
        if first is None:
            self.gone[item] = at
            return True
        return at - first <= IN_FLIGHT_S

    def _search(self, frame: Frame, collection: str, ven_id: str | None, problems: list[tuple[str, str]]) -> Raw:
        q = {k: v for k, v in parse_qs(frame.meta["query"], keep_blank_values=True).items()}
        page: dict[str, int] = {}
        for name, default, top in (("skip", 0, None), ("limit", MAX_LIMIT, MAX_LIMIT)):
            raw = q.get(name, [str(default)])[-1]
            if not re.fullmatch(r"\d+", raw) or (top is not None and int(raw) > top):
                problems.append((r.QUERY, f"{name}={raw!r}: a non-negative integer" + (f" of at most {top}" if top
                                                                                       else "")))
                return problem(400, "Bad Request", f"{name} out of range")
            page[name] = int(raw)
        frame.meta["skip"], frame.meta["limit"] = page["skip"], page["limit"]
        found = self.store.all(collection, ven_id=ven_id)
        if collection == "events" and self.dialect.event_window:
            window = self._window(q, problems)
            if isinstance(window, Raw):
                return window
            found = [o for o in found if _overlaps(o, *window)]
        for field in FILTERS.get(collection, ()):
            if field in q:
                found = [o for o in found if str(o.get(field)) == q[field][-1]]
        # in the order the objects were created (the store keeps it), so pages neither overlap nor skip
        return Raw(200, found[page["skip"]:page["skip"] + page["limit"]])

    @staticmethod
    def _window(q: dict[str, list[str]], problems: list[tuple[str, str]]) -> tuple[dt.datetime | None, ...] | Raw:
        """The dateStart/dateEnd of a 3.1.0 search of the events (each a date-time with its offset), or the 400."""
        out: list[dt.datetime | None] = []
        for name in ("dateStart", "dateEnd"):
            raw = q.get(name, [None])[-1]
            if raw is None:
                out.append(None)
                continue
            try:
                moment = dt.datetime.fromisoformat(raw)
            except ValueError:
                moment = None
            if moment is None or moment.tzinfo is None:
                problems.append((r.QUERY, f"{name}={raw[:60]!r}: a date-time with its offset"))
                return problem(400, "Bad Request", f"{name} is not a date-time")
            out.append(moment)
        return tuple(out)

    def _create(self, frame: Frame, collection: str, data: dict, ven_id: str | None, client: Client,
                problems: list[tuple[str, str]]) -> Raw:
        st = self.store
        if collection == "vens" and st.find("vens", venName=data.get("venName")):
            problems.append((r.VEN_DUPLICATE, f"a VEN named {data.get('venName')!r} exists already"))
            return problem(409, "Conflict", "venName exists")
        if collection == "resources" and st.find_resource(str(ven_id), data.get("resourceName")):
            problems.append((r.RESOURCE_DUPLICATE, f"VEN {ven_id} has a resource named "
                             f"{data.get('resourceName')!r} already"))
            return problem(409, "Conflict", "resourceName exists")
        if collection == "reports":
            why = self._report_reference(data)
            if why:
                problems.append((r.REPORT_REFERENCE, why))
                return problem(400, "Bad Request", why)
        if collection == "subscriptions" and st.get("programs", str(data.get("programID"))) is None:
            problems.append((r.NOT_FOUND, f"the subscription names program {data.get('programID')!r}, which "
                             "does not exist"))
            return problem(404, "Not Found", "no such program")
        obj = st.create(collection, data, ven_id=ven_id, owner=client.client_id)
        self._notify(collection, "POST", obj)
        return Raw(201, obj)

    def _report_reference(self, data: dict) -> str | None:
        event = self.store.get("events", str(data.get("eventID")))
        names_program = "programID" in data or self.dialect.report_requires_program  # 3.1.0: optional (issue 253)
        if names_program and self.store.get("programs", str(data.get("programID"))) is None:
            return f"programID {data.get('programID')!r} names no program of the VTN"
        if event is None:
            return f"eventID {data.get('eventID')!r} names no event of the VTN"
        if "programID" in data and event.get("programID") != data.get("programID"):
            return f"event {event['id']} belongs to program {event.get('programID')}, not {data.get('programID')}"
        return None

    def _respond(self, request: Frame, answer: Raw) -> web.Response:
        data = json.dumps(answer.body).encode() if answer.body is not None else b""
        meta: dict[str, Any] = {"status": answer.status, "content_type": JSON}
        if answer.headers:
            meta["headers"] = dict(answer.headers)
        name = f"{answer.status}"
        frame = self._answer_frame(request, name, data, answer.body, meta)
        self._check_own(frame, self._answer_object(request, answer.status), answer.body)
        return web.Response(status=answer.status, body=data, content_type=JSON, headers=answer.headers)

    def _answer_object(self, request: Frame, status: int) -> str | None:
        """The object the VTN's answer must be: the route's (one, or a page of them), the token response, or a
        problem for an error (None: an OAuth error body, which is RFC 6749's, not an OpenADR object)."""
        route = request.meta.get("route")
        if route == "/auth/token":
            return "clientCredentialResponse" if status == 200 else None
        if status >= 400:
            return "problem"
        if route == "/notifiers":
            return "notifiersResponse"
        return self.routes[route][1] if route in self.routes else None

    def _check_own(self, frame: Frame, obj_name: str | None, body: Any) -> None:
        """The harness's own answers and notifications are checked like the VEN's requests: a defect of the fake
        shows as a finding of the harness's side (never judged against the VEN)."""
        if obj_name is None or body is None:
            return
        for item in body if isinstance(body, list) else [body]:
            errors = self.schemas.errors(obj_name, item)
            if errors:
                frame.findings.append(Finding.of(r.SCHEMA, f"the fake VTN sent an invalid {obj_name} "
                                                 f"({self.schemas.label_for(obj_name)}): {'; '.join(errors)}",
                                                 frame.index, side="harness",
                                                 checked_by=self.schemas.label_for(obj_name)))
                return

    # the business logic and notifications -----------------------------------------------------------------
    def bl_create(self, collection: str, body: dict[str, Any], *, notify: bool = True) -> dict[str, Any]:
        """What the business logic creates (from a test): stored, marked in the trace, notified."""
        errors = self.schemas.errors(collection.rstrip("s"), body)
        if errors:
            raise HarnessError(f"the case built an invalid {collection.rstrip('s')}: {'; '.join(errors)}")
        obj = self.store.create(collection, body)
        self.note(f"the business logic created {OBJECT_TYPE[collection]} {obj['id']}")
        if notify:
            self._notify(collection, "POST", obj)
        return obj

    def _notify(self, collection: str, operation: str, obj: dict[str, Any] | None) -> None:
        """POST a notification of `operation` on `obj` to each subscription asking for it (in the background)."""
        if obj is None or self.loop is None:
            return
        kind = OBJECT_TYPE[collection]
        operation = self.dialect.operation(operation)  # 3.1.0 names them CREATE/UPDATE/DELETE
        for sub in self.store.all("subscriptions"):
            program = obj.get("programID", obj.get("id") if kind == "PROGRAM" else None)
            if program is not None and sub.get("programID") != program:
                continue
            for op in sub.get("objectOperations") or []:
                if kind in (op.get("objects") or []) and operation in (op.get("operations") or []):
                    note = {"objectType": kind, "operation": operation, "object": obj}
                    self.loop.call_soon(self._spawn, op.get("callbackUrl"), op.get("bearerToken"), note, sub["id"])

    def _spawn(self, url: Any, bearer: Any, note: dict[str, Any], sub_id: str) -> None:
        task = asyncio.get_running_loop().create_task(self._post_notification(str(url), bearer, note, sub_id))
        self._notifying.add(task)
        task.add_done_callback(self._notifying.discard)

    def _spawn_raw(self, url: str, bearer: str | None, data: bytes) -> None:
        task = asyncio.get_running_loop().create_task(self._post_notification(url, bearer, None, "", raw=data))
        self._notifying.add(task)
        task.add_done_callback(self._notifying.discard)

    async def _post_notification(self, url: str, bearer: Any, note: dict[str, Any] | None, sub_id: str, *,
                                 raw: bytes | None = None) -> None:
        """POST `note` (or, from a negative test, the bytes `raw`, not checked) to `url`; both frames kept."""
        seq = next(self._notify_seq)
        data = raw if raw is not None else json.dumps(note).encode()
        t_ns, wall = now()
        corr = f"n{seq}"
        name = f"NOTIFY {note['objectType']} {note['operation']}" if note is not None else "NOTIFY (test body)"
        sent = self.trace.append(Frame(t_ns, wall, Direction.OUT, self.protocol, self.version, "notify", "NOTIFY",
                                       name, corr, data, note, meta={"url": url, "subscription": sub_id,
                                                                     "notification": seq, "raw": raw is not None}))
        if note is not None:
            self._check_own(sent, "notification", note)
        headers = {"Content-Type": JSON}
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        status: int | None = None
        raw_answer = b""
        error: str | None = None
        assert self._http is not None
        try:
            async with self._http.post(url, data=data, headers=headers) as resp:
                status = resp.status
                raw_answer = (await resp.content.read(self.max_body_bytes))[:self.max_body_bytes]
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        t_ns, wall = now()
        answer = self.trace.append(Frame(t_ns, wall, Direction.IN, self.protocol, self.version, "notify",
                                         "NOTIFY-ANSWER", f"{status}" if status is not None else "(no answer)", corr,
                                         raw_answer, None, meta={"status": status, "error": error, "url": url,
                                                                 "notification": seq, "raw": raw is not None,
                                                                 "sent_t_ns": sent.t_ns}))
        if note is not None and (status is None or not 200 <= status < 300):
            answer.findings.append(Finding.of(r.NOTIFY_ANSWER, f"the notification to {url} was answered "
                                              f"{status if status is not None else 'nothing'}"
                                              f"{f' ({error})' if error else ''}", answer.index))

    def wait_notified(self, since: int, timeout: float) -> Frame | None:
        """The first answered notification (its NOTIFY-ANSWER frame) since trace index `since`.

        Then one Allure step for each notification that ended so far, this one among them (failed when the
        callback did not answer), or a failed step when none did: notifications run on the VTN's loop, where no
        step can be opened, so the steps are made here, where the test waits for one."""
        answer = self.trace.wait_for(lambda f: f.kind == "NOTIFY-ANSWER" and not f.meta.get("raw"), since, timeout)
        self.session.show_background()  # every notification that ended so far, this one among them
        if answer is None:
            with step("notify -> VEN") as outcome:
                attach_frames([f for f in self.trace.since(since) if f.kind == "NOTIFY" and not f.meta.get("raw")],
                              "notifications without an answer")
                outcome.failed(f"no notification was answered within {timeout:g} s")
        return answer


def _notify_step(sent: Frame | None, answer: Frame) -> tuple[str, str | None]:
    """The step of a notification (its request, None when not found, and the VEN's answer): title, and why it
    failed (the callback did not answer)."""
    what = "a made-up notification" if answer.meta.get("raw") else \
        " ".join((sent.name or "").split()[1:]) if sent is not None else "a change"
    failure = None if answer.meta.get("status") is not None else \
        f"the VEN's callback did not answer: {answer.meta.get('error')}"
    return f"notify {what or 'a change'} -> VEN at {answer.meta.get('url')}", failure


def _overlaps(event: dict[str, Any], start: dt.datetime | None, end: dt.datetime | None) -> bool:
    """Whether the event's period (its intervalPeriod: start and duration; none: always) meets [start, end]."""
    period = event.get("intervalPeriod") or {}
    try:
        begins = dt.datetime.fromisoformat(str(period["start"]))
    except (KeyError, ValueError):
        return True
    seconds = isoduration.seconds_or_none(period.get("duration"))
    ends = begins + dt.timedelta(seconds=seconds) if seconds is not None else None
    return (end is None or begins <= end) and (start is None or ends is None or ends >= start)
