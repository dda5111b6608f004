"""The reference DER client as a storage DER in CSIP-AUS v1.3-beta storage mode (the CACTUS STO procedures).

A client implements one or more CSIP-AUS versions (PIXIT ``csip_aus_versions``) and speaks one at a time: the DUT
action ``csip_aus_version`` switches it (its requests and what it accepts in the new version's namespace and schema,
:meth:`Storage.speak`). In v1.3-beta storage mode its DER is a battery behind the EVSE's converter:

- it declares what a storage DER has (ratings and settings of apparent and reactive power, power factors, its
  energy rating rtgMaxWh, setMaxWh and the reserve setMinWh) and the VPP mode it follows, opModStorageTargetW
  (``vppModesSupported``/``vppModesEnabled`` bit 0);
- a control's opModStorageTargetW (W, positive discharging) is the power it moves towards, within its charge and
  discharge rates, its stored energy between setMinWh and setMaxWh, and the CSIP-AUS limits in force (applied by
  :mod:`.control` as for any demand);
- its DERStatus carries its state of charge (stateOfChargeStatus).

Its stored energy starts at half its rating and follows its output on the wall clock (the client does not know a
procedure's time scale).
"""

from __future__ import annotations

import time
from typing import Any

from ..namespaces import CSIPAUS_STORAGE
from .config import Settings
from .core import Core, to_int

V1_2 = "v1.2"
STORAGE = "v1.3-beta/storage"
VPP_MODES = "01"  # VPPControlType bit 0: opModStorageTargetW
TARGET = "csipaus:opModStorageTargetW"
# schema order of what it writes (2030.5-2018, then the CSIP-AUS elements appended by the extension)
CAP_ORDER = ("modesSupported", "rtgMaxChargeRateW", "rtgMaxDischargeRateW", "rtgMaxVA", "rtgMaxVar", "rtgMaxVarNeg",
             "rtgMaxW", "rtgMaxWh", "rtgMinPFOverExcited", "rtgMinPFUnderExcited", "rtgVNom", "type",
             "csipaus:doeModesSupported", "csipaus:vppModesSupported")
SET_ORDER = ("modesEnabled", "setGradW", "setMaxChargeRateW", "setMaxDischargeRateW", "setMaxVA", "setMaxVar",
             "setMaxVarNeg", "setMaxW", "setMaxWh", "setMinPFOverExcited", "setMinPFUnderExcited", "setVNom",
             "setVRef", "updatedTime", "csipaus:doeModesEnabled", "csipaus:vppModesEnabled", "csipaus:setMinWh")
STATUS_ORDER = ("alarmStatus", "genConnectStatus", "operationalModeStatus", "readingTime", "stateOfChargeStatus",
                "storageModeStatus", "storConnectStatus")


def _ordered(body: dict, order: tuple[str, ...]) -> dict:
    """`body` in schema order (keys outside `order` keep their place after the known ones)."""
    known = {k: body[k] for k in order if k in body}
    return {**known, **{k: v for k, v in body.items() if k not in known}}


def _amount(value: float) -> dict[str, str]:
    return {"multiplier": "0", "value": str(int(round(value)))}


def initial_version(params: dict[str, Any]) -> str:
    """The first version of PIXIT ``csip_aus_versions`` it speaks (v1.2 when none is given)."""
    raw = params.get("csip_aus_versions") or V1_2
    items = raw if isinstance(raw, (list, tuple)) else str(raw).replace(",", " ").split()
    return next((str(v) for v in items if str(v) in (V1_2, STORAGE)), V1_2)


