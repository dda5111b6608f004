"""The operator's part of a CACTUS procedure (vgitest.sep2.cactus.operator) on a fake server with a scripted DUT:
a proceed step fires on the adapter's go-ahead or at its timeout, never before; an operator task is asked when its
step starts listening and undone at the end; a DUT lacking an action makes the procedure NOT_APPLICABLE before
anything runs. And the reference client's on-site state as its DERStatus reports it (vgitest.sep2.client.site)."""

from __future__ import annotations

import time
import urllib.request
from typing import Any

import pytest

from vgitest.sep2.cactus import engine, operator, procedures
from vgitest.sep2.client.site import OnSite, flag
from vgitest.verdict import Inconclusive, NonConformance, NotApplicable

LFDI = "3E4F45AB31EDFE5B67E343E5E4562E3100000000"
STEPS_DONE = {"checks": [{"type": "all-steps-complete", "parameters": {}}]}


class Dut:
    """Records what it is asked; `answers` maps an action to what it does (a callable, or an exception)."""

    def __init__(self, answers: dict[str, Any] | None = None, lacks: tuple[str, ...] = ()) -> None:
        self.answers, self.lacks = answers or {}, lacks
        self.asked: list[tuple[str, dict[str, Any]]] = []

    def supports(self, action: str) -> bool:
        return action not in self.lacks

    def why_not(self, action: str) -> str | None:
        return "the profile lists it in [adapter] unsupported" if action in self.lacks else None

    def perform(self, action: str, **params: Any) -> None:
        self.asked.append((action, params))
        answer = self.answers.get(action)
        if isinstance(answer, BaseException):
            raise answer
        if answer is not None:
            answer()


def _proceed_doc(timeout_s: int | None) -> dict:
    params = {} if timeout_s is None else {"timeout_seconds": timeout_s}
    return {"Preconditions": {"immediate_start": True},
            "Criteria": STEPS_DONE,
            "Steps": {"OBSERVE": {"instructions": ["look at the DER"],
                                  "event": {"type": "proceed", "parameters": params},
                                  "actions": [{"type": "remove-steps", "parameters": {"steps": ["OBSERVE"]}}]}}}


def _run(pid: str, doc: dict, dut: Dut) -> tuple[Any, procedures.Procedure, engine.Outcome]:
    from vgitest.sep2.server import FakeSep2Server

    srv = FakeSep2Server(validate=False).start()
    try:
        srv.state.register_device(LFDI)
        srv.state.poll_rate_s = 1
        dut.answers.setdefault("reregister", lambda: None)
        proc = procedures.parse(pid, doc)
        timing = engine.Timing(scale=1 / 60, wait=0.5, register=1.0)
        return srv.session, proc, engine.Engine(proc, srv.session, dut, timing, LFDI).run()
    finally:
        srv.stop()


def test_a_proceed_step_fires_on_the_go_ahead_with_its_instructions() -> None:
    dut = Dut()
    session, proc, outcome = _run("X-01", _proceed_doc(None), dut)
    assert outcome.fired == ["OBSERVE"]
    engine.verdict(session, proc, outcome)
    action, params = dut.asked[1]
    assert action == "cactus_proceed" and params["step"] == "OBSERVE" and params["procedure"] == "X-01"
    assert params["instructions"] == "look at the DER" and params["timeout_s"] == 0 and params["observe"] == ""


def test_without_a_go_ahead_a_proceed_step_waits_for_its_scaled_timeout() -> None:
    # the operator does not confirm (the bad case): the step fires only when 120 s at 1/60 (2 s) have passed
    t0 = time.monotonic()
    session, proc, outcome = _run("X-01", _proceed_doc(120), Dut({"cactus_proceed": Inconclusive("no one there")}))
    assert outcome.fired == ["OBSERVE"] and time.monotonic() - t0 >= 2
    session, proc, outcome = _run("X-01", _proceed_doc(120), Dut(lacks=("cactus_proceed",)))
    assert outcome.fired == ["OBSERVE"]  # a timeout needs no operator, as in CACTUS


def test_a_proceed_step_without_timeout_and_go_ahead_is_inconclusive_or_not_applicable() -> None:
    with pytest.raises(Inconclusive, match="no one there"):
        _run("X-01", _proceed_doc(None), Dut({"cactus_proceed": Inconclusive("no one there")}))
    dut = Dut(lacks=("cactus_proceed",))
    with pytest.raises(NotApplicable, match="DUT action 'cactus_proceed'"):
        _run("X-01", _proceed_doc(None), dut)
    assert dut.asked == []  # decided before anything ran


def _task_doc() -> dict:
    put = {"type": "GET-request-received", "parameters": {"endpoint": "/tm"}}
    return {"Preconditions": {"immediate_start": True}, "Criteria": STEPS_DONE,
            "Steps": {"PUT-DERSTATUS-DISCONNECT": {"event": put, "actions": [
                          {"type": "remove-steps", "parameters": {"steps": ["PUT-DERSTATUS-DISCONNECT"]}}]}}}


