"""Reading the events: the polling rate the VEN declares, every page of a long list, and events targeted at
other VENs."""

from __future__ import annotations

import time

import pytest

from helpers_oa3 import event, ids, reports_of, requests, status
from vgitest.openadr3 import rules as r
from vgitest.openadr3.schema import MAX_LIMIT
from vgitest.openadr3.states import ven_name
from vgitest.verdict import Inconclusive

pytestmark = pytest.mark.vgi_protocol("openadr3", "3.0.1")
# a read of the events counts as on time between half and twice the declared interval (plus scheduling slack)
SLACK_S = 0.5


@pytest.mark.vgi_case("TC_VGI_OA3_20", feature="Events", requires=("Reports",))
def test_TC_VGI_OA3_20(registered_ven3, vgi_profile, t) -> None:
    """Of two events that ask for reports, one targeted at another VEN by name and one at this VEN, the VEN
    reports only on its own."""
    ven = registered_ven3
    ven.cursor = start = len(ven.vtn.trace)
    other = ven.create_event(event(name="for another VEN", report="USAGE",
                                   targets=[{"type": "VEN_NAME", "values": ["vgi-some-other-ven"]}]))
    mine = ven.create_event(event(name="for this VEN", report="USAGE",
                                  targets=[{"type": "VEN_NAME", "values": [ven_name(vgi_profile)]}]))
    ven.expect_answered("POST /reports", t.wait, reports_of(mine["id"], created=False))
    wrong = ven.vtn.trace.wait_for(lambda f: f.name == "POST /reports" and (f.body or {}).get("eventID") ==
                                   other["id"], start, 0.5)
    ven.check(wrong is None, r.TARGETS, f"the VEN reported on event {other['id']}, targeted at another VEN only",
              wrong)


@pytest.mark.vgi_case("TC_VGI_OA3_24", feature="Events", requires=("PollInterval",))
def test_TC_VGI_OA3_24(registered_ven3, vgi_profile, t) -> None:
    """Over three declared polling intervals the VEN starts a read of the events (skip 0) no sooner than half its
    declared interval after the last and no later than twice it."""
    ven = registered_ven3
    declared = vgi_profile.param("poll_interval")
    if declared is None:
        raise Inconclusive("the PICS declares PollInterval but the PIXIT gives no poll_interval")
    interval = float(declared)
    start = len(ven.vtn.trace)
    time.sleep(3 * interval + SLACK_S)
    rounds = [f for f in requests(ven.frames(start), "GET /events") if f.meta.get("skip", 0) == 0]
    ven.check(len(rounds) >= 2, r.POLL_RATE, f"{len(rounds)} read(s) of the events in "
              f"{3 * interval + SLACK_S:g} s with a declared interval of {interval:g} s")
    gaps = [(b.t_ns - a.t_ns) / 1e9 for a, b in zip(rounds, rounds[1:])]
    least, most = min(gaps), max(gaps)
    ven.check(least >= interval / 2, r.POLL_RATE, f"two reads of the events {least:.2f} s apart; the declared "
              f"interval is {interval:g} s", rounds[gaps.index(least) + 1])
    ven.check(most <= 2 * interval + SLACK_S, r.POLL_RATE, f"two reads of the events {most:.2f} s apart; the "
              f"declared interval is {interval:g} s", rounds[gaps.index(most) + 1])


@pytest.mark.vgi_case("TC_VGI_OA3_25", feature="Events")
def test_TC_VGI_OA3_25(ven3, dut, t) -> None:
    """With more than two pages of events in the program the VEN reads, one round of reads covers every event: the
    VEN goes on to the third page, and its pages together hold all of them."""
    made = {ven3.create_event(event(name=f"page-{i}"), notify=False)["id"]
            for i in range(2 * MAX_LIMIT + 5)}
    ven3.cursor = len(ven3.vtn.trace)
    first, _ = ven3.expect_answered("GET /events", t.wait, lambda q, a: status(a) == 200 and
                                    q.meta.get("skip") == 0)
    last = max(made, key=lambda i: int(i.rsplit("-", 1)[1]))
    end, _ = ven3.expect_answered("GET /events", t.wait, lambda q, a: status(a) == 200 and last in ids(a))
    seen: set[str] = set()
    for q in requests(ven3.frames(first.index), "GET /events"):
        if q.index > end.index:
            break
        if q.meta.get("skip") == 0:
            seen = set()  # a new round
        answer = ven3.answer_to(q, timeout=2.0)
        seen |= ids(answer) if answer is not None else set()
    missing = made - seen
    ven3.check(not missing, r.EXPECTED_REQUEST, f"the round of reads that reached the last event missed "
               f"{len(missing)} of the {len(made)} events", end)
