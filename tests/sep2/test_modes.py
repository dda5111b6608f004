"""The control-mode arithmetic of the reference DER client (vgitest.sep2.client.modes): curves read with their
multipliers, interpolation, must-trip durations, the active-power limits, reactive power (power factors, volt-var,
watt-var, fixed var) and the ramp."""

from __future__ import annotations

import math

import pytest

from vgitest.sep2.client import modes
from vgitest.sep2.client.modes import Curve, Grid

VOLT_VAR = Curve(11, ((92, 30, None), (98, 0, None), (102, 0, None), (108, -30, None)), y_ref=1)
LVRT = Curve(10, ((0.2, 50, None), (0.5, 88, None)))  # below 50 % after 0.2 s, below 88 % after 0.5 s
HFRT = Curve(2, ((0.2, 62.0, None), (0.5, 61.0, None)))


def test_a_curve_is_read_with_its_multipliers_and_excitation() -> None:
    body = {"mRID": "DC" * 16, "creationTime": "0",
            "CurveData": [{"excitation": "false", "xvalue": "0", "yvalue": "100"},
                          {"excitation": "true", "xvalue": "100", "yvalue": "90"}],
            "curveType": "13", "xMultiplier": "0", "yMultiplier": "-2", "yRefType": "0"}
    assert modes.parse_curve(body) == Curve(13, ((0.0, 1.0, False), (100.0, 0.9, True)), 0)
    one = modes.parse_curve({"CurveData": {"xvalue": "6000", "yvalue": "50"}, "curveType": "0",
                             "xMultiplier": "-2", "yMultiplier": "0", "yRefType": "1"})
    assert one is not None and one.points == ((60.0, 50.0, None),) and one.y_ref == 1
    assert modes.parse_curve({"curveType": "0"}) is None and modes.parse_curve({"CurveData": []}) is None


def test_only_known_curves_of_the_right_type_are_linked() -> None:
    base = {"opModMaxLimW": "5000", "opModVoltVar": {"@href": "/c/1"}, "opModVoltWatt": {"@href": "/c/2"},
            "opModWattPF": {"@href": "/c/3"}}
    assert modes.curve_links(base) == {"opModVoltVar": "/c/1", "opModVoltWatt": "/c/2", "opModWattPF": "/c/3"}
    cache = {"/c/1": VOLT_VAR, "/c/2": VOLT_VAR}  # /c/2 is a volt-var curve behind a volt-watt link; /c/3 unknown
    assert modes.linked_curves(base, cache) == {"opModVoltVar": VOLT_VAR}


@pytest.mark.parametrize("x, y", [(80, 30), (92, 30), (95, 15), (100, 0), (105, -15), (108, -30), (130, -30)])
def test_interpolation_is_piecewise_linear_and_flat_outside(x: float, y: float) -> None:
    assert modes.interpolate(VOLT_VAR.points, x) == pytest.approx(y)


def test_must_trip_durations() -> None:
    assert modes.trip_after(LVRT, 40, high=False) == pytest.approx(0.2)
    assert modes.trip_after(LVRT, 70, high=False) == pytest.approx(0.2 + 0.3 * 20 / 38)
    assert modes.trip_after(LVRT, 87, high=False) == pytest.approx(0.2 + 0.3 * 37 / 38)
    assert modes.trip_after(LVRT, 92, high=False) is None and modes.trip_after(LVRT, 120, high=False) is None
    assert modes.trip_after(HFRT, 61.5, high=True) == pytest.approx(0.35)
    assert modes.trip_after(HFRT, 63, high=True) == pytest.approx(0.2)
    assert modes.trip_after(HFRT, 60.8, high=True) is None
    assert modes.trip_after(Curve(5, ((1.0, 110, None),)), 111, high=True) == 1.0  # one point: a flat limit


def test_a_trip_waits_for_its_duration_and_holds_until_the_grid_is_back_inside() -> None:
    curves = {"opModLVRTMustTrip": LVRT, "opModHFRTMustTrip": HFRT}
    low = Grid(v_pct=70, hz=60)
    assert not modes.tripped(curves, low, 0.3, False) and modes.tripped(curves, low, 0.4, False)
    assert modes.tripped(curves, Grid(v_pct=86, hz=60), 0.0, True)  # still outside: stays tripped
    assert not modes.tripped(curves, Grid(v_pct=95, hz=60), 0.0, True)  # back inside every region
    assert modes.tripped(curves, Grid(v_pct=100, hz=61.5), 0.36, False)
    assert not modes.tripped({"opModVoltWatt": LVRT}, low, 10, True)  # not a trip curve


def test_volt_watt_and_freq_watt_limit_injection() -> None:
    vw = Curve(12, ((100, 100, None), (106, 100, None), (110, 20, None)), y_ref=1)
    fw = Curve(0, ((60.0, 100, None), (60.5, 100, None), (61.5, 20, None)), y_ref=1)
    assert modes.active_limit_pct({}, Grid()) is None
    assert modes.active_limit_pct({"opModVoltWatt": vw}, Grid(v_pct=108)) == pytest.approx(60)
    assert modes.active_limit_pct({"opModFreqWatt": fw}, Grid(hz=61.0)) == pytest.approx(60)
    assert modes.active_limit_pct({"opModVoltWatt": vw, "opModFreqWatt": fw}, Grid(v_pct=103, hz=61.25)) == \
        pytest.approx(40)


