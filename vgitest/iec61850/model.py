"""The data models of the FLOW D3.1 Table 5 flow: what the EV and the EVSE each serve over MMS, in the style of
IEC 61850-90-8 (the object model for E-mobility).

Each side is an MMS server for its own model (see :mod:`vgitest.iec61850.flow` for why): the EV serves logical
device ``EV1`` with logical node ``DEEV1`` (the electric vehicle), the EVSE serves ``EVSE1`` with ``DESE1`` (the
supply equipment). A :class:`Point` is one data attribute, ``LD/LN$FC$DO$DA``, its value as MMS Data and whether a
client may write it: attributes under the functional constraints MX (measured) and ST (status) are read-only,
those under SP (set point) are written by the other side.

Where the names come from, and where we were unsure. The logical-node classes DEEV and DESE are 90-8's; the data
objects below are our reading of what such nodes carry, named after IEC 61850-7-4 habits, not copied from a
90-8 table we could check: ``Soc`` (state of charge, %, MX), ``SocTgt`` (the SoC the driver wants at departure;
90-8 may call it differently), ``ChaMod`` (charging mode as an enumeration: 1 AC, 2 DC; 90-8's enumeration may
number otherwise), ``AMax`` / ``VMax`` (the EV's current and voltage limits), ``WReq`` (the power the EV asks for,
written into the EVSE's ``DESE1``; 90-8 models the EV's request on the EVSE side, but the exact data object name is
our guess), ``ChaSt`` (the EVSE's charging state: 0 idle, 1 charging, 2 stopped). A vendor device's names come from
its SCL file; the harness takes the names it uses from these tuples, so a profile could override them later.
"""

from __future__ import annotations

import dataclasses

from .data import Data, float32, integer

EV_LD, EVSE_LD = "EV1", "EVSE1"
EV_LN, EVSE_LN = "DEEV1", "DESE1"


@dataclasses.dataclass(frozen=True)
class Point:
    """One data attribute of a model: ``ref`` is ``LD/LN$FC$DO$DA``."""

    ref: str
    value: Data
    read_only: bool
    what: str


def _p(ld: str, ln: str, path: str, value: Data, what: str) -> Point:
    return Point(f"{ld}/{ln}${path}", value, path.split("$")[0] in ("MX", "ST"), what)


# The EV's model: what the EVSE reads in Table 5 row 3 (and the EV answers in row 4).
SOC = f"{EV_LD}/{EV_LN}$MX$Soc$mag$f"
SOC_TARGET = f"{EV_LD}/{EV_LN}$SP$SocTgt$setMag$f"
CHARGING_MODE = f"{EV_LD}/{EV_LN}$ST$ChaMod$stVal"
CURRENT_LIMIT = f"{EV_LD}/{EV_LN}$SP$AMax$setMag$f"
VOLTAGE_LIMIT = f"{EV_LD}/{EV_LN}$SP$VMax$setMag$f"
# The EVSE's model: what the EV writes in row 1, and its own state.
POWER_REQUEST = f"{EVSE_LD}/{EVSE_LN}$SP$WReq$setMag$f"
CHARGING_STATE = f"{EVSE_LD}/{EVSE_LN}$ST$ChaSt$stVal"
EVSE_CURRENT_LIMIT = f"{EVSE_LD}/{EVSE_LN}$MX$AMax$mag$f"

# What the EVSE asks the EV for (row 3: "SoC, charging mode, Alim, Vlim"; row 4 adds the desired SoC): the
# EV's node under each functional constraint, three names instead of five attributes, so the request stays
# within row 3's 165 bytes (five attribute names make a 264-byte frame) and the answer carries all five values.
EV_PARAMETERS = (f"{EV_LD}/{EV_LN}$MX", f"{EV_LD}/{EV_LN}$ST", f"{EV_LD}/{EV_LN}$SP")
# A read-only attribute of each model: the harness writes it and expects a refusal (object-access-denied).
EV_READ_ONLY_PROBE = SOC
EVSE_READ_ONLY_PROBE = CHARGING_STATE


def ev_model(soc: float = 42.0, soc_target: float = 80.0, mode: int = 2, amax: float = 125.0,
             vmax: float = 450.0) -> tuple[Point, ...]:
    """The EV's points (defaults: a DC charge from 42 % to 80 %, 125 A, 450 V)."""
    return (
        _p(EV_LD, EV_LN, "MX$Soc$mag$f", float32(soc), "state of charge, %"),
        _p(EV_LD, EV_LN, "SP$SocTgt$setMag$f", float32(soc_target), "desired state of charge at departure, %"),
        _p(EV_LD, EV_LN, "ST$ChaMod$stVal", integer(mode), "charging mode (1 AC, 2 DC)"),
        _p(EV_LD, EV_LN, "SP$AMax$setMag$f", float32(amax), "the EV's current limit, A"),
        _p(EV_LD, EV_LN, "SP$VMax$setMag$f", float32(vmax), "the EV's voltage limit, V"),
    )


def evse_model(amax: float = 200.0) -> tuple[Point, ...]:
    """The EVSE's points: the power request the EV writes, its charging state and its own current limit."""
    return (
        _p(EVSE_LD, EVSE_LN, "SP$WReq$setMag$f", float32(0.0), "the power the EV asks for, W"),
        _p(EVSE_LD, EVSE_LN, "ST$ChaSt$stVal", integer(0), "charging state (0 idle, 1 charging, 2 stopped)"),
        _p(EVSE_LD, EVSE_LN, "MX$AMax$mag$f", float32(amax), "the EVSE's current limit, A"),
    )


def read_only(points: tuple[Point, ...]) -> tuple[str, ...]:
    return tuple(p.ref for p in points if p.read_only)
