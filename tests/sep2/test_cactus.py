"""The CACTUS procedure machinery (vgitest.sep2.cactus) without a client: the loader on the pinned procedures,
the expressions, the endpoint map, the support decision, and each check on records that pass and that fail."""

from __future__ import annotations

import time
import types
from typing import Any

import pytest

from vgitest.sep2.cactus import checks, paths, procedures, support
from vgitest.sep2.cactus.context import Context
from vgitest.sep2.cactus.expressions import At, ExpressionError, Span, Unresolved, evaluate
from vgitest.sep2.cactus.procedures import Check, ProcedureError
from vgitest.sep2.resources import Sep2State
from vgitest.trace import Direction, Frame, Trace

LFDI = "3E4F45AB31EDFE5B67E343E5E4562E3100000000"


def test_the_pinned_procedures_load(procs: dict[str, procedures.Procedure]) -> None:
    assert len(procs) == 86
    assert {"ALL-01", "ALL-03-REJ", "ALL-25-EXT", "SDVN-01", "ALT-LOA-13"} <= set(procs)
    for proc in procs.values():  # only the first step listens at the start: every other one is enabled by an action
        enabled = {n for a in proc.actions() if a.type == "enable-steps" for n in a.parameters["steps"]}
        assert {s.name for s in proc.steps[1:]} <= enabled, proc.id


def test_a_procedure_without_steps_is_refused() -> None:
    with pytest.raises(ProcedureError):
        procedures.parse("X-01", {"Description": "x"})
    with pytest.raises(ProcedureError):
        procedures.parse("X-01", {"Steps": {"A": {"actions": []}}})


def test_expressions() -> None:
    v = {"now": lambda: At(0), "maxExportW": lambda: 5000.0, "rtgMaxVA": lambda: 7000.0}
    assert evaluate("$(now + '5 minutes')", v) == At(300)
    assert evaluate("$(now - '1 hour')", v) == At(-3600)
    assert evaluate("$(-1.05 * maxExportW)", v) == pytest.approx(-5250)
    assert evaluate("$maxExportW", v) == 5000
    assert evaluate(12, v) == 12
    judge = evaluate("$(this <= rtgMaxVA)", v)
    assert judge(7000) and not judge(7001)
    with pytest.raises(Unresolved):
        evaluate("$(valid_nmi_1)", v)
    with pytest.raises(ExpressionError):
        evaluate("$(__import__('os'))", v)
    with pytest.raises(ExpressionError):
        evaluate("$(now + '5 fortnights')", v)
    assert Span(60) + Span(30) == Span(90)


def test_endpoints_map_to_the_servers_paths() -> None:
    def prog(i: str) -> str:
        return {"1": "7", "6": "12"}.get(i, i)

    def group(i: str) -> str:
        return {"1": "1", "2": "9"}[i]

    assert paths.to_glob("/edev/1/derp/1/derc", prog, group) == "/derp/7/derc"
    assert paths.to_glob("/edev/1/derp/6/dderc", prog, group) == "/derp/12/dderc"
    assert paths.to_glob("/edev/1/fsa/2/derp", prog, group) == "/edev/*/fsa/9/derp"
    assert paths.to_glob("/edev/1/der/1/ders", prog, group) == "/edev/*/der/1/ders"
    assert paths.to_glob("/edev/1/rsps/site_control/rsp", prog, group) == "/rsps/1/rsp"
    assert paths.to_glob("/mup/*", prog, group) == "/mup/*"
    assert paths.to_glob("/edev/1/cp", prog, group) == "/edev/*/cp"
    assert paths.missing("/edev/1/tp/1/ctti") is None
    assert paths.missing("/edev/1/nowhere") == "endpoint /edev/1/nowhere"


def test_support_names_what_a_procedure_needs(procs: dict[str, procedures.Procedure]) -> None:
    assert support.missing(procs["ALL-01"]) == []
    assert support.missing(procs["PRC-01"]) == []
    assert support.missing(procs["ALL-03"]) == []
    assert support.missing(procs["ALL-26"]) == []  # its proceed step: the operator (operator.py)
    executing = [p for p in procs.values() if not support.missing(p)]
    assert len(executing) >= 54


# --- checks on records ------------------------------------------------------------------------------------
def _ctx(**kw: Any) -> Context:
    state = Sep2State()
    trace = Trace()
    server = types.SimpleNamespace(trace=trace, outage_until=0.0)
    session = types.SimpleNamespace(state=state, server=server, subscriptions=lambda glob: kw.get("subs", []))
    ctx = Context(session, scale=1 / 30, lfdi=LFDI, steps=("A", "B"))
    dev = state.register_device(LFDI)
    dev.der["derg"] = {"modesEnabled": "0000000F", "setGradW": "27", "setMaxW": {"multiplier": "0", "value": "7000"},
                       "csipaus:doeModesEnabled": "03"}
    dev.der["dercap"] = {"rtgMaxW": {"multiplier": "1", "value": "700"}}
    dev.der["ders"] = {"genConnectStatus": {"dateTime": "0", "value": "05"},
                       "operationalModeStatus": {"dateTime": "0", "value": "2"}}
    return ctx


