"""BASIC control modes beyond the active-power set points: ride-through must-trip curves, volt-var, volt-watt,
frequency-watt, watt-power factor, fixed power factor, the ramp rate and an active-power target in watts; and
two cases of vgitest's own (ids VGI-SEP2-*), for IEEE 1547 functions the SunSpec CSIP catalogue has no case
for: constant reactive power and watt-var.

The curve-based modes are given the way a utility gives such autonomous functions: in the DefaultDERControl of
the one program the test leaves visible, with the DERCurves in that program's DERCurveList. The grid at the
client's point of connection is stepped with the DUT action ``set_grid`` (a grid simulator; the reference
client simulates its own), and what the client does is judged from what it mirrors: W, var, V and Hz.

Signs: readings are in the meter's view (positive: the site takes power or vars from the grid, i.e. the EV
charges or the DER absorbs vars); curves and power factors are in the DER's view (positive: it injects), so a
test turns one into the other. Tolerances: power and vars within PIXIT ``power_tolerance_pct`` of setMaxW
(default 2 %, what BASIC-013 allows a set point); times within the profile's sep2 timing tolerance. A var in
% of setMaxVar is of the client's DERSettings setMaxVar (else its DERCapability rtgMaxVar).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from typing import Any

import pytest
from helpers_csip import (
    HZ,
    VAR,
    VOLT,
    W,
    described,
    nearest,
    quantity,
    readings,
    set_max_var,
    set_max_w,
    supports_modes,
)

from vgitest.adapters import ActionNotSupported
from vgitest.sep2 import rules as r
from vgitest.verdict import Inconclusive

pytestmark = pytest.mark.vgi_protocol("sep2", "2018")

# DERControlType bits (DERCapability modesSupported) and DERCurveType values, from the 2030.5 schema
CHARGE, DISCHARGE, FIXED_PF_INJECT, FIXED_VAR, FREQ_WATT, HFRT_TRIP, HVRT_TRIP = 0, 1, 5, 6, 9, 11, 14
LFRT_TRIP, LVRT_TRIP, TARGET_W, VOLT_VAR, VOLT_WATT, WATT_PF, WATT_VAR = 16, 19, 22, 23, 24, 25, 26
C_FREQ_WATT, C_HFRT_TRIP, C_HVRT_TRIP, C_LFRT_TRIP, C_LVRT_TRIP, C_VOLT_VAR, C_VOLT_WATT, C_WATT_PF, C_WATT_VAR = \
    0, 2, 5, 7, 10, 11, 12, 13, 14
PCT_SET_MAX_W, PCT_SET_MAX_VAR = 1, 2  # DERUnitRefType of a percentage: of setMaxW, of setMaxVar


# --- what the test needs to know about the client and its grid ---------------------------------------------
class Site:
    """The client's ratings and its grid (nominal values, the `set_grid` action) for one test."""

    def __init__(self, csip: Any, dut: Any, t: Any, profile: Any) -> None:
        self.csip, self.dut, self.t, self.client = csip, dut, t, csip.client
        self.ref = set_max_w(self.client, t)
        # W and var tolerance: PIXIT power_tolerance_pct (default 2 %) of setMaxW; it covers the DER's
        # measurement and regulation error (the reference reports whole watts and vars)
        self.tol = float(profile.param("power_tolerance_pct", 2)) / 100 * self.ref
        vref = quantity(described(self.client, t, "derg", "setVRef"))
        self.v_nom = vref or float(profile.param("nominal_v", 240))  # effective percent voltage is of setVRef
        self.v_ofs = quantity(described(self.client, t, "derg", "setVRefOfs")) or 0.0
        self.hz_nom = float(profile.param("nominal_hz", 60))
        # curves ask for 90 % of a change within this open-loop time (openLoopTms); judged after twice it
        self.open_loop = float(profile.param("open_loop_s", 1))

    def need(self, *bits: int, what: str) -> None:
        if not supports_modes(self.client, self.t, *bits):
            pytest.skip(f"the client's DERCapability modesSupported does not declare {what} (bits "
                        f"{', '.join(map(str, bits))})")

    def need_grid(self) -> None:
        if not self.dut.supports("set_grid"):
            raise ActionNotSupported("set_grid", "this case steps the grid at the client's point of connection; map "
                                     "set_grid to your grid simulator, see docs/adapters.md")

    def volts(self, pct: float) -> float:
        return self.v_ofs + pct / 100 * self.v_nom

    def pct(self, volts: float) -> float:
        return 100 * (volts - self.v_ofs) / self.v_nom

    def grid(self, v_pct: float = 100.0, hz_ofs: float = 0.0) -> Callable[[], None]:
        """The step to these grid values (`set_grid` always gets both, so a command template may use both)."""
        return lambda: self.dut.perform("set_grid", v=round(self.volts(v_pct), 2), hz=round(self.hz_nom + hz_ofs, 3))

    def reset_grid(self) -> None:
        if self.dut.supports("set_grid"):
            self.grid()()


