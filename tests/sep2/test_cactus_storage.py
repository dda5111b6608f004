"""CSIP-AUS v1.3-beta storage in the CACTUS engine and the reference DER client: which version a procedure runs in,
the storage elements the engine serves and judges only in that version, the server switching version, and the
reference client as a storage DER (what it declares, how it follows opModStorageTargetW). Each check is shown to
fail on a bad case."""

from __future__ import annotations

import contextlib
import types
from typing import Any, Iterator

import pytest

from tests.waiting import wait_until
from vgitest.sep2 import codec
from vgitest.sep2.cactus import actions, checks, procedures, support, versions
from vgitest.sep2.cactus.context import Context, Unsupported, quantity
from vgitest.sep2.cactus.procedures import Action, Check
from vgitest.sep2.client import storage as st
from vgitest.sep2.client.config import Settings
from vgitest.sep2.client.reference import ReferenceDerClient
from vgitest.sep2.namespaces import CSIPAUS_STORAGE
from vgitest.sep2.resources import Sep2State
from vgitest.sep2.server import FakeSep2Server
from vgitest.upstream import UpstreamError

from . import aus_client
from .aus_client import aus_server
from .payloads import LFDI

STO = ("v1.3-beta/storage", "v1.3")
ALL = ("v1.2", "v1.3-beta/storage", "v1.3")
BOTH = ("v1.2", "v1.3-beta/storage")


# --- which version a procedure runs in -----------------------------------------------------------------------
def test_a_procedure_runs_in_the_first_client_version_it_targets() -> None:
    assert versions.choose(ALL, BOTH) == "v1.2"
    assert versions.choose(STO, BOTH) == versions.STORAGE
    assert versions.choose(ALL, ("v1.3-beta/storage", "v1.2")) == versions.STORAGE  # the client's preference
    assert versions.choose(("v1.3",), BOTH) == "v1.2"  # no v1.3 schema here: the client's first version
    with pytest.raises(versions.Unimplemented, match="v1.3-beta/storage.*implements v1.2"):
        versions.choose(STO, ("v1.2",))  # a v1.2 client is not judged on the storage procedures
    assert versions.parse("v1.2, v1.3-beta/storage") == BOTH
    assert versions.parse(None) == ("v1.2",)
    with pytest.raises(ValueError, match="v1.4"):
        versions.parse("v1.2 v1.4")


def _proc(targets: tuple[str, ...], check: dict | None = None, control: dict | None = None) -> procedures.Procedure:
    step: dict[str, Any] = {"event": {"type": "GET-request-received", "parameters": {"endpoint": "/dcap"}},
                            "actions": [{"type": "remove-steps", "parameters": {"steps": ["A"]}}]}
    if control is not None:
        step["actions"].append({"type": "create-der-control", "parameters": control})
    doc = {"TargetVersions": list(targets), "Steps": {"A": step},
           "Criteria": {"checks": [{"type": "der-settings-contents", "parameters": check or {}}]}}
    return procedures.parse("X-01", doc)


def test_storage_elements_are_only_for_a_procedure_that_targets_the_storage_version() -> None:
    vpp = {"vppModesEnabled_set": "01", "setMinWh": True}
    target = {"start": "$(now)", "duration_seconds": 60, "opModStorageTargetW": 1000}
    assert support.missing(_proc(STO, vpp, target)) == []
    assert support.missing(_proc(("v1.2",), vpp)) == [checks.STORAGE]
    assert support.missing(_proc(("v1.2",), None, target)) == [actions.STORAGE_CONTROL]
    try:
        procs = procedures.load_all()
    except UpstreamError as exc:
        pytest.skip(f"cactus-test-definitions unavailable: {exc}")
    assert support.missing(procs["STO-02"]) == support.missing(procs["STO-05"]) == []
    assert all("storage" not in r for r in support.missing(procs["STO-03"]) + support.missing(procs["STO-06"]))


