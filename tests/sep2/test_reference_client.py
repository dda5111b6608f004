"""The reference DER client against the real fake 2030.5 server on loopback: correct by default (the CSIP walk
in order, valid writes, polls at the pollRate, Responses 1-2-3 / 6 / 7 at the right times, the default
control when idle), and its faults produce the findings the harness checks. Short pollRates (2 s, the
smallest at which the 1 s tolerance can still see a poll too soon) keep every test within ~15 s."""

from __future__ import annotations

import contextlib
import math
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.waiting import wait_until
from vgitest.budgets import Budgets
from vgitest.sep2 import checks, rules as r, testpki
from vgitest.sep2.codec import as_list
from vgitest.sep2.client import modes as modes_mod
from vgitest.sep2.client.faults import FAULTS
from vgitest.sep2.client.reference import MODES_SUPPORTED, ReferenceDerClient
from vgitest.sep2.server import FakeSep2Server
from vgitest.trace import Direction

from .payloads import LFDI

POLL_S = 2
MAX_LIM_HALF = {"opModMaxLimW": "5000"}  # 50 % of 7000 W -> 3500 W
MAX_LIM_20 = {"opModMaxLimW": "2000"}  # 1400 W


@pytest.fixture
def server(sep2_schema_dir: object) -> Iterator[FakeSep2Server]:
    srv = FakeSep2Server().start()
    srv.state.poll_rate_s = POLL_S
    STOPPED_AT.pop(id(srv), None)  # ids are reused: none from an earlier server
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> testpki.CsipPki:
    return testpki.make(Path(tmp_path_factory.mktemp("csip-client")))


@contextlib.contextmanager
def running(srv: FakeSep2Server, *faults: str, **params: Any) -> Iterator[ReferenceDerClient]:
    pixit = {"lfdi": LFDI, "post_rate_s": 1, "random_seed": 7, **params}
    client = ReferenceDerClient(srv.url, faults=faults, params=pixit).start()
    try:
        yield client
    finally:
        STOPPED_AT[id(srv)] = len(srv.trace)  # a POST cut short by this stop is the test's doing
        client.stop()


STOPPED_AT: dict[int, int] = {}  # server -> trace length when the test stopped its client


def findings(srv: FakeSep2Server) -> list[str]:
    """Per-request findings plus the trace checks (poll cadence, Response order), up to the client's stop."""
    frames = list(srv.trace)[:STOPPED_AT.get(id(srv))]
    return ([f.rule_id for fr in frames for f in fr.findings]
            + [f.rule_id for f in checks.run_all(frames, 0, Budgets.load())])


def requests(srv: FakeSep2Server) -> list[str]:
    return [f"{f.meta['method']} {f.meta['path']}" for f in srv.trace
            if f.direction is Direction.IN and f.kind == "REQUEST"]


def latest(st: Any, uom: str) -> str | None:
    """The last mirrored value of the meter declared with this uom (matched by its MirrorMeterReading mRID)."""
    mrids = {m["mRID"] for mup in st.mirror_usage_points.values() for m in as_list(mup.get("MirrorMeterReading"))
             if m.get("ReadingType", {}).get("uom") == uom}
    return next((r["Reading"]["value"] for _, r, _ in reversed(st.readings) if r.get("mRID") in mrids), None)


def test_walk_in_order_writes_and_metering_are_valid(server: FakeSep2Server) -> None:
    st, s = server.state, server.session
    dev = st.register_device(LFDI, pin=111115)
    prog = st.add_program(1, description="site", default=MAX_LIM_HALF)
    d = f"/derp/{prog.number}"
    with running(server) as client:
        n = dev.number
        for path in ["/dcap", "/tm", "/edev", f"/edev/{n}", f"/edev/{n}/rg", f"/edev/{n}/fsa", f"/edev/{n}/fsa/1",
                     f"/edev/{n}/fsa/1/derp", f"{d}/dderc", f"{d}/derc", f"{d}/dc", f"/edev/{n}/der"]:
            s.expect("GET", path, 5)
        for part in ("dercap", "derg", "ders", "dera"):
            s.expect("PUT", f"/edev/{n}/der/1/{part}", 5)
        s.expect("POST", "/mup", 5)
        s.expect("POST", "/mup/*", 3)
        s.expect("GET", "/dcap", POLL_S + 1.5)  # polled again at its pollRate
        time.sleep(1.5)
        assert client.applied == (f"default:{d}", 3500.0)
    assert set(dev.der) == {"dercap", "derg", "ders", "dera"} and dev.der["dercap"]["type"] == "82"
    mup = next(iter(st.mirror_usage_points.values()))
    assert mup["deviceLFDI"] == LFDI
    assert [m["ReadingType"]["uom"] for m in mup["MirrorMeterReading"]] == ["38", "63", "29", "33"]  # W, var, V, Hz
    assert latest(st, "38") == "3500"  # the DefaultDERControl applies when idle
    assert (latest(st, "63"), latest(st, "29"), latest(st, "33")) == ("0", "2400", "6000")  # 0 var, 240.0 V, 60.00 Hz
    assert findings(server) == [] and client.log and not any("Error" in line for line in client.log)


