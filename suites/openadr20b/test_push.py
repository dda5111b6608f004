"""Push VEN (simple HTTP, push exchange model): the VEN serves the 2.0b endpoints, registers their address, and
the fake VTN POSTs events, report requests, re-registration and cancellation there.

The VEN acknowledges each push in the HTTP response (with the payload that answers it, or a bare 200 for
oadrDistributeEvent) and sends everything else (oadrCreatedEvent, reports, opts) as requests of its own; the
answer's status and payload are checked automatically (OADR-PUSH-RESPONSE). Ids follow the certification
scheme: the push twin of a pull case N1_0010 is N0_5010.
"""

from __future__ import annotations

import pytest

from helpers20b import answered, deliver, delivered, event_id, responses, simple_event
from vgitest.openadr import messages as m
from vgitest.openadr import rules as r
from vgitest.openadr.codec import as_list, find
from vgitest.verdict import HarnessError, Inconclusive

pytestmark = pytest.mark.vgi_protocol("openadr", "2.0b")
PUSH = ("HttpPush",)


def _registration(ven, dut, t):  # noqa: ANN001, ANN202
    """Register the VEN from scratch; its oadrCreatePartyRegistration and the query before it (if any)."""
    start = len(ven.vtn.trace)
    dut.perform("reregister")
    create = ven.expect("oadrCreatePartyRegistration", t.wait)
    queries = [f for f in ven.frames(start) if f.name == "oadrQueryRegistration" and f.index < create.index]
    return create, queries


def _check_push_address(ven, create) -> None:  # noqa: ANN001
    body = create.body
    address = str(body.get("oadrTransportAddress") or "")
    ven.check(body.get("oadrHttpPullModel") == "false", r.PUSH_ADDRESS, "a push VEN must declare "
              f"oadrHttpPullModel false; it sent {body.get('oadrHttpPullModel')!r}", create)
    ven.check(address.startswith(("http://", "https://")), r.PUSH_ADDRESS,
              f"oadrTransportAddress {address!r} is not an http(s) URL the VTN can POST to", create)


# --- N: registration ------------------------------------------------------------------------------------------
@pytest.mark.vgi_case("N0_5010_TH_VTN_1", feature="Registration", requires=PUSH)
def test_N0_5010_TH_VTN_1(ven, dut, t) -> None:
    """Registering from scratch, the VEN queries first, then registers for push delivery with the address of
    its own endpoint, and the VTN accepts it."""
    create, queries = _registration(ven, dut, t)
    ven.check(queries, r.REG_QUERY_FIRST, "oadrCreatePartyRegistration came without an oadrQueryRegistration first",
              create)
    _check_push_address(ven, create)
    answer = ven.answer_to(create)
    ven.check(answer is not None and find(answer.body, "eiResponse/responseCode") == "200", r.EXPECTED_MESSAGE,
              "the registration was not accepted")


@pytest.mark.vgi_case("N0_5020_TH_VTN_1", feature="Registration", requires=PUSH)
def test_N0_5020_TH_VTN_1(ven, dut, vgi_profile, t) -> None:
    """The push registration names profile 2.0b and the simple-HTTP transport, and declares XML signatures only
    when the PICS says the VEN signs."""
    create, _ = _registration(ven, dut, t)
    body = create.body
    ven.check(body.get("oadrProfileName") == "2.0b", r.SCHEMA, f"profile {body.get('oadrProfileName')!r}", create)
    ven.check(body.get("oadrTransportName") == "simpleHttp", r.SCHEMA,
              f"transport {body.get('oadrTransportName')!r}", create)
    signs = "true" if vgi_profile.supports("XmlSignature") else "false"
    ven.check(body.get("oadrXmlSignature") in (signs, None), r.SCHEMA,
              f"oadrXmlSignature is {body.get('oadrXmlSignature')!r}, the PICS says {signs}", create)
    _check_push_address(ven, create)


@pytest.mark.vgi_case("N0_5040_TH_VTN_1", feature="Registration", requires=PUSH)
def test_N0_5040_TH_VTN_1(registered_ven, t) -> None:
    """Pushed oadrRequestReregistration: the VEN acknowledges it (oadrResponse in the HTTP answer) and
    registers again, still for push, with its registrationID."""
    ven = registered_ven
    reg = ven.state.registration_id
    ven.cursor = len(ven.vtn.trace)
    ven.queue("oadrRequestReregistration", {"venID": ven.ven_id})
    delivered(ven, t, "oadrRequestReregistration")
    create = ven.expect("oadrCreatePartyRegistration", t.wait)
    ven.check(create.body.get("registrationID") == reg, r.REGISTRATION_ID,
              f"re-registration with registrationID {create.body.get('registrationID')!r}, expected {reg!r}", create)
    _check_push_address(ven, create)


