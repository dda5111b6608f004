"""The DER of the reference DER client as the server sees it: a bidirectional EVSE's ratings (DERCapability),
settings (DERSettings, PUT again when the setGradW in force changes), status (DERStatus) and availability
(DERAvailability). Bodies in schema order; its var rating, setMaxVar and statVarAvail are its rated power, its
nominal voltage its setVRef."""

from __future__ import annotations

import time
from typing import Callable

from ..codec import as_list
from . import demand
from .config import Settings
from .core import Core, Handler
from .metering import Metering
from .output import Output
from .programs import Programs
from .storage import Storage

# DERControlType bit positions of the modes it carries out (charge and discharge: a bidirectional EVSE)
MODE_BITS = {"charge": 0, "discharge": 1, "opModConnect": 2, "opModEnergize": 3, "opModFixedPFAbsorbW": 4,
             "opModFixedPFInjectW": 5, "opModFixedVar": 6, "opModFixedW": 7, "opModFreqWatt": 9,
             "opModHFRTMustTrip": 11, "opModHVRTMustTrip": 14, "opModLFRTMustTrip": 16, "opModLVRTMustTrip": 19,
             "opModMaxLimW": 20, "opModTargetW": 22, "opModVoltVar": 23, "opModVoltWatt": 24, "opModWattPF": 25,
             "opModWattVar": 26}
MODES_SUPPORTED = sum(1 << bit for bit in MODE_BITS.values())
DER_TYPE_EVSE = 82
DOE_MODES = "0F"  # CSIP-AUS DOEControlType: opModExpLimW, opModImpLimW, opModGenLimW, opModLoadLimW (in CSIP-AUS mode)


def _power(w: float) -> dict:
    return {"multiplier": "0", "value": str(int(round(w)))}