def test_event_is_received_started_and_completed_on_time(server: FakeSep2Server) -> None:
    st, s = server.state, server.session
    st.register_device(LFDI)
    prog = st.add_program(1, default=MAX_LIM_HALF)
    ctl = st.add_control(prog, MAX_LIM_20, start_in_s=3, duration_s=3, response_required="03")
    with running(server) as client:
        got = s.expect_response(ctl.mrid, 1, 5)
        assert got.wall < ctl.start
        started = s.expect_response(ctl.mrid, 2, 6)
        assert ctl.start - 0.1 <= started.wall <= ctl.start + 1.5
        assert client.applied == (ctl.mrid, 1400.0)
        done = s.expect_response(ctl.mrid, 3, 6)
        assert ctl.start + ctl.duration - 0.1 <= done.wall <= ctl.start + ctl.duration + 1.5
        assert wait_until(lambda: client.applied[0] == f"default:/derp/{prog.number}", 2)
    assert findings(server) == []


def test_cancelled_event_is_answered_6_and_reverted(server: FakeSep2Server) -> None:
    st, s = server.state, server.session
    st.register_device(LFDI)
    prog = st.add_program(1, default=MAX_LIM_HALF)
    ctl = st.add_control(prog, MAX_LIM_20, start_in_s=1, duration_s=60)
    with running(server) as client:
        s.expect_response(ctl.mrid, 2, 6)
        ctl.status = 2  # cancelled by the server
        s.expect_response(ctl.mrid, 6, POLL_S + 3)
        assert wait_until(lambda: client.applied[0] == f"default:/derp/{prog.number}", 1)
    assert findings(server) == []


def test_higher_priority_program_supersedes_an_overlapping_event(server: FakeSep2Server) -> None:
    st, s = server.state, server.session
    st.register_device(LFDI)
    high = st.add_program(1)
    low = st.add_program(2, default=MAX_LIM_HALF)
    beaten = st.add_control(low, MAX_LIM_20, start_in_s=2, duration_s=30)
    winner = st.add_control(high, {"opModMaxLimW": "1000"}, start_in_s=4, duration_s=2)
    with running(server) as client:
        s.expect_response(beaten.mrid, 2, 6)
        s.expect_response(beaten.mrid, 7, 5)
        s.expect_response(winner.mrid, 2, 2)
        assert client.applied == (winner.mrid, 700.0)
        s.expect_response(winner.mrid, 3, 5)
        assert wait_until(lambda: client.applied[0] == f"default:/derp/{low.number}", 1)  # the only default
    statuses = [(b["subject"], b["status"]) for b in st.responses]
    assert statuses.count((beaten.mrid, "3")) == 0 and findings(server) == []


def test_wrong_pin_stops_the_walk_and_skip_registration_check_goes_on(server: FakeSep2Server) -> None:
    server.state.register_device(LFDI, pin=999995)
    server.state.add_program(1)
    with running(server) as client:
        server.session.expect("GET", "/edev/*/rg", 5)
        server.session.expect_none("GET", "/edev/*/fsa*", 1.5)
        assert any("PIN mismatch" in line for line in client.log)
    server.session.reset_for_test()
    with running(server, "skip_registration_check"):
        server.session.expect("GET", "/edev/*/fsa/1/derp", 5)


def test_in_band_registration_over_csip_tls(sep2_schema_dir: object, pki: testpki.CsipPki) -> None:
    srv = FakeSep2Server(ssl_context=pki.server_context(3)).start()
    srv.state.poll_rate_s = POLL_S
    try:
        client = ReferenceDerClient(srv.url, params={**pki.files(3), "registration": "in_band"}).start()
        try:
            posted = srv.session.expect("POST", "/edev", 5)
            assert posted.meta["tls"]["cipher"] == "ECDHE-ECDSA-AES128-CCM8"
            srv.session.expect("GET", "/edev/*/fsa/1/derp", 5)  # no PIN on record for an in-band device
            srv.session.expect("POST", "/mup", 5)
        finally:
            client.stop()
        assert client.lfdi in srv.state.devices and findings(srv) == []
    finally:
        srv.stop()


