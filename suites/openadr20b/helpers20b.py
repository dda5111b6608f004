"""Helpers of the OpenADR 2.0b suite: events built the way the tests need them, delivery on the next poll,
and waiting for the VEN's answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from vgitest.openadr import messages as m
from vgitest.openadr import rules as r
from vgitest.openadr.codec import as_list, find
from vgitest.trace import Frame


def simple_event(ven: Any, *, levels: tuple[int, ...] = (1, 2), interval_s: int = 600, start_in_s: int = 120,
                 event_id: str | None = None, **kwargs: Any) -> dict:
    """A SIMPLE level event for this VEN, starting soon, one interval per level."""
    start = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=start_in_s)
    sig = m.signal([m.interval(i, interval_s, v) for i, v in enumerate(levels)], current=0)
    return m.event(event_id or m.new_id("EV"), start=start, signals=[sig], ven_ids=[ven.ven_id], **kwargs)


def deliver(ven: Any, t: Any, events: list[tuple[dict, str]]) -> Frame:
    """Hand oadrDistributeEvent to the VEN on its next poll; returns the frame that delivered it.

    Like a correct VTN, every distribute carries all the events that apply to the VEN (those of this test): an
    event left out would be an implied cancellation. A new modification replaces the event's earlier one."""
    for ev, rr in events:
        ven.state.events[str(find(ev, "eventDescriptor/eventID"))] = (ev, rr)
    body = m.distribute_event(ven.state.vtn_id, list(ven.state.events.values()))
    ven.queue("oadrDistributeEvent", body)
    return delivered(ven, t, "oadrDistributeEvent")


def delivered(ven: Any, t: Any, what: str) -> Frame:
    """Wait until the VEN has the payload just queued: pull, it polled; push, it acknowledged the POST."""
    frame = ven.wait_delivered(t.wait)
    if frame is not None:
        return frame
    if ven.vtn.pushes:
        ven.fail(r.PUSH_RESPONSE, f"the VEN did not acknowledge the pushed {what} with HTTP 200 within {t.wait:g} s")
    ven.fail(r.EXPECTED_MESSAGE, f"the VEN did not poll within {t.wait:g} s, so {what} was not delivered")


def event_id(ev: dict) -> str:
    return str(find(ev, "eventDescriptor/eventID"))


def responses(frame: Frame) -> list[dict]:
    return as_list(find(frame.body, "eiCreatedEvent/eventResponses/eventResponse"))


def answered(ven: Any, t: Any, ev_id: str) -> tuple[Frame, dict]:
    """The VEN's oadrCreatedEvent that answers `ev_id`, and that eventResponse (a push VEN that never answers
    fails with OADR-CREATED-EVENT-MISSING: it has no next poll to judge by)."""
    def answers(b: Any) -> bool:
        return any(find(x, "qualifiedEventID/eventID") == ev_id for x in responses_of(b))

    if ven.vtn.pushes and ven.vtn.trace.wait_for(lambda f: f.name == "oadrCreatedEvent" and answers(f.body),
                                                  ven.cursor, t.wait) is None:
        ven.fail(r.CREATED_EVENT_MISSING, f"event {ev_id} required a response; none came within {t.wait:g} s")
    frame = ven.expect("oadrCreatedEvent", t.wait, answers)
    resp = next(x for x in responses(frame) if find(x, "qualifiedEventID/eventID") == ev_id)
    return frame, resp


def responses_of(body: Any) -> list[dict]:
    return as_list(find(body, "eiCreatedEvent/eventResponses/eventResponse"))
