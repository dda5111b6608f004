"""Which control is in force in the reference DER client: the event state machine on server time (started,
completed, cancelled, superseded), precedence among live events (primacy, then the newest), the
DefaultDERControl of the best-ranked program where no event sets a mode, and the power limit that follows."""

from __future__ import annotations

import asyncio
import logging

from . import modes
from .config import Settings
from .core import Core, to_int
from .der import Der
from .event import Event
from .events import Events
from .faults import ignored_elements
from .output import Output
from .plant import der_limit
from .programs import Programs
from .responses import CANCELLED, COMPLETED, STARTED, SUPERSEDED, Responses
from .storage import Storage

log = logging.getLogger("vgitest.sep2.client")

TICK_S = 0.2  # resolution of the event state machine


class Control:
    """The control applied: its source (mRIDs or 'default:<program>') and limit in `applied`, its modes in `base`."""

    def __init__(self, core: Core, settings: Settings, events: Events, programs: Programs, responses: Responses,
                 output: Output, der: Der) -> None:
        self.core, self.settings, self.events, self.programs = core, settings, events, programs
        self.responses, self.output, self.der = responses, output, der
        self.ignored = ignored_elements(core.faults)
        self.applied: tuple[str, float | None] = ("none", None)  # (mRID or 'default:<program>', limit W)
        self.base: dict = {}  # the DERControlBase in force
        self.stale: tuple[str, dict] | None = None  # keeps_cancelled_limit: a cancelled event's control, kept
        self.storage: Storage | None = None  # its storage DER (CSIP-AUS v1.3-beta storage mode), set by its owner

    async def loop(self) -> None:
        while True:
            try:
                self.tick()
                self.update_power()  # the grid, the curves and the ramp move on between control changes
            except Exception as exc:
                log.exception("reference DER client events")
                self.core.log.append(f"events: {exc!r}")
            await asyncio.sleep(TICK_S)

    def update_power(self) -> None:
        if self.storage is not None:  # a storage target (CSIP-AUS v1.3-beta) moves it, within its stored energy
            self.storage.integrate(self.output.power_w)
            self.output.target_w = self.storage.demand(self.base)
        self.output.update(self.base, self.applied[1], self.programs.curve_cache,
                           self.programs.grad_w(self.settings.own_grad))

    def _rank(self, ev: Event) -> tuple:
        primacy = -ev.primacy if self.core.has("ignores_primacy") else ev.primacy
        newer = (ev.creation, ev.seq) if self.core.has("applies_superseded") else (-ev.creation, -ev.seq)
        return (primacy, *newer)

    def tick(self) -> None:
        """Advance every event on server time, then apply the winners over the default control.

        Control modes are independent: a live event loses (superseded, 7) when better-ranked live events set
        every mode it sets; one they override only in part stays in force for its other modes (CACTUS GEN-10 and
        LOA-10: a lower-priority program's export and generation limits start while a higher-priority program's
        export limit holds); events with disjoint modes are in force together, and a mode no live event sets
        keeps the DefaultDERControl's value."""
        has, respond, events = self.core.has, self.responses.respond, self.events.by_mrid
        now = self.core.server_now()
        # an event of a program a reregister left behind (not found again since: the server took it away
        # meanwhile, CACTUS procedures one after the other) is kept (no Response again) but not in force; it
        # outranked the next procedure's events and superseded them
        behind = self.programs.left_behind
        for ev in events.values():
            if ev.state == "done":
                continue
            if ev.server_status in (2, 3) and not has("ignores_cancellation"):
                if ev.state == "active" and has("keeps_cancelled_limit"):
                    self.stale = (ev.mrid, ev.base)  # the fault: its control outlives the cancellation
                ev.state = "done"
                respond(ev, CANCELLED)
            elif ev.server_status == 4 and not has("applies_superseded"):  # that fault keeps the older one
                ev.state = "done"
                respond(ev, SUPERSEDED)
            elif now >= ev.eff_end:
                if ev.state == "active" and ev.program not in behind:
                    respond(ev, COMPLETED)
                ev.state = "done"
        live = sorted((ev for ev in events.values() if ev.state != "done" and ev.eff_start <= now < ev.eff_end
                       and ev.program not in behind), key=self._rank)
        winners: list[Event] = []
        for ev in live:
            if not self._overridden(ev, winners):
                winners.append(ev)
            elif has("resumes_superseded"):
                if SUPERSEDED not in ev.sent:  # says superseded, but keeps the event for later
                    respond(ev, SUPERSEDED)
            else:
                ev.state = "done"
                respond(ev, SUPERSEDED)
        if not winners:
            self.apply(*(self.stale or self._default() or ("none", {})))
            return
        self.stale = None
        default = self._default()
        merged: dict = dict(default[1]) if default else {}  # modes no event sets keep their default
        for ev in reversed(winners):  # the best-ranked event's modes are written last
            if ev.state == "scheduled":
                ev.state = "active"
                respond(ev, STARTED)
            merged.update(ev.base)
        if has("default_over_event") and default is not None:
            merged.update(default[1])  # the default's modes written over the events'
        self.apply("+".join(ev.mrid for ev in winners), merged)

    def _overridden(self, ev: Event, winners: list[Event]) -> bool:
        """Whether better-ranked events in force set every control mode `ev` sets (opMod…, the CSIP-AUS limits
        too; rampTms is not a mode)."""
        if not winners:
            return False
        if self.core.has("supersedes_independent"):
            return True
        mine = _modes(ev.base)
        return bool(mine) and mine <= frozenset().union(*(_modes(w.base) for w in winners))

    def _default(self) -> tuple[str, dict] | None:
        """The DefaultDERControl in force: that of the best-ranked (lowest primacy) program that has one."""
        defaults = self.programs.defaults
        progs = [(p["primacy"], href) for href, p in self.programs.programs.items() if href in defaults]
        if not progs or self.core.has("ignores_default_control"):
            return None
        _, href = max(progs) if self.core.has("ignores_primacy") else min(progs)
        return f"default:{href}", defaults[href]

    def limit_of(self, base: dict) -> float | None:
        """The power limit a DERControlBase sets for a charger (W); None: no limit."""
        has, max_w = self.core.has, self.settings.max_w
        if modes.deenergized({k: v for k, v in base.items() if k not in self.ignored}):
            return 0.0
        if "opModFixedW" in base and not has("ignores_fixed_w"):
            return abs(to_int(base["opModFixedW"])) / 10000 * max_w
        if isinstance(base.get("opModTargetW"), dict) and not has("ignores_target_w"):
            t = base["opModTargetW"]
            return abs(to_int(t.get("value")) * 10.0 ** to_int(t.get("multiplier")))
        limits = []
        if "opModMaxLimW" in base and not has("ignores_max_limit"):
            limits.append(to_int(base["opModMaxLimW"]) / 10000 * max_w)
        if self.settings.csip_aus and not has("ignores_doe_limits"):  # CSIP-AUS: the limits of its direction
            names = AUS_IMPORT if self.output.want_w >= 0 else AUS_EXPORT
            limits += [der_limit(n, abs(to_int(base[n].get("value")) * 10.0 ** to_int(base[n].get("multiplier"))),
                                 self.settings.site_load_w) for n in names if isinstance(base.get(n), dict)]
        return min(limits) if limits else None

    def apply(self, source: str, base: dict) -> None:
        self.base = base
        if self.storage is not None:  # the direction of its limits follows a storage target in force
            self.output.target_w = self.storage.demand(base)
        applied = (source, self.limit_of(base))
        if applied == self.applied:
            return
        self.applied = applied
        self.core.log.append(f"applying {source}: limit {applied[1]} W")
        self.update_power()
        if self.core.powered:
            self.core.spawn(self.der.put_status())


AUS_IMPORT = ("csipaus:opModImpLimW", "csipaus:opModLoadLimW")  # charging: from the site's import, its load
AUS_EXPORT = ("csipaus:opModExpLimW", "csipaus:opModGenLimW")  # discharging: to the site's export, its generation


def _modes(base: dict) -> frozenset[str]:
    """The control modes a DERControlBase sets: its opMod… elements, namespaced ones (csipaus:opModExpLimW) too."""
    return frozenset(k for k in base if k.rpartition(":")[2].startswith("opMod"))
