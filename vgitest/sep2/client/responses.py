"""The Responses of the reference DER client to DERControls: which ones an event asks for, and their posting,
one at a time and in order, with bounded retries."""

from __future__ import annotations

import asyncio
from .core import Core
from .event import Event

# Response status codes (IEEE 2030.5 Response.status)
RECEIVED, STARTED, COMPLETED, CANCELLED, SUPERSEDED = 1, 2, 3, 6, 7
SPECIFIC = {STARTED, COMPLETED, CANCELLED, SUPERSEDED}  # sent when responseRequired bit 1 is set
NO_RESPONSE_FAULT = {RECEIVED: "no_received_response", STARTED: "no_started_response",
                     COMPLETED: "no_completed_response", CANCELLED: "no_cancelled_response",
                     SUPERSEDED: "no_superseded_response"}


class Responses:
    def __init__(self, core: Core, late_s: float) -> None:
        self.core = core
        self.late_s = late_s  # the fault late_started_response: how late Response 2 leaves
        self.outbox: asyncio.Queue | None = None  # (replyTo href, Response body), in the order they leave

    def open(self) -> None:
        """At power on (on the client's loop)."""
        self.outbox = asyncio.Queue()

    def respond(self, ev: Event, status: int) -> None:
        """Queue a Response if the event asks for this kind (bit 0: received; bit 1: the specific ones)."""
        has = self.core.has
        wanted = ev.response_required & (1 if status == RECEIVED else 2 if status in SPECIFIC else 0)
        if not wanted or has(NO_RESPONSE_FAULT.get(status, "")) or (status == CANCELLED
                                                                      and has("ignores_cancellation")):
            return
        ev.sent.append(status)
        if status == STARTED and has("late_started_response"):
            self.core.spawn(self._later(self.late_s, ev, status))
        else:
            self._queue(ev, status)
        if ev.held_received and status != RECEIVED:
            ev.held_received = False
            self.respond(ev, RECEIVED)

    async def _later(self, delay: float, ev: Event, status: int) -> None:
        await asyncio.sleep(delay)
        self._queue(ev, status)

    def _queue(self, ev: Event, status: int) -> None:
        if ev.reply_to is None:
            self.core.log.append(f"event {ev.mrid}: no replyTo, Response {status} not sent")
            return
        lfdi = self.core.lfdi
        if self.core.has("response_wrong_lfdi"):
            lfdi = ("0" if lfdi[0] != "0" else "1") + lfdi[1:]
        subject = ev.mrid
        if self.core.has("response_wrong_subject"):
            subject = subject[:-1] + ("F" if subject[-1] != "F" else "E")
        body = {"createdDateTime": str(self.core.server_now_int()), "endDeviceLFDI": lfdi, "status": str(status),
                "subject": subject}
        assert self.outbox is not None
        self.outbox.put_nowait((ev.reply_to, body))

    async def loop(self) -> None:
        """Responses leave one at a time, in order; a failed one is retried a few times, then dropped."""
        assert self.outbox is not None
        while True:
            href, body = await self.outbox.get()
            for attempt in range(6):
                try:
                    out = await self.core.http.write("POST", href, "DERControlResponse", body)
                except Exception as exc:
                    self.core.log.append(f"Response: {exc!r}")
                    out = None
                if out is not None and out[0] < 500:
                    break
                await asyncio.sleep(min(8.0, 0.5 * 2 ** attempt))
            else:
                self.core.log.append(f"Response {body['status']} for {body['subject']} dropped after 6 attempts")
