"""E: events (EiEvent) for a pull VEN: answers to distributed events, modifications, cancellations, test
events, responseRequired always/never, and event sync with oadrRequestEvent."""

from __future__ import annotations

import pytest

import datetime as dt

from helpers20b import answered, deliver, event_id, responses, simple_event
from vgitest.openadr import messages as m
from vgitest.openadr import rules as r
from vgitest.openadr.codec import find
from vgitest.verdict import HarnessError

pytestmark = pytest.mark.vgi_protocol("openadr", "2.0b")


@pytest.mark.vgi_case("E1_1010_TH_VTN_1", feature="Events", requires=("HttpPull",))
def test_E1_1010_TH_VTN_1(registered_ven, t) -> None:
    """An event that requires a response is answered with oadrCreatedEvent (its eventID, modification and the
    distribute's requestID; ids are checked automatically) before the VEN polls again."""
    ven = registered_ven
    ev = simple_event(ven)
    delivered = deliver(ven, t, [(ev, "always")])
    created = ven.expect("oadrCreatedEvent", t.wait)
    ven.expect("oadrPoll", t.wait)
    mine = [x for x in responses(created) if find(x, "qualifiedEventID/eventID") == event_id(ev)]
    ven.check(mine, r.CREATED_EVENT_ID, f"the answer does not name event {event_id(ev)}", created)
    ven.check(mine[0].get("optType") in ("optIn", "optOut"), r.SCHEMA, "optType missing", created)
    if created.index < delivered.index:  # the fake VTN's cursor: a harness fault, never the VEN's
        raise HarnessError(f"the oadrCreatedEvent matched (frame #{created.index}) precedes the delivery "
                           f"(frame #{delivered.index})")


@pytest.mark.vgi_case("E1_1020_TH_VTN_1", feature="Events", requires=("HttpPull",))
def test_E1_1020_TH_VTN_1(registered_ven, t) -> None:
    """An event delivered with oadrResponseRequired=never gets no oadrCreatedEvent."""
    ven = registered_ven
    deliver(ven, t, [(simple_event(ven), "never")])
    ven.expect_none("oadrCreatedEvent", t.quiet)


@pytest.mark.vgi_case("E1_1030_TH_VTN_1", feature="Events", requires=("HttpPull",))
def test_E1_1030_TH_VTN_1(registered_ven, t) -> None:
    """A modified event (same eventID, modificationNumber + 1) is answered for the new modification."""
    ven = registered_ven
    ev = simple_event(ven)
    deliver(ven, t, [(ev, "always")])
    answered(ven, t, event_id(ev))
    changed = simple_event(ven, event_id=event_id(ev), levels=(3,), modification=1,
                           modification_reason="level raised")
    deliver(ven, t, [(changed, "always")])
    frame, resp = answered(ven, t, event_id(ev))
    mod = find(resp, "qualifiedEventID/modificationNumber")
    ven.check(mod == "1", r.CREATED_EVENT_ID, f"the modified event was answered for modification {mod}", frame)


@pytest.mark.vgi_case("E1_1040_TH_VTN_1", feature="Events", requires=("HttpPull",))
def test_E1_1040_TH_VTN_1(registered_ven, t) -> None:
    """A cancelled event (eventStatus cancelled, next modification) is acknowledged like any change."""
    ven = registered_ven
    ev = simple_event(ven)
    deliver(ven, t, [(ev, "always")])
    answered(ven, t, event_id(ev))
    cancelled = simple_event(ven, event_id=event_id(ev), modification=1, status="cancelled")
    deliver(ven, t, [(cancelled, "always")])
    answered(ven, t, event_id(ev))


@pytest.mark.vgi_case("E1_1050_TH_VTN_1", feature="Events", requires=("HttpPull",))
def test_E1_1050_TH_VTN_1(registered_ven, t) -> None:
    """Two events in one oadrDistributeEvent are both answered."""
    ven = registered_ven
    a, b = simple_event(ven), simple_event(ven, start_in_s=3600)
    deliver(ven, t, [(a, "always"), (b, "always")])
    answered(ven, t, event_id(a))
    ven.cursor = 0
    answered(ven, t, event_id(b))


@pytest.mark.vgi_case("E1_1060_TH_VTN_1", feature="Events", requires=("HttpPull",))
def test_E1_1060_TH_VTN_1(registered_ven, t) -> None:
    """A test event (testEvent set) is answered like any other event."""
    ven = registered_ven
    ev = simple_event(ven, test_event="true")
    deliver(ven, t, [(ev, "always")])
    answered(ven, t, event_id(ev))


@pytest.mark.vgi_case("E1_1070_TH_VTN_1", feature="Events", requires=("HttpPull",))
def test_E1_1070_TH_VTN_1(registered_ven, dut, t) -> None:
    """A VEN that asks for the current events (oadrRequestEvent) answers what it receives."""
    ven = registered_ven
    ev = simple_event(ven)
    ven.state.events[event_id(ev)] = (ev, "always")  # the one event of this test
    dut.perform("request_event")
    ven.expect("oadrRequestEvent", t.wait)
    answered(ven, t, event_id(ev))


@pytest.mark.vgi_case("E1_1080_TH_VTN_1", feature="Events", requires=("HttpPull",))
def test_E1_1080_TH_VTN_1(registered_ven, dut, t) -> None:
    """A VEN that will not take part answers the event with optOut."""
    ven = registered_ven
    dut.perform("set_event_opt", opt="optOut")
    try:
        ev = simple_event(ven)
        deliver(ven, t, [(ev, "always")])
        frame, resp = answered(ven, t, event_id(ev))
        ven.check(resp.get("optType") == "optOut", r.EXPECTED_MESSAGE, f"answered {resp.get('optType')}", frame)
    finally:
        dut.perform("set_event_opt", opt="optIn")


@pytest.mark.vgi_case("E1_1090_TH_VTN_1", feature="Events", requires=("HttpPull",))
def test_E1_1090_TH_VTN_1(registered_ven, t) -> None:
    """An event with two signals (a SIMPLE level and a price) is answered once, for the event."""
    ven = registered_ven
    ev = simple_event(ven)
    price = m.signal([m.interval(0, 600, 0.25), m.interval(1, 600, 0.30)], name="ELECTRICITY_PRICE", kind="price",
                     signal_id="SIG-PRICE")
    ev["eiEventSignals"]["eiEventSignal"].append(price)
    deliver(ven, t, [(ev, "always")])
    frame, _ = answered(ven, t, event_id(ev))
    mine = [x for x in responses(frame) if find(x, "qualifiedEventID/eventID") == event_id(ev)]
    ven.check(len(mine) == 1, r.CREATED_EVENT_ID, f"the event was answered {len(mine)} times in one payload", frame)


@pytest.mark.vgi_case("E1_1100_TH_VTN_1", feature="Events", requires=("HttpPull",))
def test_E1_1100_TH_VTN_1(registered_ven, t) -> None:
    """An event that is already active (it started a minute ago; eventStatus active, currentValue set) is
    answered like a future one."""
    ven = registered_ven
    sig = m.signal([m.interval(0, 1800, 2)], current=2)
    start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
    ev = m.event(m.new_id("EV"), start=start, signals=[sig], ven_ids=[ven.ven_id], status="active")
    deliver(ven, t, [(ev, "always")])
    answered(ven, t, event_id(ev))
