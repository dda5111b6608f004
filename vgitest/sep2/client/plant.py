"""The site behind the reference DER client in CSIP-AUS mode, and the two mirrors it reports it through.

CACTUS judges a CSIP-AUS client by two sets of readings: the site's, at the connection point, and the DER's.
The plant is simple: the EVSE (its output, :mod:`.output`, under the control in force) beside a constant site
load (PIXIT ``site_load_w``, W, default 0), and the EV's battery (PIXIT ``storage_wh``, default 60 kWh, half full
at start) that the EVSE charges and discharges (in v1.3-beta storage mode the storage DER's battery,
:mod:`.storage`). The site imports load + EVSE draw; the CSIP-AUS import and
export limits are limits at the connection point, so the EVSE's own limit is the site limit less (import) or
plus (export) the load (:func:`der_limit`).

It posts (at the MirrorUsagePoint postRate the server serves, else as before: PIXIT ``post_rate_s``, else the
EndDevice postRate):

- the DER mirror (roleFlags isMirror, isDER, isSubmeter; the one the other profiles post, plus the battery's
  stored energy in Wh): power and var with flowDirection 1 (forward: positive while the EVSE draws);
- the site mirror (roleFlags isMirror, isPremisesAggregationPoint): site power and var with flowDirection 1
  (positive imports), the grid voltage.

A mirror the server no longer has (404, or missing from the MirrorUsagePointList it reads) is created again: a
fresh server (each CACTUS procedure has one) wants the mirrors POSTed to its list.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from ..codec import as_list
from .config import Settings
from .core import Core, Handler, to_int
from .metering import Metering
from .output import Output
from .registration import Registration

log = logging.getLogger("vgitest.sep2.client")

DER_ROLE, SITE_ROLE = "0049", "0003"  # RoleFlagsType: isMirror|isDER|isSubmeter; isMirror|isPremisesAggregationPoint
SITE_IMPORT, SITE_EXPORT = "csipaus:opModImpLimW", "csipaus:opModExpLimW"  # limits at the connection point
# (mRID kind, description, uom, kind, flowDirection, powerOfTenMultiplier)
Meter = tuple[int, str, int, int, int, int]
STORED = (0x3F, "EV stored energy", 72, 12, 0, 0)
SITE_METERS: tuple[Meter, ...] = ((0x5B, "site real power", 38, 37, 1, 0), (0x5C, "site reactive power", 63, 37, 1, 0),
                                  (0x5D, "site voltage", 29, 0, 0, -1))


def der_limit(name: str, limit_w: float, load_w: float) -> float:
    """The EVSE's own cap (W) that keeps the site within a CSIP-AUS limit `name` given the site load: an import
    limit leaves the load's share out, an export limit lets the load's share more out; other limits (generation,
    load) are the DER's own."""
    if name == SITE_IMPORT:
        return max(0.0, limit_w - load_w)
    if name == SITE_EXPORT:
        return limit_w + max(0.0, load_w)
    return limit_w


class Plant:
    """The site load and the EV battery (its state of charge follows the EVSE's output, sampled at posting)."""

    def __init__(self, settings: Settings, output: Output) -> None:
        self.output, self.load_w = output, settings.site_load_w
        self.capacity_wh = settings.storage_wh
        self.own_wh = self.capacity_wh / 2
        self.storage: Any = None  # the storage DER of v1.3-beta storage mode (client/storage.py), when wired
        self._at = time.monotonic()

    def advance(self) -> None:
        now = time.monotonic()
        self.own_wh = min(self.capacity_wh, max(0.0, self.own_wh + self.output.power_w * (now - self._at) / 3600.0))
        self._at = now

    @property
    def stored_wh(self) -> float:
        """The battery's energy: the storage DER's while it speaks v1.3-beta storage, else the EV battery's."""
        storage = self.storage
        return float(storage.energy_wh) if storage is not None and storage.active else self.own_wh

    @property
    def site_w(self) -> float:
        return self.load_w + self.output.power_w

    @property
    def site_var(self) -> float:
        return self.output.reactive_var