def test_an_operator_task_is_asked_when_its_step_listens_and_undone_at_the_end(monkeypatch: pytest.MonkeyPatch
                                                                              ) -> None:
    # a made-up procedure whose only step is mapped to der_grid(connected=False); the DUT's "disconnect" makes
    # the request the step waits for; at the end the DER is reconnected
    monkeypatch.setitem(operator.TASKS, ("X-07", "PUT-DERSTATUS-DISCONNECT"),
                        operator.Task("der_grid", (("connected", False),)))
    base: list[str] = []

    def request() -> None:
        with urllib.request.urlopen(base[0] + "/tm", timeout=5) as answer:
            answer.read()

    from vgitest.sep2 import server as server_module
    start = server_module.FakeSep2Server.start

    def remember(self: Any) -> Any:
        out = start(self)
        base.append(self.base_url)
        return out

    monkeypatch.setattr(server_module.FakeSep2Server, "start", remember)
    dut = Dut({"der_grid": lambda: request() if not dut.asked[-1][1]["connected"] else None})
    session, proc, outcome = _run("X-07", _task_doc(), dut)
    engine.verdict(session, proc, outcome)
    grid = [p for a, p in dut.asked if a == "der_grid"]
    assert [p["connected"] for p in grid] == [False, True]  # the task, then the DER put back
    # without the task the step is never reached (the request never comes): a FAIL naming the step
    monkeypatch.delitem(operator.TASKS, ("X-07", "PUT-DERSTATUS-DISCONNECT"))
    session, proc, outcome = _run("X-07", _task_doc(), Dut())
    with pytest.raises(NonConformance, match="SEP2-CACTUS-STEPS"):
        engine.verdict(session, proc, outcome)


def test_the_operator_actions_each_procedure_needs() -> None:
    try:
        procs = procedures.load_all()
    except Exception as exc:  # noqa: BLE001 (the pinned package is downloaded once; offline: nothing to check)
        pytest.skip(f"cactus-test-definitions unavailable: {exc}")
    assert operator.needed(procs["ALL-07"]) == ["der_grid"]
    assert operator.needed(procs["ALL-08"]) == ["der_run"]
    assert operator.needed(procs["MUL-01"]) == ["der_units_off"]
    assert operator.needed(procs["ALL-30"]) == ["reboot", "cactus_proceed"]
    assert operator.needed(procs["ALL-26"]) == []  # its proceed step has a timeout
    assert operator.missing(procs["ALL-07"], Dut(lacks=("der_grid",))) == [
        "DUT action 'der_grid' (the profile lists it in [adapter] unsupported)"]
    assert operator.missing(procs["ALL-07"], Dut()) == []
    # every mapped step exists in its procedure, and every proceed step of the executed ones says what to observe
    for pid, name in [*operator.TASKS, *operator.OBSERVE]:
        procs[pid].step(name)
    assert set(operator.OBSERVE.values()) <= set(operator.OBSERVATIONS)
    assert procs["ALL-07"].step("PUT-DERSTATUS-DISCONNECT").instructions  # read from the installed procedure


def test_the_state_on_site_as_the_der_status_reports_it() -> None:
    site = OnSite(units=2)
    assert (site.connect_status(False, False), site.mode_status()) == (0b111, "2")
    assert site.connect_status(True, True) == 0  # told to disconnect (opModConnect false): none of the three (ALL-12)
    site.grid_connected = False
    assert (site.connect_status(False, False), site.mode_status(), site.off) == (0b010, "2", True)
    site.grid_connected, site.running = True, False
    assert (site.connect_status(False, False), site.mode_status()) == (0b011, "1")
    site.running = True
    site.power_off("one")  # one of two: the DER as a whole still connected, available, operating
    assert (site.connect_status(False, False), site.mode_status(), site.off) == (0b111, "2", False)
    site.power_off("all")
    assert (site.connect_status(False, False), site.mode_status(), site.off) == (0b000, "1", True)
    hidden = site.as_reported(True)  # the fault status_ignores_site reports a DER as normal
    assert (hidden.connect_status(False, False), hidden.mode_status()) == (0b111, "2")
    site.power_off("none")
    assert not site.off
    with pytest.raises(ValueError):
        site.power_off("some")
    assert flag("false") is False and flag(True) is True and flag("1") is True
    with pytest.raises(ValueError):
        flag("maybe")


def test_a_power_cycle_keeps_the_programs_that_gave_a_default() -> None:
    # ALL-30: the reference client's DefaultDERControl stays in force through a reboot (not through a reregister)
    from vgitest.sep2.client.programs import Programs

    progs = Programs(None, None, None, lambda: None)  # type: ignore[arg-type]  # forget touches none of them
    progs.programs = {"/derp/1": {"primacy": 0}, "/derp/2": {"primacy": 1}}
    progs.defaults = {"/derp/1": {"opModExpLimW": 1}}
    progs._list_programs = {"/fsa/1/derp": {"/derp/1", "/derp/2"}}
    progs.forget(keep_defaults=True)
    assert progs.programs == {"/derp/1": {"primacy": 0}} and progs._list_programs == {"/fsa/1/derp": {"/derp/1"}}
    progs.forget()
    assert progs.programs == {} and progs._list_programs == {}
