"""The resource walk and polling of the reference DER client: one schedule of resources (href -> next poll).

The walk puts the DeviceCapability on it; every answer is handed on by resource type (`read`), and links not
yet on the schedule are fetched right away (`follow`), so the first pass is the CSIP walk in order. Afterwards
each resource is re-polled at the pollRate its own answer carried, else the DeviceCapability's; a transport
failure or 5xx is retried with a growing delay, never later than the pollRate."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Awaitable, Callable

import aiohttp

from .. import codec
from ..codec import as_list
from . import backoff
from .core import Core, to_int
from .reading import Crash, Reader

log = logging.getLogger("vgitest.sep2.client")

DEFAULT_POLL_S = 900.0  # the schema's default pollRate
NOT_POLLED = {"no_list_polling": ("FunctionSetAssignmentsList", "DERProgramList"),  # faults: lists it reads when it
              "no_control_list_polling": ("DERControlList",)}  # walks, and never polls again
NEVER_S = 1e6
MARGIN_S = 0.05  # polls leave a little after their due time, never before it
PAGE = 255  # list items it asks for in one GET
MAX_PAGES = 20  # a list that keeps growing while it is read is read no further
CRASH_S = 4.0  # a crash (robustness faults): polling stops this long, then it walks again from the DeviceCapability.
# Only longer than the fuzz cases' liveness window (3 pollRates + tolerance: 3.3 s with the csip-fuzz profile's 1 s
# pollRate) needs it to be: the restart is the reference device's, each failing example and shrink step waits it out

Handed = Callable[[str, str, dict], Awaitable[None]]  # (href, resource name, body) of a 200 answer
Missing = Callable[[str, int], Awaitable[None]]  # (href, HTTP status) of an answer with no resource


class Walk:
    """The schedule, the poll loop and the GETs (lists read whole, page by page)."""

    def __init__(self, core: Core, dcap_href: str, read: Handed, missing: Missing, *, csip_aus: bool = False,
                 discover: Callable[[], Awaitable[str]] | None = None) -> None:
        self.core = core
        self.dcap_href = dcap_href
        self.discover = discover  # where the DeviceCapability is, asked at each start of the walk (.discovery)
        self._rediscover = False
        self._read, self._missing = read, missing
        self.due: dict[str, float] = {}  # href -> monotonic time of its next poll, in first-fetch order
        self._inflight: set[str] = set()  # GETs on their way: a walk that starts meanwhile must not repeat them
        self._lists: set[str] = set()  # hrefs that answered with a list: read page by page from then on
        self._failures: dict[str, int] = {}
        self.dcap_rate = DEFAULT_POLL_S
        self.stopped = False  # the fault stops_during_outage struck
        self.io: asyncio.Lock | None = None  # held while answers are handled: one at a time
        self._wake: asyncio.Event | None = None
        self.reader = Reader(core.faults, csip_aus, core.log)
        self.paused_until = 0.0  # a crash: nothing is polled before this (monotonic)
        self.rate_from: dict[str, str] = {}  # href -> the list whose pollRate it takes when it carries none
        self.rates: dict[str, float] = {}  # href -> the pollRate it was last polled at
        self.abandoned = False  # a reregister waits for the walk under way: it fetches nothing more meanwhile

    def crash(self, why: str) -> None:
        """A parser crash (robustness faults): polling stops for CRASH_S, then the walk starts over from the
        DeviceCapability, as a device restarted by its watchdog would."""
        self.core.log.append(f"crashed: {why}; restarting in {CRASH_S:g} s")
        self.paused_until = time.monotonic() + CRASH_S
        self.forget()
        self.restart()

    def open(self) -> None:
        """At power on (on the client's loop)."""
        self.io = asyncio.Lock()
        self._wake = asyncio.Event()
        self.stopped = False

    def forget(self) -> None:
        self.due.clear()
        self._failures.clear()
        self.rate_from.clear()

    def restart(self) -> None:
        """Start over from the DeviceCapability (the poll loop fetches it at once)."""
        self.due = {self.dcap_href: 0.0}
        self._rediscover = self.discover is not None
        if self._wake is not None:
            self._wake.set()

    def known_list(self, href: str) -> None:
        """`href` is a list (its link says so): read it whole from its first GET, without a first one-item page."""
        self._lists.add(href)

    def drop(self, href: str) -> None:
        """No longer followed: not polled again."""
        self.due.pop(href, None)

    def _rate_factor(self) -> float:
        return 0.3 if self.core.has("poll_too_fast") else 2.5 if self.core.has("poll_too_slow") else 1.0

    async def loop(self) -> None:
        assert self.io is not None and self._wake is not None
        while True:
            try:
                if self.stopped:
                    return
                if time.monotonic() < self.paused_until:
                    await asyncio.sleep(self.paused_until - time.monotonic())
                    continue
                async with self.io:
                    for href in [h for h, t in list(self.due.items()) if t <= time.monotonic()]:
                        if time.monotonic() < self.paused_until:
                            break
                        if href in self.due and self.due[href] <= time.monotonic() and not self.stopped:
                            await self.fetch(href)
                nxt = min(self.due.values(), default=time.monotonic() + 1.0)
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), max(0.02, min(1.0, nxt - time.monotonic())))
                except asyncio.TimeoutError:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # never die silently: note it and keep polling
                log.exception("reference DER client poll cycle")
                self.core.log.append(f"poll cycle: {exc!r}")
                await asyncio.sleep(1.0)

    async def poll_now(self) -> None:
        """One immediate walk: every resource on the schedule, in walk order, now."""
        assert self.io is not None
        async with self.io:
            for href in list(self.due):
                if href in self.due:
                    await self.fetch(href)

    async def follow(self, href: str | None, rate_from: str | None = None) -> None:
        """Fetch a link once; after that it is polled on its own schedule (at `rate_from`'s pollRate when its
        answer carries none: a function set's list gives the rate of what is below it)."""
        if href and rate_from:
            self.rate_from[href] = rate_from
        if href and href not in self.due and href not in self._inflight:
            await self.fetch(href)

    async def fetch(self, href: str) -> None:
        """GET one resource, schedule its next poll, and hand the answer on by resource type."""
        if self.abandoned:
            return  # everything it would learn is forgotten right after (reregister)
        if self._rediscover and href == self.dcap_href and self.discover is not None:
            self._rediscover = False
            found = await self.discover()
            if found != href:
                self.due.pop(href, None)
                self.dcap_href = href = found
        sent = time.monotonic()
        self.due[href] = sent + 3600  # being fetched: not due, and not followed twice
        self._inflight.add(href)
        try:
            status, doc = await self._get(href)
        except Crash as exc:
            self.crash(str(exc))
            return
        except backoff.RetryLater as exc:  # left alone until then, polled normally afterwards
            self.due[href] = time.monotonic() + exc.seconds + MARGIN_S
            self.core.log.append(f"GET {href}: {exc}")
            return
        except Exception as exc:  # transport failure (or anything else): never leave the path unscheduled
            if isinstance(exc, aiohttp.ClientPayloadError) and self.core.has("crash_on_cut_body"):
                self.stopped = True
                self.core.log.append(f"GET {href}: {exc!r}; stopped polling (crash_on_cut_body)")
                return
            self._retry(href, repr(exc))
            return
        finally:
            self._inflight.discard(href)
        if status >= 500:
            self._retry(href, f"HTTP {status}")
            if self.core.has("stops_during_outage"):
                self.stopped = True
                self.core.log.append("stopped polling after a server error")
            return
        if status == 200 and (doc is None or doc.name is None or not isinstance(doc.body, dict)):
            # an answer it could not use (ignored by the reader): what it knew stays, polled again at its rate
            self.due[href] = sent + self.dcap_rate * self._rate_factor() + MARGIN_S
            return
        if status != 200 or doc is None or doc.name is None or not isinstance(doc.body, dict):
            self.due.pop(href, None)
            self.core.log.append(f"GET {href}: HTTP {status}" + (f" {doc.problems}" if doc and doc.problems else ""))
            await self._missing(href, status)
            return
        self._failures.pop(href, None)
        rate = self.rates.get(self.rate_from.get(href, ""), self.dcap_rate)
        if "@pollRate" in doc.body:
            rate = float(to_int(doc.body["@pollRate"], int(self.dcap_rate)))
        if doc.name == "DeviceCapability":
            self.dcap_rate = rate = float(to_int(doc.body.get("@pollRate"), int(DEFAULT_POLL_S)))
        self.rates[href] = rate
        if href in self.due:  # still wanted (a handler may have dropped it)
            self.due[href] = sent + rate * self._rate_factor() + MARGIN_S
            if any(doc.name in names and self.core.has(fault) for fault, names in NOT_POLLED.items()):
                self.due[href] = sent + NEVER_S
        await self._read(href, doc.name, doc.body)

    async def _get(self, href: str) -> tuple[int, codec.Decoded | None]:
        """GET a resource; a list is read whole, page by page (``s``, ``l``: a server answers one item when no
        ``l`` is given), and handed on as one body. The first read of an href asks without a query (it is not
        yet known to be a list), later ones ask for PAGE items at once."""
        status, doc = await self._read_one(f"{href}?s=0&l={PAGE}" if href in self._lists else href)
        body = doc.body if doc is not None else None
        if status != 200 or not isinstance(body, dict) or "@all" not in body or "@results" not in body:
            return status, doc
        self._lists.add(href)
        key = next((k for k in body if not k.startswith("@")), None)
        items = as_list(body.get(key)) if key else []
        for _ in range(MAX_PAGES):
            if len(items) >= to_int(body["@all"]):
                break
            more_status, more = await self._read_one(f"{href}?s={len(items)}&l={PAGE}")
            got = more.body if more_status == 200 and more is not None and isinstance(more.body, dict) else {}
            key = key or next((k for k in got if not k.startswith("@")), None)
            page = as_list(got.get(key)) if key else []
            if not page:
                break
            items += page
        if key:
            body[key] = items
        body["@results"] = str(len(items))
        return status, doc

    async def _read_one(self, target: str) -> tuple[int, codec.Decoded | None]:
        """One GET; a 200 answer goes through the reader (None: not usable, ignored)."""
        status, doc, raw, headers = await self.core.http.get(target)
        if status in backoff.REFUSALS:
            wait = backoff.retry_after(headers)
            if wait is not None and self.core.has("ignores_retry_after"):
                wait = self.dcap_rate * self._rate_factor()  # the fault: back at its own pace
            if wait is not None:
                raise backoff.RetryLater(status, wait)
        if status != 200:
            return status, doc
        return status, self.reader.read(target, doc, raw)

    def _retry(self, href: str, why: str) -> None:
        """Transport failure or 5xx: try again with a growing delay, never later than the pollRate."""
        n = self._failures[href] = self._failures.get(href, 0) + 1
        delay = min(0.5 * 2 ** (n - 1), max(1.0, self.dcap_rate), 30.0)
        self.due[href] = time.monotonic() + delay
        self.core.log.append(f"GET {href}: {why}; retry in {delay:g} s")
