"""The metering of the reference DER client: one MirrorUsagePoint with a MirrorMeterReading per meter (W, var,
V, Hz), created once its DER is known and posted to at the post rate (all meters in one POST)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from .config import Settings
from .core import Core
from .output import Output
from .registration import Registration

log = logging.getLogger("vgitest.sep2.client")

# its mirrored meters: (mRID kind, description, uom, kind, flowDirection, powerOfTenMultiplier); power and
# var in the meter's view (flowDirection 1: positive while the site takes them from the grid)
METERS = ((0x3B, "EVSE real power", 38, 37, 1, 0), (0x3C, "EVSE reactive power", 63, 37, 1, 0),
          (0x3D, "grid voltage", 29, 0, 0, -1), (0x3E, "grid frequency", 33, 0, 0, -2))


class Metering:
    """Where its MirrorUsagePoint is (kept across restarts) and how many postings of readings went through."""

    def __init__(self, core: Core, settings: Settings, output: Output, registration: Registration) -> None:
        self.core, self.settings, self.output, self.registration = core, settings, output, registration
        self.mup_href: str | None = None
        self.readings_posted = 0

    def _mrid(self, kind: int) -> str:
        return f"{kind:02X}{self.core.lfdi[:30]}"

    def _readings(self, creating: bool) -> list[dict]:
        """One MirrorMeterReading per meter of METERS with its present value; ReadingTypes when creating."""
        now = self.core.server_now_int()
        o = self.output
        values = (o.power_w, o.reactive_var, o.grid_v, o.grid_hz)
        out = []
        for (kind, description, uom, rkind, flow, mult), value in zip(METERS, values):
            mmr: dict[str, Any] = {"mRID": self._mrid(kind)}
            if creating:
                mmr["description"] = description
            else:
                mmr.update(lastUpdateTime=str(now), nextUpdateTime=str(now + int(self.post_rate())))
            mmr["Reading"] = {"value": str(round(value / 10.0 ** mult))}
            if creating and not self.core.has("readings_without_reading_type"):
                mmr["ReadingType"] = {"accumulationBehaviour": "12", "commodity": "1", "dataQualifier": "2",
                                      "flowDirection": str(flow), "kind": str(rkind), "phase": "0",
                                      "powerOfTenMultiplier": str(mult),
                                      "uom": "72" if uom == 38 and self.core.has("wrong_reading_type") else str(uom)}
            out.append(mmr)
        return out

    def _mirror(self, readings: list[dict], **extra: str) -> dict:
        return {"mRID": self._mrid(0x3A), "description": "EVSE", "roleFlags": "0049", "serviceCategoryKind": "0",
                "status": "1", "deviceLFDI": self.core.lfdi, "MirrorMeterReading": readings, **extra}

    async def ensure_mirror(self) -> None:
        """Create its MirrorUsagePoint if it has none and the server gave a MirrorUsagePointList."""
        mup_list = self.registration.mup_list
        if self.mup_href is not None or not mup_list:
            return
        body = self._mirror(self._readings(creating=True), postRate=str(int(self.post_rate())))
        out = await self.core.http.write("POST", mup_list, "MirrorUsagePoint", body)
        if out is not None and out[0] in (200, 201, 204) and out[1].get("Location"):
            self.mup_href = out[1]["Location"]

    def post_rate(self) -> float:
        if self.settings.post_rate_s is not None:
            return max(0.1, float(self.settings.post_rate_s))
        return float(self.registration.end_device_post_rate or 60)

    async def loop(self) -> None:
        while True:
            try:
                await asyncio.sleep(self.post_rate())
                if self.mup_href is None:
                    continue
                body = self._mirror(self._readings(creating=False))  # all meters in one POST
                out = await self.core.http.write("POST", self.mup_href, "MirrorUsagePoint", body)
                if out is not None and out[0] < 300:
                    self.readings_posted += 1
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.exception("reference DER client metering")
                self.core.log.append(f"metering: {exc!r}")
