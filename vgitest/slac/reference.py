"""The reference SLAC EV and EVSE as devices under test of `vgitest run` (adapter "simulated").

Each is the emulated role of :mod:`vgitest.slac.roles` with the faults of its catalog
(:mod:`vgitest.slac.catalog`), on its own asyncio thread, with its end of the link named by the fake peer's URL
(``slac+netns://NS/IF``: its socket is created in that namespace). ``plug_in`` opens a fresh socket and starts
one matching session in the background; ``unplug`` ends it. The device keeps the standard's timers
(``schemas/budgets/slac.toml``): a profile's relaxations apply to the harness only.
"""

from __future__ import annotations

import abc
import asyncio
from typing import Any

from ..simulator import LoopSimulator
from .fake import open_link, parse_url
from .link import PacketLink, Recording
from .roles import SlacEv, SlacEvse
from .timers import SlacTimers

VERSION = "15118-3"


class _ReferenceSlac(LoopSimulator):
    def __init__(self, url: str, identity: str, *, faults: tuple[str, ...] = (),
                 params: dict[str, Any] | None = None, **_: Any) -> None:
        from .catalog import catalog_for
        catalog_for(self.kind).check_names(faults, VERSION)
        self.faults = frozenset(faults)
        self.params = params or {}
        self.namespace, self.ifname = parse_url(url)
        self.timers = SlacTimers.from_budgets()
        self.link: PacketLink | None = None
        self.task: asyncio.Task[Any] | None = None
        self.records = Recording()
        self.result: Any = None

    def own_records(self) -> list[Any]:
        """Every frame of the current (or last) session as this device saw it, incl. its modem exchange."""
        return list(self.records)

    @abc.abstractmethod
    def _role(self, link: PacketLink) -> Any:
        """The SLAC role object (SlacEv or SlacEvse) of this device on ``link``."""

    async def _power_on(self) -> None:
        return None

    async def _power_off(self) -> None:
        await self.do_unplug()

    async def do_plug_in(self, **_: Any) -> None:
        """Plug in: a fresh socket on the link, and one matching session in the background."""
        await self.do_unplug()
        loop = asyncio.get_running_loop()
        link = await loop.run_in_executor(None, open_link, self.ifname, self.namespace)
        self.link, self.records, self.result = link, link.records, None
        role = self._role(link)

        async def session() -> None:
            self.result = await role.run()
        self.task = loop.create_task(session())

    async def do_unplug(self, **_: Any) -> None:
        if self.task is not None:
            if not self.task.done():
                self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            self.task = None
        if self.link is not None:
            self.link.close()
            self.link = None


class ReferenceSlacEvse(_ReferenceSlac):
    """An EVSE that runs SLAC with whatever EV plugs in (the fake EV of the TC_SECC_* cases)."""

    kind = "evse"

    def _role(self, link: PacketLink) -> SlacEvse:
        return SlacEvse(link, self.faults, self.timers, attenuation_db=int(self.params.get("attenuation_db", 20)),
                        strict_input=True)


class ReferenceSlacEv(_ReferenceSlac):
    """An EV that starts SLAC when plugged in (for the fake EVSE of the TC_EVCC_* cases)."""

    kind = "ev"

    def _role(self, link: PacketLink) -> SlacEv:
        return SlacEv(link, self.faults, self.timers, strict_input=True)
