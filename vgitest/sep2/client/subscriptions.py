"""Subscription mode of the reference DER client (PIXIT ``subscribe = true``): it listens for Notifications
(loopback, CSIP TLS with its device certificate, the server's certificate checked against its SERCA; PIXIT
``notify_port``, 0 for any, kept across restarts), subscribes to every subscribable list it follows and to the
DefaultDERControls, answers a Notification 201 and acts on it at once (a partial list, or one without items, is
read in full first). A Notification it cannot read is refused with 400. It keeps polling: CSIP asks DER clients
to poll whatever else they do."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from .. import codec
from . import config
from .core import Core, Handler, to_int
from .programs import Programs
from .registration import Registration
from .walk import Walk

SUBSCRIBED = ("FunctionSetAssignmentsList", "DERProgramList", "DERControlList", "DefaultDERControl")
SUB_LIMIT = 255  # list items a Notification may carry (the most a list page holds)
NOTIFY_PATH = "/ntfy"


class Subscriber:
    """Its Subscriptions (kept across restarts, like the events) and its notification listener."""

    def __init__(self, core: Core, params: Mapping[str, Any], port: int, walk: Walk, registration: Registration,
                 programs: Programs, handlers: Mapping[str, Handler]) -> None:
        self.core, self.params, self.walk, self.registration, self.programs = core, params, walk, registration, programs
        self.handlers = handlers  # by resource type, as for a GET
        self.port = port
        # resource href -> the Subscription's location ("" while being made or when the server refused it, 4xx), and
        # the ones the server ended
        self.subscriptions: dict[str, str] = {}
        self.ended: set[str] = set()
        self.heard = 0
        self._listener: web.AppRunner | None = None
        self._listening: Any = None  # its listening server (asyncio)

    @property
    def tls(self) -> bool:
        return self.core.http.ssl_context is not None

    @property
    def uri(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}{NOTIFY_PATH}"

    async def start(self) -> None:
        """Listen for Notifications on loopback; the port found the first time is kept for later restarts (the
        server holds Subscriptions naming it)."""
        if self._listener is not None:
            return
        ctx = config.listener_context(self.params) if self.tls else None
        app = web.Application(client_max_size=1 << 20)
        app.router.add_post(NOTIFY_PATH, self._on_notification)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", self.port, ssl_context=ctx, reuse_address=True)
        await site.start()
        server = self._listening = site._server  # aiohttp keeps the listening socket here
        if server is not None and getattr(server, "sockets", None):
            self.port = int(server.sockets[0].getsockname()[1])
        self._listener = runner

    async def stop(self) -> None:
        runner, self._listener = self._listener, None
        if runner is not None:
            await runner.cleanup()

    async def subscribe(self, href: str, name: str, body: dict) -> None:
        """Subscribe once to a resource it follows that the server offers for subscription."""
        if (self.core.has("no_subscription") or name not in SUBSCRIBED or href in self.subscriptions
                or href in self.ended or str(body.get("@subscribable", "0")) not in ("1", "3")):
            return
        link = self.registration.edev_links.get("SubscriptionListLink")
        if not link:
            return
        target = href
        if self.core.has("subscribes_to_wrong_resource") and name == "DERControlList":
            target = self.programs.owner(href) or href  # the DERProgram, not its control list
        self.subscriptions[href] = ""
        sub = {"subscribedResource": target, "encoding": "0", "level": "+S1", "limit": str(SUB_LIMIT),
               "notificationURI": self.uri}
        out = await self.core.http.write("POST", link, "Subscription", sub)
        if out is None or out[0] >= 500:
            # the server was not reached, or failed (an outage): try again at the next read; only a refusal (4xx)
            # is final, so that a server that was down for a while still hears of the client afterwards
            self.subscriptions.pop(href, None)
        elif out[0] == 201:
            self.subscriptions[href] = out[1].get("Location", "")

    async def _on_notification(self, request: web.Request) -> web.Response:
        """201 for a Notification it takes (acted on in the background), 400 for one it cannot read."""
        has = self.core.has
        raw = await request.read()
        self.heard += 1
        doc = codec.decode(raw) if raw else None
        body = doc.body if doc is not None and doc.name == "Notification" and not doc.problems else None
        taken = 200 if has("notification_wrong_status") else 201
        if has("accepts_malformed_notification") and not isinstance(body, dict):
            return web.Response(status=taken)
        if not isinstance(body, dict) or not all(body.get(k) for k in ("subscribedResource", "status",
                                                                         "subscriptionURI")):
            self.core.log.append(f"notification refused: {raw[:80]!r}")
            if has("listener_dies_on_bad_notification") and self._listening is not None:
                self._listening.close()  # no new connection from now on; this answer still leaves
                self.core.spawn(self._die_later())
            return web.Response(status=400)
        href = urlsplit(str(body["subscribedResource"])).path
        resource = body.get("Resource")
        if to_int(body["status"], -1) != 0:  # the server ended this subscription
            if has("rejects_cancel_notification") and resource is None:
                return web.Response(status=400)
            self.subscriptions.pop(href, None)
            self.ended.add(href)
            self.core.log.append(f"subscription to {href} ended by the server (status {body['status']})")
            return web.Response(status=taken)
        if not has("ignores_notifications"):
            self.core.spawn(self._act_on(href, resource if isinstance(resource, dict) else None))
        return web.Response(status=taken)

    async def _die_later(self) -> None:
        await asyncio.sleep(0.1)  # the 400 leaves first
        await self.stop()

    async def _act_on(self, href: str, resource: dict | None) -> None:
        """A notified change, handled now: the resource as carried, or read in full when the Notification holds
        only part of a list (or no representation at all). Whether the resource is followed is asked once the walk
        under way has let go: asked before, a list that walk was about to reach (a DERProgramList while it reads the
        FunctionSetAssignments) was taken for unfollowed and the change was lost until its next poll (CACTUS ALL-23,
        where the next poll fell in the communication loss)."""
        io = self.walk.io
        if io is None:
            return
        async with io:
            if href not in self.walk.due:
                return  # not (or no longer) followed
            kind = str(resource.get("@xsi:type", "")).rsplit(":", 1)[-1] if resource is not None else ""
            partial = resource is None or ("@all" in resource and to_int(resource.get("@all"))
                                           > to_int(resource.get("@results")))
            handler = self.handlers.get(kind)
            if handler is not None and resource is not None and (not partial
                                                                  or self.core.has("trusts_partial_notification")):
                await handler(href, resource)
            elif partial and href in self.walk.due:
                await self.walk.fetch(href)