class AusMetering(Metering):
    """The DER and site mirrors of CSIP-AUS mode (module text)."""

    def __init__(self, core: Core, settings: Settings, output: Output, registration: Registration) -> None:
        super().__init__(core, settings, output, registration)
        self.plant = Plant(settings, output)
        self.site_href: str | None = None
        self.served_rate: int | None = None  # the postRate the server serves on its mirrors
        self._creating = False  # a side job creating mirrors is on its way

    def handlers(self) -> dict[str, Handler]:
        return {"MirrorUsagePointList": self._on_list}

    def _meter(self, meter: Meter, value: float, creating: bool) -> dict:
        kind, description, uom, rkind, flow, mult = meter
        mmr: dict[str, Any] = {"mRID": self._mrid(kind)}
        if creating:
            mmr["description"] = description
        else:
            now = self.core.server_now_int()
            mmr.update(lastUpdateTime=str(now), nextUpdateTime=str(now + int(self.post_rate())))
        mmr["Reading"] = {"value": str(round(value / 10.0 ** mult))}
        if creating:
            mmr["ReadingType"] = {"accumulationBehaviour": "12", "commodity": "1", "dataQualifier": "2",
                                  "flowDirection": str(flow), "kind": str(rkind), "phase": "0",
                                  "powerOfTenMultiplier": str(mult), "uom": str(uom)}
        return mmr

    def _readings(self, creating: bool) -> list[dict]:
        out = super()._readings(creating)
        if not self.core.has("no_stored_energy_readings"):
            out.append(self._meter(STORED, self.plant.stored_wh, creating))
        return out

    def _site(self, creating: bool) -> dict:
        p = self.plant
        values = (p.site_w, p.site_var, self.output.grid_v)
        body = {"mRID": self._mrid(0x5A), "description": "site", "roleFlags": SITE_ROLE, "serviceCategoryKind": "0",
                "status": "1", "deviceLFDI": self.core.lfdi,
                "MirrorMeterReading": [self._meter(m, v, creating) for m, v in zip(SITE_METERS, values)]}
        if creating:
            body["postRate"] = str(int(self.post_rate()))
        return body

    def _der_body(self, creating: bool) -> dict:
        body = self._mirror(self._readings(creating))
        body["roleFlags"] = DER_ROLE
        if creating:
            body["postRate"] = str(int(self.post_rate()))
        return body

    def post_rate(self) -> float:
        rate = float(self.served_rate) if self.served_rate else super().post_rate()
        return 4 * rate if self.core.has("slow_readings") else rate

    async def ensure_mirror(self) -> None:
        """Create the mirrors the server lacks, as a side job: the walk that asks goes on meanwhile (its cycle
        stays as short as without mirrors to create)."""
        if self.registration.mup_list and not self._creating and (
                self.mup_href is None or (self.site_href is None and not self.core.has("no_site_readings"))):
            self._creating = True
            self.core.spawn(self._create_missing())

    async def _create_missing(self) -> None:
        try:
            await self._ensure()
        finally:
            self._creating = False

    async def _ensure(self) -> None:
        """Create the DER mirror and the site mirror the server lacks (a MirrorUsagePointList is known)."""
        mup_list = self.registration.mup_list
        if not mup_list:
            return
        self.registration.walk.known_list(mup_list)  # two mirrors: one GET of the list, not a page and the rest
        self.plant.advance()
        if self.mup_href is None:
            self.mup_href = await self._create(mup_list, self._der_body(creating=True))
        if self.site_href is None and not self.core.has("no_site_readings"):
            self.site_href = await self._create(mup_list, self._site(creating=True))

    async def _create(self, mup_list: str, body: dict) -> str | None:
        out = await self.core.http.write("POST", mup_list, "MirrorUsagePoint", body)
        if out is not None and out[0] in (200, 201, 204) and out[1].get("Location"):
            return str(out[1]["Location"])
        return None

    async def _on_list(self, href: str, body: dict) -> None:
        """Its mirrors as the server lists them: the postRate served, and any it must create again."""
        mine = {self._mrid(0x3A): "mup_href", self._mrid(0x5A): "site_href"}
        listed = {}
        for mup in as_list(body.get("MirrorUsagePoint")):
            if isinstance(mup, dict) and str(mup.get("mRID", "")).upper() in mine:
                listed[mine[str(mup["mRID"]).upper()]] = mup
                rate = to_int(mup.get("postRate"))
                if rate and rate > 0:
                    self.served_rate = rate
        complete = to_int(body.get("@all"), 0) <= len(as_list(body.get("MirrorUsagePoint")))
        if complete:
            for attr in mine.values():
                if getattr(self, attr) is not None and attr not in listed:
                    setattr(self, attr, None)
            if not listed:
                self.served_rate = None
        await self.ensure_mirror()

    async def _post(self, attr: str, body: dict) -> bool:
        href = getattr(self, attr)
        if href is None:
            return False
        out = await self.core.http.write("POST", href, "MirrorUsagePoint", body)
        if out is not None and out[0] == 404:  # the server lost it: create it again
            setattr(self, attr, None)
            await self.ensure_mirror()
        return out is not None and out[0] < 300

    async def loop(self) -> None:
        while True:
            try:
                await asyncio.sleep(self.post_rate())
                self.plant.advance()
                if await self._post("mup_href", self._der_body(creating=False)):
                    self.readings_posted += 1
                if not self.core.has("no_site_readings"):
                    await self._post("site_href", self._site(creating=False))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.exception("reference DER client metering")
                self.core.log.append(f"metering: {exc!r}")