def _clock(state: Any) -> float:
    """The server's clock, as readings are stamped with it."""
    return time.time() + state.time_offset_s


def _in_force(site: Site, prog: Any, curves: bool = True) -> None:
    """Wait (bounded) until the client has read the program's DefaultDERControl and, after it, its curves (the
    curve a link names, or the DERCurveList)."""
    client = site.client
    client.expect("GET", f"/derp/{prog.number}/dderc", site.t.wait, fresh=True)
    if curves:
        client.expect("GET", f"/derp/{prog.number}/dc**", site.t.wait)


def _phase(site: Site, change: Callable[[], None] | None, settle: float, *uoms: str) -> dict[str, list]:
    """Make `change` (if any), then wait (bounded) for the first reading of each uom arriving at least `settle`
    seconds after it; returns every such reading, by uom."""
    state = site.csip.state
    since, at = len(state.readings), _clock(state)
    if change is not None:
        change()
    deadline = time.monotonic() + settle + site.t.wait
    while True:
        got = {u: [(a, v) for a, v in readings(state, u, since) if a >= at + settle] for u in uoms}
        if all(got.values()):
            return got
        if time.monotonic() >= deadline:
            missing = [u for u in uoms if not got[u]]
            raise Inconclusive(f"no mirrored reading of uom {', '.join(missing)} arrived within "
                               f"{settle + site.t.wait:g} s (the client must mirror W, var, V and Hz for this case)")
        time.sleep(0.05)


def _grid_at(site: Site, got: dict[str, list], at: float, uom: str, commanded: float) -> float:
    """The grid value the client reported nearest `at` (within one pollRate), else the one the test set."""
    value = nearest(got.get(uom, []), at, site.t.poll)
    return commanded if value is None else value


def _interp(points: list[tuple[float, float]], x: float) -> float:
    """Piecewise linear through the points, flat outside them (the suite's own arithmetic, not the client's)."""
    if x <= points[0][0]:
        return points[0][1]
    for (xa, ya), (xb, yb) in itertools.pairwise(points):
        if x <= xb:
            return ya + (yb - ya) * (x - xa) / (xb - xa)
    return points[-1][1]


def _sole_program(site: Site, **settings: str) -> Any:
    """The only visible program (primacy 1), with an empty DefaultDERControl the test fills in."""
    return site.csip.alone(default={}, default_settings=settings or None)


def _check(site: Site, bad: list[str], what: str) -> None:
    site.client.check(not bad, r.CONTROL_NOT_FOLLOWED, f"with {what} in force: " + "; ".join(bad[:3]) +
                      f" (setMaxW {site.ref:g} W, tolerance {site.tol:g})")


# --- ride-through: must trip -------------------------------------------------------------------------------
def _ride_through(site: Site, prog: Any, base: dict, inside: list[Callable[[], None]], outside: Callable[[], None],
                  longest: float, what: str) -> None:
    """Charging at setMaxW, the client keeps running at each of the `inside` grid steps (judged once the longest
    must-trip duration has passed) and ceases to energize (about 0 W) after the `outside` one."""
    prog.default_base = base
    _in_force(site, prog)
    settle = longest + site.t.tolerance
    bad = []
    for i, change in enumerate([*inside, outside]):
        got = _phase(site, change, settle, W)
        tripped = i == len(inside)
        for _, w in got[W]:
            if tripped and abs(w) > site.tol:
                bad.append(f"{w:g} W {settle:g} s after the grid left the permitted region (must cease to energize)")
            if not tripped and w < site.ref - site.tol:
                bad.append(f"{w:g} W although the grid stayed in the permitted region (step {i + 1})")
    _check(site, bad, what)


