"""The CACTUS readings-* checks (vgitest.sep2.cactus.readings) on mirrored readings put straight into the fake
server's state: which mirror is the site's and which the DER's, the signs, counts, levels, the window, the latest
reading, and the operator set-up the readings preconditions ask for. Each check is shown failing on a bad case."""

from __future__ import annotations

import time
import types
from typing import Any

from vgitest.sep2.cactus import checks
from vgitest.sep2.cactus.context import Context
from vgitest.sep2.cactus.procedures import Check
from vgitest.sep2.cactus.readings import DER, SITE, OperatorSetup, role
from vgitest.sep2.resources import Sep2State

LFDI = "3E4F45AB31EDFE5B67E343E5E4562E3100000000"


def _ctx(max_w: str = "7000") -> Context:
    state = Sep2State()
    server = types.SimpleNamespace(trace=None, outage_until=0.0)
    session = types.SimpleNamespace(state=state, server=server)
    ctx = Context(session, scale=1 / 30, lfdi=LFDI)
    dev = state.register_device(LFDI)
    dev.der["derg"] = {"setMaxW": {"multiplier": "0", "value": max_w}}
    return ctx


def _mirror(ctx: Context, number: int, flags: str, meters: list[tuple[str, str, str, int]]) -> None:
    """A MirrorUsagePoint `number` with meters (mRID, uom, flowDirection, powerOfTenMultiplier)."""
    ctx.state.mirror_usage_points[number] = {"mRID": f"M{number}", "roleFlags": flags, "MirrorMeterReading": [
        {"mRID": mrid, "ReadingType": {"uom": uom, "flowDirection": flow, "powerOfTenMultiplier": str(mult)}}
        for mrid, uom, flow, mult in meters]}


def _post(ctx: Context, number: int, mrid: str, value: int, at: float | None = None) -> None:
    ctx.state.readings.append((number, {"mRID": mrid, "Reading": {"value": str(value)}},
                               time.time() if at is None else at))


def _run(ctx: Context, type_: str, **params: Any) -> tuple[bool, str]:
    return checks.run(ctx, Check(type_, params), 0)


def _site_and_der(ctx: Context) -> None:
    _mirror(ctx, 1, "0003", [("SW", "38", "1", 0), ("SVAR", "63", "1", 0), ("SV", "29", "0", -1)])
    _mirror(ctx, 2, "0049", [("DW", "38", "1", 0), ("DVAR", "63", "1", 0), ("DWH", "72", "0", 3)])


def test_roles_come_from_the_role_flags() -> None:
    assert role({"roleFlags": "0003"}) == SITE
    assert role({"roleFlags": "000B"}) == SITE  # a premises aggregation point that is a DER too: the site
    assert role({"roleFlags": "0049"}) == DER
    assert role({"roleFlags": "0041"}) is None  # a submeter of something else
    assert role({"roleFlags": "zz"}) is None and role(None) is None


def test_counts_by_role_and_kind() -> None:
    ctx = _ctx()
    _site_and_der(ctx)
    for _ in range(6):
        for mrid in ("SW", "SVAR", "SV", "DW", "DVAR"):
            _post(ctx, 1 if mrid.startswith("S") else 2, mrid, 1)
    for kind in ("site-active-power", "site-reactive-power", "der-active-power", "der-reactive-power", "voltage"):
        assert _run(ctx, f"readings-{kind}", minimum_count=6)[0], kind
        ok, text = _run(ctx, f"readings-{kind}", minimum_count=7)
        assert not ok and "fewer than 7" in text, text
    ok, text = _run(ctx, "readings-der-stored-energy", minimum_count=1)  # the DER mirror declares Wh, posts none
    assert not ok and "0 DER stored energy reading(s)" in text
    _post(ctx, 2, "DWH", 30)
    assert _run(ctx, "readings-der-stored-energy", minimum_count=1, minimum_level=29000, maximum_level=31000)[0]


def test_only_the_procedures_readings_count() -> None:
    state_ctx = _ctx()
    _site_and_der(state_ctx)
    _post(state_ctx, 1, "SW", 5)
    later = Context(state_ctx.session, scale=1 / 30, lfdi=LFDI)  # a procedure that starts after that reading
    ok, text = _run(later, "readings-site-active-power", minimum_count=1)
    assert not ok and text.startswith("0 site active power")
    _post(state_ctx, 1, "SW", 5)
    assert _run(later, "readings-site-active-power", minimum_count=1)[0]


def test_signs_follow_the_flow_direction_and_the_role() -> None:
    """Site: positive imports (forward as posted, reverse negated). DER: positive delivers (forward negated)."""
    ctx = _ctx()
    _mirror(ctx, 1, "0003", [("SW", "38", "1", 0), ("SR", "38", "19", 0)])
    _mirror(ctx, 2, "0049", [("DW", "38", "1", 0), ("DR", "38", "19", 0), ("DN", "38", "0", 0)])
    _post(ctx, 1, "SW", -6800)  # exporting 6800 W, posted forward
    _post(ctx, 1, "SR", 6800)  # the same, posted as received from the customer
    _post(ctx, 2, "DW", -7000)  # the DER delivering, posted forward (negative into the DER)
    _post(ctx, 2, "DR", 7000)  # the same, posted reverse
    _post(ctx, 2, "DN", 7000)  # the same, no direction: CACTUS's own convention
    gen = {"minimum_level": "$(-1.05 * maxExportW)", "maximum_level": "$(-0.5 * maxExportW)"}
    assert _run(ctx, "readings-site-active-power", **gen)[0]
    assert _run(ctx, "readings-der-active-power", minimum_level="$(0.5 * maxExportW)",
                maximum_level="$(1.05 * maxExportW)")[0]
    ok, text = _run(ctx, "readings-site-active-power", minimum_level="$(0.5 * maxImportW)")
    assert not ok and "2 of 2 site active power reading(s)" in text and "the first -6800 W at" in text, text


