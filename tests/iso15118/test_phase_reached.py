"""A PASS needs the phase under test to have been reached and its effect seen (no vacuous PASS).

ISO 15118-20 ScheduleExchange_004 and DC_PreCharge_006 passed against Josev although its EV had stopped before
the phase under test: the cases only checked that the EV closed. Here an EV (the reference EV, scripted) stops at
chosen points; the suite helpers must answer INCONCLUSIVE, naming what was not reached, and still PASS (or FAIL)
when the phase was reached.
"""

from __future__ import annotations

from typing import Any

import pytest

from vgitest.verdict import Inconclusive

pytestmark = pytest.mark.usefixtures("schemas_available")

TIMERS = {"termination": 1, "ongoing_timeout": 1.5, "precharge_loop.evcc": 1.5, "cablecheck_loop.evcc": 1.5,
          "secc_sequence_timeout": 3}


class Profile:
    def param(self, key: str, default: Any = None) -> Any:
        return {"session_wait": 15}.get(key, default)


@pytest.fixture
def rig(request: pytest.FixtureRequest) -> Any:
    """A fake SECC and a reference EV plugged into it (``rig.ev.client.script`` scripts the EV)."""
    from vgitest.iso15118.fake import FakeSecc
    from vgitest.iso15118.reference import ReferenceEv
    from vgitest.iso15118.timers import Timers

    family = request.param
    secc = FakeSecc(families=(family,), timers=Timers(overrides=TIMERS)).start()
    ev = ReferenceEv(secc.url, "EV", params={"dut_version": family, "timers": TIMERS, "ev_soc_per_s": 200,
                                             "ev_loop_interval_s": 0.01}).start()
    secc.reset_for_test()
    yield type("Rig", (), {"secc": secc, "ev": ev, "family": family})
    ev.stop()
    secc.stop()


def _stop_ev_before(rig: Any, request: str) -> None:
    """The EV closes the connection where it would send ``request``."""
    from vgitest.iso15118.script import Action
    rig.ev.client.script.add(Action(match=request, close=True))


@pytest.mark.parametrize("rig", ["iso-20"], indirect=True)
def test_schedule_exchange_004_is_inconclusive_when_the_ev_stops_before_schedule_exchange(rig: Any) -> None:
    from vgitest.iso15118.suite import ev_stops
    _stop_ev_before(rig, "ScheduleExchangeReq")
    with pytest.raises(Inconclusive, match="ScheduleExchangeReq was never received"):
        ev_stops(rig.secc, rig.ev, Profile(), "ScheduleExchangeReq", processing="Ongoing",
                 plug={"mode": "DC", "control_mode": "Dynamic"})


@pytest.mark.parametrize("rig", ["iso-20"], indirect=True)
def test_schedule_exchange_004_passes_when_the_ev_gives_up_at_its_timeout(rig: Any) -> None:
    from vgitest.iso15118.suite import ev_stops
    s = ev_stops(rig.secc, rig.ev, Profile(), "ScheduleExchangeReq", processing="Ongoing",
                 plug={"mode": "DC", "control_mode": "Dynamic"})
    assert s.names().count("ScheduleExchangeReq") > 1 and s.closed_by == "ev"
    assert not rig.secc.trace.findings_since(0), [str(f) for f in rig.secc.trace.findings_since(0)]


@pytest.mark.parametrize("rig", ["iso-20", "din"], indirect=True)
def test_precharge_006_is_inconclusive_when_the_ev_stops_before_precharge(rig: Any) -> None:
    from vgitest.iso15118.suite import ev_gives_up
    request = "DC_PreChargeReq" if rig.family == "iso-20" else "PreChargeReq"
    _stop_ev_before(rig, request)
    rig.secc.evse.precharge_step_v = 0
    with pytest.raises(Inconclusive, match=f"never sent {request}"):
        ev_gives_up(rig.secc, rig.ev, Profile(), request, mode="DC")


@pytest.mark.parametrize("rig", ["iso-20", "din"], indirect=True)
def test_precharge_006_is_inconclusive_when_the_ev_gives_up_at_once(rig: Any) -> None:
    """An EV that closes right after its first pre-charge answer did not wait for its pre-charge timeout."""
    from vgitest.iso15118.script import Action
    from vgitest.iso15118.suite import ev_gives_up
    request = "DC_PreChargeReq" if rig.family == "iso-20" else "PreChargeReq"
    rig.ev.client.script.add(Action(match=request, after=2, close=True))
    rig.secc.evse.precharge_step_v = 0
    with pytest.raises(Inconclusive, match="did not wait"):
        ev_gives_up(rig.secc, rig.ev, Profile(), request, mode="DC")