@pytest.mark.vgi_case("BASIC-004", feature="Controls", requires=("DerClient", "Metering"))
def test_BASIC_004(csip, dut, t, vgi_profile) -> None:
    """Voltage ride-through: with low- and high-voltage must-trip curves in force, the client rides through
    voltages inside the permitted region (near both limits) at full power and ceases to energize once the
    voltage has stayed below the low curve for the duration the curve allows."""
    site = Site(csip, dut, t, vgi_profile)
    site.need(LVRT_TRIP, HVRT_TRIP, what="opModLVRTMustTrip and opModHVRTMustTrip")
    site.need_grid()
    try:
        site.grid()()
        dut.perform("set_power", w=site.ref)
        prog = _sole_program(site)
        # x: seconds (hundredths), y: % of setVRef. Below 50 % trip after 0.2 s, below 88 % after 0.5 s;
        # above 120 % after 0.2 s, above 110 % after 0.5 s
        low = csip.curve(prog, C_LVRT_TRIP, [(20, 50), (50, 88)], x_multiplier=-2)
        high = csip.curve(prog, C_HVRT_TRIP, [(20, 120), (50, 110)], x_multiplier=-2)
        _ride_through(site, prog, {"opModHVRTMustTrip": high, "opModLVRTMustTrip": low},
                      [site.grid(108), site.grid(92)], site.grid(70), 0.5, "voltage must-trip curves")
    finally:
        site.reset_grid()


@pytest.mark.vgi_case("BASIC-005", feature="Controls", requires=("DerClient", "Metering"))
def test_BASIC_005(csip, dut, t, vgi_profile) -> None:
    """Frequency ride-through: with low- and high-frequency must-trip curves in force, the client rides
    through frequencies inside the permitted region at full power and ceases to energize once the frequency has
    stayed above the high curve for the duration the curve allows."""
    site = Site(csip, dut, t, vgi_profile)
    site.need(LFRT_TRIP, HFRT_TRIP, what="opModLFRTMustTrip and opModHFRTMustTrip")
    site.need_grid()
    try:
        site.grid()()
        dut.perform("set_power", w=site.ref)
        prog = _sole_program(site)
        f0 = round(site.hz_nom * 100)  # hundredths of Hz
        # x: seconds (hundredths), y: Hz (hundredths). Below f0 - 3 trip after 0.2 s, below f0 - 1 after 0.5 s;
        # above f0 + 2 after 0.2 s, above f0 + 1 after 0.5 s
        low = csip.curve(prog, C_LFRT_TRIP, [(20, f0 - 300), (50, f0 - 100)], x_multiplier=-2, y_multiplier=-2)
        high = csip.curve(prog, C_HFRT_TRIP, [(20, f0 + 200), (50, f0 + 100)], x_multiplier=-2, y_multiplier=-2)
        _ride_through(site, prog, {"opModHFRTMustTrip": high, "opModLFRTMustTrip": low},
                      [site.grid(hz_ofs=0.8), site.grid(hz_ofs=-0.8)], site.grid(hz_ofs=1.5), 0.5,
                      "frequency must-trip curves")
    finally:
        site.reset_grid()


# --- curves of reactive and active power -------------------------------------------------------------------
VV_POINTS = [(92, 30), (98, 0), (102, 0), (108, -30)]  # % of setVRef -> var, % of setMaxW (positive: inject)