def test_levels_name_the_offending_reading_and_never_pass_on_nothing() -> None:
    ctx = _ctx()
    _site_and_der(ctx)
    t0 = time.time() - 100
    for i, value in enumerate((-6800, -3000, 600, 0)):
        _post(ctx, 1, "SW", value, t0 + i)
    crit = {"minimum_level": "$(-1.05 * maxExportW)", "maximum_level": "$(0.05 * maxExportW)"}
    ok, text = _run(ctx, "readings-site-active-power", **crit)
    assert not ok and "1 of 4" in text and "the first 600 W at" in text and "[-7350, 350] W" in text, text
    ok, text = _run(ctx, "readings-der-active-power", **crit)
    assert not ok and "0 DER active power reading(s)" in text and "no level to judge" in text, text
    ok, text = _run(ctx, "readings-site-active-power", minimum_level="$(rtgMaxW)")
    assert not ok and "cannot be evaluated" in text, text  # the client described no rating


def test_latest_reading_only_and_the_window() -> None:
    ctx = _ctx()
    _site_and_der(ctx)
    now = time.time()
    _post(ctx, 1, "SW", 600, now - 90)  # 90 s ago: outside a 60 s window at 1/30 (2 s); an old excursion
    _post(ctx, 1, "SW", -5000, now - 1)
    gate = {"minimum_level": "$(-1.05 * maxExportW)", "maximum_level": "$(-0.5 * maxExportW)"}
    assert not _run(ctx, "readings-site-active-power", **gate)[0]
    assert _run(ctx, "readings-site-active-power", latest_reading_only=True, **gate)[0]
    assert _run(ctx, "readings-site-active-power", window_seconds=60, minimum_count=1, **gate)[0]
    assert not _run(ctx, "readings-site-active-power", window_seconds=60, minimum_count=2)[0]
    _post(ctx, 1, "SW", -1000)  # the latest now leaves the gate
    ok, text = _run(ctx, "readings-site-active-power", latest_reading_only=True, **gate)
    assert not ok and "the first -1000 W" in text, text


class _Dut:
    def __init__(self, supported: bool = True) -> None:
        self.done: list[tuple[str, dict]] = []
        self.supported = supported

    def supports(self, action: str) -> bool:
        return self.supported

    def perform(self, action: str, **params: Any) -> None:
        self.done.append((action, params))


def _proc(gates: list[dict]) -> Any:
    pre = types.SimpleNamespace(checks=[Check("readings-der-active-power", g) for g in gates])
    return types.SimpleNamespace(preconditions=pre)


def test_the_operator_set_up_follows_the_der_gate() -> None:
    ctx = _ctx()
    dut = _Dut()
    setup = OperatorSetup(_proc([{"minimum_level": "$(0.5 * maxExportW)", "latest_reading_only": True}]), dut)
    setup.step(ctx)
    setup.step(ctx)  # once only
    assert dut.done == [("set_power", {"w": -7000.0})]  # delivering at its rating
    setup.undo(ctx)
    assert dut.done[-1] == ("set_power", {"w": 7000.0})
    dut = _Dut()
    OperatorSetup(_proc([{"maximum_level": "$(-0.5 * maxImportW)"}]), dut).step(ctx)
    assert dut.done == [("set_power", {"w": 7000.0})]  # drawing at its rating
    dut = _Dut()
    OperatorSetup(_proc([{"minimum_count": 3}]), dut).step(ctx)  # no level that needs a direction
    OperatorSetup(_proc([]), dut).step(ctx)
    assert dut.done == []
    dut = _Dut(supported=False)  # the operator sets it up by hand from the instructions
    OperatorSetup(_proc([{"minimum_level": "$(0.5 * maxExportW)"}]), dut).step(ctx)
    assert dut.done == []
    empty = _ctx()
    empty.device().der.clear()  # maxExportW unknown yet: wait for the client's DERSettings
    dut = _Dut()
    setup = OperatorSetup(_proc([{"minimum_level": "$(0.5 * maxExportW)"}]), dut)
    setup.step(empty)
    assert dut.done == [] and not setup.done


def test_the_plant_keeps_the_site_within_its_limits() -> None:
    """The reference client's EVSE cap that keeps the connection point within a CSIP-AUS limit beside a load."""
    from vgitest.sep2.client.plant import SITE_EXPORT, SITE_IMPORT, der_limit

    assert der_limit(SITE_IMPORT, 0, 200) == 0  # the load alone exceeds it: the EVSE draws nothing
    assert der_limit(SITE_IMPORT, 5000, 200) == 4800
    assert der_limit(SITE_EXPORT, 0, 200) == 200  # it may deliver what the load takes: the site exports nothing
    assert der_limit("csipaus:opModGenLimW", 3000, 200) == 3000  # the DER's own limit
