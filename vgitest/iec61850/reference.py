"""The reference EV and EVSE of the Table 5 flow as devices under test of `vgitest run` (adapter "simulated").

Each is the role of :mod:`vgitest.iec61850.flow` with the faults of its catalog (:mod:`vgitest.iec61850.catalog`),
on a loop whose thread lives in the device's namespace (the fake peer's URL names it, and the device's and the
harness's IPv4 addresses). When switched on it serves its model over MMS and listens on the link; ``plug_in``
runs one flow in the background (a fresh role: server, socket, counters), ``unplug`` ends it; the server of the
last role stays up, so a harness may still read or write the model between flows.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..simulator import LoopSimulator
from .flow import EvRole, EvseRole, FlowTimers
from .l2 import L2Endpoint
from .netpair import NsLoop, parse_url

VERSION = "ed2"


class _ReferenceFlow(LoopSimulator):
    role_cls: type[EvRole] | type[EvseRole]

    def __init__(self, url: str, identity: str, *, faults: tuple[str, ...] = (),
                 params: dict[str, Any] | None = None, **_: Any) -> None:
        from .catalog import catalog_for
        catalog_for(self.kind).check_names(faults, VERSION)
        self.faults = frozenset(faults)
        self.params = params or {}
        self.namespace, self.ifname, self.ip, self.peer = parse_url(url)
        self.role: EvRole | EvseRole | None = None
        self.task: asyncio.Task[Any] | None = None

    def start(self, *, powered: bool = True) -> Any:
        if self.loop is None:
            self.loop = NsLoop(self.namespace, f"vgitest-61850-{self.kind}")
        return super().start(powered=powered)

    async def _fresh_role(self) -> None:
        await self._end_role()
        self.role = self.role_cls(L2Endpoint(self.ifname), self.ip, self.peer, self.faults, FlowTimers())
        await self.role.start()

    async def _end_role(self) -> None:
        await self.do_unplug()
        if self.role is not None:
            await self.role.close()
            self.role.l2.close()
            self.role = None

    async def _power_on(self) -> None:
        await self._fresh_role()

    async def _power_off(self) -> None:
        await self._end_role()

    async def do_plug_in(self, **_: Any) -> None:
        """A fresh role (its server listening before this returns) and its flow in the background."""
        await self._fresh_role()
        assert self.role is not None
        self.task = asyncio.get_running_loop().create_task(self.role.run())

    async def do_unplug(self, **_: Any) -> None:
        if self.task is not None:
            if not self.task.done():
                self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            self.task = None


class ReferenceFlowEvse(_ReferenceFlow):
    """An EVSE that waits for the EV's power request, reads the EV, then initiates and terminates charging."""

    kind = "evse"
    role_cls = EvseRole


class ReferenceFlowEv(_ReferenceFlow):
    """An EV that asks for power when plugged in and publishes its SoC while the EVSE charges it."""

    kind = "ev"
    role_cls = EvRole