# --- faults ---------------------------------------------------------------------------------------------------
def test_unknown_fault_is_refused() -> None:
    with pytest.raises(ValueError, match="no_such_fault"):
        ReferenceDerClient("http://127.0.0.1:1/dcap", faults=("no_such_fault",), params={"lfdi": LFDI})
    assert len(FAULTS) >= 25


def test_poll_too_fast_is_seen_by_the_cadence_check(server: FakeSep2Server) -> None:
    server.state.register_device(LFDI)
    with running(server, "poll_too_fast"):
        time.sleep(2.5)
    assert r.POLL_TOO_OFTEN in findings(server)


def test_wrong_response_status_order_is_seen(server: FakeSep2Server) -> None:
    st = server.state
    st.register_device(LFDI)
    ctl = st.add_control(st.add_program(1), MAX_LIM_20, start_in_s=1, duration_s=30)
    with running(server, "wrong_response_status_order"):
        server.session.expect_response(ctl.mrid, 1, 6)
    assert [b["status"] for b in st.responses] == ["2", "1"] and r.RESPONSE_ORDER in findings(server)


def test_wrong_lfdi_in_end_device_is_seen_over_tls(sep2_schema_dir: object, pki: testpki.CsipPki) -> None:
    srv = FakeSep2Server(ssl_context=pki.server_context(3)).start()
    try:
        params = {**pki.files(3), "registration": "in_band"}
        client = ReferenceDerClient(srv.url, faults=("wrong_lfdi_in_end_device",), params=params).start()
        try:
            srv.session.expect("POST", "/edev", 5)
        finally:
            client.stop()
        assert r.LFDI in findings(srv)
    finally:
        srv.stop()


@pytest.mark.parametrize("faults", [(), ("accepts_bad_chain",)])
def test_comm_004_d_chain(sep2_schema_dir: object, pki: testpki.CsipPki, faults: tuple[str, ...]) -> None:
    """A correct client refuses a server whose MICA carries a critical extendedKeyUsage; the faulty one talks."""
    srv = FakeSep2Server(ssl_context=pki.server_context(negative="D")).start()
    try:
        client = ReferenceDerClient(srv.url, faults=faults, params=dict(pki.files(3))).start()
        try:
            if faults:
                srv.session.expect("GET", "/dcap", 5)
            else:
                srv.session.expect_none("GET", "*", 2)
                assert any("/dcap" in line for line in client.log)
        finally:
            client.stop()
    finally:
        srv.stop()


@pytest.mark.parametrize("faults", [(), ("stops_during_outage",)])
def test_outage_is_ridden_out(server: FakeSep2Server, faults: tuple[str, ...]) -> None:
    server.state.register_device(LFDI)
    with running(server, *faults):
        server.session.expect("GET", "/edev/*/der", 5)
        server.session.outage(POLL_S + 0.5)  # at least one poll of every resource meets a 500
        time.sleep(POLL_S + 0.6)
        if faults:
            server.session.expect_none("GET", "*", POLL_S + 1)
        else:
            again = server.session.expect("GET", "/dcap", POLL_S + 1, fresh=True)
            assert server.session.answer_to(again).meta["status"] == 200


def test_randomization_stays_within_its_bound() -> None:
    def draws(*faults: str) -> list[float]:
        client = ReferenceDerClient("http://127.0.0.1:1/dcap", faults=faults, params={"lfdi": LFDI, "random_seed": 1})
        return [client.events.draw(b) for b in (10, -10, 0, None)]
    ok = draws()
    assert 0 <= ok[0] <= 10 and -10 <= ok[1] <= 0 and ok[2:] == [0.0, 0.0]
    assert draws("ignores_randomization") == [0.0, 0.0, 0.0, 0.0]
    assert draws("randomizes_beyond_bound")[:2] == [20.0, -20.0]


def _control(mrid: str, start: int, duration: int, created: int, limit: str) -> dict:
    return {"@replyTo": "/rsps/1/rsp", "@responseRequired": "03", "mRID": mrid, "creationTime": str(created),
            "EventStatus": {"currentStatus": "0"}, "interval": {"duration": str(duration), "start": str(start)},
            "DERControlBase": {"opModMaxLimW": limit}}


