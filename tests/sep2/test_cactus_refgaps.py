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