@pytest.mark.vgi_case("N0_5050_TH_VTN_1", feature="Registration", requires=PUSH)
def test_N0_5050_TH_VTN_1(registered_ven, t) -> None:
    """Pushed oadrCancelPartyRegistration: the VEN confirms with oadrCanceledPartyRegistration in the HTTP answer
    and then sends nothing more (no reports)."""
    ven = registered_ven
    ven.cursor = len(ven.vtn.trace)
    ven.queue("oadrCancelPartyRegistration", m.cancel_party_registration(ven.state.registration_id, ven.ven_id))
    delivered(ven, t, "oadrCancelPartyRegistration")
    ven.expect("oadrCanceledPartyRegistration", t.wait)
    ven.state.forget_registration()
    ven.expect_none("oadrUpdateReport", t.quiet)


@pytest.mark.vgi_case("N0_5060_TH_VTN_1", feature="Registration", requires=PUSH)
def test_N0_5060_TH_VTN_1(registered_ven, dut, t) -> None:
    """A push VEN cancels its own registration with its registrationID; the VTN confirms."""
    ven = registered_ven
    reg = ven.state.registration_id
    dut.perform("cancel_registration")
    cancel = ven.expect("oadrCancelPartyRegistration", t.wait)
    ven.check(cancel.body.get("registrationID") == reg, r.REGISTRATION_ID,
              f"cancellation of registrationID {cancel.body.get('registrationID')!r}, expected {reg!r}", cancel)


@pytest.mark.vgi_case("N0_5070_TH_VTN_1", feature="Registration", requires=PUSH)
def test_N0_5070_TH_VTN_1(registered_ven, t) -> None:
    """The answers of a push VEN (here: to an event) carry the venID the VTN assigned."""
    ven = registered_ven
    ev = simple_event(ven)
    deliver(ven, t, [(ev, "always")])
    frame, _ = answered(ven, t, event_id(ev))
    sent = find(frame.body, "eiCreatedEvent/venID")
    ven.check(sent == ven.ven_id, r.VEN_ID, f"oadrCreatedEvent with venID {sent!r}, assigned {ven.ven_id!r}", frame)


# --- E: events --------------------------------------------------------------------------------------------------
@pytest.mark.vgi_case("E0_6010_TH_VTN_1", feature="Events", requires=PUSH)
def test_E0_6010_TH_VTN_1(registered_ven, t) -> None:
    """A pushed event that requires a response: the VEN acknowledges the POST with HTTP 200, then sends
    oadrCreatedEvent to the VTN as a request of its own, naming the event and the distribute's requestID."""
    ven = registered_ven
    ev = simple_event(ven)
    ack = deliver(ven, t, [(ev, "always")])
    frame, resp = answered(ven, t, event_id(ev))
    ven.check(frame.kind == "REQUEST", r.PUSH_RESPONSE, "oadrCreatedEvent came back in the HTTP answer to the push, "
              "not as a request of the VEN's own", frame)
    ven.check(resp.get("optType") in ("optIn", "optOut"), r.SCHEMA, "optType missing", frame)
    if frame.index < ack.index:  # the fake VTN's cursor: a harness fault, never the VEN's
        raise HarnessError(f"the oadrCreatedEvent matched (frame #{frame.index}) precedes the push's HTTP answer "
                           f"(frame #{ack.index})")


@pytest.mark.vgi_case("E0_6020_TH_VTN_1", feature="Events", requires=PUSH)
def test_E0_6020_TH_VTN_1(registered_ven, t) -> None:
    """A pushed event with oadrResponseRequired=never gets no oadrCreatedEvent."""
    ven = registered_ven
    deliver(ven, t, [(simple_event(ven), "never")])
    ven.expect_none("oadrCreatedEvent", t.quiet)


