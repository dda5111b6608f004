"""python-oa3-client 0.5.0 (PyPI, MIT; on openadr3 0.5.0, MIT) as an OpenADR 3.1.0 VEN under test.

The library is a client toolkit, not an application: this driver is the small application a user would write on its
public API, and nothing else. It starts a ``VenClient`` (token URL from ``GET /auth/server``, client-credentials
token), asks ``GET /notifiers`` whether the VTN has webhooks, starts the library's webhook receiver
(``add_webhook``, Flask) and registers (``register``: finds its VEN by name or creates it with a VEN_VEN_REQUEST).
It subscribes (``subscribe``, event notifications to the webhook) unless a subscription of its name exists, then
polls its program's events (``poll_events``: ``programID``, ``dateStart``, ``dateEnd``) and reads the webhook's
messages; for each new event that asks for reports (``reportDescriptors``) it posts one report
(``create_report``). When a request is refused with 401 it gets a new token (``fetch_token``), once per refusal.

What the fake VTN sees is the library's own HTTP (httpx), JSON, query parameters and webhook answers (Flask); the
driver chooses only what an application chooses: names, when to poll, what to report.

The class fits the harness's `simulated` adapter: ``Cls(vtn_url, name, *, faults, params)``, ``start()``,
``stop()``, ``perform(action)``. The library keeps nothing between starts, so ``reboot`` and ``reregister`` both
start the client afresh (it finds its VEN object again by name); ``unsubscribe`` deletes its own subscriptions.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
from openadr3_client import VenClient

from vgitest.openadr3.vtn import DEFAULT_PROGRAM

log = logging.getLogger("vgitest.interop.oa3client")
REQUIREMENT = "python-oa3-client==0.5.0"
EVENT_OPERATIONS = ["CREATE", "UPDATE"]  # 3.1.0 names the operations of subscriptions so (its issue 209)
STOP_WAIT_S = 5.0


class Oa3ClientVen:
    """python-oa3-client's VenClient behind a small polling application, restarted for reboot/reregister."""

    def __init__(self, vtn_url: str, name: str = "oa3-client-ven", *, faults: tuple[str, ...] = (),
                 params: dict[str, Any] | None = None, **_: Any) -> None:
        if faults:
            raise ValueError("python-oa3-client has no injectable faults (it is not vgitest's VEN)")
        p = dict(params or {})
        self.vtn_url = vtn_url
        self.name = name
        self.client_id = str(p.get("client_id", "vgi-ven"))
        self.client_secret = str(p.get("client_secret", "vgi-secret"))
        self.program = DEFAULT_PROGRAM
        self.poll_s = float(p.get("ven_poll_s", 0.5))
        self.webhook_host = str(p.get("webhook_host", "127.0.0.1"))
        self.webhook_port = int(p.get("webhook_port", 0))  # kept after the first start: its subscription names it
        self.client: VenClient | None = None
        self.channel: Any = None
        self.reported: set[str] = set()
        self.errors: list[str] = []  # what the application met (kept for a reviewer; never judged)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # lifecycle -----------------------------------------------------------------------------------------------
    def start(self) -> "Oa3ClientVen":
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="oa3-client-ven", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(STOP_WAIT_S)
            self._thread = None

    def perform(self, action: str, **params: Any) -> None:
        getattr(self, f"do_{action}")(**params)

    def do_reboot(self) -> None:
        self.stop()
        self.start()

    def do_reregister(self) -> None:
        self.stop()
        self.start()

    def do_unsubscribe(self) -> None:
        """Delete this VEN's subscriptions (the library's delete_subscription)."""
        with self._lock:
            client = self.client
            if client is None:
                return
            for sub in client.api.subscriptions(clientName=self.name):
                if sub.id and sub.client_name == self.name:
                    client.api.delete_subscription(sub.id)

    # the application ---------------------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._connect()
        except (httpx.HTTPError, RuntimeError, KeyError, ValueError) as exc:
            self._note(f"start-up failed: {type(exc).__name__}: {exc}")
        seen_messages = 0
        while not self._stop.is_set():
            if self.client is None:  # start-up failed: try again, as a service would
                try:
                    self._connect()
                except (httpx.HTTPError, RuntimeError, KeyError, ValueError) as exc:
                    self._note(f"start-up failed: {type(exc).__name__}: {exc}")
            else:
                seen_messages = self._tick(seen_messages)
            self._stop.wait(self.poll_s)
        self._disconnect()

    def _connect(self) -> None:
        client = VenClient(url=self.vtn_url, client_id=self.client_id, client_secret=self.client_secret,
                           spec_version="3.1.0").start()
        with self._lock:
            self.client = client
        webhook = self._has_webhooks(client)
        if webhook and self.channel is None:
            self.channel = client.add_webhook(host=self.webhook_host, port=self.webhook_port,
                                              callback_host=self.webhook_host)
            self.channel.start()
            self.webhook_port = urlsplit(self.channel.callback_url).port or 0
        client.register(self.name)
        if webhook and not [s for s in client.api.subscriptions(clientName=self.name) if s.client_name == self.name]:
            client.subscribe([self.program], ["EVENT"], EVENT_OPERATIONS, self.channel)

    @staticmethod
    def _has_webhooks(client: VenClient) -> bool:
        notifiers = client.discover_notifiers()
        return isinstance(notifiers, dict) and bool(notifiers.get("WEBHOOK"))

    def _disconnect(self) -> None:
        with self._lock:
            client, self.client = self.client, None
            channel, self.channel = self.channel, None
        if channel is not None:
            channel.stop()
        if client is not None:
            client.stop()

    def _tick(self, seen_messages: int) -> int:
        """One poll of the events and the webhook's new messages; reports for events that ask for them."""
        client = self.client
        assert client is not None
        events: list[dict[str, Any]] = []
        try:
            events += [{"id": e.id, "reportDescriptors": e.report_descriptors}
                       for e in client.poll_events(self.program)]
        except httpx.HTTPStatusError as exc:
            self._refused(client, exc)
        except httpx.HTTPError as exc:
            self._note(f"poll: {type(exc).__name__}: {exc}")
        if self.channel is not None:
            messages = self.channel.messages
            for msg in messages[seen_messages:]:
                note = _json(msg.raw_payload)
                if note.get("objectType") == "EVENT" and isinstance(note.get("object"), dict):
                    events.append(note["object"])
            seen_messages = len(messages)
        for event in events:
            self._report(client, event)
        return seen_messages

    def _report(self, client: VenClient, event: dict[str, Any]) -> None:
        event_id = str(event.get("id"))
        descriptors = [d for d in event.get("reportDescriptors") or [] if isinstance(d, dict)]
        if not descriptors or event_id in self.reported:
            return
        body = {"eventID": event_id, "clientName": self.name, "reportName": f"report of {event_id}",
                "resources": [{"resourceName": self.name,
                               "intervals": [{"id": 0, "payloads": [{"type": d.get("payloadType"), "values": [0.0]}
                                                                    for d in descriptors]}]}]}
        try:
            resp = client.api.create_report(body)
        except httpx.HTTPError as exc:
            self._note(f"report: {type(exc).__name__}: {exc}")
            return
        if resp.status_code == 401:
            self._refused(client, httpx.HTTPStatusError("401", request=resp.request, response=resp))
        elif resp.status_code < 300:
            self.reported.add(event_id)
        else:
            self._note(f"report of {event_id} refused: {resp.status_code} {resp.text[:200]}")

    def _refused(self, client: VenClient, exc: httpx.HTTPStatusError) -> None:
        if exc.response.status_code != 401:
            self._note(f"answered {exc.response.status_code}: {exc.response.text[:200]}")
            return
        try:
            client.api.fetch_token(self.client_id, self.client_secret)
        except httpx.HTTPError as e:
            self._note(f"new token: {type(e).__name__}: {e}")

    def _note(self, text: str) -> None:
        log.info("%s", text)
        self.errors.append(f"{time.time():.3f} {text}")


def _json(raw: bytes) -> dict[str, Any]:
    try:
        out = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return out if isinstance(out, dict) else {}