@pytest.mark.vgi_case("BASIC-006", feature="Controls", requires=("DerClient", "Metering"))
def test_BASIC_006(csip, dut, t, vgi_profile) -> None:
    """Volt-var: the reactive power the client reports is the curve's value at the voltage it reports, below
    nominal (injecting vars) and above it (absorbing)."""
    site = Site(csip, dut, t, vgi_profile)
    site.need(VOLT_VAR, what="opModVoltVar")
    site.need_grid()
    try:
        site.grid()()
        dut.perform("set_power", w=site.ref / 2)  # half power: room for vars within any apparent-power rating
        prog = _sole_program(site)
        curve = csip.curve(prog, C_VOLT_VAR, VV_POINTS, y_ref_type=PCT_SET_MAX_W,
                           open_loop_tms=round(100 * site.open_loop))
        prog.default_base = {"opModVoltVar": curve}
        _in_force(site, prog)
        bad = []
        for pct in (95, 105):
            got = _phase(site, site.grid(pct), 2 * site.open_loop + t.tolerance, VAR, VOLT)
            for at, var in got[VAR]:
                v = site.pct(_grid_at(site, got, at, VOLT, site.volts(pct)))
                want = -_interp(VV_POINTS, v) / 100 * site.ref  # the meter's view: injected vars are negative
                if abs(var - want) > site.tol:
                    bad.append(f"{var:g} var at {v:.1f} % voltage, the curve asks {want:g} var")
        _check(site, bad, "a volt-var curve")
    finally:
        site.reset_grid()


def _power_curve(site: Site, prog: Any, base: dict, points: list[tuple[float, float]],
                 steps: list[tuple[Callable[[], None], float]], uom: str, what: str) -> None:
    """Discharging at setMaxW, after each grid step the injected power is the curve's value (% of setMaxW) at
    the grid value the client reports (`uom`; else the one stepped to)."""
    site.dut.perform("set_power", w=-site.ref)
    prog.default_base = base
    _in_force(site, prog)
    bad = []
    for change, commanded in steps:
        got = _phase(site, change, 2 * site.open_loop + site.t.tolerance, W, uom)
        for at, w in got[W]:
            x = _grid_at(site, got, at, uom, commanded)
            x = site.pct(x) if uom == VOLT else x
            want = _interp(points, x) / 100 * site.ref
            if abs(-w - want) > site.tol:
                bad.append(f"{-w:g} W injected at {x:g} {'%' if uom == VOLT else 'Hz'}, the curve allows {want:g} W")
    _check(site, bad, what)


@pytest.mark.vgi_case("BASIC-011", feature="Controls", requires=("DerClient", "Metering"))
def test_BASIC_011(csip, dut, t, vgi_profile) -> None:
    """Volt-watt: while the EV discharges at full power, the power injected follows the volt-watt curve: full
    below its knee, reduced along it above."""
    site = Site(csip, dut, t, vgi_profile)
    site.need(DISCHARGE, VOLT_WATT, what="discharge mode and opModVoltWatt")
    site.need_grid()
    try:
        site.grid()()
        prog = _sole_program(site)
        points = [(100, 100), (106, 100), (110, 20)]  # % of setVRef -> % of setMaxW
        curve = csip.curve(prog, C_VOLT_WATT, points, y_ref_type=PCT_SET_MAX_W,
                           open_loop_tms=round(100 * site.open_loop))
        _power_curve(site, prog, {"opModVoltWatt": curve}, points,
                     [(site.grid(103), site.volts(103)), (site.grid(108), site.volts(108))], VOLT, "a volt-watt curve")
    finally:
        site.reset_grid()
        dut.perform("set_power", w=site.ref)


@pytest.mark.vgi_case("BASIC-012", feature="Controls", requires=("DerClient", "Metering"))
def test_BASIC_012(csip, dut, t, vgi_profile) -> None:
    """Frequency-watt: while the EV discharges at full power, the power injected follows the frequency-watt
    curve: full up to its knee above nominal, reduced along it beyond."""
    site = Site(csip, dut, t, vgi_profile)
    site.need(DISCHARGE, FREQ_WATT, what="discharge mode and opModFreqWatt")
    site.need_grid()
    try:
        site.grid()()
        prog = _sole_program(site)
        f0 = site.hz_nom
        points = [(f0, 100), (f0 + 0.5, 100), (f0 + 1.5, 20)]  # Hz -> % of setMaxW
        curve = csip.curve(prog, C_FREQ_WATT, [(round(x * 100), y) for x, y in points], x_multiplier=-2,
                           y_ref_type=PCT_SET_MAX_W, open_loop_tms=round(100 * site.open_loop))
        _power_curve(site, prog, {"opModFreqWatt": curve}, points,
                     [(site.grid(hz_ofs=0.3), f0 + 0.3), (site.grid(hz_ofs=1.0), f0 + 1.0)], HZ,
                     "a frequency-watt curve")
    finally:
        site.reset_grid()
        dut.perform("set_power", w=site.ref)


