"""The CSIP-AUS parts of the reference DER client: it writes its ConnectionPoint (its NMI, PIXIT
``connection_point_id``) where its EndDevice links, and it reads the pricing function set its groups link to
(TariffProfiles → RateComponents → TimeTariffIntervals → their price blocks), answering each interval as it asks
(:mod:`.pricing`: PriceResponse 1 received, 6 cancelled). Every list is polled at the pollRate its own answer
carries, the pricing lists below a TariffProfileList at that list's (:mod:`.walk`).

What it holds (``prices``, ``price_now``) is for tests to read; the client does not change its output on a price
(a CSIP-AUS client may, the standard leaves it to the device)."""

from __future__ import annotations

from typing import Any, Mapping

from ..codec import as_list, find
from .core import Core, Handler, to_int
from .pricing import PriceReplies
from .walk import Walk


class Aus:
    """ConnectionPoint writer and tariff reader (both idle outside CSIP-AUS: no link, nothing to do)."""

    def __init__(self, core: Core, walk: Walk, params: Mapping[str, Any]) -> None:
        self.core, self.walk = core, walk
        cp = params.get("connection_point_id")
        self.connection_point_id = str(cp) if cp not in (None, "") else None
        self.connection_point_written: str | None = None  # the href it wrote it to (once per EndDevice)
        self.tariffs: dict[str, dict] = {}  # TariffProfile href -> body
        self.components: dict[str, dict] = {}  # RateComponent href -> body
        self.intervals: dict[str, dict] = {}  # TimeTariffInterval href -> {"rc", "start", "duration", "status", ...}
        self._tti_lists: dict[str, str] = {}  # TimeTariffIntervalList href -> its RateComponent href
        self._cti_lists: dict[str, str] = {}  # ConsumptionTariffIntervalList href -> its TimeTariffInterval href
        self.replies = PriceReplies(core)

    def forget(self) -> None:
        """At reregister: it writes its ConnectionPoint again to the EndDevice it finds."""
        self.connection_point_written = None

    def handlers(self) -> dict[str, Handler]:
        return {"TariffProfileList": self._on_tariffs, "TariffProfile": self._on_tariff,
                "RateComponentList": self._on_components, "RateComponent": self._on_component,
                "TimeTariffIntervalList": self._on_intervals, "TimeTariffInterval": self._on_interval,
                "ConsumptionTariffIntervalList": self._on_blocks}

    # --- ConnectionPoint -------------------------------------------------------------------------------
    async def on_end_device(self, href: str, body: dict) -> None:
        link = find(body, "csipaus:ConnectionPointLink/@href")
        if not link or self.connection_point_id is None or self.connection_point_written == link \
                or self.core.has("no_connection_point"):
            return
        out = await self.core.http.write("PUT", str(link), "csipaus:ConnectionPoint",
                                         {"csipaus:connectionPointId": self.connection_point_id})
        if out is not None and out[0] in (200, 201, 204):
            self.connection_point_written = str(link)
            self.core.log.append(f"ConnectionPoint {self.connection_point_id} written to {link}")

    # --- pricing ---------------------------------------------------------------------------------------
    async def on_fsa(self, href: str, body: dict) -> None:
        if not self.core.has("ignores_pricing"):
            await self.walk.follow(find(body, "TariffProfileListLink/@href"))

    async def _on_tariffs(self, href: str, body: dict) -> None:
        for tp in as_list(body.get("TariffProfile")):
            if isinstance(tp, dict) and tp.get("@href"):
                await self._on_tariff(tp["@href"], tp, href)

    async def _on_tariff(self, href: str, body: dict, listed_in: str | None = None) -> None:
        self.tariffs[href] = body
        await self.walk.follow(find(body, "RateComponentListLink/@href"), self.replies.rate_parent(listed_in))

    async def _on_components(self, href: str, body: dict) -> None:
        for rc in as_list(body.get("RateComponent")):
            if isinstance(rc, dict) and rc.get("@href"):
                await self._on_component(rc["@href"], rc, href)

    async def _on_component(self, href: str, body: dict, listed_in: str | None = None) -> None:
        self.components[href] = body
        link = find(body, "TimeTariffIntervalListLink/@href")
        if link:
            self._tti_lists[str(link)] = href
            await self.walk.follow(link, self.replies.rate_parent(listed_in))

    async def _on_intervals(self, href: str, body: dict) -> None:
        rc = self._tti_lists.get(href)
        listed = set()
        for tti in as_list(body.get("TimeTariffInterval")):
            if isinstance(tti, dict) and tti.get("@href"):
                listed.add(tti["@href"])
                await self._on_interval(tti["@href"], tti, rc, href)
        for gone in [h for h, i in self.intervals.items() if i["rc"] == rc and h not in listed]:
            self.intervals.pop(gone)  # the server took it off the list

    async def _on_interval(self, href: str, body: dict, rc: str | None = None, listed_in: str | None = None) -> None:
        known = self.intervals.get(href, {})
        interval = body.get("interval") if isinstance(body.get("interval"), dict) else {}
        self.intervals[href] = {"rc": rc or known.get("rc"), "mRID": body.get("mRID"),
                                "start": to_int(interval.get("start")), "duration": to_int(interval.get("duration")),
                                "status": to_int(find(body, "EventStatus/currentStatus")),
                                "blocks": known.get("blocks", [])}
        link = find(body, "ConsumptionTariffIntervalListLink/@href")
        if link:
            self._cti_lists[str(link)] = href
            await self.walk.follow(link, self.replies.rate_parent(listed_in))
        await self.replies.on_interval(body)

    async def _on_blocks(self, href: str, body: dict) -> None:
        tti = self._cti_lists.get(href)
        if tti in self.intervals:
            blocks = [b for b in as_list(body.get("ConsumptionTariffInterval")) if isinstance(b, dict)]
            self.intervals[tti]["blocks"] = sorted((to_int(b.get("startValue")), to_int(b.get("price")))
                                                   for b in blocks)

    def price_now(self, rc_href: str | None = None, at: float | None = None) -> int | None:
        """The block-0 price (significand) of the interval in force now (server time) for a RateComponent (None:
        any); None when none is. An interval is in force from its start for its duration unless cancelled or
        superseded (EventStatus 2, 3, 4)."""
        now = self.core.server_now() if at is None else at
        live = [i for i in self.intervals.values() if (rc_href is None or i["rc"] == rc_href) and i["blocks"]
                and i["status"] in (0, 1) and i["start"] <= now < i["start"] + i["duration"]]
        return min(live, key=lambda i: -i["start"])["blocks"][0][1] if live else None

    def prices_read(self) -> bool:
        """It holds tariffs and the price blocks of every interval it knows (what an operator asked to confirm the
        client's pricing can see of it; the reading of a price is the device's own)."""
        return bool(self.intervals) and all(i["blocks"] for i in self.intervals.values())

    @property
    def prices(self) -> dict[str, list[tuple[int, int]]]:
        """Each TimeTariffInterval's price blocks (startValue, price), by its href."""
        return {h: list(i["blocks"]) for h, i in self.intervals.items()}


def chain(*handlers: Handler) -> Handler:
    """One handler that runs each of `handlers` in turn (two concerns reading one resource type)."""
    async def run(href: str, body: dict) -> None:
        for h in handlers:
            await h(href, body)
    return run
