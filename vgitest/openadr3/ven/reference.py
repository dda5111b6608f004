"""Reference VEN: a correct OpenADR 3 VEN (REST client with a webhook), with injectable named faults.

It is the default DUT of `vgitest run --only openadr3`, the target of the harness's self-tests, and the proof that
the OpenADR 3 suite can fail (every catalogued fault makes a named case fail). It runs on its own asyncio thread
with its own aiohttp client and webhook server, apart from the fake VTN, so its work never counts as harness
latency.

Life cycle: get a token (client credentials), find its VEN object by name or create it, find its resource or
create it, read the programs, find its subscription (updating its callback URL and bearer token when they
changed, as after a restart) or create one (new, changed and deleted events to its webhook), then read the events
page by page every `poll_s` seconds. An event that asks for reports (reportDescriptors) and is not targeted at
other VENs, learnt from a poll or a notification, is reported once, and the report is updated (PUT) when the
event changes; a report the VTN lost (404) is created again. A 401 makes it get a new token and try again once;
the token is renewed when two thirds of its lifetime have passed; a refused token request is retried after a
growing pause; a 429/503 with Retry-After pauses every request for that long. The webhook answers at once (the
work is done after), refuses a notification without its bearer token (401) and a body that is not a notification
(400).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import secrets
import ssl
import time
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
        self.poll_s = 0.1 if self.has("poll_too_often") else float(p.get("ven_poll_s", 1.0))
        self.webhook_host = str(p.get("webhook_host", "127.0.0.1"))
        self.token: str | None = None
        self.ven_id: str | None = None
        self.program_ids: list[str] = []
        self.subscription_id: str | None = None
        self.reported: set[str] = set()  # eventIDs reported (or being reported)
        self.reports: dict[str, tuple[str, str]] = {}  # eventID -> (reportID, the event's modificationDateTime)
        self.webhook_bearer = secrets.token_urlsafe(16)  # what the VTN must send to the webhook
        self._renew_at = 0.0  # time.monotonic() after which the token is renewed
        self._token_retry_at = 0.0  # no token request before (after a refusal)
        self._token_backoff = 0.0
        self._pause_until = 0.0  # no request before (Retry-After)
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
        self._pause_until = self._token_retry_at = self._token_backoff = 0.0

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
        if not self.has("no_token") and not await self._ensure_token():
            return
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
        at = time.monotonic()
        if self.token is not None:
            lifetime = doc.get("expires_in") if isinstance(doc.get("expires_in"), int) else 3600
            # renewed when a third of its lifetime is left, or two polls' worth if that is more (never late)
            self._renew_at = at + max(0.0, lifetime - max(lifetime / 3, 2 * self.poll_s))
            self._token_backoff = 0.0
        else:  # refused: wait longer each time (1, 2, 4, 8 polling intervals)
            self._token_backoff = min(max(self.poll_s, self._token_backoff * 2), 8 * self.poll_s)
            self._token_retry_at = at + self._token_backoff
        self._note(f"token {'granted' if self.token else 'refused'}")

    async def _ensure_token(self) -> bool:
        """A token good for a while yet: renewed before it runs out, asked again after a refusal only once the
        pause is over. False: none now (the request is not sent)."""
        if self.token is not None and time.monotonic() > self._renew_at and not self.has("token_renew_late"):
            await self._get_token()
        if self.token is None:
            if self.has("token_retry_storm"):
                for _ in range(20):  # bounded: 20 tries, 50 ms apart
                    await self._get_token()
                    if self.token is not None:
                        break
                    await asyncio.sleep(0.05)
            elif time.monotonic() >= self._token_retry_at:
                await self._get_token()
        return self.token is not None

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
        if not self.has("duplicate_resource"):
            status, found = await self._call("GET", f"/vens/{ven}/resources", params={"resourceName": RESOURCE})
            if status == 200 and isinstance(found, list) and found:
                return
        body: dict[str, Any] = {"objectType": "RESOURCE", "resourceName": RESOURCE, "venID": self.ven_id}
        if self.has("resource_missing_name"):
            body.pop("resourceName")
        await self._call("POST", f"/vens/{ven}/resources", body)

    async def _subscribe(self) -> None:
        if not self.program_ids or self.webhook_url is None:
            return
        body = self._subscription()
        if not self.has("duplicate_subscription"):
            status, subs = await self._call("GET", "/subscriptions", params={"clientName": self.ven_name})
            if status == 200 and isinstance(subs, list) and subs and isinstance(subs[0], dict):
                self.subscription_id = str(subs[0].get("id"))
                if subs[0].get("objectOperations") != body["objectOperations"] and \
                        not self.has("stale_subscription"):  # a restart moved the webhook: say where it is now
                    await self._call("PUT", f"/subscriptions/{self.subscription_id}", body)
                return
        status, made = await self._call("POST", "/subscriptions", body)
        if status == 201 and isinstance(made, dict):
            self.subscription_id = str(made.get("id"))

    def _subscription(self) -> dict[str, Any]:
        """The subscription the VEN wants: new, changed and deleted events of its program, to its webhook."""
        assert self.webhook_url is not None
        callback = self.webhook_url
        if self.has("callback_without_scheme"):
            callback = callback.split("://", 1)[1]
        elif self.has("callback_unreachable"):
            callback = f"http://{self.webhook_host}:9{WEBHOOK_PATH}"  # the discard port: nothing listens there
        objects = ["PROGRAM"] if self.has("subscribe_programs_only") else ["EVENT"]
        client = f"{self.ven_name}-other" if self.has("subscription_other_client_name") else self.ven_name
        operations = ["POST"] if self.has("subscribe_new_only") else ["POST", "PUT", "DELETE"]
        return {"objectType": "SUBSCRIPTION", "clientName": client, "programID": self.program_ids[0],
                "objectOperations": [{"objects": objects, "operations": operations, "callbackUrl": callback,
                                      "bearerToken": self.webhook_bearer}]}

    async def _poll_events(self) -> None:
        if self.has("no_event_poll"):
            return
        skip = 0
        limit = 100 if self.has("limit_too_large") else PAGE
        for page in range(100):  # bounded: at most 100 pages a round
            if page == 2 and self.has("paging_two_pages_only"):
                return
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

    def _targets_me(self, ev: dict[str, Any]) -> bool:
        """An event is for this VEN unless its targets name VENs (VEN_NAME) and not this one."""
        if self.has("ignore_targets"):
            return True
        names = [v for t in ev.get("targets") or [] if isinstance(t, dict) and t.get("type") == "VEN_NAME"
                 for v in t.get("values") or []]
        return not names or self.ven_name in names

    async def _on_event(self, ev: dict[str, Any]) -> None:
        ev_id = str(ev.get("id"))
        descriptors = [d for d in ev.get("reportDescriptors") or [] if isinstance(d, dict)]
        if not descriptors or not self._targets_me(ev):
            return
        modified = str(ev.get("modificationDateTime"))
        if ev_id in self.reports:
            report_id, seen = self.reports[ev_id]
            if seen == modified or ev_id in self.reported:
                return
            self.reported.add(ev_id)  # an update under way
            try:
                await self._update_report(ev, report_id, modified)
            finally:
                self.reported.discard(ev_id)
            return
        if ev_id in self.reported:
            return
        self.reported.add(ev_id)
        status, made = await self._call("POST", "/reports", self._report(ev, descriptors))
        if status == 201 and isinstance(made, dict):
            self.reports[ev_id] = (str(made.get("id")), modified)
        if status == 201 or not self.has("report_dropped_on_503"):
            self.reported.discard(ev_id)  # done, or failed: the next poll tries again

    async def _update_report(self, ev: dict[str, Any], report_id: str, modified: str) -> None:
        ev_id = str(ev.get("id"))
        body = self._report(ev, [d for d in ev.get("reportDescriptors") or [] if isinstance(d, dict)])
        if self.has("report_update_as_new"):
            status, made = await self._call("POST", "/reports", body)
            if status == 201 and isinstance(made, dict):
                self.reports[ev_id] = (str(made.get("id")), modified)
            return
        status, _ = await self._call("PUT", f"/reports/{report_id}", body)
        if status == 200:
            self.reports[ev_id] = (report_id, modified)
        elif status == 404 and not self.has("report_put_after_404"):  # the VTN lost it: report again
            status, made = await self._call("POST", "/reports", body)
            if status == 201 and isinstance(made, dict):
                self.reports[ev_id] = (str(made.get("id")), modified)

    def _report(self, ev: dict[str, Any], descriptors: list[dict[str, Any]]) -> dict[str, Any]:
        """The report of `ev`: one payload per type its descriptors ask for, for the event's period (in UTC)."""
        ev_id = str(ev.get("id"))
        types = [str(d.get("payloadType", "USAGE")) for d in descriptors]
        if self.has("report_first_descriptor_only"):
            types = types[:1]
        if self.has("report_wrong_payload_type"):
            types = ["VGI_OTHER_TYPE"]
        resource: dict[str, Any] = {
            "resourceName": "vgi-resource-never-registered" if self.has("report_unknown_resource") else RESOURCE,
            "intervals": [{"id": 0, "payloads": [{"type": t, "values": [1.5]} for t in types]}]}
        period = self._period(ev.get("intervalPeriod"))
        if period is not None:
            resource["intervalPeriod"] = period
        report: dict[str, Any] = {
            "objectType": "REPORT", "programID": ev.get("programID"),
            "eventID": "event-never-sent" if self.has("report_wrong_event") else ev_id,
            "clientName": f"{self.ven_name}-other" if self.has("report_wrong_client_name") else self.ven_name,
            "reportName": f"report of {ev_id}", "resources": [resource]}
        if self.has("report_without_resources"):
            report.pop("resources")
        return report

    def _period(self, period: Any) -> dict[str, Any] | None:
        """The event's period as the VEN understood it: its start as a UTC instant, its duration."""
        if not isinstance(period, dict) or not isinstance(period.get("start"), str):
            return None
        try:
            start = dt.datetime.fromisoformat(period["start"].replace("Z", "+00:00"))
        except ValueError:
            return None
        if start.tzinfo is None or self.has("period_offset_dropped"):
            start = start.replace(tzinfo=dt.timezone.utc)
        out = {"start": start.astimezone(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")}
        if isinstance(period.get("duration"), str):
            out["duration"] = period["duration"]
        return out

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
        """Answered at once; the event is handled after the answer (a task)."""
        if self.has("webhook_error_status"):
            return web.Response(status=500)
        if self.has("webhook_slow"):
            await asyncio.sleep(2.0)  # does its work before answering
        if not self.has("webhook_no_auth") and \
                request.headers.get("Authorization", "") != f"Bearer {self.webhook_bearer}":
            return web.Response(status=401)
        try:
            note = json.loads(await request.read())
        except ValueError:
            note = None
        good = isinstance(note, dict) and isinstance(note.get("object"), dict) and \
            note.get("objectType") in ("PROGRAM", "EVENT", "REPORT", "SUBSCRIPTION", "VEN", "RESOURCE") and \
            note.get("operation") in ("GET", "POST", "PUT", "DELETE")
        if not good:
            return web.Response(status=200 if self.has("webhook_accepts_garbage") else 400)
        assert isinstance(note, dict)
        obj = note["object"]
        if not self.has("ignore_notifications") and note["objectType"] == "EVENT" and \
                note["operation"] in ("POST", "PUT"):
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
        no_token_refresh). Nothing is sent while a Retry-After pause runs or without a token. Returns (status,
        decoded JSON or None)."""
        for attempt in range(2):
            if time.monotonic() < self._pause_until:
                return None, None
            if not self.has("no_token") and not await self._ensure_token():
                return None, None
            status, doc = await self._once(method, path, body, params)
            if status != 401 or attempt == 1 or self.has("no_token"):
                return status, doc
            if not self.has("no_token_refresh"):
                self.token = None
                self._token_retry_at = 0.0  # a revoked token: ask for a new one at once
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
            wait = resp.headers.get("Retry-After", "")
            if resp.status in (429, 503) and wait.isdigit() and not self.has("ignore_retry_after"):
                self._pause_until = time.monotonic() + min(int(wait), 300)
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
