"""The OCPP 2.0.1 reference station offline and when the CSMS does not take its messages: TransactionEvents go
through one queue and leave in the order they happened; one generated while the station could not reach the CSMS
is kept and delivered once it can, marked offline=true (E11, E12); one the CSMS leaves unanswered or answers with a
CALLERROR is sent again up to OCPPCommCtrlr.MessageAttempts[TransactionEvent] times in all, waiting
MessageAttemptInterval times the number of transmissions so far, then given up (E13). GetTransactionStatus reads
the queue (E14). After a lost connection the station tries again after RetryBackOffWaitMinimum plus a random part
of RetryBackOffRandomRange, doubling the wait after each failed attempt at most RetryBackOffRepeatTimes times
(Part 4 §5.3); connected again it reports the connectors the OfflineThreshold asks for (B04). Offline, a token the
authorization cache holds as Accepted starts a transaction when AuthCtrlr.LocalAuthorizeOffline is true (C01, E12).

Faults (catalog_v201_offline.py) are `station.has(...)` branches next to the behaviour they break.
"""

from __future__ import annotations

import asyncio
import collections
import random
from typing import Any

from . import catalog_v201_offline  # noqa: F401  (registers the faults)
from .base import Reply

Station201 = Any  # vgitest.ocpp.station.v201's, typed loosely so as not to import its owner back


def _int(st: Station201, name: str, instance: str | None = None, default: int = 0) -> int:
    try:
        return int(st.var("OCPPCommCtrlr", name, instance))
    except (KeyError, ValueError):
        return default


class TxQueue201:
    """The station's TransactionEvents on their way to the CSMS (kept over a reboot, as in storage)."""

    def __init__(self, station: Station201) -> None:
        self.st = station
        self.items: collections.deque[dict] = collections.deque()
        self.inflight: dict | None = None  # the event being delivered now (counts as queued until answered)
        self._drainer: asyncio.Task | None = None

    def online(self) -> bool:
        return self.st.ws is not None and self.st.registration == "Accepted"

    def pending(self, tx_id: str | None = None) -> bool:
        """Whether TransactionEvents (of `tx_id`, or of any transaction) still wait for the CSMS's answer."""
        sent = self.inflight is not None and not self.st.answered("TransactionEvent")
        waiting = list(self.items) + ([self.inflight] if sent else [])
        return any(tx_id is None or p["transactionInfo"]["transactionId"] == tx_id for p in waiting)

    async def send(self, payload: dict) -> dict | None:
        """Deliver now when online and nothing waits ahead (retrying as E13 says); otherwise queue it, marked
        offline when the station is offline. Returns the CSMS's answer, or None when queued or given up."""
        if self.online() and not self.items and self.inflight is None:
            self.inflight = payload
            try:
                done, res = await self._deliver(payload)
            finally:
                self.inflight = None
            if done:
                return res
            self.items.appendleft(payload)  # the connection went while sending: first in line for the next one
            self.start()
            return None
        if not self.online():
            if self.st.has("offline_tx_events_dropped"):
                return None
            if not self.st.has("offline_flag_missing"):
                payload["offline"] = True
        self.items.append(payload)
        self.start()
        return None

    async def _deliver(self, payload: dict) -> tuple[bool, dict | None]:
        """(True, answer) once answered, (True, None) when given up after the last attempt, (False, None) when the
        connection went before an answer (the event stays queued; no attempt is counted against the CSMS)."""
        attempts = max(1, _int(self.st, "MessageAttempts", "TransactionEvent", 3))
        interval = max(0, _int(self.st, "MessageAttemptInterval", "TransactionEvent", 10))
        timeout = max(1, _int(self.st, "MessageTimeout", "Default", int(self.st.call_timeout)))
        sent = 0
        while True:
            if not self.online():
                return False, None
            sent += 1
            try:
                return True, await self.st.call("TransactionEvent", payload, timeout=timeout)
            except Reply as rep:
                failure = f"CALLERROR {rep.code}"
                if self.st.has("tx_retry_callerror_ignored"):
                    self.st.events.append(f"TransactionEvent answered {failure}; not repeated")
                    return True, None
            except asyncio.TimeoutError:
                failure = "no answer"
            except asyncio.CancelledError:
                raise
            except Exception:  # the connection went (ConnectionError, ConnectionClosed, OSError)
                return False, None
            if self.st.has("tx_retry_none"):
                return True, None
            if sent >= attempts and not self.st.has("tx_retry_unbounded"):
                self.st.events.append(f"TransactionEvent seqNo {payload['seqNo']}: {failure} {sent} times; given up")
                return True, None
            factor = 1 if self.st.has("tx_retry_interval_flat") else sent
            await asyncio.sleep(interval * factor)

    def start(self) -> None:
        """Run the drainer (after boot or reconnection, or when an event was queued)."""
        if self.st.powered and (self._drainer is None or self._drainer.done()):
            self._drainer = self.st.spawn(self._drain())

    async def _drain(self) -> None:
        """Deliver the queue in order while online; ends when it is empty (power off cancels it; the queue stays)."""
        while self.items:
            if not self.online():
                await asyncio.sleep(0.1)
                continue
            payload = self.inflight = self.items.popleft()
            try:
                done, _ = await self._deliver(payload)
            except asyncio.CancelledError:  # power off: the event stays in storage, first in line
                self.items.appendleft(payload)
                raise
            finally:
                self.inflight = None
            if not done:
                self.items.appendleft(payload)
                await asyncio.sleep(0.1)


def backoff(st: Station201, failures: int) -> float:
    """The wait before the next connection attempt after `failures` failed ones: RetryBackOffWaitMinimum doubled
    per failure up to RetryBackOffRepeatTimes times, plus a random part of RetryBackOffRandomRange; never below the
    station's own reconnect delay."""
    minimum = max(0, _int(st, "RetryBackOffWaitMinimum"))
    spread = max(0, _int(st, "RetryBackOffRandomRange"))
    repeat = max(0, _int(st, "RetryBackOffRepeatTimes"))
    if st.has("backoff_minimum_ignored"):
        return st.reconnect_delay
    doublings = 0 if st.has("backoff_not_doubled") else min(failures, repeat)
    return max(st.reconnect_delay, minimum * 2 ** doublings + random.uniform(0, spread))


async def after_reconnect(st: Station201, offline_s: float) -> None:
    """B04: longer offline than OfflineThreshold, every connector is reported again; shorter, the ones whose state
    changed meanwhile. Then the queued TransactionEvents go out."""
    if st.registration == "Accepted" and not st.has("offline_status_change_lost"):
        long = offline_s > _int(st, "OfflineThreshold", default=60)
        for e in st.evses():
            changed = st.reported.get(e.id) != st._status_of(e)
            if long or (changed and not st.has("short_outage_status_lost")):
                e.status = ""
                await st.report_status(e, force=True)
    st.txq.start()