@pytest.mark.parametrize("fault, winner", [(None, "B2"), ("applies_superseded", "A1"), ("ignores_primacy", "C3")])
def test_precedence_of_overlapping_events(fault: str | None, winner: str) -> None:
    """Lowest primacy wins across programs, the newest within one; the beaten overlapping events get 7."""
    import asyncio

    client = ReferenceDerClient("http://127.0.0.1:1/dcap", faults=(fault,) if fault else (), params={"lfdi": LFDI})
    outbox = client.responses.outbox = asyncio.Queue()
    now = int(time.time())
    client.events.see("/derp/1", 1, _control("A1", now - 5, 60, now - 100, "1000"))  # older, same program as B2
    client.events.see("/derp/1", 1, _control("B2", now - 5, 60, now - 50, "2000"))
    client.events.see("/derp/2", 5, _control("C3", now - 5, 60, now - 10, "3000"))
    client.control.tick()
    sent = []
    while not outbox.empty():
        _, body = outbox.get_nowait()
        sent.append((body["subject"], body["status"]))
    assert client.applied[0] == winner and (winner, "2") in sent
    assert sorted(s for s, st in sent if st == "7") == sorted({"A1", "B2", "C3"} - {winner})


def test_adapter_actions(server: FakeSep2Server) -> None:
    st, s = server.state, server.session
    dev = st.register_device(LFDI)
    st.add_program(1, default=MAX_LIM_HALF)
    with running(server) as client:
        s.expect("POST", "/mup", 5)
        client.perform("set_power", w=2000)
        assert client.power_w == 2000.0  # under the 3500 W default limit
        s.expect("PUT", "/edev/*/der/1/ders", 2, fresh=True)
        assert wait_until(lambda: latest(st, "38") == "2000", 2.5)
        client.perform("alarm", code=3, details="overtemperature")
        assert dev.log_events and dev.log_events[0]["logEventCode"] == "3"
        for action, first in (("poll_now", "/dcap"), ("reregister", "/dcap"), ("reboot", "/dcap")):
            mark = len(server.trace)
            client.perform(action)
            assert server.trace.wait_for(lambda f, p=first: f.kind == "REQUEST" and f.meta.get("path") == p, mark, 3)
        assert server.trace.wait_for(lambda f: f.kind == "REQUEST" and f.meta.get("path") == "/edev/1/fsa/1/derp",
                                     mark, 3)  # the reboot walked down to the programs again
    assert [f.rule_id for fr in server.trace for f in fr.findings] == []


def test_curves_grid_and_ramp_on_the_wire(server: FakeSep2Server) -> None:
    """The client fetches the curves its default links to, follows the simulated grid with them (volt-var,
    must trip and back), mirrors W, var, V and Hz, and ramps at the setGradW a DefaultDERControl gives
    (PUTting its DERSettings again); every body it writes validates."""
    st, s = server.state, server.session
    st.register_device(LFDI)
    prog = st.add_program(1, default={})
    vv = st.add_curve(prog, 11, [(92, 30), (98, 0), (102, 0), (108, -30)], y_ref_type=1)
    lv = st.add_curve(prog, 10, [(20, 50), (50, 88)], x_multiplier=-2)
    prog.default_base = {"opModVoltVar": {"@href": vv}, "opModLVRTMustTrip": {"@href": lv}}
    with running(server, demand_w=3500) as client:
        assert wait_until(lambda: {vv, lv} <= set(client.curve_cache), 6)
        client.perform("set_grid", v=228)  # 95 %: +15 % of 7000 W injected, i.e. -1050 var in the meter's view
        assert wait_until(lambda: latest(st, "63") == "-1050" and latest(st, "29") == "2280", 3)
        client.perform("set_grid", v=168)  # 70 %: must trip after 0.36 s
        assert client.power_w == 3500 and wait_until(lambda: client.tripped, 1)
        assert wait_until(lambda: latest(st, "38") == "0" and latest(st, "63") == "0", 2.5)
        client.perform("set_grid", v=240)
        assert not client.tripped and client.power_w == 3500
        prog.default_settings = {"setGradW": "2000"}  # 20 %/s: 1400 W/s
        s.expect("PUT", "/edev/*/der/1/derg", 5, lambda b: b.get("setGradW") == "2000", fresh=True)
        client.perform("set_power", w=7000)
        time.sleep(0.5)
        assert 3500 < client.power_w < 7000 and wait_until(lambda: client.power_w == 7000, 3)
        prog.default_settings = {}
        s.expect("PUT", "/edev/*/der/1/derg", 5, lambda b: b.get("setGradW") == "0", fresh=True)
    assert findings(server) == []


def _idle(*faults: str, **params: Any) -> ReferenceDerClient:
    return ReferenceDerClient("http://127.0.0.1:1/dcap", faults=faults, params={"lfdi": LFDI, **params})


