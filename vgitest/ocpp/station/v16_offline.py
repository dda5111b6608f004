"""The 1.6 reference station offline: transaction-related messages (StartTransaction, StopTransaction, MeterValues of
a transaction) are queued while the CSMS cannot be reached and delivered in the order they happened once it can
(OCPP 1.6 §3.7); a transaction started offline runs under a provisional id until the CSMS grants one, and the queued
messages that name it are sent with the granted id; a token presented offline is authorized from the cache
(LocalAuthorizeOffline) or, unknown, allowed (AllowOfflineTxForUnknownId).

Faults (catalog_v16_offline.py) are `station.has(...)` branches next to the behaviour they break.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
from typing import Any, Awaitable, Callable

from . import catalog_v16_offline  # noqa: F401  (registers the faults)
from .base import Reply

QUEUED: dict = {"queued": True}  # what send() returns for a message kept for later (compared by identity)
TX_MESSAGES = ("StartTransaction", "StopTransaction", "MeterValues")


class TxQueue16:
    """The station's queue of transaction-related messages (survives reboots: it is kept in storage)."""

    def __init__(self, station: Any) -> None:  # the Station16 that owns it (not imported: no import circle)
        self.st = station
        self.items: collections.deque[tuple[str, dict, Callable[[dict], Awaitable[None]] | None]] = \
            collections.deque()
        self.ids: dict[int, int] = {}  # provisional transaction id -> the id the CSMS granted
        self._provisional = itertools.count(-1, -1)
        self._drainer: asyncio.Task | None = None
        self._inflight: tuple | None = None  # the message the drainer is sending now

    def online(self) -> bool:
        return self.st.ws is not None and self.st.registration == "Accepted"

    def provisional_id(self) -> int:
        return next(self._provisional)

    async def send(self, action: str, payload: dict,
                   on_result: Callable[[dict], Awaitable[None]] | None = None) -> dict | None:
        """Send now when online and nothing waits ahead of it; else queue it and return QUEUED. A CALLERROR answer is
        logged and gives None (1.6 §3.7 lets a station give up a message the CSMS cannot process)."""
        if self.online() and not self.items and self._inflight is None:
            try:
                return await self.st.call(action, self._resolved(payload))
            except Reply as rep:
                self.st.events.append(f"{action} answered CALLERROR {rep.code}; not repeated")
                return None
            except Exception as exc:  # the connection went (or no answer came): keep the message
                self.st.events.append(f"{action} not delivered ({type(exc).__name__}); queued")
        if self.st.has("offline_tx_messages_dropped"):
            return None
        if self.st.has("offline_queue_newest_first"):
            self.items.appendleft((action, payload, on_result))
        else:
            self.items.append((action, payload, on_result))
        self.start()
        return QUEUED

    def _resolved(self, payload: dict) -> dict:
        """The payload with a provisional transaction id replaced by the granted one."""
        tx = payload.get("transactionId")
        if isinstance(tx, int) and tx in self.ids and not self.st.has("offline_ids_not_mapped"):
            return {**payload, "transactionId": self.ids[tx]}
        return payload

    def start(self) -> None:
        """Run the drainer (after boot, or when a message was queued)."""
        if self.st.powered and (self._drainer is None or self._drainer.done()):
            self._drainer = self.st.spawn(self._drain())

    async def _drain(self) -> None:
        """Deliver the queue in order while the station is online; ends when the queue is empty (power off cancels
        it; the queue stays). A message the CSMS leaves unanswered TransactionMessageAttempts times while the
        connection holds is given up (1.6 §3.7.1)."""
        failures = 0
        while self.items:
            if not self.online():
                await asyncio.sleep(0.1)
                continue
            item = self._inflight = self.items.popleft()
            action, payload, on_result = item
            try:
                res = await self.st.call(action, self._resolved(payload))
            except Reply as rep:
                self.st.events.append(f"queued {action} answered CALLERROR {rep.code}; dropped")
                continue
            except Exception:
                self.items.appendleft(item)  # not delivered: it stays first
                failures += 1 if self.online() else 0
                if failures >= max(1, int(self.st.config.number("TransactionMessageAttempts"))):
                    self.items.popleft()
                    self.st.events.append(f"queued {action} unanswered {failures} times; given up")
                    failures = 0
                await asyncio.sleep(0.2)
                continue
            finally:
                self._inflight = None
            failures = 0
            if on_result is not None:
                await on_result(res)


def offline_authorization(station: Any, tag: str) -> dict:
    """idTagInfo for a token presented while the CSMS cannot be reached (OCPP 1.6 §9.1 LocalAuthorizeOffline,
    AllowOfflineTxForUnknownId): with LocalAuthorizeOffline true, the local list's entry or a cached Accepted
    token; a token the station does not know when AllowOfflineTxForUnknownId is true; otherwise refused."""
    listed = station.local_entry(tag) if hasattr(station, "local_entry") else None  # the local list goes first
    if listed is not None and station.config.flag("LocalAuthorizeOffline"):
        return listed
    cached = station.cache.get(tag)
    if cached is not None:
        if cached.get("status") == "Accepted" and station.config.flag("LocalAuthorizeOffline") \
                and not station.has("offline_auth_ignores_cache"):
            return cached
        return {"status": "Invalid"} if cached.get("status") == "Accepted" else cached
    if station.config.flag("AllowOfflineTxForUnknownId"):
        return {"status": "Accepted"}
    return {"status": "Invalid"}