class Der:
    """Its DER's links (from the DERList) and what it last declared; written once per walk."""

    def __init__(self, core: Core, settings: Settings, output: Output, programs: Programs,
                 metering: Metering) -> None:
        self.core, self.settings, self.output, self.programs, self.metering = core, settings, output, programs, metering
        self.links: dict[str, str] = {}
        self.written = False
        self._declared_grad: int | None = None  # the setGradW of its last DERSettings PUT
        self._written_at = 0.0  # monotonic time it last declared its DER (PIXIT der_refresh_s)
        self.storage: Storage | None = None  # its storage DER (CSIP-AUS v1.3-beta storage mode), set by its owner
        self.control_base: Callable[[], dict] = dict  # the DERControlBase in force (the client wires its control's)
        self._reported_mode: int | None = None  # the operationalModeStatus of its last DERStatus PUT

    def forget(self) -> None:
        self.written = False

    def handlers(self) -> dict[str, Handler]:
        return {"DERList": self._on_der_list}

    async def _on_der_list(self, href: str, body: dict) -> None:
        der = next((d for d in as_list(body.get("DER")) if isinstance(d, dict)), None)
        if der is None:
            return
        self.links = {k: v["@href"] for k, v in der.items() if k.endswith("Link") and isinstance(v, dict)
                      and "@href" in v}
        refresh = self.settings.der_refresh_s
        if not self.written or (refresh > 0 and time.monotonic() - self._written_at >= refresh):
            self.written, self._written_at = True, time.monotonic()
            await self._write_all()
        await self.metering.ensure_mirror()

    def _grad(self) -> int:
        return self.programs.grad_w(self.settings.own_grad)

    async def _write_all(self) -> None:
        """Capability, settings, status, availability."""
        write, links, max_w = self.core.http.write, self.links, self.settings.max_w
        rated, volts = _power(max_w), _power(self.settings.nominal_v)
        cap = {"modesSupported": f"{MODES_SUPPORTED:08X}", "rtgMaxChargeRateW": rated, "rtgMaxDischargeRateW": rated,
               "rtgMaxVar": rated, "rtgMaxW": rated, "rtgVNom": volts, "type": str(DER_TYPE_EVSE)}
        if self.settings.csip_aus:  # the CSIP-AUS limits it follows: export, import, generation, load (bits 0-3)
            cap["csipaus:doeModesSupported"] = DOE_MODES
        if self.storage is not None:
            cap = self.storage.capability(cap)
        if self.core.has("der_capability_schema_violation"):
            cap = {"type": cap.pop("type"), **cap}
        if "DERCapabilityLink" in links:
            await write("PUT", links["DERCapabilityLink"], "DERCapability", cap)
        await self.put_settings()
        await self.put_status()
        if "DERAvailabilityLink" in links:
            avail = {"readingTime": str(self.core.server_now_int()), "statVarAvail": _power(max_w),
                     "statWAvail": _power(max_w)}
            await write("PUT", links["DERAvailabilityLink"], "DERAvailability", avail)

    async def put_settings(self) -> None:
        href = self.links.get("DERSettingsLink")
        if href is None or self.core.has("no_der_settings"):
            return
        rated, volts = _power(self.settings.max_w), _power(self.settings.nominal_v)
        self._declared_grad = self._grad()
        settings = {"modesEnabled": f"{MODES_SUPPORTED:08X}", "setGradW": str(self._declared_grad),
                    "setMaxChargeRateW": rated, "setMaxDischargeRateW": rated, "setMaxVar": rated, "setMaxW": rated,
                    "setVNom": volts, "setVRef": volts, "updatedTime": str(self.core.server_now_int())}
        if self.settings.csip_aus:
            settings["csipaus:doeModesEnabled"] = DOE_MODES
        if self.storage is not None:
            settings = self.storage.settings_body(settings)
        await self.core.http.write("PUT", href, "DERSettings", settings)

    async def put_status(self) -> None:
        href = self.links.get("DERStatusLink")
        if href is None or self.core.has("no_der_status"):
            return
        now = str(self.core.server_now_int())
        power_w = self.output.power_w
        mode = "0" if power_w > 0 else "1" if power_w < 0 else "2"  # charging, discharging, holding
        site = self.output.site.as_reported(self.core.has("status_ignores_site"))
        op_mode = site.mode_status()  # 1 off (stopped by hand), 2 operational
        status: dict = {}
        if self.settings.csip_aus:  # CSIP-AUS asks every DER for its alarms and its connection (bit 0 connected,
            # bit 1 available, bit 2 operating; told to disconnect it is none of them, CACTUS ALL-12)
            gen = site.connect_status(self.output.disconnected, self.output.ceased)
            status = {"alarmStatus": "00000000", "genConnectStatus": {"dateTime": now, "value": f"{gen:02X}"}}
        op_mode = int(op_mode)
        if op_mode == demand.OPERATING:  # running: a DR instruction in force shows as 100 + its DRM (CSIP-AUS)
            op_mode = demand.operational_mode(self.control_base(), reports_drm=self.settings.csip_aus
                                              and not self.core.has("no_drm_status"))
        status |= {"operationalModeStatus": {"dateTime": now, "value": str(op_mode)}, "readingTime": now,
                  "storageModeStatus": {"dateTime": now, "value": mode},
                  "storConnectStatus": {"dateTime": now, "value": "07" if power_w else "03"}}
        if self.storage is not None:
            status = self.storage.status(status, now)
        await self.core.http.write("PUT", href, "DERStatus", status)
        changed, self._reported_mode = op_mode != self._reported_mode, op_mode
        if changed and self.settings.csip_aus and op_mode >= demand.DRM_BASE:
            await self.put_settings()  # CSIP-AUS: a DR instruction taken up shows in its settings too

    async def report(self) -> None:
        """Its DERStatus and DERSettings PUT again while a DR instruction is in force (CSIP-AUS: every post interval,
        see :mod:`.demand`); nothing more otherwise (every change is PUT when it happens)."""
        if self.written and self._reported_mode is not None and self._reported_mode >= demand.DRM_BASE:
            await self.put_status()
            await self.put_settings()

    def settings_changed(self) -> None:
        """PUT DERSettings again when the setGradW in force is no longer the one it declared."""
        if self._declared_grad is not None and self._grad() != self._declared_grad and self.core.powered:
            self._declared_grad = self._grad()
            self.core.spawn(self.put_settings())
