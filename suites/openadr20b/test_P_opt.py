"""P: opt (EiOpt): opting out of an event, opt schedules, cancelling an opt."""

from __future__ import annotations

import datetime as dt

import pytest

from helpers20b import answered, deliver, event_id, simple_event
from vgitest.openadr import messages as m
from vgitest.openadr import rules as r
from vgitest.openadr.codec import find

pytestmark = pytest.mark.vgi_protocol("openadr", "2.0b")


@pytest.mark.vgi_case("P1_2010_TH_VTN_1", feature="Opt", requires=("HttpPull", "EiOpt"))
def test_P1_2010_TH_VTN_1(registered_ven, dut, t) -> None:
    """After accepting an event the VEN opts out of it with oadrCreateOpt naming that event; the VTN
    confirms with oadrCreatedOpt."""
    ven = registered_ven
    ev = simple_event(ven)
    deliver(ven, t, [(ev, "always")])
    answered(ven, t, event_id(ev))
    dut.perform("opt_out", event_id=event_id(ev))
    opt = ven.expect("oadrCreateOpt", t.wait)
    ven.check(opt.body.get("optType") == "optOut", r.EXPECTED_MESSAGE, f"optType {opt.body.get('optType')}", opt)
    ven.check(find(opt.body, "qualifiedEventID/eventID") is not None, r.OPT_EVENT_ID,
              "the opt names no event", opt)


@pytest.mark.vgi_case("P1_2020_TH_VTN_1", feature="Opt", requires=("HttpPull", "EiOpt"))
def test_P1_2020_TH_VTN_1(registered_ven, dut, t) -> None:
    """An opt schedule (an availability window, no event) is sent with its window and accepted."""
    ven = registered_ven
    start = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    dut.perform("opt_schedule", start=m.timestamp(start), duration_s=3600, opt="optOut", opt_id=m.new_id("OPT"))
    opt = ven.expect("oadrCreateOpt", t.wait)
    window = find(opt.body, "vavailability/components/available/properties/xcal:duration/xcal:duration")
    ven.check(window == "PT1H", r.EXPECTED_MESSAGE, f"the opt schedule's window is {window!r}, expected PT1H", opt)


@pytest.mark.vgi_case("P1_2030_TH_VTN_1", feature="Opt", requires=("HttpPull", "EiOpt"))
def test_P1_2030_TH_VTN_1(registered_ven, dut, t) -> None:
    """A VEN cancels an opt it created; the cancellation names that optID."""
    ven = registered_ven
    start = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=2)
    dut.perform("opt_schedule", start=m.timestamp(start), duration_s=1800, opt="optOut", opt_id="VGI-OPT-CANCEL")
    ven.expect("oadrCreateOpt", t.wait, {"optID": "VGI-OPT-CANCEL"})
    dut.perform("cancel_opt", opt_id="VGI-OPT-CANCEL")
    cancel = ven.expect("oadrCancelOpt", t.wait)
    ven.check(cancel.body.get("optID") == "VGI-OPT-CANCEL", r.EXPECTED_MESSAGE,
              f"cancelled optID {cancel.body.get('optID')!r}", cancel)
    answer = ven.answer_to(cancel)
    ven.check(answer is not None and find(answer.body, "eiResponse/responseCode") == "200", r.EXPECTED_MESSAGE,
              "the VTN did not confirm the cancellation (the optID was unknown to it)")


@pytest.mark.vgi_case("P1_2040_TH_VTN_1", feature="Opt", requires=("HttpPull", "EiOpt"))
def test_P1_2040_TH_VTN_1(registered_ven, dut, t) -> None:
    """A VEN can also opt in to an event with oadrCreateOpt; the VTN confirms it."""
    ven = registered_ven
    ev = simple_event(ven)
    deliver(ven, t, [(ev, "always")])
    answered(ven, t, event_id(ev))
    dut.perform("opt_in", event_id=event_id(ev))
    opt = ven.expect("oadrCreateOpt", t.wait)
    ven.check(opt.body.get("optType") == "optIn", r.EXPECTED_MESSAGE, f"optType {opt.body.get('optType')}", opt)
    answer = ven.answer_to(opt)
    ven.check(answer is not None and answer.name == "oadrCreatedOpt", r.EXPECTED_MESSAGE, "no oadrCreatedOpt")
