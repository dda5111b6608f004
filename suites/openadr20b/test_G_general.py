"""G: general rules every exchange must keep (transport, XML, schema, identity, UTC), checked over a full
cycle of registration, an event and reports."""

from __future__ import annotations

import pytest

from helpers20b import answered, deliver, event_id, simple_event
from vgitest.openadr import rules as r

pytestmark = pytest.mark.vgi_protocol("openadr", "2.0b")


def _cycle(ven, dut, t) -> int:
    start = len(ven.vtn.trace)
    dut.perform("reregister")
    ven.expect("oadrCreatePartyRegistration", t.wait)
    ven.expect("oadrPoll", t.wait)
    ev = simple_event(ven)
    deliver(ven, t, [(ev, "always")])
    answered(ven, t, event_id(ev))
    return start


@pytest.mark.vgi_case("G1_4010_TH_VTN_1", feature="General", requires=("HttpPull",))
def test_G1_4010_TH_VTN_1(ven, dut, t) -> None:
    """Over a registration and an event, every request is a POST of well-formed, schema-valid XML declared as
    application/xml, sent to the endpoint of its service (all checked on every frame)."""
    start = _cycle(ven, dut, t)
    requests = [f for f in ven.frames(start) if f.kind == "REQUEST"]
    ven.check(requests, r.EXPECTED_MESSAGE, "the VEN sent nothing")


@pytest.mark.vgi_case("G1_4015_TH_VTN_1", feature="General", requires=("HttpPull",))
def test_G1_4015_TH_VTN_1(ven, dut, t) -> None:
    """Every date-time the VEN writes is in UTC (checked on every payload of a registration, an event and
    reports)."""
    _cycle(ven, dut, t)
    ven.expect("oadrUpdateReport", t.wait)