# --- actions and checks in the storage version ---------------------------------------------------------------
def _ctx(version: str, derg: dict | None = None, dercap: dict | None = None) -> Context:
    state = Sep2State()
    session = types.SimpleNamespace(state=state, server=types.SimpleNamespace(outage_until=0.0))
    ctx = Context(session, scale=1 / 30, lfdi=LFDI, version=version)
    dev = state.register_device(LFDI)
    dev.der["derg"] = derg or {}
    dev.der["dercap"] = dercap or {}
    return ctx


def test_a_storage_target_is_served_in_the_storage_version_only() -> None:
    params = {"start": "$(now)", "duration_seconds": 300, "opModStorageTargetW": "$(setMaxDischargeRateW)",
              "opModExpLimW": "$(0.5 * setMaxDischargeRateW)"}
    derg = {"setMaxDischargeRateW": {"multiplier": "0", "value": "5000"}}
    ctx = _ctx(versions.STORAGE, derg)
    actions.run(ctx, [Action("create-der-program", {"primacy": 0}), Action("create-der-control", params)])
    (_, ctl), = ctx.controls
    assert ctl.base["csipaus:opModStorageTargetW"] == {"multiplier": "0", "value": "5000"}
    assert ctl.base["csipaus:opModExpLimW"] == {"multiplier": "0", "value": "2500"}
    with pytest.raises(Unsupported, match="opModStorageTargetW"):
        actions.run(_ctx("v1.2", derg), [Action("create-der-control", params)])


def test_storage_settings_checks_pass_and_fail() -> None:
    pf = {"displacement": "85", "multiplier": "-2"}
    derg = {"csipaus:vppModesEnabled": "01", "csipaus:setMinWh": {"multiplier": "0", "value": "1350"},
            "setMinPFOverExcited": pf}
    dercap = {"rtgMinPFOverExcited": {"displacement": "80", "multiplier": "-2"}}
    ctx = _ctx(versions.STORAGE, derg, dercap)

    def judged(**p: Any) -> bool:
        return checks.run(ctx, Check("der-settings-contents", p), 0)[0]

    assert judged(vppModesEnabled_set="01", setMinWh=True, setMinPFOverExcited="$(this >= rtgMinPFOverExcited)")
    assert not judged(setMinPFOverExcited="$(this < rtgMinPFOverExcited)")
    assert quantity(pf) == pytest.approx(0.85)
    derg["csipaus:vppModesEnabled"] = "00"
    assert not judged(vppModesEnabled_set="01")
    del derg["csipaus:setMinWh"]
    assert not judged(setMinWh=True)
    with pytest.raises(Unsupported, match="vppModes"):  # in v1.2 the element does not exist
        checks.run(_ctx("v1.2", derg), Check("der-settings-contents", {"vppModesEnabled_set": "01"}), 0)


# --- the engine switches the server's version around a procedure ------------------------------------------
def _engine(targets: tuple[str, ...], client: tuple[str, ...]) -> tuple[list, list, FakeSep2Server]:
    import urllib.request

    from vgitest.sep2.cactus import engine

    srv = FakeSep2Server(validate=False, csip_aus=True).start()
    told: list = []
    spoken: list = []
    try:
        srv.state.register_device(LFDI)

        class Dut:
            def perform(self, action: str, **params: Any) -> None:
                told.append((action, params))
                spoken.append(srv.state.csip_aus)
                if action == "reregister":
                    with urllib.request.urlopen(srv.base_url + "/dcap", timeout=5) as answer:
                        answer.read()

        doc = {"TargetVersions": list(targets), "Preconditions": {"immediate_start": True},
               "Criteria": {"checks": [{"type": "all-steps-complete", "parameters": {}}]},
               "Steps": {"A": {"event": {"type": "GET-request-received", "parameters": {"endpoint": "/dcap"}},
                               "actions": [{"type": "remove-steps", "parameters": {"steps": ["A"]}}]}}}
        srv.state.poll_rate_s = 1
        engine.Engine(procedures.parse("X-01", doc), srv.session, Dut(), engine.Timing(1 / 60, 0.5, 1.0), LFDI,
                      client).run()
        return told, spoken, srv
    finally:
        srv.stop()


