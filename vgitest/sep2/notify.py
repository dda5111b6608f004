"""Notifications of the fake 2030.5 server: it POSTs a Notification to a subscription's notificationURI when the
subscribed resource changes, and records the exchange in its trace.

How a change is found: every subscription keeps what the resource was when its subscriber last heard of it
(`Sep2State.notified`, set when the Subscription is created). A sweep serves each subscribed resource again
as a GET by that client would get it and compares; a difference is one Notification carrying the resource
as now served (status 0), and a resource the client can no longer read ends its subscription with status 4
(resource deleted). Sweeps run when the state's helpers report a change (`Sep2State.changed`) and every
quarter second besides, so a test that edits the data directly is heard too.

What is sent follows the Subscription: a list carries at most `limit` items (limit 0: an empty page, a bare
"it changed"), other resources their representation unless the limit is 0. A test may make the server send
fewer list items than the limit (`max_items`), which the schema allows a server that cannot send more; the
client then has to read the rest itself.

Delivery: over CSIP TLS with the server's own certificate (the client checks it; the server checks the
client's listener against the same trust anchors as its clients) or plain HTTP when the fake runs without
TLS; one connection per Notification, one Notification at a time per notificationURI (in order), bounded
by `timeout_s`, from the server's loop, so requests are never held up. Each exchange becomes two frames:
the Notification (OUT, kind REQUEST) and the client's answer (IN, kind RESPONSE, or "(not delivered)").

The client's answer: a Notification it takes must be answered 201 Created. The 2030.5 WADL gives the
Notification POST 201 only, and the CSIP test procedures' Annex A (seq 44) removed the 204 that CORE-018 and
CORE-019 had admitted, saying the WADL does not include it; ERR-002's printed text still admits 201 or 204,
but we do not keep a second rule for one row: 200 and 204 are findings too. A Notification the client cannot
read (a test sends one on purpose) must be refused with 400 Bad Request. Anything else, or no answer, is
SEP2-NOTIFICATION-ANSWER; a notificationURI nothing answers at (refused, TLS failure, connect timeout) is
SEP2-NOTIFICATION-URI.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
import ssl
from typing import Any, Callable
from urllib.parse import urlsplit

import aiohttp

from ..findings import Finding
from ..httprecord import RecordingClient, recording_session
from ..loop import BackgroundLoop
from ..trace import Direction, Frame, now
from ..xmlhttp.client import Answer, Outbound, post
from . import codec, handlers, rules as r
from .namespaces import MEDIA_TYPE
from .resources import WHOLE, Device, Sep2State

log = logging.getLogger("vgitest.sep2.notify")

DEFAULT_TIMEOUT_S = 5.0
SWEEP_S = 0.25
TAKEN = frozenset({201})  # see the module docstring: 201 Created only
REFUSED = frozenset({400})  # a Notification the client cannot read
# Notification.status
CHANGED, CANCELLED, RESOURCE_DELETED = 0, 1, 4


@dataclasses.dataclass
class Delivery:
    uri: str
    subscription: dict  # the Subscription as the server holds it (href, subscribedResource, ...)
    raw: bytes
    body: Any  # the Notification in dict form; None for bytes a test made up
    expect: frozenset[int]
    kind: str  # "change", "cancel" or "probe"
    done: asyncio.Future | None = None


class Notifier:
    """The server's notification sender (runs on the server's loop; `kick` may be called from any thread).

    It knows of the server only what `outbound` holds (trace, connection logs, TLS context, timeout, answer
    cap), the data it serves (`state`), its loop (`loop`, None while stopped) and its base URL (`base_url`, for
    a Notification's subscriptionURI)."""

    def __init__(self, outbound: Outbound, state: Sep2State, *, loop: Callable[[], BackgroundLoop | None],
                 base_url: Callable[[], str]) -> None:
        self.outbound = outbound
        self.state = state
        self._loop = loop
        self._base_url = base_url
        self.ssl_context: ssl.SSLContext | None = outbound.ssl_context
        self.timeout_s = outbound.timeout_s
        self.max_items: int | None = None  # fewer list items than the subscription's limit (a test's choice)
        self._queues: dict[str, asyncio.Queue[Delivery]] = {}
        self._workers: list[asyncio.Task] = []
        self._http: dict[str, aiohttp.ClientSession] = {}
        self._made: dict[str, RecordingClient] = {}
        self._exchange = itertools.count(1)
        self._conn = itertools.count(1)
        self._ticker: asyncio.Task | None = None
        self._kicked = False

    # --- life cycle (on the loop) -----------------------------------------------------------------------
    async def start(self) -> None:
        self._ticker = asyncio.get_running_loop().create_task(self._tick())

    async def close(self) -> None:
        tasks = [t for t in (self._ticker, *self._workers) if t is not None]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for http in self._http.values():
            await http.close()
        self._http.clear()

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_S)
            self._sweep_now()

    def kick(self) -> None:
        """Something may have changed: sweep soon (thread-safe; several kicks before the sweep make one)."""
        bg = self._loop()
        if bg is None or self._kicked:
            return
        self._kicked = True
        bg.call_soon(self._sweep_now)

    def _sweep_now(self) -> None:
        self._kicked = False
        try:
            self.sweep()
        except RuntimeError:  # the test thread changed a dict while we read it: the next tick sees it
            log.debug("notification sweep raced a change", exc_info=True)

    # --- what to send -------------------------------------------------------------------------------------
    def _served(self, dev: Device, path: str, query: dict[str, str] | None = None) -> handlers.Reply:
        return handlers.answer(self.state, handlers.Request("GET", path, query or WHOLE, None, None, dev.lfdi))

    def sweep(self) -> None:
        """Notify every subscription whose resource is not what its subscriber last heard."""
        state = self.state
        for dev in list(state.devices.values()):
            for number, sub in list(dev.subscriptions.items()):
                href = sub["@href"]
                reply = self._served(dev, sub["subscribedResource"])
                key = handlers.served_key(reply)
                if state.notified.get(href) == key:
                    continue
                if reply.status != 200:  # gone (or no longer this client's): the subscription ends
                    dev.subscriptions.pop(number, None)
                    state.notified.pop(href, None)
                    self._queue(self._delivery(sub, self.notification(sub, RESOURCE_DELETED), "cancel"))
                    continue
                state.notified[href] = key
                self._queue(self._delivery(sub, self.notification(sub, CHANGED, self._limited(dev, sub, reply)),
                                           "change"))

    def _limited(self, dev: Device, sub: dict, reply: handlers.Reply) -> handlers.Reply | None:
        """The representation the Subscription's limit allows (None: no Resource element)."""
        try:
            limit = max(0, int(str(sub.get("limit", "0"))))
        except ValueError:
            limit = 0
        if isinstance(reply.body, dict) and "@results" in reply.body:  # a list: at most `limit` items
            cap = limit if self.max_items is None else min(limit, self.max_items)
            return self._served(dev, sub["subscribedResource"], {"l": str(cap)})
        return reply if limit > 0 else None

    def notification(self, sub: dict, status: int, resource: handlers.Reply | None = None) -> dict:
        """A Notification body in schema order (subscribedResource, Resource, status, subscriptionURI); the
        Resource names its type with xsi:type, as the element's own type is the abstract base Resource."""
        body: dict[str, Any] = {"subscribedResource": sub["subscribedResource"]}
        if resource is not None and resource.name is not None:
            body["Resource"] = {"@xsi:type": resource.name, **resource.body}
        body["status"] = str(status)
        body["subscriptionURI"] = self._base_url() + sub["@href"]
        return body

    def _delivery(self, sub: dict, body: dict, kind: str) -> Delivery:
        data = codec.encode("Notification", body, ns=self.state.wire_ns())
        return Delivery(str(sub.get("notificationURI", "")), dict(sub), data, body, TAKEN, kind)

    # --- sending ------------------------------------------------------------------------------------------
    def _queue(self, d: Delivery) -> None:
        """One queue and worker per notificationURI: a client hears of changes to it in order."""
        q = self._queues.get(d.uri)
        if q is None:
            q = self._queues[d.uri] = asyncio.Queue()
            self._workers.append(asyncio.get_running_loop().create_task(self._work(q)))
        q.put_nowait(d)

    async def _work(self, q: asyncio.Queue[Delivery]) -> None:
        while True:
            d = await q.get()
            try:
                frame = await self._deliver(d)
            except Exception as exc:  # never let one delivery stop the rest
                log.exception("notification delivery")
                if d.done is not None and not d.done.done():
                    d.done.set_exception(exc)
                continue
            if d.done is not None and not d.done.done():
                d.done.set_result(frame)

    async def send(self, sub: dict, raw: bytes, body: Any, expect: frozenset[int], kind: str) -> Frame:
        """Queue one Notification (or made-up bytes) behind the automatic ones; the frame of the answer."""
        d = Delivery(str(sub.get("notificationURI", "")), dict(sub), raw, body, expect, kind,
                     asyncio.get_running_loop().create_future())
        self._queue(d)
        assert d.done is not None
        return await d.done

    def _session(self, uri: str) -> aiohttp.ClientSession:
        key = f"{urlsplit(uri).scheme}://{urlsplit(uri).netloc}"
        http = self._http.get(key)
        if http is None:
            def made(proto: RecordingClient) -> None:
                self._made[key] = proto

            http = self._http[key] = recording_session(
                ssl_context=self.ssl_context if key.startswith("https") else None, wires=self.outbound.wires,
                counter=self._conn, label="notify", timeout_s=self.timeout_s, force_close=True, made=made)
        return http

    async def _deliver(self, d: Delivery) -> Frame:
        trace = self.outbound.trace
        href = d.subscription.get("@href")
        exchange = f"n{next(self._exchange)}"
        t_ns, wall = now()
        meta: dict[str, Any] = {"method": "POST", "url": d.uri, "notification": d.kind, "subscription": href,
                                "subscribed": d.subscription.get("subscribedResource"), "expect": sorted(d.expect)}
        if isinstance(d.body, dict):
            meta["status"] = d.body.get("status")
            if isinstance(d.body.get("Resource"), dict):
                meta["resource"] = d.body["Resource"].get("@xsi:type")
        out = trace.append(Frame(t_ns, wall, Direction.OUT, "sep2", "2030.5", d.uri, "REQUEST",
                                 "Notification" if d.body is not None else "(made-up Notification)", exchange,
                                 d.raw, d.body, meta=meta))
        answer: dict[str, Any] = {"url": d.uri, "notification": d.kind, "subscription": href}
        key = f"{urlsplit(d.uri).scheme}://{urlsplit(d.uri).netloc}"
        self._made.pop(key, None)
        parts = urlsplit(d.uri)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            got = Answer(error=f"_Unusable: {d.uri!r} is not an absolute http(s) URI", stage="connect")
        elif parts.scheme == "https" and self.ssl_context is None:
            got = Answer(error="_Unusable: the fake server runs without TLS, so it has no certificate to notify "
                         "over https", stage="connect")
        else:
            got = await post(self._session(d.uri), d.uri, d.raw, content_type=MEDIA_TYPE,
                             cap=self.outbound.max_body_bytes, sent_ns=t_ns, served_by=lambda: self._made.get(key))
        if got.status is not None:
            answer.update(status=got.status, content_type=got.content_type)
            if got.latency_ms is not None:
                answer["latency_ms"] = got.latency_ms
        else:
            answer.update(error=got.error, stage=got.stage)
        name = f"HTTP {answer['status']}" if "status" in answer else "(not delivered)"
        frame = trace.append(Frame(got.rx[0], got.rx[1], Direction.IN, "sep2", "2030.5", d.uri, "RESPONSE", name,
                                   exchange, got.data, None, meta=answer))
        out.meta["answered_by"] = frame.index
        if "status" in answer:
            out.meta["answer"] = answer["status"]
        for rule_id, text in self._judge(d, answer):
            frame.findings.append(Finding.of(rule_id, text, frame.index))
        return frame

    @staticmethod
    def _judge(d: Delivery, answer: dict) -> list[tuple[str, str]]:
        what = f"the Notification of {d.subscription.get('subscribedResource')}" if d.kind != "probe" else \
            "a Notification the client cannot read"
        want = " or ".join(str(s) for s in sorted(d.expect))
        if answer.get("stage") == "connect":
            return [(r.NOTIFICATION_URI, f"{what} could not be delivered to {d.uri}: {answer['error']}")]
        if "error" in answer:
            return [(r.NOTIFICATION_ANSWER, f"the client did not answer {what} at {d.uri} (HTTP {want} expected): "
                     f"{answer['error']}")]
        if answer["status"] not in d.expect:
            return [(r.NOTIFICATION_ANSWER, f"the client answered {what} with HTTP {answer['status']}; 2030.5 "
                     f"expects {want}")]
        return []
