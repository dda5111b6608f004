"""The arithmetic of the IEEE 2030.5 control modes the reference DER client simulates: DERCurves (volt-var,
volt-watt, frequency-watt, watt-power factor, watt-var, the voltage and frequency must-trip curves), fixed
power factor, fixed reactive power and the active-power ramp rate.

Pure functions over plain values, so that the reference client keeps only its I/O and its state, and the
numbers are unit-tested on their own (``tests/sep2/test_modes.py``). They take a DERControlBase as the
client holds it (dict form; several bases merged into one dict work the same), which keeps them independent
of how the client decides which control is in force.

Conventions: power here is the DER's *generator* view (positive: injected into the grid), the view in which
2030.5 defines curve y values and the excitation of a power factor; the client converts to its meter's
view. Voltage is the effective percent voltage of 2030.5 (100 = setVRef), frequency in Hz, durations in
seconds; curve values are scaled by their multipliers when the curve is read (:func:`parse_curve`).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Mapping
from typing import Any

from ..codec import as_list

# DERControlBase element -> the DERCurve curveType it must link to (DERCurveType)
CURVE_MODES: dict[str, int] = {"opModFreqWatt": 0, "opModHFRTMustTrip": 2, "opModHVRTMustTrip": 5,
                               "opModLFRTMustTrip": 7, "opModLVRTMustTrip": 10, "opModVoltVar": 11,
                               "opModVoltWatt": 12, "opModWattPF": 13, "opModWattVar": 14}
# must-trip curves: element -> (grid quantity, True when the trip region lies above the curve)
TRIP_CURVES: dict[str, tuple[str, bool]] = {"opModLVRTMustTrip": ("v", False), "opModHVRTMustTrip": ("v", True),
                                            "opModLFRTMustTrip": ("hz", False), "opModHFRTMustTrip": ("hz", True)}
Y_REF_VAR = {1: "w", 2: "var", 3: "var"}  # DERUnitRefType of a var value: %setMaxW, %setMaxVar, %statVarAvail


@dataclasses.dataclass(frozen=True)
class Curve:
    """A DERCurve with its values scaled: points (x, y, excitation or None), in the order given."""

    curve_type: int
    points: tuple[tuple[float, float, bool | None], ...]
    y_ref: int = 0


@dataclasses.dataclass(frozen=True)
class Grid:
    """What the DER measures at its point of connection."""

    v_pct: float = 100.0  # effective percent voltage: 100 * (V - setVRefOfs) / setVRef
    hz: float = 60.0


def _num(value: Any) -> float:
    return float(str(value).strip())


def parse_curve(body: Mapping[str, Any]) -> Curve | None:
    """A DERCurve body (dict form) as a Curve; None when it lacks what the modes need."""
    try:
        xm, ym = 10.0 ** int(_num(body.get("xMultiplier", 0))), 10.0 ** int(_num(body.get("yMultiplier", 0)))
        points = []
        for p in as_list(body.get("CurveData")):
            exc = p.get("excitation")
            points.append((_num(p["xvalue"]) * xm, _num(p["yvalue"]) * ym,
                           None if exc is None else str(exc).strip().lower() in ("true", "1")))
        return Curve(int(_num(body["curveType"])), tuple(points), int(_num(body.get("yRefType", 0)))) if points \
            else None
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def curve_links(base: Mapping[str, Any]) -> dict[str, str]:
    """The curves a DERControlBase links to: element name -> href."""
    out = {}
    for name in CURVE_MODES:
        link = base.get(name)
        if isinstance(link, Mapping) and link.get("@href"):
            out[name] = str(link["@href"])
    return out


def linked_curves(base: Mapping[str, Any], cache: Mapping[str, Curve]) -> dict[str, Curve]:
    """The linked curves already known, each only if its curveType is the one its element calls for."""
    return {name: cache[href] for name, href in curve_links(base).items()
            if href in cache and cache[href].curve_type == CURVE_MODES[name]}


def interpolate(points: tuple[tuple[float, float, bool | None], ...], x: float) -> float:
    """The piecewise linear y at x, held flat beyond the first and last points."""
    if x <= points[0][0]:
        return points[0][1]
    for (xa, ya, _), (xb, yb, _) in itertools.pairwise(points):
        if x <= xb:
            return ya if xb == xa else ya + (yb - ya) * (x - xa) / (xb - xa)
    return points[-1][1]


# --- ride-through: must trip ------------------------------------------------------------------------------
def trip_after(curve: Curve, value: float, high: bool) -> float | None:
    """How long `value` may last before the DER must trip: the shortest duration x at which it lies beyond the
    curve's limit y(x) (above it for a high curve, below for a low one); the last limit holds for every longer
    duration. None: `value` is inside the region at every duration."""
    def beyond(y: float) -> bool:
        return value > y if high else value < y

    pts = curve.points
    for (xa, ya, _), (xb, yb, _) in itertools.pairwise(pts):
        if beyond(ya):
            return xa
        if beyond(yb):  # the limit crosses `value` inside this segment
            return xa + (value - ya) * (xb - xa) / (yb - ya)
    return pts[-1][0] if beyond(pts[-1][1]) else None


def tripped(curves: Mapping[str, Curve], grid: Grid, elapsed: float, was_tripped: bool) -> bool:
    """Whether the DER must have ceased to energize: a must-trip curve's duration for the present excursion
    (`elapsed` seconds at these grid values) has run out, or it tripped before and the grid is not back inside
    every must-trip region yet."""
    after = [trip_after(c, grid.v_pct if TRIP_CURVES[name][0] == "v" else grid.hz, TRIP_CURVES[name][1])
             for name, c in curves.items() if name in TRIP_CURVES]
    outside = [a for a in after if a is not None]
    if not outside:
        return False
    return was_tripped or elapsed >= min(outside)


# --- active power --------------------------------------------------------------------------------------------
def active_limit_pct(curves: Mapping[str, Curve], grid: Grid) -> float | None:
    """The injection volt-watt and frequency-watt allow at these grid values, in % of setMaxW (the lower of the
    two; y is %setMaxW or %statWAvail, both the rated power for this client); None: neither in force."""
    limits = [interpolate(c.points, grid.v_pct) for n, c in curves.items() if n == "opModVoltWatt"]
    limits += [interpolate(c.points, grid.hz) for n, c in curves.items() if n == "opModFreqWatt"]
    return min(limits) if limits else None


def ramp(current: float, target: float, grad_w_per_s: float, dt: float) -> float:
    """One step from `current` toward `target` moving at most `grad_w_per_s` * `dt` (0: no ramp limit)."""
    if grad_w_per_s <= 0 or abs(target - current) <= grad_w_per_s * dt:
        return target
    return current + math.copysign(grad_w_per_s * dt, target - current)


# --- reactive power -----------------------------------------------------------------------------------------
def pf_var(p: float, pf: float, absorbing: bool) -> float:
    """The var that gives active power `p` the displacement power factor `pf`; negative when absorbing
    (under-excited)."""
    if not 0 < pf < 1:
        return 0.0
    q = abs(p) * math.tan(math.acos(pf))
    return -q if absorbing else q


def _fixed_pf(value: Any) -> tuple[float, bool] | None:
    """A PowerFactorWithExcitation: (power factor, absorbing)."""
    if not isinstance(value, Mapping):
        return None
    try:
        pf = _num(value["displacement"]) * 10.0 ** int(_num(value.get("multiplier", 0)))
    except (KeyError, ValueError):
        return None
    return pf, str(value.get("excitation", "false")).strip().lower() in ("true", "1")


def watt_pf(curve: Curve, p_pct: float) -> tuple[float, bool]:
    """The power factor (and whether it absorbs) a watt-PF curve gives at `p_pct` % of setMaxW: interpolated
    linearly in the signed distance from unity, so the curve passes through unity between the excitations."""
    signed = tuple((x, (1.0 - y) * (-1.0 if exc else 1.0), None) for x, y, exc in curve.points)
    s = interpolate(signed, p_pct)
    return 1.0 - abs(s), s < 0


def _var_ref(ref_type: int, max_w: float, max_var: float) -> float | None:
    """What a var percentage is of (DERUnitRefType): setMaxW, or setMaxVar / statVarAvail (the client's var
    rating stands for both); None for any other reference."""
    kind = Y_REF_VAR.get(ref_type)
    return None if kind is None else max_var if kind == "var" else max_w


def fixed_var(value: Any, max_w: float, max_var: float) -> float | None:
    """A FixedVar (refType, value in hundredths of a percent, positive: injecting) as var; None when it is
    malformed or its refType is not a var reference."""
    if not isinstance(value, Mapping):
        return None
    try:
        ref = _var_ref(int(_num(value["refType"])), max_w, max_var)
        pct = _num(value["value"]) / 100.0
    except (KeyError, ValueError):
        return None
    return None if ref is None else pct / 100.0 * ref


def watt_var(curve: Curve, p: float, max_w: float, max_var: float) -> float | None:
    """The var a watt-var curve gives at injected active power `p` (W; x is % of setMaxW, y % per its
    yRefType); None while not injecting (the curve's domain is 0 to 100 % output) or for a y reference that
    is not a var one."""
    ref = _var_ref(curve.y_ref, max_w, max_var)
    if p <= 0 or ref is None:
        return None
    return interpolate(curve.points, 100.0 * p / max_w) / 100.0 * ref


def reactive_var(base: Mapping[str, Any], curves: Mapping[str, Curve], grid: Grid, p: float, max_w: float,
                 max_var: float) -> float:
    """The var the reactive-power modes in force ask for at injected active power `p` (W, generator view):
    volt-var, fixed power factor (the inject or absorb one, by the direction of `p`), watt-PF, fixed var and
    watt-var. When several are in force the one with the least var magnitude wins, as DERControlBase
    advises."""
    asks: list[float] = []
    vv = curves.get("opModVoltVar")
    if vv is not None:
        ref = max_var if Y_REF_VAR.get(vv.y_ref) == "var" else max_w
        asks.append(interpolate(vv.points, grid.v_pct) / 100.0 * ref)
    for ask in (fixed_var(base.get("opModFixedVar"), max_w, max_var),
                watt_var(curves["opModWattVar"], p, max_w, max_var) if "opModWattVar" in curves else None):
        if ask is not None:
            asks.append(ask)
    fixed = _fixed_pf(base.get("opModFixedPFInjectW" if p > 0 else "opModFixedPFAbsorbW")) if p else None
    if fixed is not None:
        asks.append(pf_var(p, *fixed))
    wpf = curves.get("opModWattPF")
    if wpf is not None and p > 0:
        asks.append(pf_var(p, *watt_pf(wpf, 100.0 * p / max_w)))
    return min(asks, key=abs) if asks else 0.0


def deenergized(base: Mapping[str, Any]) -> bool:
    """opModConnect or opModEnergize false: no active or reactive power at all."""
    return any(str(base.get(k, "true")).strip().lower() in ("false", "0") for k in ("opModConnect", "opModEnergize"))
