"""The CACTUS engine where the procedures the reference run left out (issue 18) found it wrong: each test fails on
the engine as it was."""

from __future__ import annotations

import time

from vgitest.sep2.cactus import engine, procedures
from vgitest.sep2.server import FakeSep2Server

LFDI = "3E4F45AB31EDFE5B67E343E5E4562E3100000000"
ONE_STEP = {"Criteria": {"checks": [{"type": "all-steps-complete", "parameters": {}}]},
            "Steps": {"GET-DCAP": {"event": {"type": "GET-request-received", "parameters": {"endpoint": "/dcap"}},
                                   "actions": [{"type": "remove-steps", "parameters": {"steps": ["GET-DCAP"]}}]}}}


def test_a_control_that_just_ended_still_leaves_the_client_its_patience() -> None:
    """GEN-10 waits for the Response 3 of a 28 s control (840 s scaled): the engine gave up at the very second the
    control ended (its next transition was no longer ahead of the server's whole-second clock), 44 ms before the
    client's Response 3 arrived."""
    srv = FakeSep2Server(validate=False)
    srv.state.poll_rate_s = 1  # patience: 0.5 + 3 s
    run = engine.Engine(procedures.parse("X-02", ONE_STEP), srv.session, None, engine.Timing(wait=0.5), LFDI)
    prog = srv.state.add_program(1)
    ctl = srv.state.add_control(prog, {"opModMaxLimW": "5000"}, start_in_s=-10, duration_s=10)
    assert ctl.latest_end == srv.state.now()  # it ends this second
    run.ctx.controls.append((prog, ctl))
    run.last_progress = time.monotonic() - 100  # nothing fired for a long while
    assert run._deadline() >= time.monotonic() + run._patience() - 1.5
    ctl.start -= 100  # a control that ended long ago keeps nobody waiting
    assert run._deadline() < time.monotonic()


def test_force_response_status_spares_the_request_that_fired_it_and_its_refusals_are_not_requests() -> None:
    """P-06 lets the client poll its DERControlList 'as normal, then' forces the next requests to 429, and counts
    exactly two requests of it: the one that fired the step and one after the Retry-After. The engine answered the
    firing request 429 too and counted the refused ones, so no client could pass."""
    import urllib.error
    import urllib.request

    doc = {"Preconditions": {"immediate_start": True, "actions": []},
           "Criteria": {"checks": [{"type": "all-steps-complete", "parameters": {}},
                                   {"type": "resource-requests", "parameters": {
                                       "resources": ["DeviceCapability"], "minimum_count": 1, "maximum_count": 1}}]},
           "Steps": {"GET-DCAP": {"event": {"type": "GET-request-received", "parameters": {"endpoint": "/dcap"}},
                                  "actions": [{"type": "force-response-status", "parameters": {
                                      "endpoint": "/dcap", "status": 429, "retry_after_seconds": 180}},
                                      {"type": "enable-steps", "parameters": {"steps": ["WAIT"]}},
                                      {"type": "remove-steps", "parameters": {"steps": ["GET-DCAP"]}}]},
                     "WAIT": {"event": {"type": "wait", "parameters": {"duration_seconds": 60}},
                              "actions": [{"type": "remove-steps", "parameters": {"steps": ["WAIT"]}}]}}}
    statuses: list[int] = []
    srv = FakeSep2Server(validate=False).start()
    try:
        srv.state.register_device(LFDI)

        class Dut:
            def perform(self, action: str, **_: object) -> None:
                for _ in range(3):
                    try:
                        with urllib.request.urlopen(srv.base_url + "/dcap", timeout=5) as answer:
                            statuses.append(answer.status)
                    except urllib.error.HTTPError as exc:
                        statuses.append(exc.code)
                        assert exc.headers["Retry-After"] == "3"  # 180 s at 1/60

        srv.state.poll_rate_s = 1
        proc = procedures.parse("X-03", doc)
        outcome = engine.Engine(proc, srv.session, Dut(), engine.Timing(scale=1 / 60, wait=0.5, register=1.0),
                                LFDI).run()
    finally:
        srv.stop()
    assert statuses == [200, 429, 429]
    assert all(ok for _, ok, _ in outcome.criteria), outcome.criteria


def test_program_creations_move_only_before_the_controls_they_may_hold() -> None:
    """P-04 removes group 1 and then creates a program in it: that order stands (the engine put every program
    creation first, so the removal took the new program away too and the client never found it)."""
    from vgitest.sep2.cactus.actions import ordered
    from vgitest.sep2.cactus.procedures import Action

    def names(*types: str) -> list[str]:
        return [a.type for a in ordered([Action(t, {}) for t in types])]

    assert names("enable-steps", "remove-function-set-assignment", "create-der-program", "remove-steps") \
        == ["enable-steps", "remove-function-set-assignment", "create-der-program", "remove-steps"]
    assert names("create-der-control", "enable-steps", "create-der-program", "create-der-program") \
        == ["create-der-program", "create-der-program", "create-der-control", "enable-steps"]
