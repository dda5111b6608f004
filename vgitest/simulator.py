"""What every reference simulator shares: its own asyncio thread, and the entry point of the `simulated`
DUT adapter (`perform("plug_in", connector=1)` runs `do_plug_in(connector=1)` on that thread)."""

from __future__ import annotations

import abc
import logging
from typing import Any

from .loop import BackgroundLoop

log = logging.getLogger("vgitest.simulator")


class LoopSimulator(abc.ABC):
    """Subclasses provide `async _power_on()`, `async _power_off()` and `async do_<action>(...)` methods."""

    loop: BackgroundLoop | None = None
    kind = "simulator"  # used in thread names and error messages

    def start(self, *, powered: bool = True) -> Any:
        """Start the simulator's thread and switch it on; `powered=False` leaves it off until `power_on`."""
        if self.loop is None:
            self.loop = BackgroundLoop(f"vgitest-{self.kind}")
        if powered:
            self.loop.run(self._power_on())
        return self

    def stop(self) -> None:
        if self.loop is None:
            return
        try:
            self.loop.run(self._power_off(), timeout=10)
        except Exception:  # stopping must never mask the result of a run
            log.exception("stopping the reference %s", self.kind)
        self.loop.stop()
        self.loop = None

    def perform(self, action: str, **params: Any) -> None:
        """Entry point of the `simulated` DUT adapter: the physical actions a test may ask for."""
        fn = getattr(self, f"do_{action}", None)
        if fn is None:
            raise ValueError(f"the reference {self.kind} cannot perform {action!r}")
        assert self.loop is not None, f"{self.kind} not started"
        self.loop.run(fn(**params))

    async def do_power_on(self) -> None:
        await self._power_on()

    async def do_power_off(self) -> None:
        await self._power_off()

    @abc.abstractmethod
    async def _power_on(self) -> None:
        """Switch the simulated device on (it starts talking to the fake peer)."""

    @abc.abstractmethod
    async def _power_off(self) -> None:
        """Switch it off (connections closed, tasks cancelled)."""
