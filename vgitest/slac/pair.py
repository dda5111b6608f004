"""Run an emulated EVSE against an emulated EV, over a veth pair between two namespaces or in memory.

Used by the tests (every fault of one role against the clean other role) and as the template for a vendor
run, where one of the two is replaced by the real device on a real interface.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Iterable

from .link import Link, MemoryLink, PacketLink, Recording
from .netns import NetnsPair, start_coroutine_in_netns
from .roles import SlacEv, SlacEvse, SlacResult
from .timers import SlacTimers


@dataclasses.dataclass
class PairRun:
    evse: SlacResult
    ev: SlacResult
    evse_records: Recording
    ev_records: Recording


@dataclasses.dataclass(frozen=True)
class PairConfig:
    evse_faults: frozenset[str] = frozenset()
    ev_faults: frozenset[str] = frozenset()
    timers: SlacTimers = dataclasses.field(default_factory=SlacTimers)
    init_timeout: float = 3.0
    session_timeout: float = 0.6
    settle: float = 0.05  # keep recording this long after a role ends, to catch the peer's last frames

    @classmethod
    def of(cls, evse_faults: Iterable[str] = (), ev_faults: Iterable[str] = (), **kw: object) -> PairConfig:
        return cls(frozenset(evse_faults), frozenset(ev_faults), **kw)  # type: ignore[arg-type]


async def _evse(link: Link, cfg: PairConfig) -> SlacResult:
    return await SlacEvse(link, cfg.evse_faults, cfg.timers, init_timeout=cfg.init_timeout,
                          session_timeout=cfg.session_timeout).run()


async def _ev(link: Link, cfg: PairConfig) -> SlacResult:
    return await SlacEv(link, cfg.ev_faults, cfg.timers).run()


async def run_in_memory(cfg: PairConfig) -> PairRun:
    """Both roles on this event loop, joined by a :class:`MemoryLink` pair (no privileges needed)."""
    a, b = MemoryLink.pair()
    evse, ev = await asyncio.gather(_evse(a, cfg), _ev(b, cfg))
    return PairRun(evse, ev, a.records, b.records)


def run_over_veth(pair: NetnsPair, cfg: PairConfig, timeout: float = 15.0) -> PairRun:
    """EVSE in namespace ``a``, EV in ``b``, each on its own thread and loop, over real AF_PACKET sockets.

    Both sockets are open before either role sends (a barrier), so the first CM_SLAC_PARM.REQ is never lost,
    and both stay open until both roles have ended, so each recording holds everything the other side sent.
    """
    ready = threading.Barrier(2, timeout=5.0)
    done = threading.Barrier(2, timeout=timeout)

    def side(role: str) -> object:
        async def main() -> tuple[SlacResult, Recording]:
            link = PacketLink(pair.ifname)
            try:
                loop = asyncio.get_running_loop()
                await loop.run_in_executor(None, ready.wait)
                result = await (_evse(link, cfg) if role == "evse" else _ev(link, cfg))
                # Keep recording until the other role has ended too (its last frames are evidence).
                await loop.run_in_executor(None, done.wait)
                await asyncio.sleep(cfg.settle)
                return result, link.records
            finally:
                link.close()
        return main

    fa = start_coroutine_in_netns(pair.a, side("evse"))  # type: ignore[arg-type]
    fb = start_coroutine_in_netns(pair.b, side("ev"))  # type: ignore[arg-type]
    (evse, evse_rec), (ev, ev_rec) = fa.result(timeout), fb.result(timeout)
    return PairRun(evse, ev, evse_rec, ev_rec)
