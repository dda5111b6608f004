"""Reference VEN: a correct OpenADR 3 VEN (REST client with a webhook), with injectable named faults.

It is the default DUT of `vgitest run --only openadr3`, the target of the harness's self-tests, and the proof that
the OpenADR 3 suite can fail (every catalogued fault makes a named case fail). It runs on its own asyncio thread
with its own aiohttp client and webhook server, apart from the fake VTN, so its work never counts as harness
latency.

Life cycle: get a token (client credentials), find its VEN object by name or create it, read the programs,
find its subscription or create one (event notifications to its webhook), then read the events page by page
every `poll_s` seconds. An event that asks for reports (reportDescriptors), learnt from a poll or a
notification, is reported once. A 401 makes it get a new token and try again once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from typing import Any

import aiohttp
from aiohttp import web

from ...simulator import LoopSimulator
from .catalog import OA3_FAULTS, VERSION

log = logging.getLogger("vgitest.openadr3.ven")
WEBHOOK_PATH = "/vgi-ven/notify"
PAGE = 50
RESOURCE = "vgi-resource-1"


class ReferenceVen(LoopSimulator):
    """The adapter-facing object: `start()`, `stop()` and `perform(action, **params)`."""

    kind = "VEN3"

    def __init__(self, vtn_url: str, ven_name: str = "vgitest-ref-ven3", *, faults: tuple[str, ...] = (),
                 params: dict[str, Any] | None = None, **_: Any) -> None:
        OA3_FAULTS.check_names(faults, VERSION)
        self.url = vtn_url.rstrip("/")
        self.ven_name = ven_name
        self.faults = frozenset(faults)
        self.params = dict(params or {})
        p = self.params
        self.client_id = str(p.get("client_id", "vgi-ven"))
        self.client_secret = str(p.get("client_secret", "vgi-secret"))
        self.poll_s = float(p.get("ven_poll_s", 1.0))
        self.webhook_host = str(p.get("webhook_host", "127.0.0.1"))
        self.token: str | None = None
        self.ven_id: str | None = None
        self.program_ids: list[str] = []
        self.subscription_id: str | None = None
        self.reported: set[str] = set()  # eventIDs reported
        self.webhook_url: str | None = None
        self.log: list[str] = []
        self._http: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self._life: asyncio.Task | None = None
        self._wake: asyncio.Event | None = None
        self._stopped = False  # stop_on_server_error: no more polls after a 500

    def has(self, fault: str) -> bool:
        return fault in self.faults

    def _tls(self) -> ssl.SSLContext | bool:
        """An https VTN is verified against the PIXIT tls_ca (the generated test root), by its name."""
        if not self.url.startswith("https://"):
            return False
        ca = self.params.get("tls_ca")
        return ssl.create_default_context(cafile=str(ca)) if ca else ssl.create_default_context()

    # --- life cycle ---------------------------------------------------------------------------------------
    async def _power_on(self) -> None:
        if self._life is not None and not self._life.done():
            return
        connector = aiohttp.TCPConnector(ssl=self._tls())
        self._http = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=10, connect=5))
        self._wake = asyncio.Event()
        if self._runner is None:
            await self._serve_webhook()
        self._stopped = False
        self._life = asyncio.get_running_loop().create_task(self._run())

    async def _power_off(self) -> None:
        if self._life is not None:
            self._life.cancel()
            await asyncio.gather(self._life, return_exceptions=True)
            self._life = None
        if self._http is not None:
            await self._http.close()
            self._http = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self.token = None
        self.ven_id = None
        self.subscription_id = None

    async def do_reboot(self) -> None:
        """Off and on: the VEN keeps its name and credentials, forgets its token and ids."""
        await self._power_off()
        await self._power_on()

    async def do_reregister(self) -> None:
        """Start again from the token: find (or create) the VEN object and the subscription."""
        await self.do_reboot()

    async def do_unsubscribe(self) -> None:
        """Delete the VEN's subscription (and make no new one until the next registration)."""
        if self.has("ignore_unsubscribe"):
            return
        sub = "sub-never-given" if self.has("unsubscribe_wrong_id") else self.subscription_id
        if sub is None:
            return
        status, _ = await self._call("DELETE", f"/subscriptions/{sub}")
        if status is not None and status < 300:
            self.subscription_id = None

    async def _run(self) -> None:
        try:
            await self._start_up()
        except _Stop:
            return
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            self._note(f"start-up failed: {exc!r}")
        while True:
            if not self._stopped:
                try:
                    if self.ven_id is None:
                        await self._start_up()
                    await self._poll_events()
                except _Stop:
                    return
                except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                    self._note(f"poll failed: {exc!r}")
            assert self._wake is not None
            try:
                await asyncio.wait_for(self._wake.wait(), self.poll_s)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()

    async def _start_up(self) -> None:
        if not self.has("no_token"):
            await self._get_token()
        await self._register()
        await self._register_resource()
        status, programs = await self._call("GET", "/programs")
        if status == 200 and isinstance(programs, list):
            self.program_ids = [str(p.get("id")) for p in programs if isinstance(p, dict)]
        if not self.has("no_subscription"):
            await self._subscribe()
        if self.has("writes_events") and self.program_ids:
            await self._call("POST", "/events", {"programID": self.program_ids[0], "intervals": [
                {"id": 0, "payloads": [{"type": "SIMPLE", "values": [1]}]}]})

    async def _get_token(self) -> None:
        assert self._http is not None
        secret = "not-my-secret" if self.has("wrong_client_secret") else self.client_secret
        form = {"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": secret}
        if self.has("token_as_json"):
            resp_ctx = self._http.post(self.url + "/auth/token", json=form)
        else:
            resp_ctx = self._http.post(self.url + "/auth/token", data=form)
        async with resp_ctx as resp:
            doc = await resp.json(content_type=None) if resp.status == 200 else None
        self.token = str(doc["access_token"]) if isinstance(doc, dict) and "access_token" in doc else None
        self._note(f"token {'granted' if self.token else 'refused'}")

    async def _register(self) -> None:
        if not self.has("duplicate_ven"):
            status, found = await self._call("GET", "/vens", params={"venName": self.ven_name})
            if status == 200 and isinstance(found, list) and found:
                self.ven_id = str(found[0].get("id"))
                return
        body: dict[str, Any] = {"objectType": "VEN", "venName": self.ven_name}
        if self.has("ven_missing_name"):
            body.pop("venName")
        status, made = await self._call("POST", "/vens", body)
        if status == 201 and isinstance(made, dict):
            self.ven_id = str(made.get("id"))
            return
        if status == 409:  # duplicate_ven: the VTN has it; take it to go on
            status, found = await self._call("GET", "/vens", params={"venName": self.ven_name})
            if status == 200 and isinstance(found, list) and found:
                self.ven_id = str(found[0].get("id"))

    async def _register_resource(self) -> None:
        """The VEN's one resource, under its VEN object (found again, or created)."""
        if self.ven_id is None:
            return
        ven = "ven-never-given" if self.has("resource_wrong_ven") else self.ven_id
        status, found = await self._call("GET", f"/vens/{ven}/resources", params={"resourceName": RESOURCE})
        if status == 200 and isinstance(found, list) and found:
            return
        body: dict[str, Any] = {"objectType": "RESOURCE", "resourceName": RESOURCE, "venID": self.ven_id}
        if self.has("resource_missing_name"):
            body.pop("resourceName")
        await self._call("POST", f"/vens/{ven}/resources", body)

    async def _subscribe(self) -> None:
        status, subs = await self._call("GET", "/subscriptions", params={"clientName": self.ven_name})
        if status == 200 and isinstance(subs, list) and subs:
            self.subscription_id = str(subs[0].get("id"))
            return
        if not self.program_ids or self.webhook_url is None:
            return
        callback = self.webhook_url
        if self.has("callback_without_scheme"):
            callback = callback.split("://", 1)[1]
        elif self.has("callback_unreachable"):
            callback = f"http://{self.webhook_host}:9{WEBHOOK_PATH}"  # the discard port: nothing listens there
        objects = ["PROGRAM"] if self.has("subscribe_programs_only") else ["EVENT"]
        client = f"{self.ven_name}-other" if self.has("subscription_other_client_name") else self.ven_name
        body = {"objectType": "SUBSCRIPTION", "clientName": client, "programID": self.program_ids[0],
                "objectOperations": [{"objects": objects, "operations": ["POST", "PUT"], "callbackUrl": callback}]}
        status, made = await self._call("POST", "/subscriptions", body)
        if status == 201 and isinstance(made, dict):
            self.subscription_id = str(made.get("id"))

    async def _poll_events(self) -> None:
        if self.has("no_event_poll"):
            return
        skip = 0
        limit = 100 if self.has("limit_too_large") else PAGE
        for _ in range(100):  # bounded: at most 100 pages a round
            status, events = await self._call("GET", "/events", params={"skip": str(skip), "limit": str(limit)})
            if status is not None and status >= 500 and self.has("stop_on_server_error"):
                self._stopped = True
                return
            if status != 200 or not isinstance(events, list):
                return
            for ev in events:
                if isinstance(ev, dict):
                    await self._on_event(ev)
            if len(events) < limit or self.has("ignore_paging"):
                return
            skip += len(events)

    async def _on_event(self, ev: dict[str, Any]) -> None:
        ev_id = str(ev.get("id"))
        descriptors = ev.get("reportDescriptors") or []
        if ev_id in self.reported or not descriptors:
            return
        self.reported.add(ev_id)
        payload_type = str(descriptors[0].get("payloadType", "USAGE"))
        if self.has("report_wrong_payload_type"):
            payload_type = "VGI_OTHER_TYPE"
        report: dict[str, Any] = {
            "objectType": "REPORT", "programID": ev.get("programID"),
            "eventID": "event-never-sent" if self.has("report_wrong_event") else ev_id,
            "clientName": f"{self.ven_name}-other" if self.has("report_wrong_client_name") else self.ven_name,
            "reportName": f"report of {ev_id}",
            "resources": [{"resourceName": RESOURCE,
                           "intervals": [{"id": 0, "payloads": [{"type": payload_type, "values": [1.5]}]}]}]}
        if self.has("report_without_resources"):
            report.pop("resources")
        await self._call("POST", "/reports", report)

    # --- the webhook ------------------------------------------------------------------------------------
    async def _serve_webhook(self) -> None:
        app = web.Application()
        app.router.add_post(WEBHOOK_PATH, self._on_notification)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.webhook_host, int(self.params.get("webhook_port", 0)))
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.webhook_url = f"http://{self.webhook_host}:{port}{WEBHOOK_PATH}"

    async def _on_notification(self, request: web.Request) -> web.Response:
        if self.has("webhook_error_status"):
            return web.Response(status=500)
        try:
            note = json.loads(await request.read())
        except ValueError:
            return web.Response(status=400)
        obj = note.get("object") if isinstance(note, dict) else None
        if not self.has("ignore_notifications") and note.get("objectType") == "EVENT" and isinstance(obj, dict) \
                and note.get("operation") in ("POST", "PUT"):
            asyncio.get_running_loop().create_task(self._on_event_safely(obj))
        return web.Response(status=200)

    async def _on_event_safely(self, ev: dict[str, Any]) -> None:
        try:
            await self._on_event(ev)
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError, _Stop) as exc:
            self._note(f"reporting failed: {exc!r}")

    # --- HTTP ---------------------------------------------------------------------------------------------
    async def _call(self, method: str, path: str, body: Any = None,
                    params: dict[str, str] | None = None) -> tuple[int | None, Any]:
        """One request with the bearer token; a 401 gets a new token and one more try (not with
        no_token_refresh). Returns (status, decoded JSON or None)."""
        for attempt in range(2):
            status, doc = await self._once(method, path, body, params)
            if status != 401 or attempt == 1 or self.has("no_token"):
                return status, doc
            if not self.has("no_token_refresh"):
                await self._get_token()
        return None, None

    async def _once(self, method: str, path: str, body: Any, params: dict[str, str] | None) -> tuple[int, Any]:
        if self._http is None:
            raise _Stop()
        headers = {"Authorization": f"Bearer {self.token}"} if self.token and not self.has("no_token") else {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "text/plain" if self.has("body_as_text") else "application/json"
        async with self._http.request(method, self.url + path, data=data, params=params, headers=headers) as resp:
            raw = await resp.read()
            try:
                doc = json.loads(raw) if raw else None
            except ValueError:
                doc = None
            return resp.status, doc

    def _note(self, text: str) -> None:
        self.log.append(text)
        log.debug("%s: %s", self.ven_name, text)


class _Stop(Exception):
    """The VEN was switched off while a request was on its way."""