def _run(ctx: Context, type_: str, **params: Any) -> tuple[bool, str]:
    return checks.run(ctx, Check(type_, params), 0)


def test_der_contents_checks_pass_and_fail() -> None:
    ctx = _ctx()
    assert _run(ctx, "der-settings-contents", setGradW=27, doeModesEnabled_set="03", setMaxW=True)[0]
    assert _run(ctx, "der-settings-contents", setMaxW="$(this <= rtgMaxW)")[0]
    assert not _run(ctx, "der-settings-contents", setGradW=600)[0]
    assert not _run(ctx, "der-settings-contents", modesEnabled_unset="01")[0]
    assert not _run(ctx, "der-settings-contents", setMaxVA=True)[0]
    assert not _run(ctx, "der-settings-contents", setMaxW="$(this < rtgMaxW)")[0]
    assert _run(ctx, "der-status-contents", genConnectStatus_bit0=True, genConnectStatus_bit1=False,
                operationalModeStatus=2)[0]
    assert not _run(ctx, "der-status-contents", genConnectStatus_bit2=False)[0]
    assert not _run(ctx, "der-capability-contents", rtgMaxVA=True)[0]
    del ctx.device().der["dercap"]
    assert _run(ctx, "der-capability-contents") == (False, "the client has not sent its DERCapability")


def test_end_device_checks() -> None:
    ctx = _ctx()
    assert _run(ctx, "end-device-contents", check_lfdi=True)[0]
    ctx.device().sfdi += 1
    assert not _run(ctx, "end-device-contents", check_lfdi=True)[0]
    assert not _run(ctx, "end-device-contents", deviceCategory_anyset="0100")[0]
    assert not _run(ctx, "end-device-contents", has_connection_point_id=True)[0]
    ctx.device().connection_point = "4102345678"
    assert _run(ctx, "end-device-contents", has_connection_point_id=True)[0]
    assert _run(ctx, "end-device-count", minimum_count=1, maximum_count=1)[0]
    assert not _run(ctx, "end-device-count", minimum_count=2)[0]
    ctx.state.devices.clear()
    assert not _run(ctx, "end-device-contents")[0]


def test_response_checks() -> None:
    ctx = _ctx()
    prog = ctx.state.add_program(0)
    ctl = ctx.state.add_control(prog, {})
    ctx.controls.append((prog, ctl))
    ctx.tags["C1"] = ctl
    ctx.state.responses += [{"subject": ctl.mrid, "status": "1"}, {"subject": ctl.mrid, "status": "2"}]
    assert _run(ctx, "response-contents", latest=True, status=2, subject_tag="C1")[0]
    assert not _run(ctx, "response-contents", latest=True, status=1, subject_tag="C1")[0]
    assert _run(ctx, "response-contents", all=True, status=1)[0]
    assert not _run(ctx, "response-contents", all=True, status=3)[0]
    assert _run(ctx, "response-contents", status=3, exists=False)[0]
    assert not _run(ctx, "response-contents", status=2, exists=False)[0]


def test_steps_and_polls_checks() -> None:
    ctx = _ctx()
    ctx.steps.enable(["A"])
    assert _run(ctx, "all-steps-complete") == (False, "still waiting for A; never reached B")
    ctx.steps.remove(["A"])
    ctx.steps.enable(["B"])
    ctx.steps.remove(["B"])
    assert _run(ctx, "all-steps-complete")[0]
    trace: Trace = ctx.session.server.trace
    t0 = time.monotonic_ns()

    def get(at_s: float) -> None:
        trace.append(Frame(t0 + int(at_s * 1e9), 0.0, Direction.IN, "sep2", "2030.5", "c", "REQUEST",
                           meta={"method": "GET", "path": "/dcap"}))

    for at in (0, 2, 4, 6, 8):  # every 2 s: a 60 s interval at 1/30
        get(at)
    assert _run(ctx, "all-polls-at-correct-time", endpoints=["/dcap"], poll_interval_seconds=60,
                request_type_str="GET")[0]
    for at in (8.1, 8.2, 8.3):  # polled far too often
        get(at)
    assert not _run(ctx, "all-polls-at-correct-time", endpoints=["/dcap"], poll_interval_seconds=60,
                    request_type_str="GET")[0]
    assert not _run(ctx, "all-polls-at-correct-time", endpoints=["/tm"], poll_interval_seconds=60,
                    request_type_str="GET")[0]
    assert _run(ctx, "resource-requests", resources=["DeviceCapability"], minimum_count=8)[0]
    assert not _run(ctx, "resource-requests", resources=["DeviceCapability"], maximum_count=2)[0]


