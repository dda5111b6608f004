"""Events and reports: an event read by polling, paging through more events than one page holds, an event learnt
from a notification, the report an event asks for, and going on after the VTN answered an error."""

from __future__ import annotations

import pytest

from helpers_oa3 import event, ids, ok, payload_types, status
from vgitest.openadr3 import rules as r
from vgitest.openadr3.schema import MAX_LIMIT
from vgitest.openadr3.vtn import Raw, problem

pytestmark = pytest.mark.vgi_protocol("openadr3", "3.0.1", "3.1.0")
PAGING_PROGRAM = "VGI-PAGING"


@pytest.mark.vgi_case("TC_VGI_OA3_05", feature="Events")
def test_TC_VGI_OA3_05(ven3, dut, t) -> None:
    """A new event of the VEN's program is read by the VEN's next poll of the events (GET /events, with paging
    parameters in their range)."""
    ev = ven3.create_event(event(name="poll"), notify=False)
    ven3.expect_answered("GET /events", t.wait, lambda q, a: status(a) == 200 and ev["id"] in ids(a), fresh=True)


@pytest.mark.vgi_case("TC_VGI_OA3_06", feature="Events")
def test_TC_VGI_OA3_06(ven3, dut, t) -> None:
    """With more events than one page holds, the VEN reads the next page (skip past the first) and so sees the
    last event too."""
    found = ven3.store.find("programs", programName=PAGING_PROGRAM)
    program = found[0] if found else ven3.create_program(PAGING_PROGRAM)
    made = [ven3.create_event(event(name=f"page-{i}", program_id=program["id"]), notify=False)
            for i in range(MAX_LIMIT + 5)]
    last = made[-1]["id"]
    ven3.expect_answered("GET /events", t.wait, lambda q, a: status(a) == 200 and last in ids(a), fresh=True)


@pytest.mark.vgi_case("TC_VGI_OA3_08", feature="Notifications", requires=("Webhooks", "Reports"))
def test_TC_VGI_OA3_08(registered_ven3, t) -> None:
    """An event notified to the VEN's callback URL is accepted (2xx) and acted on: the VEN reports on it although
    its polls of the events are answered empty during the case."""
    ven = registered_ven3
    ven.override("GET /events", Raw(200, []))
    start = len(ven.vtn.trace)
    ev = ven.create_event(event(name="notified", report="USAGE"))
    answer = ven.vtn.wait_notified(start, t.wait)
    ven.check(answer is not None, r.NOTIFY_ANSWER, f"the notification of {ev['id']} got no answer within "
              f"{t.wait:g} s")
    ven.check(200 <= (status(answer) or 0) < 300, r.NOTIFY_ANSWER, f"the notification was answered "
              f"{status(answer) or answer.meta.get('error')}", answer)
    ven.expect("POST /reports", t.wait, {"eventID": ev["id"]})


@pytest.mark.vgi_case("TC_VGI_OA3_09", feature="Reports", requires=("Reports",))
def test_TC_VGI_OA3_09(registered_ven3, vgi_profile, t) -> None:
    """For an event that asks for a report, the VEN creates one report naming that event and its program, its own
    client name, and resources carrying the payload type the event asked for."""
    ven = registered_ven3
    ven.cursor = len(ven.vtn.trace)
    ev = ven.create_event(event(name="report me", report="USAGE"))
    report, answer = ven.expect_answered("POST /reports", t.wait, lambda q, a: True)
    body = report.body or {}
    program_ok = body.get("programID") == ev["programID"] or ("programID" not in body and
                                                             not ven.vtn.dialect.report_requires_program)  # 3.1.0
    ven.check(body.get("eventID") == ev["id"] and program_ok, r.REPORT_REFERENCE,
              f"the report names event {body.get('eventID')!r} of program {body.get('programID')!r}", report)
    ven.check(status(answer) == 201, r.SCHEMA, f"the VTN refused the report ({status(answer)})", report)
    name = str(vgi_profile.dut.get("identity", ""))
    ven.check(body.get("clientName") == name, r.REPORT_REFERENCE, f"the report's clientName is "
              f"{body.get('clientName')!r}, the VEN's name is {name!r}", report)
    types = payload_types(body)
    ven.check(types == {"USAGE"}, r.REPORT_CONTENT, f"the report carries payload types {sorted(types)}, the event "
              "asked for USAGE", report)


@pytest.mark.vgi_case("TC_VGI_OA3_11", feature="Errors")
def test_TC_VGI_OA3_11(registered_ven3, t) -> None:
    """After the VTN answers a read of the events with a server error (500, a problem body), the VEN keeps reading
    the events and sees an event created after the error."""
    ven = registered_ven3
    ven.override("GET /events", problem(500, "Internal Server Error", "a fault the case makes"), once=True)
    ven.expect_answered("GET /events", t.wait, ok(500), fresh=True)
    ev = ven.create_event(event(name="after the error"), notify=False)
    ven.expect_answered("GET /events", t.wait, lambda q, a: status(a) == 200 and ev["id"] in ids(a))