@pytest.mark.vgi_case("E0_6030_TH_VTN_1", feature="Events", requires=PUSH)
def test_E0_6030_TH_VTN_1(registered_ven, t) -> None:
    """A pushed modification (modificationNumber + 1) is answered for the new modification."""
    ven = registered_ven
    ev = simple_event(ven)
    deliver(ven, t, [(ev, "always")])
    answered(ven, t, event_id(ev))
    changed = simple_event(ven, event_id=event_id(ev), levels=(3,), modification=1, modification_reason="raised")
    deliver(ven, t, [(changed, "always")])
    frame, resp = answered(ven, t, event_id(ev))
    mod = find(resp, "qualifiedEventID/modificationNumber")
    ven.check(mod == "1", r.CREATED_EVENT_ID, f"the modified event was answered for modification {mod}", frame)


@pytest.mark.vgi_case("E0_6040_TH_VTN_1", feature="Events", requires=PUSH)
def test_E0_6040_TH_VTN_1(registered_ven, t) -> None:
    """A pushed cancellation (eventStatus cancelled) is acknowledged like any change."""
    ven = registered_ven
    ev = simple_event(ven)
    deliver(ven, t, [(ev, "always")])
    answered(ven, t, event_id(ev))
    deliver(ven, t, [(simple_event(ven, event_id=event_id(ev), modification=1, status="cancelled"), "always")])
    answered(ven, t, event_id(ev))


@pytest.mark.vgi_case("E0_6050_TH_VTN_1", feature="Events", requires=PUSH)
def test_E0_6050_TH_VTN_1(registered_ven, t) -> None:
    """Two events in one pushed oadrDistributeEvent are both answered."""
    ven = registered_ven
    a, b = simple_event(ven), simple_event(ven, start_in_s=3600)
    deliver(ven, t, [(a, "always"), (b, "always")])
    start = ven.cursor
    answered(ven, t, event_id(a))
    ven.cursor = start
    answered(ven, t, event_id(b))


@pytest.mark.vgi_case("E0_6060_TH_VTN_1", feature="Events", requires=PUSH)
def test_E0_6060_TH_VTN_1(registered_ven, t) -> None:
    """A pushed test event is answered like any other event, once."""
    ven = registered_ven
    ev = simple_event(ven, test_event="true")
    deliver(ven, t, [(ev, "always")])
    frame, _ = answered(ven, t, event_id(ev))
    mine = [x for x in responses(frame) if find(x, "qualifiedEventID/eventID") == event_id(ev)]
    ven.check(len(mine) == 1, r.CREATED_EVENT_ID, f"the event was answered {len(mine)} times in one payload", frame)


# --- R: reports -------------------------------------------------------------------------------------------------
def _running_reports(ven) -> list[str]:  # noqa: ANN001
    ids = list(ven.state.report_requests)
    if not ids:
        raise Inconclusive("no report request is running (precondition): the VEN registered no telemetry report")
    return ids


@pytest.mark.vgi_case("R0_8010_TH_VTN_1", feature="Reports", requires=(*PUSH, "Reports"))
def test_R0_8010_TH_VTN_1(ven, dut, t) -> None:
    """After registering, a push VEN registers its reports (reportRequestID 0), accepts the requests in the
    VTN's answer with oadrCreatedReport, and reports the requested rIDs."""
    dut.perform("reregister")
    reg = ven.expect("oadrRegisterReport", t.wait)
    ven.check(as_list(reg.body.get("oadrReport")), r.EXPECTED_MESSAGE, "oadrRegisterReport holds no report", reg)
    ven.expect("oadrCreatedReport", t.wait)
    ven.expect("oadrUpdateReport", t.wait)


@pytest.mark.vgi_case("R0_8020_TH_VTN_1", feature="Reports", requires=(*PUSH, "Reports"))
def test_R0_8020_TH_VTN_1(registered_ven, t) -> None:
    """A pushed oadrCreateReport is answered in the HTTP response with oadrCreatedReport listing the request
    as pending, and then reported."""
    ven = registered_ven
    if not ven.state.reports:
        raise Inconclusive("the VTN holds no registered report of this VEN (precondition)")
    spec, report = next(iter(ven.state.reports.items()))
    rids = [str(d.get("rID")) for d in as_list(report.get("oadrReportDescription"))]
    req = m.report_request(m.new_id("RR"), spec, rids, granularity_s=t.poll, report_back_s=t.poll)
    ven.cursor = len(ven.vtn.trace)
    ven.queue("oadrCreateReport", m.create_report([req], ven.ven_id))
    delivered(ven, t, "oadrCreateReport")
    created = ven.expect("oadrCreatedReport", t.wait)
    pending = [str(x) for x in as_list(find(created.body, "oadrPendingReports/reportRequestID"))]
    ven.check(req["reportRequestID"] in pending, r.REPORT_REQUEST_ID,
              f"oadrCreatedReport lists {pending}, not {req['reportRequestID']}", created)
    ven.expect("oadrUpdateReport", t.wait, lambda b: any(x.get("reportRequestID") == req["reportRequestID"]
                                                         for x in as_list(b.get("oadrReport"))))