def test_ramp_moves_at_most_the_gradient() -> None:
    assert modes.ramp(7000, 1400, 1400, 1.0) == 5600
    assert modes.ramp(1400, 7000, 1400, 0.5) == 2100
    assert modes.ramp(2000, 1400, 1400, 1.0) == 1400
    assert modes.ramp(7000, 1400, 0, 0.1) == 1400  # no gradient: a step


def test_reactive_power_of_each_mode() -> None:
    pf90 = math.tan(math.acos(0.9))
    inject = {"opModFixedPFInjectW": {"displacement": "90", "excitation": "false", "multiplier": "-2"}}
    assert modes.reactive_var(inject, {}, Grid(), 7000, 7000, 7000) == pytest.approx(7000 * pf90)
    assert modes.reactive_var(inject, {}, Grid(), -7000, 7000, 7000) == 0.0  # absorbing: the inject PF is not for it
    absorb = {"opModFixedPFAbsorbW": {"displacement": "950", "excitation": "true", "multiplier": "-3"}}
    assert modes.reactive_var(absorb, {}, Grid(), -4000, 7000, 7000) == pytest.approx(-4000 * math.tan(math.acos(0.95)))
    vv = {"opModVoltVar": VOLT_VAR}
    assert modes.reactive_var({}, vv, Grid(v_pct=95), 3500, 7000, 5000) == pytest.approx(0.15 * 7000)
    assert modes.reactive_var({}, {"opModVoltVar": Curve(11, VOLT_VAR.points, y_ref=2)}, Grid(v_pct=105), 0, 7000,
                              5000) == pytest.approx(-0.15 * 5000)
    wpf = Curve(13, ((0, 1.0, False), (50, 1.0, False), (100, 0.9, True)))
    assert modes.reactive_var({}, {"opModWattPF": wpf}, Grid(), 7000, 7000, 7000) == pytest.approx(-7000 * pf90)
    assert modes.reactive_var({}, {"opModWattPF": wpf}, Grid(), 2800, 7000, 7000) == pytest.approx(0.0)
    assert modes.watt_pf(wpf, 75) == (pytest.approx(0.95), True)
    both = modes.reactive_var(inject, vv, Grid(v_pct=95), 7000, 7000, 7000)
    assert both == pytest.approx(0.15 * 7000)  # the least var magnitude wins (1050 < 3390)


def test_deenergized() -> None:
    assert modes.deenergized({"opModConnect": "false"}) and modes.deenergized({"opModEnergize": "0"})
    assert not modes.deenergized({"opModConnect": "true", "opModMaxLimW": "0"})


def test_fixed_var_is_a_share_of_its_reference() -> None:
    assert modes.fixed_var({"refType": "2", "value": "3000"}, 7000, 5000) == pytest.approx(1500)  # %setMaxVar
    assert modes.fixed_var({"refType": "3", "value": "-2000"}, 7000, 5000) == pytest.approx(-1000)  # %statVarAvail
    assert modes.fixed_var({"refType": "1", "value": "1000"}, 7000, 5000) == pytest.approx(700)  # %setMaxW
    assert modes.fixed_var({"refType": "5", "value": "1000"}, 7000, 5000) is None  # not a var reference
    assert modes.fixed_var({"value": "1000"}, 7000, 5000) is None and modes.fixed_var(None, 7000, 5000) is None
    assert modes.reactive_var({"opModFixedVar": {"refType": "2", "value": "-2500"}}, {}, Grid(), -3500, 7000,
                              7000) == pytest.approx(-1750)  # whatever the active power does


def test_watt_var_follows_the_injected_power() -> None:
    wv = Curve(14, ((20, 0, None), (50, 0, None), (100, -40, None)), y_ref=2)
    assert modes.watt_var(wv, 7000, 7000, 5000) == pytest.approx(-2000)
    assert modes.watt_var(wv, 5250, 7000, 5000) == pytest.approx(-1000)  # 75 %: halfway down the slope
    assert modes.watt_var(wv, 2000, 7000, 5000) == pytest.approx(0.0)
    assert modes.watt_var(wv, -7000, 7000, 5000) is None  # charging: outside the curve's domain
    assert modes.watt_var(Curve(14, wv.points, y_ref=7), 7000, 7000, 5000) is None  # %statWAvail: not vars
    assert modes.reactive_var({}, {"opModWattVar": wv}, Grid(), 7000, 7000, 7000) == pytest.approx(-2800)
    assert modes.linked_curves({"opModWattVar": {"@href": "/c/4"}}, {"/c/4": wv}) == {"opModWattVar": wv}


def test_the_least_var_magnitude_wins_over_fixed_var_and_watt_var() -> None:
    wv = Curve(14, ((20, 0, None), (50, 0, None), (100, -40, None)), y_ref=1)
    base = {"opModFixedVar": {"refType": "2", "value": "3000"}}
    assert modes.reactive_var(base, {"opModWattVar": wv}, Grid(), 5250, 7000, 7000) == pytest.approx(-1400)
    assert modes.reactive_var(base, {"opModWattVar": wv}, Grid(), 3500, 7000, 7000) == pytest.approx(0.0)