# --- power factor --------------------------------------------------------------------------------------------
def _pf_var(w: float, pf: float) -> float:
    """The vars (magnitude) that make active power `w` run at power factor `pf`."""
    return abs(w) * math.tan(math.acos(min(1.0, pf)))


def _vars_follow_power(site: Site, prog: Any, base: dict, fraction: float, want_var: Callable[[float], float],
                       what: str) -> None:
    """Discharging at setMaxW, then at `fraction` of it, with `base` in the program's DefaultDERControl: each
    var reading is `want_var(W)` (both in the meter's view) at the power reported with it."""
    site.dut.perform("set_power", w=-site.ref)
    prog.default_base = base
    _in_force(site, prog)
    bad = []
    for change in (None, lambda: site.dut.perform("set_power", w=-fraction * site.ref)):
        got = _phase(site, change, 2 * site.open_loop + site.t.tolerance, VAR, W)
        for at, var in got[VAR]:
            w = nearest(got[W], at, site.t.poll)
            if w is None or w >= 0:
                raise Inconclusive(f"the client reported {w} W: it is not injecting, though the EV offers to "
                                   "discharge (the curve applies to injected power)")
            want = want_var(w)
            if abs(var - want) > site.tol:
                bad.append(f"{var:g} var at {-w:g} W injected, the curve asks {want:g} var")
    _check(site, bad, what)


@pytest.mark.vgi_case("BASIC-015", feature="Controls", requires=("DerClient", "Metering"))
def test_BASIC_015(csip, dut, t, vgi_profile) -> None:
    """Watt-power factor: while discharging, the client's power factor follows the watt-PF curve at the power it
    reports: 0.90 absorbing vars at full power, unity at 40 %."""
    site = Site(csip, dut, t, vgi_profile)
    site.need(DISCHARGE, WATT_PF, what="discharge mode and opModWattPF")
    try:
        prog = _sole_program(site)
        points = [(0, 1.0), (50, 1.0), (100, 0.9)]  # % of setMaxW -> power factor, absorbing from 50 % on
        curve = csip.curve(prog, C_WATT_PF, [(0, 100, False), (50, 100, False), (100, 90, True)], y_multiplier=-2,
                           open_loop_tms=round(100 * site.open_loop))
        # absorbing: positive in the meter's view
        _vars_follow_power(site, prog, {"opModWattPF": curve}, 0.4,
                           lambda w: _pf_var(w, _interp(points, -w / site.ref * 100)), "a watt-power factor curve")
    finally:
        dut.perform("set_power", w=site.ref)


# --- vgitest's own cases: reactive power set point and watt-var ------------------------------------------------
WV_POINTS = [(20, 0), (50, 0), (100, -40)]  # % of setMaxW injected -> var, % of setMaxVar (positive: inject)


@pytest.mark.vgi_case("VGI-SEP2-FIXEDVAR", feature="Controls", requires=("DerClient", "Metering"))
def test_VGI_SEP2_FIXEDVAR(csip, dut, t, vgi_profile) -> None:
    """vgitest's own case (SunSpec's CSIP catalogue has none for it): constant reactive power. With
    opModFixedVar in % of setMaxVar as the DefaultDERControl, while the EV charges at half power, the reported
    vars are the set point: 30 % injected, then 20 % absorbed."""
    site = Site(csip, dut, t, vgi_profile)
    site.need(FIXED_VAR, what="opModFixedVar")
    max_var = set_max_var(site.client, t)
    try:
        dut.perform("set_power", w=site.ref / 2)  # half power: room for vars within any apparent-power rating
        prog = _sole_program(site)
        bad = []
        for pct in (30, -20):  # positive: injects
            prog.default_base = {"opModFixedVar": {"refType": str(PCT_SET_MAX_VAR), "value": str(pct * 100)}}
            _in_force(site, prog, curves=False)
            got = _phase(site, None, 2 * site.open_loop + t.tolerance, VAR)
            want = -pct / 100 * max_var  # the meter's view: injected vars are negative
            asked = f"{abs(pct)} % of setMaxVar {'injected' if pct > 0 else 'absorbed'}"
            bad += [f"{var:g} var where {asked} is {want:g} var" for _, var in got[VAR] if abs(var - want) > site.tol]
        _check(site, bad, f"a fixed reactive power (setMaxVar {max_var:g} var)")
    finally:
        dut.perform("set_power", w=site.ref)