@pytest.mark.parametrize("rig", ["iso-20", "din"], indirect=True)
def test_precharge_006_passes_when_the_ev_gives_up_at_its_timeout(rig: Any) -> None:
    from vgitest.iso15118.suite import ev_gives_up
    request = "DC_PreChargeReq" if rig.family == "iso-20" else "PreChargeReq"
    rig.secc.evse.precharge_step_v = 0
    s = ev_gives_up(rig.secc, rig.ev, Profile(), request, mode="DC")
    assert s.names().count(request) > 1


@pytest.mark.parametrize("rig", ["din"], indirect=True)
def test_no_answer_case_is_inconclusive_when_the_ev_closes_before_its_message_timeout(rig: Any) -> None:
    """CableCheck_006 (no CableCheckRes): an EV that closes at once did not wait for V2G_EVCC_Msg_Timeout."""
    from vgitest.iso15118.suite import ev_stops
    rig.ev.client.timers.overrides["evcc_msg_timeout.CableCheck"] = 0.2  # the EV gives up after 0.2 s, not 2 s
    with pytest.raises(Inconclusive, match="did not wait"):
        ev_stops(rig.secc, rig.ev, Profile(), "CableCheckReq", silence=True)


@pytest.mark.parametrize("rig", ["din"], indirect=True)
def test_failed_code_case_still_fails_an_ev_that_goes_on(rig: Any) -> None:
    """Reached and wrong is still FAIL (the plugin fails a case on its fail findings): the EV carries on after
    CurrentDemandRes FAILED."""
    from vgitest.iso15118.suite import ev_stops
    rig.ev.client.faults = rig.ev.client.faults | {"ignores_failed"}
    ev_stops(rig.secc, rig.ev, Profile(), "CurrentDemandReq", nth=2, code="FAILED")
    assert "V2G-STOP-AFTER-FAILED" in {f.rule_id for f in rig.secc.trace.findings_since(0)}


def test_the_suite_hook_turns_a_pass_with_an_unused_provocation_into_inconclusive(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("""
import pytest
from vgitest.iso15118.script import Script
from vgitest.iso15118.suite import pytest_runtest_call  # noqa: F401

class FakeEvcc:
    def __init__(self):
        self.script = Script()
    def charge(self):
        return None

@pytest.fixture
def evcc():
    return FakeEvcc()
""")
    pytester.makepyfile("""
def test_reached(evcc):
    a = evcc.script.add(match="PowerDeliveryReq", code="FAILED")
    a.used = 1

def test_not_reached(evcc):
    evcc.script.add(match="PowerDeliveryReq", nth=1, expect_code="FAILED_SequenceError")
""")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*Inconclusive: the phase under test was not reached: PowerDeliveryReq #1 was "
                                 "never sent*"])


@pytest.mark.parametrize("rig", ["iso-2"], indirect=True)
def test_notification_case_is_inconclusive_when_the_charge_loop_is_never_reached(rig: Any) -> None:
    """CurrentDemand_003 (StopCharging) used to pass with 0 CurrentDemandReq ("at most 3")."""
    from vgitest.iso15118.suite import ev_notified
    _stop_ev_before(rig, "CurrentDemandReq")
    with pytest.raises(Inconclusive, match="never sent CurrentDemandReq"):
        ev_notified(rig.secc, rig.ev, Profile(), "StopCharging", "CurrentDemandReq", mode="DC")


@pytest.mark.parametrize("rig", ["iso-2"], indirect=True)
def test_a_plug_in_without_mode_is_the_evs_default_not_the_previous_cases(rig: Any) -> None:
    """The DC cases after the AC ones ran AC sessions: the reference EV kept the last plug-in's mode."""
    rig.ev.perform("plug_in", mode="AC")
    assert "ChargingStatusReq" in rig.secc.next_session(15).names()
    rig.secc.reset_for_test()
    rig.ev.perform("plug_in")
    assert "CurrentDemandReq" in rig.secc.next_session(15).names()
