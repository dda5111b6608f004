"""R: reports (EiReport): registration of the VEN's reports, report requests, periodic updates, cancellation,
and the VTN's own report registration."""

from __future__ import annotations

import pytest

from vgitest.openadr import messages as m
from vgitest.openadr import rules as r
from vgitest.openadr.codec import as_list, find
from vgitest.trace import Direction
from vgitest.verdict import Inconclusive

pytestmark = pytest.mark.vgi_protocol("openadr", "2.0b")


def _metadata(frame) -> dict[str, dict]:
    return {str(x.get("reportSpecifierID")): x for x in as_list(frame.body.get("oadrReport"))}


@pytest.mark.vgi_case("R1_3010_TH_VTN_1", feature="Reports", requires=("HttpPull", "Reports"))
def test_R1_3010_TH_VTN_1(ven, dut, t) -> None:
    """After registering, the VEN registers its reports (METADATA, reportRequestID 0), accepts the VTN's
    requests with oadrCreatedReport, and then sends oadrUpdateReport with data for the requested rIDs."""
    dut.perform("reregister")
    reg = ven.expect("oadrRegisterReport", t.wait)
    reports = _metadata(reg)
    ven.check(reports, r.EXPECTED_MESSAGE, "oadrRegisterReport holds no report", reg)
    names = [str(x.get("reportName")) for x in reports.values()]
    ven.check(all(n.startswith("METADATA_") for n in names), r.EXPECTED_MESSAGE,
              f"registered report names {names} (expected METADATA_*)", reg)
    ven.expect("oadrCreatedReport", t.wait)
    ven.expect("oadrUpdateReport", t.wait)


@pytest.mark.vgi_case("R1_3020_TH_VTN_1", feature="Reports", requires=("HttpPull", "Reports"))
def test_R1_3020_TH_VTN_1(registered_ven, t) -> None:
    """A report request the VTN sends later (oadrCreateReport on a poll) is confirmed as pending in
    oadrCreatedReport and then reported."""
    ven = registered_ven
    if not ven.state.reports:
        raise Inconclusive("the VTN holds no registered report of this VEN (precondition)")
    spec, report = next(iter(ven.state.reports.items()))
    rids = [str(d.get("rID")) for d in as_list(report.get("oadrReportDescription"))]
    req = m.report_request(m.new_id("RR"), spec, rids, granularity_s=t.poll, report_back_s=t.poll)
    ven.cursor = len(ven.vtn.trace)  # only an answer to this request counts
    ven.queue("oadrCreateReport", m.create_report([req], ven.ven_id))
    ven.wait_delivered(t.wait)
    created = ven.expect("oadrCreatedReport", t.wait)
    pending = [str(x) for x in as_list(find(created.body, "oadrPendingReports/reportRequestID"))]
    ven.check(req["reportRequestID"] in pending, r.REPORT_REQUEST_ID,
              f"oadrCreatedReport lists {pending}, not {req['reportRequestID']}", created)
    ven.expect("oadrUpdateReport", t.wait, lambda b: any(x.get("reportRequestID") == req["reportRequestID"]
                                                         for x in as_list(b.get("oadrReport"))))


@pytest.mark.vgi_case("R1_3030_TH_VTN_1", feature="Reports", requires=("HttpPull", "Reports"))
def test_R1_3030_TH_VTN_1(registered_ven, t) -> None:
    """Updates of a requested report keep coming at about the requested report-back interval. Precondition: the
    VEN reports something since it registered (a VEN that never starts a report is judged by R1_3010)."""
    ven = registered_ven
    if not ven.state.report_requests:
        raise Inconclusive("no report request is running (precondition): the VEN registered no telemetry report")
    first = _first_update_since_registration(ven, t)
    rr = str(as_list(first.body.get("oadrReport"))[0].get("reportRequestID"))
    ven.cursor = first.index + 1
    ven.expect("oadrUpdateReport", t.wait, _updates_for(rr))  # the same report again


@pytest.mark.vgi_case("R1_3040_TH_VTN_1", feature="Reports", requires=("HttpPull", "Reports"))
def test_R1_3040_TH_VTN_1(registered_ven, t) -> None:
    """The VTN cancels a running report (reportToFollow false): the VEN confirms with oadrCanceledReport and
    sends no more updates for it. The report is one this test requests and cancels by itself, so the case does
    not depend on what earlier tests left running; a VEN that does not start it leaves the case INCONCLUSIVE
    (R1_3020 judges that)."""
    ven = registered_ven
    if not ven.state.reports:
        raise Inconclusive("the VTN holds no registered report of this VEN (precondition)")
    spec, report = next(iter(ven.state.reports.items()))
    rids = [str(d.get("rID")) for d in as_list(report.get("oadrReportDescription"))]
    req = m.report_request(m.new_id("RR"), spec, rids, granularity_s=t.poll, report_back_s=t.poll)
    _running(ven, t, req)
    ven.queue("oadrCancelReport", m.cancel_report([req["reportRequestID"]], report_to_follow=False,
                                                  ven_id=ven.ven_id))
    ven.wait_delivered(t.wait)
    ven.expect("oadrCanceledReport", t.wait)
    ven.expect_none("oadrUpdateReport", t.quiet, _updates_for(req["reportRequestID"]))