@pytest.mark.vgi_case("VGI-SEP2-WATTVAR", feature="Controls", requires=("DerClient", "Metering"))
def test_VGI_SEP2_WATTVAR(csip, dut, t, vgi_profile) -> None:
    """vgitest's own case (SunSpec's CSIP catalogue has none for it): watt-var. While the EV discharges, the
    reported vars follow the watt-var curve (y in % of setMaxVar) at the power reported: 40 % absorbed at full
    power, 20 % at three quarters."""
    site = Site(csip, dut, t, vgi_profile)
    site.need(DISCHARGE, WATT_VAR, what="discharge mode and opModWattVar")
    max_var = set_max_var(site.client, t)
    try:
        prog = _sole_program(site)
        curve = csip.curve(prog, C_WATT_VAR, WV_POINTS, y_ref_type=PCT_SET_MAX_VAR,
                           open_loop_tms=round(100 * site.open_loop))
        # the meter's view: the curve's negative y (absorbing) is a positive reading
        _vars_follow_power(site, prog, {"opModWattVar": curve}, 0.75,
                           lambda w: -_interp(WV_POINTS, -w / site.ref * 100) / 100 * max_var,
                           f"a watt-var curve (setMaxVar {max_var:g} var)")
    finally:
        dut.perform("set_power", w=site.ref)


def _event_readings(site: Site, base: dict, *uoms: str) -> dict[str, list]:
    """Run an event with `base` (the PIXIT lead from now, two pollRates and 2 s long) and return the readings
    that arrived while it was surely in force (from one pollRate after its start to its end). Waits for its end,
    so that it does not outlive the test."""
    csip, t = site.csip, site.t
    state = csip.state
    since = len(state.readings)
    ctl = csip.event(csip.program(1), base)
    site.client.expect_response(ctl.mrid, 2, t.lead + t.wait)
    end = ctl.start + ctl.duration
    while _clock(state) < end + 0.5:  # bounded: the event ends a known time from now
        time.sleep(0.1)
    got = {u: [(a, v) for a, v in readings(state, u, since) if ctl.start + t.poll <= a <= end] for u in uoms}
    if not all(got.values()):
        pytest.skip("no reading arrived while the control was in force (the client's postRate is too long for this "
                    "test's event; lengthen event_lead_s or shorten the postRate)")
    return got


@pytest.mark.vgi_case("BASIC-008", feature="Controls", requires=("DerClient", "Metering"))
def test_BASIC_008(csip, dut, t, vgi_profile) -> None:
    """Fixed power factor while injecting (opModFixedPFInjectW 0.90, absorbing vars): while the EV discharges,
    the reported vars are those of that power factor at the reported power."""
    site = Site(csip, dut, t, vgi_profile)
    site.need(DISCHARGE, FIXED_PF_INJECT, what="discharge mode and opModFixedPFInjectW")
    try:
        dut.perform("set_power", w=-site.ref)
        got = _event_readings(site, {"opModFixedPFInjectW": {"displacement": "90", "excitation": "true",
                                                              "multiplier": "-2"}}, VAR, W)
        bad = []
        for at, var in got[VAR]:
            w = nearest(got[W], at, t.poll)
            if w is None or w >= 0:
                raise Inconclusive(f"the client reported {w} W: it is not injecting, though the EV offers to "
                                   "discharge (the power factor asked is the one for injection)")
            want = _pf_var(w, 0.9)  # absorbing (under-excited): positive in the meter's view
            if abs(var - want) > site.tol:
                bad.append(f"{var:g} var at {-w:g} W injected, power factor 0.90 absorbing asks {want:g} var")
        _check(site, bad, "a fixed power factor (0.90, absorbing)")
    finally:
        dut.perform("set_power", w=site.ref)


