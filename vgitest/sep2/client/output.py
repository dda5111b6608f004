"""The simulated EVSE behind the reference DER client: the EV's demand, the grid at its point of connection (a
test steps it with the action ``set_grid``) and the active and reactive power it draws or injects under the
control in force (the arithmetic is in :mod:`.modes`)."""

from __future__ import annotations

import time

from . import modes
from .config import Settings
from .core import Core
from .faults import ignored_elements
from .site import OnSite


class Output:
    """Its output in the meter's view: power positive charging, negative discharging; var positive absorbing."""

    def __init__(self, core: Core, settings: Settings) -> None:
        self.core = core
        self.max_w, self.nominal_v = settings.max_w, settings.nominal_v
        self.speedup = settings.plant_speedup
        self.demand_w = settings.demand_w  # W; negative: the EV offers to discharge
        self.target_w: float | None = None  # W: a storage target in force (.storage), which the demand gives way to
        self.grid_v, self.grid_hz = settings.nominal_v, settings.nominal_hz
        self.grid_since = time.monotonic()  # when the grid last changed: the start of an excursion
        self.ignored = ignored_elements(core.faults)  # DERControlBase elements its faults make it ignore
        self.power_w = min(self.demand_w, self.max_w)
        self.reactive_var = 0.0
        self.tripped = False  # ceased to energize on a must-trip curve
        self.latched_off = False  # stays_disconnected: off since a disconnect, until reregistered
        self.ceased = False  # not energizing (tripped, told to disconnect or cease to energize, latched off)
        self.disconnected = False  # told to disconnect (opModConnect false)
        self._stepped = time.monotonic()
        self.site = OnSite()  # disconnected, stopped or powered off by hand (its owner sets the units)

    @property
    def want_w(self) -> float:
        """The power it moves towards before limits: a storage target in force, else the EV's demand."""
        return self.demand_w if self.target_w is None else self.target_w

    def set_grid(self, v: float | None, hz: float | None) -> None:
        grid = (self.grid_v if v is None else float(v), self.grid_hz if hz is None else float(hz))
        if grid != (self.grid_v, self.grid_hz):
            self.grid_v, self.grid_hz = grid
            self.grid_since = time.monotonic()

    def update(self, base: dict, limit: float | None, curve_cache: dict[str, modes.Curve], grad_w: int) -> None:
        """Its output now: the EV's demand within `limit` (W; None: none) and the modes of the DERControlBase in
        force (curves at the present grid values, power factor), reached at its ramp rate `grad_w` (setGradW); a
        must-trip curve or a disconnect ceases to energize at once."""
        now = time.monotonic()
        dt, self._stepped = now - self._stepped, now
        base = {k: v for k, v in base.items() if k not in self.ignored}
        curves = modes.linked_curves(base, curve_cache)
        grid = modes.Grid(v_pct=100.0 * self.grid_v / self.nominal_v, hz=self.grid_hz)
        self.tripped = modes.tripped(curves, grid, now - self.grid_since, self.tripped)
        cap = min(self.max_w, limit if limit is not None else self.max_w)
        out = -max(-cap, min(self.want_w, cap))  # the DER's view: positive injects
        if self.core.has("limit_reverses_flow") and cap < abs(self.want_w):  # a binding limit met the wrong way
            out = self.max_w if self.want_w > 0 else -self.max_w
        pct = modes.active_limit_pct(curves, grid)
        if pct is not None and out > 0:
            out = min(out, max(0.0, pct) / 100.0 * self.max_w)
        self.disconnected = str(base.get("opModConnect", "true")).strip().lower() in ("false", "0")
        self.ceased = self.tripped or (limit == 0.0 and modes.deenergized(base)) or self.latched_off
        if self.site.off:  # off by hand: no power whatever the control says
            self.power_w = self.reactive_var = 0.0
            self.ceased = True
            return
        if self.tripped or (limit == 0.0 and modes.deenergized(base)):
            self.power_w = self.reactive_var = 0.0
            self.latched_off = self.core.has("stays_disconnected")
            return
        if self.latched_off:  # the fault stays_disconnected: never enters service again on its own
            self.power_w = self.reactive_var = 0.0
            return
        # its ramp runs in the procedures' time where they are scaled (config.Settings.plant_speedup)
        grad = 0.0 if self.core.has("ignores_ramp_rate") else grad_w / 10000.0 * self.max_w * self.speedup
        self.power_w = modes.ramp(self.power_w, -out, grad, dt) + 0.0  # (+ 0.0: no -0.0)
        self.reactive_var = -modes.reactive_var(base, curves, grid, -self.power_w, self.max_w, self.max_w) + 0.0
