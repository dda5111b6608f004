"""What is done to the reference DER client's DER on site, by hand: disconnected from the grid, stopped, some of
its units powered off (the DUT actions der_grid, der_run, der_units_off that a CACTUS operator's instructions
ask for), and a lab operator's look at it before a CACTUS go-ahead (cactus_proceed).

A real device reports such changes in its DERStatus by itself; so does the reference client (it PUTs its DERStatus
at once). Its units (PIXIT ``der_units``, default 1) are one EVSE output as far as power goes: the status is that
of all of them together (connected, available and operating while one unit is; operational mode off when none
runs), which is what a client with several DER behind one DER resource reports."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from typing import Callable

OBSERVE_MAX_S = 20.0  # the longest the simulated operator watches (within the adapter's call limit of 30 s)
WHICH = ("one", "all", "none")


class NotSeen(Exception):
    """The simulated operator did not see what it was to observe: no go-ahead."""


def flag(value: bool | str) -> bool:
    """A true/false parameter as the adapters hand it over (a bool in-process, a string from a command)."""
    if isinstance(value, bool):
        return value
    if str(value).strip().lower() in ("true", "1", "yes"):
        return True
    if str(value).strip().lower() in ("false", "0", "no"):
        return False
    raise ValueError(f"not true or false: {value!r}")


@dataclasses.dataclass
class OnSite:
    """The state an operator's hand sets; all as normal at start."""

    units: int = 1
    grid_connected: bool = True
    running: bool = True
    units_off: int = 0

    def power_off(self, which: str) -> None:
        if which not in WHICH:
            raise ValueError(f"der_units_off: which must be one of {', '.join(WHICH)}, not {which!r}")
        self.units_off = {"one": min(self.units, self.units_off + 1), "all": self.units, "none": 0}[which]

    @property
    def powered(self) -> bool:
        """At least one unit is on."""
        return self.units_off < self.units

    @property
    def off(self) -> bool:
        """No power at all: disconnected from the grid, stopped, or every unit powered off."""
        return not (self.grid_connected and self.running and self.powered)

    def as_reported(self, hidden: bool) -> OnSite:
        """What its DERStatus says of it: itself, or (the fault status_ignores_site) a DER as normal."""
        return OnSite(self.units) if hidden else self

    def connect_status(self, told_to_disconnect: bool, ceased: bool) -> int:
        """genConnectStatus: bit 0 connected, bit 1 available, bit 2 operating."""
        connected = self.grid_connected and self.powered and not told_to_disconnect
        available = self.powered and not told_to_disconnect  # told to disconnect: not available either (ALL-12)
        return (1 if connected else 0) | (2 if available else 0) | (0 if ceased or self.off else 4)

    def mode_status(self) -> str:
        """operationalModeStatus: 1 off (stopped, or no unit on), 2 operational."""
        return "2" if self.running and self.powered else "1"


async def watch(seen: Callable[[], bool], within_s: float, tick_s: float = 0.1) -> bool:
    """Whether `seen()` holds within `within_s` (bounded by OBSERVE_MAX_S): the simulated operator's look."""
    deadline = time.monotonic() + min(within_s, OBSERVE_MAX_S)
    while True:
        if seen():
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(tick_s)