# --- active power: target and ramp ---------------------------------------------------------------------------
def _active_power(w: float) -> dict:
    """An ActivePower (Int16 significand) for `w` watts."""
    mult = 0
    while abs(w) / 10 ** mult > 32767:
        mult += 1
    return {"multiplier": str(mult), "value": str(round(w / 10 ** mult))}


@pytest.mark.vgi_case("BASIC-014", feature="Controls", requires=("DerClient", "Metering"))
def test_BASIC_014(csip, dut, t, vgi_profile) -> None:
    """Active power target in watts (opModTargetW, half of setMaxW absorbed): while the EV asks for full power,
    the client charges at the target."""
    site = Site(csip, dut, t, vgi_profile)
    site.need(CHARGE, TARGET_W, what="charge mode and opModTargetW")
    dut.perform("set_power", w=site.ref)
    target = site.ref / 2
    got = _event_readings(site, {"opModTargetW": _active_power(-target)}, W)  # negative: absorbed (charging)
    bad = [f"{w:g} W" for _, w in got[W] if abs(w - target) > site.tol]
    _check(site, bad, f"a target of {target:g} W absorbed")


@pytest.mark.vgi_case("BASIC-007", feature="Controls", requires=("DerClient", "Metering"))
def test_BASIC_007(csip, dut, t, vgi_profile) -> None:
    """Ramp rate (setGradW of the DefaultDERControl, 20 % of setMaxW per second): when the default's limit drops
    from none to 20 %, the reported power comes down no faster than that gradient, and reaches the limit."""
    site = Site(csip, dut, t, vgi_profile)
    client, state = csip.client, csip.state
    grad = 2000  # setGradW, hundredths of a percent of setMaxW per second
    w_per_s = grad / 10000 * site.ref
    limit = 0.2 * site.ref
    dut.perform("set_power", w=site.ref)
    prog = _sole_program(site, setGradW=str(grad))
    _in_force(site, prog, curves=False)
    start = _phase(site, None, 0.0, W)[W]  # full power, with the gradient known
    while start[-1][1] < site.ref - site.tol:  # bounded: _phase raises when readings stop
        start = _phase(site, None, 0.0, W)[W]
    since, changed = len(state.readings), _clock(state)
    prog.default_base = {"opModMaxLimW": "2000"}
    bound = t.poll + (site.ref - limit) / w_per_s + t.wait  # a poll to see the change, the ramp, a reading
    deadline = time.monotonic() + bound
    series = [start[-1]]
    while time.monotonic() < deadline and (len(series) < 2 or series[-1][1] > limit + site.tol):
        time.sleep(0.05)
        series = [start[-1], *[(a, w) for a, w in readings(state, W, since) if a >= changed]]
    if series[-1][1] > limit + site.tol:
        client.fail(r.CONTROL_NOT_FOLLOWED, f"the reported power did not come down to the new 20 % limit "
                    f"({limit:g} W) within {bound:g} s: {[w for _, w in series]}")
    steps = list(itertools.pairwise(series))
    # a step straight to the limit must be visible between two readings: their interval must be shorter than
    # the ramp takes, with the timing tolerance on each reading's arrival
    slowest = max(b[0] - a[0] for a, b in steps)
    if w_per_s * (slowest + t.tolerance) + site.tol >= site.ref - limit:
        pytest.skip(f"the client's readings are {slowest:.1f} s apart: a ramp of {(site.ref - limit) / w_per_s:g} s "
                    "cannot be told from a step (shorten its postRate)")
    bad = [f"{a[1]:g} W to {b[1]:g} W in {b[0] - a[0]:.1f} s" for a, b in steps
           if abs(b[1] - a[1]) > w_per_s * (b[0] - a[0] + t.tolerance) + site.tol]
    _check(site, bad, f"a ramp rate of {w_per_s:g} W/s (setGradW {grad})")
