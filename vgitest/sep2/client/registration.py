"""Discovery and registration of the reference DER client: DeviceCapability → Time → EndDeviceList →
EndDevice → Registration, the in-band POST of its EndDevice, and the PIN check before it goes on to its
function sets and its DER."""

from __future__ import annotations

import time

from .. import identity
from ..codec import as_list, find
from .config import Settings
from .core import Core, Handler, to_int
from .walk import Walk


class Registration:
    """Where its EndDevice is, what it links to, and whether the client may proceed (forgotten by reregister)."""

    def __init__(self, core: Core, settings: Settings, walk: Walk) -> None:
        self.core, self.settings, self.walk = core, settings, walk
        self.sfdi = identity.sfdi(core.lfdi)
        self.mup_list: str | None = None  # the DeviceCapability's MirrorUsagePointList
        self.edev_href: str | None = None
        self.edev_links: dict[str, str] = {}
        self.registered = False
        self.registered_in_band = False
        self.created: set[str] = set()  # EndDevices it registered in band (kept across reregister, as in flash)
        self.end_device_post_rate: int | None = None

    def forget(self) -> None:
        self.edev_href = None
        self.edev_links = {}
        self.registered = self.registered_in_band = False

    def handlers(self) -> dict[str, Handler]:
        return {"DeviceCapability": self._on_dcap, "Time": self._on_time, "EndDeviceList": self._on_edev_list,
                "EndDevice": self._on_edev, "Registration": self._on_registration}

    async def _on_dcap(self, href: str, body: dict) -> None:
        self.mup_list = find(body, "MirrorUsagePointListLink/@href")
        if self.core.has("guesses_paths"):
            await self.walk.follow("/derp")  # a path it was never given
        if not self.core.has("skip_time_sync"):
            await self.walk.follow(find(body, "TimeLink/@href"))
        await self.walk.follow(find(body, "EndDeviceListLink/@href"))
        if self.settings.csip_aus and self.mup_list:  # CSIP-AUS: it reads its mirrors' list at that list's pollRate
            await self.walk.follow(self.mup_list)

    async def _on_time(self, href: str, body: dict) -> None:
        """Server time = local clock + offset; within the resource's 1 s resolution the clocks agree."""
        diff = to_int(body.get("currentTime"), int(time.time())) - time.time()
        self.core.clock_offset = 0.0 if abs(diff) < 1.0 else float(round(diff))

    async def _on_edev_list(self, href: str, body: dict) -> None:
        log = self.core.log
        if self.edev_href is None:
            mine = next((d for d in as_list(body.get("EndDevice")) if isinstance(d, dict)
                         and identity.normalize_lfdi(str(d.get("lFDI", ""))) == self.core.lfdi), None)
            if mine is not None and not self.core.has("registers_in_band_always"):
                self.edev_href = mine.get("@href")
                # one it registered itself before a reregister has no Registration to check, as before it
                self.registered_in_band = self.registered_in_band or self.edev_href in self.created
            elif self.settings.in_band or self.core.has("registers_in_band_always"):
                await self._register_in_band(href)
            elif "not registered" not in (log[-1] if log else ""):
                log.append("not registered: no EndDevice with my LFDI (waiting for out-of-band registration)")
        await self.walk.follow(self.edev_href)

    async def _register_in_band(self, href: str) -> None:
        lfdi = self.core.lfdi
        if self.core.has("wrong_lfdi_in_end_device"):
            lfdi = lfdi[:-1] + ("0" if lfdi[-1] != "0" else "1")
        sfdi = self.sfdi
        if self.core.has("wrong_sfdi_check_digit"):
            sfdi = sfdi // 10 * 10 + (sfdi % 10 + 1) % 10
        body = {"lFDI": lfdi, "sFDI": str(sfdi), "changedTime": str(self.core.server_now_int())}
        if self.settings.csip_aus:  # CSIP-AUS asks a registering device for its category: an EVSE (bit 17)
            body = {"deviceCategory": f"{1 << 17:08X}", **body}
        out = await self.core.http.write("POST", href, "EndDevice", body)
        if out is not None and out[0] == 201 and out[1].get("Location"):
            self.edev_href = out[1]["Location"]
            self.registered_in_band = True
            self.created.add(str(self.edev_href))
            self.core.log.append(f"registered in band at {self.edev_href}")

    async def _on_edev(self, href: str, body: dict) -> None:
        self.edev_links = {k: v["@href"] for k, v in body.items() if k.endswith("Link") and isinstance(v, dict)
                           and "@href" in v}
        if "postRate" in body:
            self.end_device_post_rate = to_int(body["postRate"]) or None
        rg = self.edev_links.get("RegistrationLink")
        if self.core.has("never_reads_registration"):  # takes the PIN for granted: never reads its Registration
            rg, self.registered = None, True
        if self.registered or (rg is None and self.registered_in_band):
            self.registered = True
            await self._proceed()
        elif rg is not None:
            await self.walk.follow(rg)
        else:
            self.core.log.append("EndDevice without a RegistrationLink: cannot check the PIN; not proceeding")

    async def _on_registration(self, href: str, body: dict) -> None:
        pin = to_int(body.get("pIN"), -1)
        if self.settings.pin is not None and pin != self.settings.pin and not self.core.has("skip_registration_check"):
            if self.registered or not any("PIN mismatch" in line for line in self.core.log[-5:]):
                self.core.log.append(f"PIN mismatch: the server says {pin}, mine is {self.settings.pin}; "
                                     "not proceeding")
            self.registered = False
            return
        self.registered = True
        await self._proceed()

    async def on_missing(self, href: str, status: int) -> None:
        """An answer without a resource: a Registration that is not there means nothing to compare when it
        registered in band or has no PIN configured."""
        if status == 404 and href == self.edev_links.get("RegistrationLink") and (self.registered_in_band
                                                                                 or self.settings.pin is None):
            self.registered = True
            await self._proceed()

    async def _proceed(self) -> None:
        """Registered: the function sets, then its DER."""
        await self.walk.follow(self.edev_links.get("FunctionSetAssignmentsListLink"))
        await self.walk.follow(self.edev_links.get("DERListLink"))
