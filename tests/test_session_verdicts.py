"""`vgitest.session.Verdicts`: the one way every fake peer (and the ISO 15118 engines) turns a broken rule into a
finding, with the engines' "a reference device judges nobody" flag and the consequence form `check_outcome`."""

from __future__ import annotations

import pytest

from vgitest import case as vcase
from vgitest.iso15118 import rules_live  # noqa: F401  (registers the V2G rules)
from vgitest.iso15118.judging import Judging
from vgitest.iso15118.fake import FakeEvcc, FakeSecc
from vgitest.session import Verdicts
from vgitest.slac.fake import FakeSlacEv, FakeSlacEvse
from vgitest.trace import Direction, Frame, Trace
from vgitest.verdict import Concluded, HarnessError, NonConformance


class Engine(Judging):
    def __init__(self, judge: bool) -> None:
        self.trace, self.judge = Trace(), judge


def frame(trace: Trace) -> Frame:
    return trace.append(Frame(0, 0.0, Direction.IN, "iso15118", "iso-2", "c1", "EXI", name="SessionSetupReq"))


def test_an_engine_that_judges_records_on_the_frame_or_the_trace() -> None:
    e = Engine(judge=True)
    f = frame(e.trace)
    e._find(f, "V2G-SEQUENCE", "out of order")
    e._find(None, "V2G-NO-RESPONSE", "silent")
    assert [x.rule_id for x in f.findings] == ["V2G-SEQUENCE"]
    assert [x.rule_id for x in e.trace.findings] == ["V2G-NO-RESPONSE"]


def test_a_reference_engine_judges_nobody() -> None:
    e = Engine(judge=False)
    f = frame(e.trace)
    e._find(f, "V2G-SEQUENCE", "out of order")
    e.record("V2G-NO-RESPONSE", "silent")
    assert not f.findings and not list(e.trace.findings)


@pytest.mark.parametrize("fake", [FakeSecc(), FakeEvcc(), FakeSlacEv(), FakeSlacEvse()],
                         ids=lambda f: type(f).__name__)
def test_every_fake_v2g_and_slac_peer_fails_with_a_rule_id(fake: Verdicts) -> None:
    with pytest.raises(NonConformance, match=r"^\[V2G-SESSION-STOP\] the EV stopped early$") as exc:
        fake.check(False, "V2G-SESSION-STOP", "the EV stopped early")
    assert [f.rule_id for f in exc.value.findings] == ["V2G-SESSION-STOP"]
    assert [f.rule_id for f in fake.trace.findings] == ["V2G-SESSION-STOP"]  # type: ignore[attr-defined]


def test_an_outcome_already_judged_fails_on_its_cause_without_a_second_rule() -> None:
    fake = FakeEvcc()
    window = vcase.Window(fake.trace, (0, 0), body_start=(0, 0))
    vcase.begin(window)
    try:
        fake.record("V2G-NO-RESPONSE", "no PowerDeliveryRes")
        with pytest.raises(NonConformance, match=r"^\[V2G-NO-RESPONSE\] the session did not end") as exc:
            fake.check_outcome(False, "V2G-SESSION-STOP", "the session did not end with SessionStopRes")
        assert [f.rule_id for f in exc.value.findings] == ["V2G-NO-RESPONSE"]
        assert [f.rule_id for f in fake.trace.findings] == ["V2G-NO-RESPONSE"]
    finally:
        vcase.begin(None)


def test_an_outcome_nothing_explains_fails_on_its_own_rule() -> None:
    fake = FakeEvcc()
    window = vcase.Window(fake.trace, (0, 0), body_start=(0, 0))
    vcase.begin(window)
    try:
        fake.record("V2G-EVCC-MSG-TIMEOUT", "late (a SHOULD: explains no failure)")
        with pytest.raises(NonConformance, match=r"^\[V2G-SESSION-STOP\]"):
            fake.check_outcome(False, "V2G-SESSION-STOP", "the session did not end with SessionStopRes")
        assert sorted(f.rule_id for f in fake.trace.findings) == ["V2G-EVCC-MSG-TIMEOUT", "V2G-SESSION-STOP"]
        fake.check_outcome(True, "V2G-SESSION-STOP", "never raised")
    finally:
        vcase.begin(None)


def test_a_finding_of_the_same_rule_is_not_recorded_twice() -> None:
    fake = FakeEvcc()
    vcase.begin(vcase.Window(fake.trace, (0, 0), body_start=(0, 0)))
    try:
        fake.record("V2G-NO-RESPONSE", "no answer (judged on the way)")
        with pytest.raises(NonConformance, match=r"^\[V2G-NO-RESPONSE\] no answer at all"):
            fake.check_outcome(False, "V2G-NO-RESPONSE", "no answer at all")
        assert [f.rule_id for f in fake.trace.findings] == ["V2G-NO-RESPONSE"]
    finally:
        vcase.begin(None)


def test_an_outcome_explained_by_a_broken_should_stops_the_body_without_failing_it() -> None:
    """Only a SHOULD broke (severity warn): the body stops (Concluded) and the case is judged on that finding,
    NON_STRICT; the plugin side is tests/plugin/test_should_stop.py."""
    fake = FakeEvcc()
    vcase.begin(vcase.Window(fake.trace, (0, 0), body_start=(0, 0)))
    try:
        fake.record("V2G-EVCC-MSG-TIMEOUT", "late (judged on the way)")
        with pytest.raises(Concluded, match=r"^\[V2G-EVCC-MSG-TIMEOUT\] too late"):
            fake.check_outcome(False, "V2G-EVCC-MSG-TIMEOUT", "too late")
        with pytest.raises(Concluded):  # a SHOULD of its own, with nothing before it: the same
            FakeSecc().check_outcome(False, "V2G-EVCC-MSG-TIMEOUT", "too late")
        assert [f.rule_id for f in fake.trace.findings] == ["V2G-EVCC-MSG-TIMEOUT"]
    finally:
        vcase.begin(None)


def test_a_finding_of_the_preamble_explains_no_outcome_of_the_body() -> None:
    fake = FakeEvcc()
    fake.record("V2G-NO-RESPONSE", "in the set-up")
    window = vcase.Window(fake.trace, (0, 0), body_start=fake.trace.mark())
    vcase.begin(window)
    try:
        with pytest.raises(NonConformance, match=r"^\[V2G-SESSION-STOP\]"):
            fake.check_outcome(False, "V2G-SESSION-STOP", "the session did not end with SessionStopRes")
    finally:
        vcase.begin(None)



@pytest.mark.parametrize("use", [lambda: FakeSecc().evse, lambda: FakeSecc().notify("StopCharging"),
                                 lambda: FakeEvcc().renegotiate(), lambda: FakeEvcc().charge(),
                                 lambda: FakeSlacEvse().match(), lambda: FakeSlacEv().match()],
                         ids=["secc.evse", "secc.notify", "evcc.renegotiate", "evcc.charge", "slac_evse.match",
                              "slac_ev.match"])
def test_a_fake_used_before_start_is_a_harness_fault(use) -> None:
    """Not the device's FAIL (an AssertionError would be one): ERROR, through HarnessError."""
    with pytest.raises(HarnessError, match="not running"):
        use()
