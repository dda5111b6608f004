"""CSIP-AUS demand response in the reference DER client: the demand response modes (DRMs of AS/NZS 4755, as a
DRED would give them) that a utility sends as DERControls, and how the client reports the one in force.

CSIP-AUS carries a DRM as a control the client already follows (DRM 0 is a disconnect, opModConnect false; DRMs
1-8 are opModFixedW set points: consume nothing, at most 50 % or 75 %, more; generate nothing, at most 50 % or
75 %, more) and asks the DER to report it in its DERStatus operationalModeStatus as 100 + the DRM (2 while none is
in force), with its DERSettings saying that fixed-power mode is enabled. The CACTUS procedures DRA-02, DRD-01,
DRG-01 and DRL-01 check both, also a while after the control started: in CSIP-AUS mode the client therefore
re-reports its DER status and settings at its post rate while a DRM is in force (:class:`Reporter`), as well as at
once on a change.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

from .core import Core, to_int

log = logging.getLogger("vgitest.sep2.client")

OPERATING = 2  # operationalModeStatus when no DRM is in force: operational
DRM_BASE = 100  # CSIP-AUS: operationalModeStatus 100 + n reports DRM n
FIXED_W_DRM = {-1: 1, -5000: 2, -7500: 3, -10000: 4, 0: 5, 5000: 6, 7500: 7, 10000: 8}  # opModFixedW (0.01 %) -> DRM


def drm(base: dict) -> int | None:
    """The DRM a DERControlBase in force gives (0-8), or None when it is no demand response instruction."""
    if str(base.get("opModConnect", "true")).strip().lower() in ("false", "0"):
        return 0
    if "opModFixedW" in base:
        return FIXED_W_DRM.get(to_int(base["opModFixedW"], 1))
    return None


def operational_mode(base: dict, *, reports_drm: bool = True) -> int:
    """operationalModeStatus for the control in force: 100 + its DRM, else operational (2)."""
    n = drm(base) if reports_drm else None
    return OPERATING if n is None else DRM_BASE + n


class Reporter:
    """CSIP-AUS: `report` every post interval (`period`): the DER PUTs its DERStatus and DERSettings again while a DR
    instruction is in force, so that the utility's view of it stays current."""

    def __init__(self, core: Core, period: Callable[[], float], report: Callable[[], Awaitable[None]]) -> None:
        self.core, self.period, self.report = core, period, report

    async def loop(self) -> None:
        while True:
            try:
                await asyncio.sleep(self.period())
                await self.report()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # never die silently: note it and keep reporting
                log.exception("reference DER client DER report")
                self.core.log.append(f"DER report: {exc!r}")