def test_the_engine_runs_a_storage_procedure_in_the_storage_version_and_switches_back() -> None:
    from vgitest.verdict import NotApplicable

    told, spoken, srv = _engine(STO, BOTH)
    assert [a for a, _ in told] == ["csip_aus_version", "reregister", "csip_aus_version"]
    assert told[0][1] == {"version": versions.STORAGE} and told[2][1] == {"version": "v1.2"}
    assert spoken[1] == versions.STORAGE  # the server spoke it while the client walked
    assert srv.state.csip_aus == "v1.2"
    told, _, _ = _engine(ALL, BOTH)
    assert [a for a, _ in told] == ["reregister"]  # v1.2 procedures: nothing to tell
    with pytest.raises(NotApplicable, match="implements v1.2"):
        _engine(STO, ("v1.2",))


# --- the reference client as a storage DER -------------------------------------------------------------------
def _storage(*faults: str, **params: Any) -> st.Storage:
    core = types.SimpleNamespace(has=lambda f: f in faults, log=[])
    settings = Settings.from_params({"csip_aus": True})
    s = st.Storage(core, settings, {"csip_aus_versions": "v1.3-beta/storage", **params})  # type: ignore[arg-type]
    return s


def test_what_the_storage_der_declares_is_valid_in_the_storage_schema(sep2_schema_dir: object) -> None:
    from vgitest.sep2.validator import Sep2Validator

    s = _storage()
    ns = s.wire_ns()
    assert ns == {"csipaus": CSIPAUS_STORAGE}
    cap = s.capability({"modesSupported": "00000003", "rtgMaxW": {"multiplier": "0", "value": "7000"},
                        "rtgVNom": {"multiplier": "0", "value": "240"}, "type": "82",
                        "csipaus:doeModesSupported": "0F"})
    settings = s.settings_body({"modesEnabled": "00000003", "setGradW": "0",
                                "setMaxW": {"multiplier": "0", "value": "7000"}, "updatedTime": "1",
                                "csipaus:doeModesEnabled": "0F"})
    status = s.status({"readingTime": "1", "storageModeStatus": {"dateTime": "1", "value": "2"}}, "1")
    assert cap["csipaus:vppModesSupported"] == settings["csipaus:vppModesEnabled"] == "01"
    assert status["stateOfChargeStatus"]["value"] == "5000"  # half full
    storage_schema = Sep2Validator("2018", versions.STORAGE)
    for name, body in (("DERCapability", cap), ("DERSettings", settings), ("DERStatus", status)):
        doc = codec.decode(codec.encode(name, body, ns=ns), ns=ns).doc
        assert storage_schema.is_valid(doc), name
    v12 = codec.decode(codec.encode("DERSettings", settings)).doc  # the v1.2 namespace: not the storage schema's
    assert not storage_schema.is_valid(v12)
    assert "csipaus:vppModesEnabled" not in _storage("no_vpp_modes").settings_body({})
    assert _storage("vpp_modes_disabled").settings_body({})["csipaus:vppModesEnabled"] == "00"
    v12_client = _storage(csip_aus_versions="v1.2")
    assert v12_client.capability({"type": "82"}) == {"type": "82"} and v12_client.wire_ns() is None


def test_the_storage_der_moves_towards_its_target_within_its_stored_energy() -> None:
    s = _storage(set_min_wh=1000, rtg_max_wh=10000)
    target = {st.TARGET: {"multiplier": "1", "value": "300"}}  # 3000 W discharging
    assert s.demand(target) == -3000.0  # the meter's view: negative discharging
    assert s.demand({st.TARGET: {"multiplier": "0", "value": "-20000"}}) == 7000.0  # charging, at its rate
    assert s.demand({}) is None  # no target: the EV's demand applies
    s.energy_wh = 1000.0
    assert s.demand(target) == 0.0  # at its reserve: no discharge
    s.energy_wh = 10000.0
    assert s.demand({st.TARGET: {"multiplier": "0", "value": "-500"}}) == 0.0  # full: no charge
    assert _storage("ignores_storage_target").demand(target) is None