class Storage:
    """The version it speaks and, in storage mode, its battery (see the module text)."""

    def __init__(self, core: Core, settings: Settings, params: dict[str, Any]) -> None:
        self.core, self.settings = core, settings
        self.capacity_wh = float(params.get("rtg_max_wh", 13500))
        self.reserve_wh = float(params.get("set_min_wh", 0.1 * self.capacity_wh))
        self.energy_wh = 0.5 * self.capacity_wh
        self.version = initial_version(params) if settings.csip_aus else V1_2
        self._stepped = time.monotonic()

    @property
    def active(self) -> bool:
        """In CSIP-AUS v1.3-beta storage mode."""
        return self.settings.csip_aus and self.version == STORAGE

    def wire_ns(self) -> dict[str, str] | None:
        """The prefix rebinding of its requests and answers (None: the codec's own, v1.2)."""
        return {"csipaus": CSIPAUS_STORAGE} if self.active else None

    def speak(self, version: str, transport: Any, reader: Any) -> None:
        """Speak `version` from now on: its namespace on the wire, its schema for what it accepts."""
        if version not in (V1_2, STORAGE):
            raise ValueError(f"the reference DER client speaks CSIP-AUS {V1_2} or {STORAGE}, not {version!r}")
        self.version = version
        transport.ns = self.wire_ns()
        reader.csip_aus = version if self.active else self.settings.csip_aus
        self.core.log.append(f"speaks CSIP-AUS {version}")

    # --- what it declares ---------------------------------------------------------------------------------
    def capability(self, cap: dict) -> dict:
        if not self.active:
            return cap
        w = self.settings.max_w
        cap = {**cap, "rtgMaxVA": _amount(w), "rtgMaxVarNeg": _amount(-w), "rtgMaxWh": _amount(self.capacity_wh),
               "rtgMinPFOverExcited": {"displacement": "80", "multiplier": "-2"},
               "rtgMinPFUnderExcited": {"displacement": "80", "multiplier": "-2"}}
        if not self.core.has("no_vpp_modes"):
            cap["csipaus:vppModesSupported"] = VPP_MODES
        return _ordered(cap, CAP_ORDER)

    def settings_body(self, settings: dict) -> dict:
        if not self.active:
            return settings
        w = self.settings.max_w
        settings = {**settings, "setMaxVA": _amount(w), "setMaxVarNeg": _amount(-w),
                    "setMaxWh": _amount(self.capacity_wh),
                    "setMinPFOverExcited": {"displacement": "85", "multiplier": "-2"},
                    "setMinPFUnderExcited": {"displacement": "85", "multiplier": "-2"},
                    "csipaus:setMinWh": _amount(self.reserve_wh)}
        if not self.core.has("no_vpp_modes"):
            settings["csipaus:vppModesEnabled"] = "00" if self.core.has("vpp_modes_disabled") else VPP_MODES
        return _ordered(settings, SET_ORDER)

    def status(self, status: dict, now: str) -> dict:
        if not self.active:
            return status
        soc = round(10000 * self.energy_wh / self.capacity_wh) if self.capacity_wh > 0 else 0
        return _ordered({**status, "stateOfChargeStatus": {"dateTime": now, "value": str(soc)}}, STATUS_ORDER)

    # --- what it does ---------------------------------------------------------------------------------------
    def demand(self, base: dict) -> float | None:
        """The power it moves towards under the control `base` (meter view: positive charging), or None when no
        storage target is in force (the EV's demand applies): the target within its rates and its stored
        energy (no discharge at or below setMinWh, no charge at or above setMaxWh)."""
        if not self.active or self.core.has("ignores_storage_target") or not isinstance(base.get(TARGET), dict):
            return None
        t = base[TARGET]
        target_w = to_int(t.get("value")) * 10.0 ** to_int(t.get("multiplier"))  # positive: discharge
        w = max(-self.settings.max_w, min(self.settings.max_w, -target_w))
        if w < 0 and self.energy_wh <= self.reserve_wh:
            return 0.0
        if w > 0 and self.energy_wh >= self.capacity_wh:
            return 0.0
        return w

    def integrate(self, power_w: float) -> None:
        """Its stored energy after `power_w` (positive charging) since the last call, within [0, rtgMaxWh]."""
        now = time.monotonic()
        dt, self._stepped = now - self._stepped, now
        if self.active:
            self.energy_wh = max(0.0, min(self.capacity_wh, self.energy_wh + power_w * dt / 3600.0))