@pytest.mark.vgi_case("R0_8040_TH_VTN_1", feature="Reports", requires=(*PUSH, "Reports"))
def test_R0_8040_TH_VTN_1(registered_ven, t) -> None:
    """A pushed oadrCancelReport (reportToFollow false) is answered with oadrCanceledReport, and the
    cancelled reports stop."""
    ven = registered_ven
    ids = _running_reports(ven)
    ven.expect("oadrUpdateReport", t.wait, fresh=True)
    ven.cursor = len(ven.vtn.trace)
    ven.queue("oadrCancelReport", m.cancel_report(ids, report_to_follow=False, ven_id=ven.ven_id))
    delivered(ven, t, "oadrCancelReport")
    ven.expect("oadrCanceledReport", t.wait)
    ven.expect_none("oadrUpdateReport", t.quiet)


@pytest.mark.vgi_case("R0_8050_TH_VTN_1", feature="Reports", requires=(*PUSH, "Reports"))
def test_R0_8050_TH_VTN_1(registered_ven, t) -> None:
    """A pushed oadrRegisterReport (the VTN's own reports) is answered with oadrRegisteredReport."""
    ven = registered_ven
    desc = m.report_description("vtn-price", "price", reading_type="x-notApplicable", min_period_s=3600)
    ven.cursor = len(ven.vtn.trace)
    ven.queue("oadrRegisterReport", m.register_report([m.metadata_report([desc], specifier_id="VTN-SPEC-1")], None))
    delivered(ven, t, "oadrRegisterReport")
    ven.expect("oadrRegisteredReport", t.wait)


# --- P: opt -----------------------------------------------------------------------------------------------------
@pytest.mark.vgi_case("P0_7010_TH_VTN_1", feature="Opt", requires=(*PUSH, "EiOpt"))
def test_P0_7010_TH_VTN_1(registered_ven, dut, t) -> None:
    """After accepting a pushed event the VEN opts out of it with oadrCreateOpt naming that event."""
    ven = registered_ven
    ev = simple_event(ven)
    deliver(ven, t, [(ev, "always")])
    answered(ven, t, event_id(ev))
    dut.perform("opt_out", event_id=event_id(ev))
    opt = ven.expect("oadrCreateOpt", t.wait)
    ven.check(opt.body.get("optType") == "optOut", r.EXPECTED_MESSAGE, f"optType {opt.body.get('optType')}", opt)
    ven.check(find(opt.body, "qualifiedEventID/eventID") == event_id(ev), r.OPT_EVENT_ID,
              "the opt does not name the event", opt)


# --- G: security ------------------------------------------------------------------------------------------------
@pytest.mark.vgi_case("G0_9010_TH_VTN_1", feature="Security", requires=(*PUSH, "Tls"))
def test_G0_9010_TH_VTN_1(registered_ven, t, oadr_pki) -> None:
    """Over TLS the push VEN's endpoint is https and authenticates the VTN: a push with the VTN's certificate is
    taken, a push from a VTN whose certificate comes from an unknown CA is refused in the handshake."""
    ven = registered_ven
    address = str(ven.state.transport_address)
    ven.check(address.startswith("https://"), r.PUSH_ADDRESS, f"the VEN registered {address!r}; over TLS its "
              "endpoint must be https")
    ev = simple_event(ven)
    deliver(ven, t, [(ev, "always")])
    answered(ven, t, event_id(ev))
    body = m.distribute_event(ven.state.vtn_id, list(ven.state.events.values()))
    frame = ven.probe_push("oadrDistributeEvent", body, oadr_pki.push_client_context("rogue"))
    ven.check("error" in frame.meta, r.TLS_UNTRUSTED_VTN, "the VEN took a push from a VTN whose certificate it "
              f"cannot trust (answered HTTP {frame.meta.get('status')})", frame)
