"""Report content and report life: the resources a report names, every payload type asked for, the period it
covers, an update of the report when its event changes, and a report the VTN lost."""

from __future__ import annotations

import datetime as dt

import pytest

from helpers_oa3 import duration_s, event, instant, payload_types, reports_of, status
from vgitest.openadr3 import rules as r
from vgitest.openadr3.states import ven_name
from vgitest.trace import Direction

pytestmark = pytest.mark.vgi_protocol("openadr3", "3.0.1")


def changed(level: int) -> dict:
    """What the business logic changes in an event: its one interval's level."""
    return {"intervals": [{"id": 0, "payloads": [{"type": "SIMPLE", "values": [level]}]}]}


@pytest.mark.vgi_case("TC_VGI_OA3_16", feature="Reports", requires=("Reports", "Resources"))
def test_TC_VGI_OA3_16(registered_ven3, vgi_profile, t) -> None:
    """A report names only resources the VEN registered under its VEN object, each with at least one interval."""
    ven = registered_ven3
    ven.cursor = len(ven.vtn.trace)
    ev = ven.create_event(event(name="which resource", report="USAGE"))
    report, _ = ven.expect_answered("POST /reports", t.wait, reports_of(ev["id"], created=False))
    mine = ven.store.find("vens", venName=ven_name(vgi_profile))
    registered = {str(res.get("resourceName")) for v in mine for res in ven.store.all("resources", ven_id=v["id"])}
    resources = [res for res in (report.body or {}).get("resources") or [] if isinstance(res, dict)]
    named = {str(res.get("resourceName")) for res in resources}
    ven.check(named and named <= registered, r.REPORT_CONTENT, f"the report names resources {sorted(named)}; the "
              f"VEN registered {sorted(registered) or 'none'}", report)
    empty = [res.get("resourceName") for res in resources if not res.get("intervals")]
    ven.check(not empty, r.REPORT_CONTENT, f"resources without intervals: {empty}", report)


@pytest.mark.vgi_case("TC_VGI_OA3_17", feature="Reports", requires=("Reports",))
def test_TC_VGI_OA3_17(registered_ven3, t) -> None:
    """An event that asks for two kinds of readings (two report descriptors) gets a report carrying both payload
    types, not only the first."""
    ven = registered_ven3
    ven.cursor = len(ven.vtn.trace)
    ev = ven.create_event(event(name="two readings", report=("USAGE", "DEMAND")))
    report, _ = ven.expect_answered("POST /reports", t.wait, reports_of(ev["id"], created=False))
    types = payload_types(report.body or {})
    ven.check(types == {"USAGE", "DEMAND"}, r.REPORT_CONTENT, f"the report carries payload types {sorted(types)}; "
              "the event asked for DEMAND and USAGE", report)


@pytest.mark.vgi_case("TC_VGI_OA3_18", feature="Reports", requires=("Reports",))
def test_TC_VGI_OA3_18(registered_ven3, t) -> None:
    """When an event the VEN has reported on changes, the VEN updates its report (PUT /reports/{id}, the id the
    VTN gave) instead of creating a second report for the event."""
    ven = registered_ven3
    ven.cursor = len(ven.vtn.trace)
    ev = ven.create_event(event(name="to change", report="USAGE"))
    _, made = ven.expect_answered("POST /reports", t.wait, reports_of(ev["id"]))
    report_id = made.body["id"]
    mark = len(ven.vtn.trace)
    ven.update_event(ev, changed(2))
    nxt = ven.vtn.trace.wait_for(
        lambda f: f.direction is Direction.IN and f.kind == "REQUEST" and (
            f.name == "PUT /reports/{reportID}" or (f.name == "POST /reports" and
                                                    (f.body or {}).get("eventID") == ev["id"])), mark, t.wait)
    ven.check(nxt is not None, r.EXPECTED_REQUEST, f"no update of the report within {t.wait:g} s of the event's "
              "change")
    ven.check(nxt.name == "PUT /reports/{reportID}", r.REPORT_DUPLICATE, f"the VEN created another report for "
              f"event {ev['id']} instead of updating report {report_id}", nxt)
    ven.check(nxt.meta["params"].get("reportID") == report_id, r.NOT_FOUND, f"the VEN updated report "
              f"{nxt.meta['params'].get('reportID')}, its report of the event is {report_id}", nxt)
    answer = ven.answer_to(nxt, timeout=2.0)
    ven.check(status(answer) == 200, r.SCHEMA, f"the VTN refused the update ({status(answer)})", nxt)


@pytest.mark.vgi_case("TC_VGI_OA3_19", feature="Reports", requires=("Reports",))
def test_TC_VGI_OA3_19(registered_ven3, t) -> None:
    """When the VTN no longer holds the VEN's report (its update answered 404), the VEN creates the report
    anew instead of updating the missing one again."""
    ven = registered_ven3
    ven.cursor = len(ven.vtn.trace)
    ev = ven.create_event(event(name="report lost", report="USAGE"))
    _, made = ven.expect_answered("POST /reports", t.wait, reports_of(ev["id"]))
    report_id = made.body["id"]
    ven.delete_object("reports", report_id)
    ven.update_event(ev, changed(3))
    ven.expect_answered("PUT /reports/{reportID}", t.wait,
                        lambda q, a: q.meta["params"].get("reportID") == report_id and status(a) == 404)
    ven.expect_answered("POST /reports", t.wait, reports_of(ev["id"]))


@pytest.mark.vgi_case("TC_VGI_OA3_29", feature="Reports", requires=("Reports", "ReportPeriods"))
def test_TC_VGI_OA3_29(registered_ven3, t) -> None:
    """An event whose period is written with a UTC offset (+10:00) and a duration in hours and minutes is reported
    for the same moment and length: the report's period names the same instant and duration."""
    ven = registered_ven3
    ven.cursor = len(ven.vtn.trace)
    local = dt.timezone(dt.timedelta(hours=10))
    begin = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=2)).replace(microsecond=0).astimezone(local)
    period = {"start": begin.isoformat(), "duration": "PT1H30M"}
    ev = ven.create_event(event(name="offset", report="USAGE", period=period))
    report, _ = ven.expect_answered("POST /reports", t.wait, reports_of(ev["id"], created=False))
    resources = [res for res in (report.body or {}).get("resources") or [] if isinstance(res, dict)]
    ven.check(bool(resources), r.REPORT_CONTENT, "the report has no resources", report)
    for res in resources:
        got = res.get("intervalPeriod") if isinstance(res.get("intervalPeriod"), dict) else {}
        ven.check(instant(got.get("start")) == begin, r.REPORT_CONTENT, f"resource {res.get('resourceName')!r} "
                  f"reports a period starting {got.get('start')!r}; the event starts {period['start']} "
                  f"({begin.astimezone(dt.timezone.utc).isoformat()})", report)
        ven.check(duration_s(got.get("duration")) == 5400, r.REPORT_CONTENT, f"resource "
                  f"{res.get('resourceName')!r} reports a period of {got.get('duration')!r}; the event lasts "
                  "PT1H30M", report)