def _output(client: ReferenceDerClient, base: dict, demand: float, **grid: float) -> tuple[float, float]:
    """(W, var) in the meter's view once `base` is in force at this demand and grid."""
    out = client.output
    out.demand_w = demand
    out.grid_v, out.grid_hz = grid.get("v", 240.0), grid.get("hz", 60.0)
    out.grid_since -= 10  # the excursion has lasted long enough for any trip
    client.control.apply("test", base)
    client.control.update_power()
    return round(client.power_w), round(client.reactive_var)


CURVES = {"/vw": modes_mod.Curve(12, ((100, 100, None), (106, 100, None), (110, 20, None)), 1),
          "/fw": modes_mod.Curve(0, ((60.0, 100, None), (60.5, 100, None), (61.5, 20, None)), 1),
          "/pf": modes_mod.Curve(13, ((0, 1.0, False), (50, 1.0, False), (100, 0.9, True))),
          "/hf": modes_mod.Curve(2, ((0.2, 62.0, None), (0.5, 61.0, None))),
          "/lv": modes_mod.Curve(10, ((0.2, 50, None), (0.5, 88, None))),
          "/vv": modes_mod.Curve(11, ((92, 30, None), (98, 0, None), (102, 0, None), (108, -30, None)), 1),
          "/wv": modes_mod.Curve(14, ((20, 0, None), (50, 0, None), (100, -40, None)), 2)}
PF90 = round(7000 * math.tan(math.acos(0.9)))  # 3390 var at 7000 W and PF 0.90


@pytest.mark.parametrize("fault, base, demand, grid, good, bad", [
    ("ignores_volt_watt", {"opModVoltWatt": {"@href": "/vw"}}, -7000, {"v": 259.2}, (-4200, 0), (-7000, 0)),
    ("ignores_freq_watt", {"opModFreqWatt": {"@href": "/fw"}}, -7000, {"hz": 61.0}, (-4200, 0), (-7000, 0)),
    ("ignores_fixed_pf", {"opModFixedPFInjectW": {"displacement": "90", "excitation": "false", "multiplier": "-2"}},
     -7000, {}, (-7000, -PF90), (-7000, 0)),
    ("ignores_watt_pf", {"opModWattPF": {"@href": "/pf"}}, -7000, {}, (-7000, PF90), (-7000, 0)),
    ("ignores_frequency_trip", {"opModHFRTMustTrip": {"@href": "/hf"}}, 7000, {"hz": 61.5}, (0, 0), (7000, 0)),
    ("ignores_voltage_trip", {"opModLVRTMustTrip": {"@href": "/lv"}}, 7000, {"v": 168}, (0, 0), (7000, 0)),
    ("ignores_volt_var", {"opModVoltVar": {"@href": "/vv"}}, 3500, {"v": 228}, (3500, -1050), (3500, 0)),
    ("ignores_target_w", {"opModTargetW": {"multiplier": "0", "value": "-3500"}}, 7000, {}, (3500, 0), (7000, 0)),
    ("ignores_fixed_var", {"opModFixedVar": {"refType": "2", "value": "3000"}}, 3500, {}, (3500, -2100), (3500, 0)),
    ("ignores_watt_var", {"opModWattVar": {"@href": "/wv"}}, -7000, {}, (-7000, 2800), (-7000, 0)),
    ("ignores_connect", {"opModConnect": "false"}, 7000, {}, (0, 0), (7000, 0)),
    ("ignores_energize", {"opModEnergize": "false"}, 7000, {}, (0, 0), (7000, 0)),
])
def test_each_mode_and_the_fault_that_ignores_it(fault: str, base: dict, demand: float, grid: dict,
                                                 good: tuple[int, int], bad: tuple[int, int]) -> None:
    """Discharging (negative W in the meter's view) the client injects; its modes act on it, its faults don't."""
    for faults, want in (((), good), ((fault,), bad)):
        client = _idle(*faults)
        client.programs.curve_cache.update(CURVES)
        assert _output(client, base, demand, **grid) == want, faults


def test_each_disconnect_fault_ignores_only_its_own_element() -> None:
    assert _output(_idle("ignores_connect"), {"opModEnergize": "false"}, 7000) == (0, 0)
    assert _output(_idle("ignores_energize"), {"opModConnect": "false"}, 7000) == (0, 0)


def test_it_declares_fixed_var_and_watt_var() -> None:
    assert MODES_SUPPORTED >> 6 & 1 and MODES_SUPPORTED >> 26 & 1  # DERControlType opModFixedVar, opModWattVar