def test_every_procedure_of_the_reference_run_is_failed_by_a_catalogued_fault(
        procs: dict[str, procedures.Procedure]) -> None:
    """tests/test_fault_matrix.py runs the rows; this says every procedure the csip-aus run executes has one (the
    matrix's own coverage test reads module-level test functions, which the generated cases are not)."""
    from vgitest.sep2.cactus.gaps import REFERENCE_GAPS, select
    from vgitest.sep2.client.catalog import AUS, SEP2_FAULTS

    run = {f"test_{pid.replace('-', '_')}" for pid, p in procs.items()
           if not support.missing(p) and pid not in REFERENCE_GAPS}
    named = {t for f in SEP2_FAULTS.faults.values() for _, d in f.detections if d.profile == AUS for t in d.tests}
    assert run - named == set(), f"executed but no fault shows them failing: {sorted(run - named)}"
    assert named - run == set(), f"fault rows for cases the run does not execute: {sorted(named - run)}"
    assert set(REFERENCE_GAPS) <= set(procs)
    assert select(["ALL-07", "GEN-02"]) == "not test_ALL_07 and not test_GEN_02"


# --- the engine on the fake server, with a scripted client -------------------------------------------------
def _engine_run(doc: dict, requests: list[str]) -> Any:
    """Run a made-up procedure on a fake server (plain HTTP, no schema) whose 'client' GETs `requests` when told
    to reregister; returns (session, procedure, outcome)."""
    import urllib.request

    from vgitest.sep2.cactus import engine
    from vgitest.sep2.server import FakeSep2Server

    srv = FakeSep2Server(validate=False).start()
    try:
        srv.state.register_device(LFDI)

        class Dut:
            def perform(self, action: str, **_: Any) -> None:
                for path in requests:
                    with urllib.request.urlopen(srv.base_url + path, timeout=5) as answer:
                        answer.read()

        proc = procedures.parse("X-01", doc)
        timing = engine.Timing(scale=1 / 60, wait=0.5, register=1.0)
        srv.state.poll_rate_s = 1
        outcome = engine.Engine(proc, srv.session, Dut(), timing, LFDI).run()
        return srv.session, proc, outcome
    finally:
        srv.stop()


def _doc(second: str) -> dict:
    return {"Preconditions": {"immediate_start": True, "actions": [
                {"type": "register-end-device", "parameters": {"registration_pin": 11111}},
                {"type": "create-der-program", "parameters": {"primacy": 0}}]},
            "Criteria": {"checks": [{"type": "all-steps-complete", "parameters": {}}]},
            "Steps": {"GET-DCAP": {"event": {"type": "GET-request-received", "parameters": {"endpoint": "/dcap"}},
                                   "actions": [{"type": "enable-steps", "parameters": {"steps": ["NEXT", "WAIT"]}},
                                               {"type": "remove-steps", "parameters": {"steps": ["GET-DCAP"]}}]},
                      "NEXT": {"event": {"type": "GET-request-received", "parameters": {"endpoint": second}},
                               "actions": [{"type": "remove-steps", "parameters": {"steps": ["NEXT"]}}]},
                      "WAIT": {"event": {"type": "wait", "parameters": {"duration_seconds": 30}},
                               "actions": [{"type": "remove-steps", "parameters": {"steps": ["WAIT"]}}]}}}


def test_the_engine_fires_steps_and_fails_a_step_never_reached() -> None:
    from vgitest.sep2.cactus import engine
    from vgitest.verdict import NonConformance

    # the procedure's program is made after its device (actions in their order): the server's number 3
    session, proc, outcome = _engine_run(_doc("/edev/1/derp/1/derc"), ["/dcap", "/edev", "/derp/3/derc"])
    assert outcome.fired[:1] == ["GET-DCAP"] and set(outcome.fired) == {"GET-DCAP", "NEXT", "WAIT"}
    engine.verdict(session, proc, outcome)  # passes: every step complete
    assert session.state.programs == []  # the procedure's program is gone again
    session, proc, outcome = _engine_run(_doc("/tm"), ["/dcap", "/edev"])
    assert "NEXT" not in outcome.fired
    with pytest.raises(NonConformance, match=r"SEP2-CACTUS-STEPS.*still waiting for NEXT"):
        engine.verdict(session, proc, outcome)
