"""What every part of the reference DER client shares: its faults, its log, its clock on server time, its HTTP
and the background jobs that end at power off.

Each concern of the client (the walk, registration, programs, events, the DER, metering, subscriptions) is a
small class that gets this one object instead of the whole client, so none of them reaches into another's
state except through what it is handed."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable, Callable

from .transport import Transport

Handler = Callable[[str, dict], Awaitable[None]]  # (href, body) of one resource, by resource type


def to_int(value: Any, default: int = 0) -> int:
    """A 2030.5 integer as text (or anything else) as an int; `default` when it is none."""
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


class Core:
    """The shared parts; `has(fault)` is where every injectable fault of :mod:`.faults` is asked for."""

    def __init__(self, faults: frozenset[str], lfdi: str, http: Transport, log: list[str]) -> None:
        self.faults = faults
        self.lfdi = lfdi
        self.http = http
        self.log = log  # what the client did and what went wrong, for humans debugging a run
        self.clock_offset = -300.0 if self.has("skip_time_sync") else 0.0  # server time - local clock
        self.tasks: list[asyncio.Task] = []  # the long-running loops, while powered on
        self._side: set[asyncio.Future] = set()

    def has(self, fault: str) -> bool:
        return fault in self.faults

    @property
    def powered(self) -> bool:
        return bool(self.tasks)

    def server_now(self) -> float:
        return time.time() + self.clock_offset

    def server_now_int(self) -> int:
        return int(self.server_now())

    def spawn(self, coro: Awaitable[None]) -> None:
        """A short side job (a DERStatus PUT, a delayed Response), cancelled at power off."""
        task = asyncio.ensure_future(coro)
        self._side.add(task)
        task.add_done_callback(self._side.discard)

    async def stop_jobs(self) -> None:
        tasks = [*self.tasks, *self._side]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.tasks = []
        self._side.clear()