@pytest.fixture
def server(sep2_schema_dir: object) -> Iterator[FakeSep2Server]:
    with aus_server(1) as srv:
        yield srv


def running(srv: FakeSep2Server, *faults: str) -> contextlib.AbstractContextManager[ReferenceDerClient]:
    """The client speaking CSIP-AUS v1.2 and the v1.3-beta storage schema."""
    return aus_client.running(srv, *faults, csip_aus_versions="v1.2 v1.3-beta/storage")


@pytest.mark.parametrize("fault", ["", "ignores_storage_target"])
def test_switched_to_storage_it_declares_its_storage_and_discharges_to_its_target(server: FakeSep2Server,
                                                                                  fault: str) -> None:
    s = server.state
    dev = s.register_device(LFDI)
    prog = s.add_program(0, default={})
    with running(server, *([fault] if fault else [])) as client:
        assert wait_until(lambda: "derg" in dev.der, 8), client.log[-5:]
        assert "csipaus:vppModesEnabled" not in dev.der["derg"]  # v1.2 first
        client.perform("csip_aus_version", version=versions.STORAGE)
        server.set_csip_aus(versions.STORAGE)
        client.perform("reregister")
        assert wait_until(lambda: dev.der.get("derg", {}).get("csipaus:vppModesEnabled") == "01", 8), client.log[-5:]
        s.add_control(prog, {"csipaus:opModExpLimW": {"multiplier": "0", "value": "2000"},
                             "csipaus:opModStorageTargetW": {"multiplier": "0", "value": "3000"}},
                      start_in_s=0, duration_s=60)
        if fault:  # the bad case: it keeps charging at the EV's demand
            assert not wait_until(lambda: client.power_w < 0, 4)
        else:  # discharging towards 3000 W, held at the 2000 W export limit
            assert wait_until(lambda: abs(client.power_w + 2000) < 1, 8), (client.power_w, client.log[-5:])
    bad = [f.rule_id for fr in server.trace for f in fr.findings]
    assert "SEP2-SCHEMA" not in bad, bad


def test_a_server_switched_to_storage_validates_the_storage_schema(server: FakeSep2Server) -> None:
    settings = {"modesEnabled": "00000003", "setGradW": "0", "setMaxW": {"multiplier": "0", "value": "7000"},
                "updatedTime": "1", "csipaus:doeModesEnabled": "0F"}
    ns = {"csipaus": CSIPAUS_STORAGE}
    v12 = codec.decode(codec.encode("DERSettings", settings)).doc
    storage = codec.decode(codec.encode("DERSettings", {**settings, "csipaus:vppModesEnabled": "01"}, ns=ns),
                           ns=ns).doc
    assert server.validator.validate(v12, written=True) == []
    assert server.validator.validate(storage, written=True) != []  # a v1.2 server: the storage elements are wrong
    assert server.set_csip_aus(versions.STORAGE) == "v1.2"
    assert server.state.wire_ns() == ns
    assert server.validator.validate(storage, written=True) == []
    assert [f.rule_id for f in server.validator.validate(v12, written=True)] == ["SEP2-SCHEMA"]
    server.set_csip_aus(True)
    assert server.validator.validate(v12, written=True) == [] and server.state.wire_ns() is None


def test_a_client_left_in_v1_2_does_not_take_a_storage_servers_resources(server: FakeSep2Server) -> None:
    dev = server.state.register_device(LFDI)
    server.set_csip_aus(versions.STORAGE)
    with running(server) as client:
        assert wait_until(lambda: any("not valid against the 2030.5 schema" in line for line in client.log), 8)
    assert "dercap" not in dev.der  # it never reached its DER: the storage EndDevice is not v1.2's