def _first_update_since_registration(ven, t):  # noqa: ANN001, ANN202
    """The VEN's first oadrUpdateReport since its latest registration (waited for, bounded); INCONCLUSIVE if it
    sends none: the case is about a report that runs, and R1_3010 judges a VEN that starts none."""
    frames = list(ven.vtn.trace)
    reg = max((f.index for f in frames if f.direction is Direction.IN and f.name == "oadrCreatePartyRegistration"),
              default=0)
    first = ven.vtn.trace.wait_for(lambda f: f.direction is Direction.IN and f.name == "oadrUpdateReport", reg,
                                   t.wait)
    if first is None:
        raise Inconclusive("no report is running (precondition): the VEN has sent no oadrUpdateReport since it "
                           f"registered, although the VTN requested {sorted(ven.state.report_requests)}")
    return first


def _running(ven, t, req: dict) -> None:  # noqa: ANN001
    """Precondition of a case about a running report: the VTN requests `req` on the next poll and the VEN
    reports it. Waited for without judging (no finding): a VEN that does not is judged by R1_3020."""
    start = len(ven.vtn.trace)
    ven.cursor = start
    ven.queue("oadrCreateReport", m.create_report([req], ven.ven_id))
    ven.wait_delivered(t.wait)
    update = ven.vtn.trace.wait_for(lambda f: f.direction is Direction.IN and f.name == "oadrUpdateReport"
                                    and _updates_for(req["reportRequestID"])(f.body), start, 2 * t.wait)
    if update is None:
        raise Inconclusive(f"report request {req['reportRequestID']} did not start (precondition): the VEN sent no "
                           f"oadrUpdateReport for it within {2 * t.wait:g} s")
    ven.cursor = update.index + 1


@pytest.mark.vgi_case("R1_3050_TH_VTN_1", feature="Reports", requires=("HttpPull", "Reports"))
def test_R1_3050_TH_VTN_1(registered_ven, t) -> None:
    """When the VTN registers its own reports (oadrRegisterReport on a poll), the VEN answers with
    oadrRegisteredReport."""
    ven = registered_ven
    desc = m.report_description("vtn-price", "price", reading_type="x-notApplicable", min_period_s=3600)
    ven.queue("oadrRegisterReport", m.register_report([m.metadata_report([desc], specifier_id="VTN-SPEC-1")], None))
    ven.wait_delivered(t.wait)
    ven.expect("oadrRegisteredReport", t.wait)


def _request_for(ven, t, name: str, **kwargs) -> dict:  # noqa: ANN001
    reports = [(spec, rep) for spec, rep in ven.state.reports.items() if str(rep.get("reportName")) == name]
    if not reports:
        raise Inconclusive(f"the VEN registered no {name} report (precondition)")
    spec, rep = reports[0]
    rids = [str(d.get("rID")) for d in as_list(rep.get("oadrReportDescription"))]
    return m.report_request(m.new_id("RR"), spec, rids, granularity_s=t.poll, report_back_s=t.poll, **kwargs)


def _updates_for(rr_id: str):  # noqa: ANN202
    return lambda b: any(x.get("reportRequestID") == rr_id for x in as_list(b.get("oadrReport")))


def _requested_and_reported(ven, t, req: dict) -> None:  # noqa: ANN001
    """The VTN asks for one report on the next poll; the VEN confirms it and then reports it."""
    ven.cursor = len(ven.vtn.trace)  # only an answer to this request counts
    ven.queue("oadrCreateReport", m.create_report([req], ven.ven_id))
    ven.wait_delivered(t.wait)
    ven.expect("oadrCreatedReport", t.wait)
    ven.expect("oadrUpdateReport", t.wait, _updates_for(req["reportRequestID"]))


@pytest.mark.vgi_case("R1_3060_TH_VTN_1", feature="Reports", requires=("HttpPull", "Reports"))
def test_R1_3060_TH_VTN_1(registered_ven, t) -> None:
    """A report request with a report interval (start now, one hour) is accepted and reported."""
    import datetime as dt
    ven = registered_ven
    req = _request_for(ven, t, "METADATA_TELEMETRY_USAGE", start=dt.datetime.now(dt.timezone.utc), duration_s=3600)
    _requested_and_reported(ven, t, req)


@pytest.mark.vgi_case("R1_3070_TH_VTN_1", feature="Reports", requires=("HttpPull", "Reports", "TelemetryStatus"))
def test_R1_3070_TH_VTN_1(registered_ven, t) -> None:
    """The VEN's status report (TELEMETRY_STATUS) can be requested and is reported with its own rID."""
    ven = registered_ven
    req = _request_for(ven, t, "METADATA_TELEMETRY_STATUS")
    _requested_and_reported(ven, t, req)


@pytest.mark.vgi_case("R1_3080_TH_VTN_1", feature="Reports", requires=("HttpPull", "Reports", "TelemetryStatus"))
def test_R1_3080_TH_VTN_1(registered_ven, t) -> None:
    """Of two running reports the VTN cancels one: the VEN confirms, stops that one and keeps the other."""
    ven = registered_ven
    keep = _request_for(ven, t, "METADATA_TELEMETRY_USAGE")
    stop = _request_for(ven, t, "METADATA_TELEMETRY_STATUS")
    ven.queue("oadrCreateReport", m.create_report([keep, stop], ven.ven_id))
    ven.wait_delivered(t.wait)
    ven.expect("oadrCreatedReport", t.wait)
    ven.expect("oadrUpdateReport", t.wait, _updates_for(stop["reportRequestID"]))
    ven.queue("oadrCancelReport", m.cancel_report([stop["reportRequestID"]], ven_id=ven.ven_id))
    ven.wait_delivered(t.wait)
    ven.expect("oadrCanceledReport", t.wait)
    ven.expect("oadrUpdateReport", t.wait, _updates_for(keep["reportRequestID"]))
    ven.expect_none("oadrUpdateReport", t.quiet, _updates_for(stop["reportRequestID"]))
