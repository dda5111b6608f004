"""Every OpenADR rule id provoked by raw HTTP requests from a dumb client, with the fake VTN's answer checked
where 2.0b defines one, and hostile bodies shown to cost nothing: no crash, no expansion, no network access,
the raw bytes kept in the trace."""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.request
from typing import Iterator

import pytest

from vgitest.budgets import Budgets
from vgitest.findings import RULES
from vgitest.openadr import checks, codec, messages as m, rules as r
from vgitest.openadr.vtn import FakeVtn
from vgitest.verdict import NonConformance

PROVOKED: set[str] = set()


def provokes(*rule_ids: str):  # noqa: ANN201
    PROVOKED.update(rule_ids)
    return lambda fn: fn


@pytest.fixture
def vtn(oadr_schema_dir: object) -> Iterator[FakeVtn]:
    server = FakeVtn(poll_freq_s=2, max_body_bytes=64 * 1024).start()
    yield server
    server.stop()


def post(vtn: FakeVtn, service: str, data: bytes, *, ctype: str = "application/xml",
         method: str = "POST") -> tuple[int, codec.Decoded]:
    req = urllib.request.Request(f"{vtn.url}/{service}", data=data if method == "POST" else None, method=method,
                                 headers={"Content-Type": ctype})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, codec.decode(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, codec.decode(e.read())


def send(vtn: FakeVtn, name: str, body: dict, service: str | None = None) -> tuple[int, codec.Decoded]:
    from vgitest.openadr.ven.reference import SERVICE
    return post(vtn, service or SERVICE[name], codec.encode(name, body))


def register(vtn: FakeVtn) -> str:
    send(vtn, "oadrQueryRegistration", m.query_registration())
    _, answer = send(vtn, "oadrCreatePartyRegistration", m.create_party_registration(ven_name="raw"))
    return answer.body["venID"]


def rules_on(vtn: FakeVtn, name: str | None = None) -> list[str]:
    return [f.rule_id for fr in vtn.trace for f in fr.findings if name is None or fr.name == name]


def trace_rules(vtn: FakeVtn) -> list[str]:
    return [f.rule_id for f in checks.run_all(list(vtn.trace), 0, Budgets.load())]


def code_of(answer: codec.Decoded) -> str | None:
    return codec.find(answer.body, "eiResponse/responseCode")


# --- transport and payload ------------------------------------------------------------------------------------
@provokes(r.HTTP_METHOD)
def test_get_is_refused(vtn: FakeVtn) -> None:
    status, _ = post(vtn, "OadrPoll", b"", method="GET")
    assert status == 405 and r.HTTP_METHOD in rules_on(vtn)


@provokes(r.HTTP_PATH)
def test_unknown_endpoint(vtn: FakeVtn) -> None:
    status, _ = post(vtn, "EiNothing", codec.encode("oadrPoll", m.poll("V")))
    assert status == 404 and r.HTTP_PATH in rules_on(vtn)


@provokes(r.CONTENT_TYPE)
def test_wrong_content_type_is_flagged_but_served(vtn: FakeVtn) -> None:
    status, answer = send_ctype(vtn, "text/plain")
    assert status == 200 and answer.name == "oadrCreatedPartyRegistration"
    assert r.CONTENT_TYPE in rules_on(vtn, "oadrQueryRegistration")


def send_ctype(vtn: FakeVtn, ctype: str) -> tuple[int, codec.Decoded]:
    return post(vtn, "EiRegisterParty", codec.encode("oadrQueryRegistration", m.query_registration()), ctype=ctype)


@provokes(r.BODY_TOO_LARGE)
def test_oversized_body_is_refused_and_kept(vtn: FakeVtn) -> None:
    big = b"<oadrPayload>" + b"x" * (100 * 1024) + b"</oadrPayload>"
    status, answer = post(vtn, "OadrPoll", big)
    assert status == 413 and answer.name == "oadrResponse"
    frame = vtn.trace[0]
    assert r.BODY_TOO_LARGE in [f.rule_id for f in frame.findings] and frame.raw == big


@provokes(r.XML_MALFORMED)
def test_malformed_xml_gets_454_and_stays_in_the_trace(vtn: FakeVtn) -> None:
    raw = b"<oadrPayload><oadrSignedObject></oadrPayload>"
    status, answer = post(vtn, "OadrPoll", raw)
    assert status == 400 and code_of(answer) == "454"
    assert vtn.trace[0].raw == raw and vtn.trace[0].name == "(malformed)"
    assert r.XML_MALFORMED in rules_on(vtn)


def test_a_body_cut_short_is_kept_and_not_judged(vtn: FakeVtn) -> None:
    """A VEN that closes its connection half-way through the body it announced: the bytes that arrived stay in
    the trace as an aborted request, which is not judged as malformed XML (and nothing crashes)."""
    import socket
    from urllib.parse import urlsplit

    where = urlsplit(vtn.url)
    half = b"<oadrPayload><oadrSignedObj"
    with socket.create_connection((where.hostname, where.port), timeout=5) as sock:
        sock.sendall(f"POST {where.path}/OadrPoll HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\n"
                     f"Content-Length: {len(half) * 2}\r\n\r\n".encode() + half)
        sock.shutdown(socket.SHUT_WR)
        sock.recv(1024)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not len(vtn.trace):
        time.sleep(0.05)
    frame = vtn.trace[0]
    assert frame.name == "(aborted)" and frame.raw == half and frame.meta.get("read_error")
    assert r.XML_MALFORMED not in rules_on(vtn)


@provokes(r.XML_TOO_COMPLEX, r.HTTP_MALFORMED)
def test_crowded_elements_and_bad_http_are_findings(vtn: FakeVtn) -> None:
    """Issue 13 (see test_vtn_hostile.py for the timings and answers): an element with 300 attributes is
    refused unread; TLS spoken to the plain-HTTP port is a frame with a finding."""
    from urllib.parse import urlsplit

    from ..hostile_http import exchange, framing, many_attributes, wait_for

    crowded = (b'<oadrPayload xmlns="http://openadr.org/oadr-2.0b/2012/07"><oadrSignedObject>'
               + many_attributes(b"<oadrPoll", 300) + b"</oadrPoll></oadrSignedObject></oadrPayload>")
    status, _ = post(vtn, "OadrPoll", crowded)
    assert status == 400 and r.XML_TOO_COMPLEX in rules_on(vtn)
    exchange(vtn.host, vtn.port, framing("TLS to plain HTTP", urlsplit(vtn.url).path, ""))
    assert wait_for(lambda: r.HTTP_MALFORMED in rules_on(vtn))


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                             for i in range(1, 10))
                  + b']><oadrPayload>&lol9;</oadrPayload>')


@provokes(r.XML_HOSTILE)
def test_billion_laughs_is_refused_without_expansion(vtn: FakeVtn) -> None:
    t0 = time.monotonic()
    status, answer = post(vtn, "OadrPoll", BILLION_LAUGHS)
    assert time.monotonic() - t0 < 2.0
    assert status == 400 and code_of(answer) == "454"
    assert vtn.trace[0].raw == BILLION_LAUGHS and r.XML_HOSTILE in rules_on(vtn)


def test_external_entity_is_never_fetched(vtn: FakeVtn) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    xxe = (b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY ext SYSTEM "http://127.0.0.1:%d/secret">]>'
           b"<oadrPayload><oadrSignedObject><oadrPoll><venID>&ext;</venID></oadrPoll></oadrSignedObject>"
           b"</oadrPayload>" % port)
    status, _ = post(vtn, "OadrPoll", xxe)
    try:
        with pytest.raises(socket.timeout):
            listener.accept()  # nobody dialled out
    finally:
        listener.close()
    assert status == 400 and r.XML_HOSTILE in rules_on(vtn)


def test_doctype_in_utf16_is_refused(vtn: FakeVtn) -> None:
    body = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>'.encode("utf-16")
    status, _ = post(vtn, "OadrPoll", body)
    assert status == 400 and r.XML_HOSTILE in rules_on(vtn)


@provokes(r.SCHEMA)
def test_schema_violation_gets_454_with_a_field_path(vtn: FakeVtn) -> None:
    body = m.create_party_registration(ven_name="raw")
    body.pop("oadrTransportName")
    status, answer = send(vtn, "oadrCreatePartyRegistration", body)
    assert status == 200 and code_of(answer) == "454"
    finding = next(f for f in vtn.trace[0].findings if f.rule_id == r.SCHEMA)
    assert "oadrCreatePartyRegistration" in finding.message


def test_lenient_mode_serves_a_schema_invalid_payload(oadr_schema_dir: object) -> None:
    with FakeVtn(lenient=True) as vtn:
        body = m.create_party_registration(ven_name="raw")
        body.pop("oadrTransportName")
        _, answer = send(vtn, "oadrCreatePartyRegistration", body)
        assert code_of(answer) == "200"
        assert [f.severity.value for f in vtn.trace[0].findings if f.rule_id == r.SCHEMA] == ["warn"]


@provokes(r.WRONG_SERVICE)
def test_payload_on_the_wrong_endpoint(vtn: FakeVtn) -> None:
    ven = register(vtn)
    _, answer = send(vtn, "oadrPoll", m.poll(ven), service="EiEvent")
    assert code_of(answer) == "454" and r.WRONG_SERVICE in rules_on(vtn, "oadrPoll")


@provokes(r.UNEXPECTED_PAYLOAD)
def test_vtn_payload_from_a_ven(vtn: FakeVtn) -> None:
    register(vtn)
    _, answer = post(vtn, "EiEvent", codec.encode("oadrDistributeEvent", m.distribute_event("X", [])))
    assert code_of(answer) == "454" and r.UNEXPECTED_PAYLOAD in rules_on(vtn, "oadrDistributeEvent")


# --- identity and registration ---------------------------------------------------------------------------------
@provokes(r.NOT_REGISTERED)
def test_poll_without_registration_gets_452(vtn: FakeVtn) -> None:
    _, answer = send(vtn, "oadrPoll", m.poll("NOBODY"))
    assert code_of(answer) == "452" and r.NOT_REGISTERED in rules_on(vtn)


@provokes(r.VEN_ID)
def test_poll_with_another_ven_id_gets_452(vtn: FakeVtn) -> None:
    register(vtn)
    _, answer = send(vtn, "oadrPoll", m.poll("SOMEONE-ELSE"))
    assert code_of(answer) == "452" and r.VEN_ID in rules_on(vtn, "oadrPoll")


@provokes(r.REGISTRATION_ID)
def test_cancel_of_another_registration_gets_452(vtn: FakeVtn) -> None:
    ven = register(vtn)
    _, answer = send(vtn, "oadrCancelPartyRegistration", m.cancel_party_registration("REG-NOT-MINE", ven))
    assert code_of(answer) == "452" and r.REGISTRATION_ID in rules_on(vtn)
    assert vtn.state.registration_id is not None  # still registered


def test_a_registered_ven_polls_and_gets_the_queue(vtn: FakeVtn) -> None:
    ven = register(vtn)
    vtn.session.queue("oadrRequestReregistration", m.request_reregistration(ven))
    _, first = send(vtn, "oadrPoll", m.poll(ven))
    _, second = send(vtn, "oadrPoll", m.poll(ven))
    assert (first.name, second.name) == ("oadrRequestReregistration", "oadrResponse")
    assert not rules_on(vtn)


@provokes(r.EXPECTED_MESSAGE, r.FORBIDDEN_MESSAGE)
def test_expect_and_forbid(vtn: FakeVtn) -> None:
    ven = register(vtn)
    session = vtn.session
    with pytest.raises(NonConformance, match="expected oadrCreatedEvent"):
        session.expect("oadrCreatedEvent", 0.2)
    threading.Timer(0.1, lambda: send(vtn, "oadrPoll", m.poll(ven))).start()
    with pytest.raises(NonConformance):
        session.expect_none("oadrPoll", 2.0)
    assert r.FORBIDDEN_MESSAGE in rules_on(vtn) and r.EXPECTED_MESSAGE in [f.rule_id for f in vtn.trace.findings]


@provokes(r.REG_QUERY_FIRST)
def test_registration_without_query_fails_the_suite_check(vtn: FakeVtn) -> None:
    """The suite's N1_0010 logic, on raw frames: a create without a query before it."""
    send(vtn, "oadrCreatePartyRegistration", m.create_party_registration(ven_name="raw"))
    create = vtn.session.expect("oadrCreatePartyRegistration", 1)
    queries = [f for f in vtn.session.frames(0) if f.name == "oadrQueryRegistration"]
    with pytest.raises(NonConformance):
        vtn.session.check(queries, r.REG_QUERY_FIRST, "no query first", create)
    assert r.REG_QUERY_FIRST in rules_on(vtn)


# --- trace checks -----------------------------------------------------------------------------------------------
@provokes(r.POLL_TOO_OFTEN)
def test_polls_too_close_together(vtn: FakeVtn) -> None:
    ven = register(vtn)
    send(vtn, "oadrPoll", m.poll(ven))
    send(vtn, "oadrPoll", m.poll(ven))  # the VTN granted 2 s
    assert trace_rules(vtn) == [r.POLL_TOO_OFTEN]


def test_a_poll_at_the_edge_of_the_tolerance_is_not_too_often(vtn: FakeVtn) -> None:
    """The watch's tolerance: a poll exactly `freq - tolerance` after the previous one is not early (the check
    compares the arrival times of the two requests; budgets give 2 s - 1 s here)."""
    from vgitest.trace import Direction
    ven = register(vtn)
    send(vtn, "oadrPoll", m.poll(ven))
    send(vtn, "oadrPoll", m.poll(ven))
    frames = list(vtn.trace)
    polls = [f for f in frames if f.direction is Direction.IN and f.name == "oadrPoll"]
    polls[1].t_ns = polls[0].t_ns + 1_000_000_000  # 2 s granted, 1 s tolerance: at the limit
    assert [f.rule_id for f in checks.poll_cadence(frames, 0, Budgets.load())] == []
    polls[1].t_ns -= 1_000_000  # 1 ms earlier: too often
    assert [f.rule_id for f in checks.poll_cadence(frames, 0, Budgets.load())] == [r.POLL_TOO_OFTEN]


def _three_polls(vtn: FakeVtn, first_gap_s: float, second_gap_s: float) -> list:
    from vgitest.trace import Direction
    ven = register(vtn)
    for _ in range(3):
        send(vtn, "oadrPoll", m.poll(ven))
    frames = list(vtn.trace)
    polls = [f for f in frames if f.direction is Direction.IN and f.name == "oadrPoll"]
    polls[1].t_ns = polls[0].t_ns + int(first_gap_s * 1e9)
    polls[2].t_ns = polls[1].t_ns + int(second_gap_s * 1e9)
    return [f.rule_id for f in checks.poll_cadence(frames, 0, Budgets.load())]


def test_a_poll_on_schedule_after_a_late_one_is_not_too_often(vtn: FakeVtn) -> None:
    """2 s granted, 1 s tolerance: a VEN polling at 0, 2.9 and 4 s kept its schedule (one poll came late); the
    same VEN polling faster than asked (0, 0.8, 1.6 s), or an extra poll after an on-time one, is judged."""
    assert _three_polls(vtn, 2.9, 1.1 - 0.2) == []  # 0, 2.9, 3.8: two intervals of 3.8 s >= 2 * 2 - 1


def test_polling_faster_than_asked_is_too_often_even_with_the_catch_up_allowance(vtn: FakeVtn) -> None:
    assert _three_polls(vtn, 0.8, 0.8) == [r.POLL_TOO_OFTEN, r.POLL_TOO_OFTEN]


def test_an_extra_poll_after_an_on_time_one_is_too_often(vtn: FakeVtn) -> None:
    assert _three_polls(vtn, 2.0, 0.5) == [r.POLL_TOO_OFTEN]


def test_a_late_poll_then_one_too_early_for_the_schedule_is_too_often(vtn: FakeVtn) -> None:
    assert _three_polls(vtn, 2.4, 0.5) == [r.POLL_TOO_OFTEN]  # 2.9 s for two intervals < 2 * 2 - 1


@provokes(r.POLL_DRAIN)
def test_a_poll_right_after_a_poll_that_carried_a_payload_is_not_a_failure(vtn: FakeVtn) -> None:
    """pyoadr-ven drains the VTN's queue: a poll answered with a payload is followed at once by another poll.
    2.0b hands a queue out one payload per poll answer and tells the VEN nothing of what is left, so that poll
    is no FAIL; it is reported (OADR-POLL-DRAIN, warn) because the schema's cadence is read literally by some."""
    ven = register(vtn)
    send(vtn, "oadrPoll", m.poll(ven))  # the first poll: answered empty
    time.sleep(2.1)
    _deliver(vtn, ven, "always")  # a poll answered with oadrDistributeEvent
    send(vtn, "oadrCreatedEvent", m.created_event(ven, [m.event_response("EV-1", 0, "optIn", "DIST-1")]))
    send(vtn, "oadrPoll", m.poll(ven))  # drains at once: answered empty
    found = checks.run_all(list(vtn.trace), 0, Budgets.load())
    assert [f.rule_id for f in found] == [r.POLL_DRAIN]
    assert found[0].severity.value == "warn"


def test_polling_again_after_an_empty_answer_is_too_often_even_after_a_drain(vtn: FakeVtn) -> None:
    """The drain ends with the first poll answered empty: a poll right after that one is too often."""
    ven = register(vtn)
    _deliver(vtn, ven, "never")
    send(vtn, "oadrPoll", m.poll(ven))  # drain: answered empty
    send(vtn, "oadrPoll", m.poll(ven))  # nothing was left: too often
    assert [f.rule_id for f in checks.run_all(list(vtn.trace), 0, Budgets.load())] == [r.POLL_DRAIN,
                                                                                       r.POLL_TOO_OFTEN]


def _deliver(vtn: FakeVtn, ven: str, response_required: str, event_id: str = "EV-1") -> dict:
    import datetime as dt
    ev = m.event(event_id, start=dt.datetime.now(dt.timezone.utc), signals=[m.signal([m.interval(0, 60, 1)])],
                 ven_ids=[ven])
    body = m.distribute_event("VGI-VTN", [(ev, response_required)], request_id="DIST-1")
    vtn.session.queue("oadrDistributeEvent", body)
    _, answer = send(vtn, "oadrPoll", m.poll(ven))
    assert answer.name == "oadrDistributeEvent"
    return ev


@provokes(r.CREATED_EVENT_NEVER)
def test_answer_to_a_never_event(vtn: FakeVtn) -> None:
    ven = register(vtn)
    _deliver(vtn, ven, "never")
    send(vtn, "oadrCreatedEvent", m.created_event(ven, [m.event_response("EV-1", 0, "optIn", "DIST-1")]))
    assert r.CREATED_EVENT_NEVER in trace_rules(vtn)


@provokes(r.CREATED_EVENT_MISSING)
def test_poll_again_without_answering(vtn: FakeVtn) -> None:
    ven = register(vtn)
    _deliver(vtn, ven, "always")
    time.sleep(2.1)
    send(vtn, "oadrPoll", m.poll(ven))
    assert trace_rules(vtn) == [r.CREATED_EVENT_MISSING]


@provokes(r.CREATED_EVENT_ID, r.CREATED_EVENT_REQUEST_ID)
def test_answer_with_wrong_ids(vtn: FakeVtn) -> None:
    ven = register(vtn)
    _deliver(vtn, ven, "always")
    send(vtn, "oadrCreatedEvent", m.created_event(ven, [m.event_response("EV-1", 3, "optIn", "DIST-1"),
                                                        m.event_response("EV-1", 0, "optIn", "OTHER")]))
    assert sorted(trace_rules(vtn)) == sorted([r.CREATED_EVENT_ID, r.CREATED_EVENT_REQUEST_ID])


def test_a_correct_answer_raises_nothing(vtn: FakeVtn) -> None:
    ven = register(vtn)
    _deliver(vtn, ven, "always")
    send(vtn, "oadrCreatedEvent", m.created_event(ven, [m.event_response("EV-1", 0, "optIn", "DIST-1")]))
    time.sleep(2.1)
    send(vtn, "oadrPoll", m.poll(ven))
    assert trace_rules(vtn) == [] and not rules_on(vtn)


@provokes(r.OPT_EVENT_ID)
def test_opt_for_an_unknown_event(vtn: FakeVtn) -> None:
    ven = register(vtn)
    send(vtn, "oadrCreateOpt", m.create_opt("OPT-1", ven, event_id="NO-SUCH-EVENT"))
    assert trace_rules(vtn) == [r.OPT_EVENT_ID]


@provokes(r.UTC)
def test_local_time_is_flagged(vtn: FakeVtn) -> None:
    ven = register(vtn)
    raw = codec.encode("oadrCreateOpt", m.create_opt("OPT-1", ven)).replace(b"Z</ei:createdDateTime>",
                                                                           b"+02:00</ei:createdDateTime>")
    post(vtn, "EiOpt", raw)
    assert trace_rules(vtn) == [r.UTC]


def _register_reports(vtn: FakeVtn, ven: str, request_id: str = "0") -> dict:
    desc = m.report_description("rid-1", "usage", item=m.real_power(), min_period_s=10)
    report = m.metadata_report([desc], specifier_id="SPEC-1", report_request_id=request_id)
    _, answer = send(vtn, "oadrRegisterReport", m.register_report([report], ven))
    return answer.body["oadrReportRequest"]


def _update(vtn: FakeVtn, ven: str, rr: str, rid: str = "rid-1") -> None:
    import datetime as dt
    now = dt.datetime.now(dt.timezone.utc)
    rep = m.data_report([m.report_interval(now, 10, rid, 5.0, 0)], report_request_id=rr, specifier_id="SPEC-1")
    send(vtn, "oadrUpdateReport", m.update_report([rep], ven))


@provokes(r.REPORT_REGISTER_REQUEST_ID)
def test_registered_report_with_nonzero_request_id(vtn: FakeVtn) -> None:
    _register_reports(vtn, register(vtn), request_id="7")
    assert trace_rules(vtn) == [r.REPORT_REGISTER_REQUEST_ID]


@provokes(r.REPORT_REQUEST_ID, r.REPORT_RID)
def test_update_for_unknown_request_and_rid(vtn: FakeVtn) -> None:
    ven = register(vtn)
    rr = _register_reports(vtn, ven)["reportRequestID"]
    _update(vtn, ven, "RR-NOBODY-ASKED")
    _update(vtn, ven, rr, rid="rid-other")
    _update(vtn, ven, rr)
    assert sorted(trace_rules(vtn)) == sorted([r.REPORT_REQUEST_ID, r.REPORT_RID])


@provokes(r.REPORT_AFTER_CANCEL)
def test_update_after_acknowledged_cancel(vtn: FakeVtn) -> None:
    ven = register(vtn)
    rr = _register_reports(vtn, ven)["reportRequestID"]
    vtn.session.queue("oadrCancelReport", m.cancel_report([rr], ven_id=ven))
    send(vtn, "oadrPoll", m.poll(ven))
    send(vtn, "oadrCanceledReport", m.canceled_report("x", [], ven))
    _update(vtn, ven, rr)
    assert r.REPORT_AFTER_CANCEL in trace_rules(vtn)


# --- transport security ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def test_pki(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    from vgitest.openadr import testpki
    return testpki.make(tmp_path_factory.mktemp("oadr-pki"))


@pytest.fixture
def tls_vtn(oadr_schema_dir: object, test_pki) -> Iterator[FakeVtn]:  # noqa: ANN001
    from vgitest.openadr.security import FingerprintCheck
    server = FakeVtn(poll_freq_s=2, ssl_context=test_pki.vtn_context("good"),
                     fingerprints=FingerprintCheck({"VGI-VEN-1": test_pki.ven_fingerprint})).start()
    yield server
    server.stop()


def tls_post(vtn: FakeVtn, name: str, body: dict, ctx) -> tuple[int, codec.Decoded]:  # noqa: ANN001
    from vgitest.openadr.ven.reference import SERVICE
    req = urllib.request.Request(f"{vtn.url}/{SERVICE[name]}", data=codec.encode(name, body), method="POST",
                                 headers={"Content-Type": "application/xml"})
    with urllib.request.urlopen(req, timeout=5, context=ctx) as resp:
        return resp.status, codec.decode(resp.read())


def ven_ctx(test_pki, *, other: bool = False, cert: bool = True, verify: bool = True):  # noqa: ANN001, ANN201
    from vgitest.openadr.security import ven_context_files
    f = test_pki.files()
    c, k = (f["tls_other_cert"], f["tls_other_key"]) if other else (f["tls_cert"], f["tls_key"])
    return ven_context_files(f["tls_ca"], c if cert else None, k if cert else None, verify=verify)


@provokes(r.TLS_FINGERPRINT)
def test_another_vens_certificate_gets_463(tls_vtn: FakeVtn, test_pki) -> None:  # noqa: ANN001
    assert tls_vtn.url.startswith("https://")
    status, answer = tls_post(tls_vtn, "oadrQueryRegistration", m.query_registration(), ven_ctx(test_pki, other=True))
    assert status == 200 and code_of(answer) == "463"
    assert r.TLS_FINGERPRINT in rules_on(tls_vtn)
    _, good = tls_post(tls_vtn, "oadrQueryRegistration", m.query_registration(), ven_ctx(test_pki))
    assert good.name == "oadrCreatedPartyRegistration" and code_of(good) == "200"
    assert tls_vtn.trace[2].meta["tls"]["version"] == "TLSv1.2"


@provokes(r.TLS_HANDSHAKE)
def test_a_handshake_without_client_certificate_is_recorded(tls_vtn: FakeVtn, test_pki) -> None:  # noqa: ANN001
    with pytest.raises(OSError):
        tls_post(tls_vtn, "oadrQueryRegistration", m.query_registration(), ven_ctx(test_pki, cert=False))
    refused = tls_vtn.trace.wait_for(lambda f: f.kind == "TLS", 0, 2)
    assert refused is not None and "CERTIFICATE" in str(refused.meta["error"]).upper()
    with pytest.raises(NonConformance):  # what TC_VGI_SEC_01 does with it
        tls_vtn.session.fail(r.TLS_HANDSHAKE, f"refused: {refused.meta['error']}", refused)
    assert r.TLS_HANDSHAKE in rules_on(tls_vtn)


@provokes(r.TLS_UNTRUSTED_VTN)
def test_a_ven_that_trusts_a_rogue_vtn_is_seen(tls_vtn: FakeVtn, test_pki) -> None:  # noqa: ANN001
    tls_vtn.set_tls(test_pki.vtn_context("rogue"))
    attempts = tls_vtn.connection_attempts
    with pytest.raises(OSError):  # a correct VEN refuses the rogue certificate
        tls_post(tls_vtn, "oadrQueryRegistration", m.query_registration(), ven_ctx(test_pki))
    assert tls_vtn.connection_attempts == attempts + 1 and not rules_on(tls_vtn)
    tls_post(tls_vtn, "oadrQueryRegistration", m.query_registration(), ven_ctx(test_pki, verify=False))
    sent = tls_vtn.session.expect("oadrQueryRegistration", 1)
    with pytest.raises(NonConformance):  # what TC_VGI_SEC_03 does with it
        tls_vtn.session.fail(r.TLS_UNTRUSTED_VTN, "a request reached a rogue VTN", sent)


# --- push: the fake VTN POSTs to a dumb VEN endpoint that answers what the test scripted -------------------------
class _DumbVen:
    """A push VEN endpoint on loopback that answers each POST with the next scripted (status, body)."""

    def __init__(self) -> None:
        import http.server
        answers = self.answers = []  # type: list[tuple[int, bytes]]
        received = self.received = []  # type: list[tuple[str, bytes]]

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                received.append((self.path, self.rfile.read(int(self.headers.get("Content-Length", 0)))))
                status, body = answers.pop(0) if answers else (200, b"")
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.address = f"http://127.0.0.1:{self.server.server_address[1]}/OpenADR2/Simple/2.0b"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def push_ven(vtn: FakeVtn) -> Iterator[_DumbVen]:
    dumb = _DumbVen()
    send(vtn, "oadrQueryRegistration", m.query_registration())
    send(vtn, "oadrCreatePartyRegistration", m.create_party_registration(ven_name="raw", http_pull=False,
                                                                         transport_address=dumb.address))
    assert vtn.pushes
    yield dumb
    dumb.close()


def _push(vtn: FakeVtn, name: str, body: dict) -> tuple[object, int]:
    """Push `name` and wait for the frame of the VEN's answer."""
    start = len(vtn.trace)
    seq = vtn.session.queue(name, body)
    frame = vtn.trace.wait_for(lambda f: f.kind == "RESPONSE" and f.meta.get("pushed"), start, 10)
    assert frame is not None
    return frame, seq


def _distribute(vtn: FakeVtn) -> dict:
    ev = m.event("EV-P", start=__import__("datetime").datetime.now(__import__("datetime").timezone.utc),
                 signals=[m.signal([m.interval(0, 600, 1)], current=0)], ven_ids=[vtn.state.ven_id or ""])
    return m.distribute_event(vtn.state.vtn_id, [(ev, "always")])


def test_a_correct_push_exchange_raises_nothing(vtn: FakeVtn, push_ven: _DumbVen) -> None:
    push_ven.answers += [(200, b""), (200, codec.encode("oadrCreatedReport", m.created_report("r", ["RR-1"], "x")))]
    frame, seq = _push(vtn, "oadrDistributeEvent", _distribute(vtn))
    assert frame.name == "(empty)" and frame.meta["status"] == 200 and frame.meta["delivered"] == seq
    assert vtn.session.wait_delivered(1) is frame
    assert push_ven.received[0][0].endswith("/EiEvent") and b"oadrDistributeEvent" in push_ven.received[0][1]
    frame, _ = _push(vtn, "oadrCreateReport", m.create_report([m.report_request("RR-1", "S", ["r1"])], "x"))
    assert push_ven.received[1][0].endswith("/EiReport")
    assert frame.name == "oadrCreatedReport" and vtn.session.expect("oadrCreatedReport", 1) is frame
    assert "RR-1" in vtn.state.report_requests  # the VTN now expects that report
    assert rules_on(vtn) == [] and frame.meta["latency_ms"] >= 0


@provokes(r.PUSH_RESPONSE)
def test_a_push_answered_badly_is_a_finding(vtn: FakeVtn, push_ven: _DumbVen) -> None:
    created = codec.encode("oadrCreatedEvent", m.created_event("x", [m.event_response("EV-P", 0, "optIn", "r")]))
    push_ven.answers += [(500, b""), (200, created), (200, b"")]
    frame, _ = _push(vtn, "oadrDistributeEvent", _distribute(vtn))
    assert [f.rule_id for f in frame.findings] == [r.PUSH_RESPONSE] and "HTTP 500" in frame.findings[0].message
    assert vtn.session.wait_delivered(0.5) is None  # refused: never counts as delivered
    frame, _ = _push(vtn, "oadrDistributeEvent", _distribute(vtn))
    assert frame.name == "oadrCreatedEvent" and r.PUSH_RESPONSE in [f.rule_id for f in frame.findings]
    frame, _ = _push(vtn, "oadrCancelReport", m.cancel_report(["RR-1"], report_to_follow=False, ven_id="x"))
    assert frame.name == "(empty)" and "empty body" in frame.findings[0].message


def test_hostile_push_answers_are_harmless(vtn: FakeVtn, push_ven: _DumbVen) -> None:
    push_ven.answers += [(200, BILLION_LAUGHS), (200, b"<oadrPayload><unclosed>")]
    t0 = time.monotonic()
    frame, _ = _push(vtn, "oadrCreateReport", m.create_report([m.report_request("RR-2", "S", ["r1"])], "x"))
    assert time.monotonic() - t0 < 3 and frame.raw == BILLION_LAUGHS and r.XML_HOSTILE in rules_on(vtn)
    frame, _ = _push(vtn, "oadrCreateReport", m.create_report([m.report_request("RR-3", "S", ["r1"])], "x"))
    assert frame.name == "(malformed)" and r.XML_MALFORMED in [f.rule_id for f in frame.findings]


def test_an_unreachable_push_ven_is_a_finding(vtn: FakeVtn, push_ven: _DumbVen) -> None:
    push_ven.close()  # nothing listens there any more
    frame, _ = _push(vtn, "oadrDistributeEvent", _distribute(vtn))
    assert frame.name == "(no answer)" and "error" in frame.meta
    assert [f.rule_id for f in frame.findings] == [r.PUSH_RESPONSE]


@provokes(r.PUSH_ADDRESS)
def test_a_push_ven_that_registers_for_pull_fails_the_state(vtn: FakeVtn) -> None:
    from vgitest.openadr.states import registered

    class Profile:
        def supports(self, item: str) -> bool:
            return item == "HttpPush"

        def param(self, key: str, default: object = None) -> object:
            return {"register_wait": 1, "message_wait": 1}.get(key, default)

    class Dut:  # a VEN configured for push that registers for pull all the same
        def perform(self, action: str, **_: object) -> None:
            assert action == "reregister"
            threading.Timer(0.1, register, (vtn,)).start()

    with pytest.raises(NonConformance) as exc:
        registered(vtn.session, Dut(), Profile())
    assert r.PUSH_ADDRESS in str(exc.value)


# --- the fuzz cases' judges (vgitest.openadr.fuzzcases) against the reference VEN, with and without its faults ----
class _FuzzProfile:
    def param(self, key: str, default: object = None) -> object:
        return {"poll_freq_s": 1, "message_wait": 3, "register_wait": 8}.get(key, default)

    def supports(self, item: str) -> bool:
        return True


@pytest.fixture
def fuzz_world(oadr_schema_dir: object):  # noqa: ANN201
    """(make(faults) -> VenFuzz on a registered reference VEN); everything stopped afterwards."""
    from vgitest.openadr.fuzzcases import VenFuzz
    from vgitest.openadr.ven.reference import ReferenceVen
    started: list = []

    def make(*faults: str) -> VenFuzz:
        vtn = FakeVtn(poll_freq_s=1).start()
        ven = ReferenceVen(vtn.url, faults=faults)
        started.append((vtn, ven))
        ven.start()
        vtn.trace.wait_for(lambda f: f.name == "oadrPoll", 0, 10)
        return VenFuzz(vtn.session, None, _FuzzProfile())

    yield make
    for vtn, ven in started:
        ven.stop()
        vtn.stop()


def _negative(kind: str) -> dict:
    """A negative example as the fuzz case sends it, built by hand (hypothesis.find over the schema strategies took
    a minute here): a valid two-event oadrDistributeEvent broken once with `kind`. The validator must refuse it, so
    the example is broken in fact, not by assumption."""
    import datetime as dt
    from lxml import etree
    from vgitest.openadr import codec
    from vgitest.openadr.validator import OadrValidator
    now = dt.datetime.now(dt.timezone.utc)
    events = [m.event(f"FZ-{kind}-{i}", start=now + dt.timedelta(hours=1), signals=[m.signal([m.interval(0, 600, 1)])],
                      ven_ids=["VGI-VEN-1"]) for i in range(2)]
    doc = codec.encode("oadrDistributeEvent", m.distribute_event("VGI-VTN", [(e, "always") for e in events],
                                                                 request_id="FZ-R")).decode()
    if kind == "break-enumeration":  # a signalType outside its enumeration
        broken, path = doc.replace("<ei:signalType>level<", "<ei:signalType>no-such-type<", 1), "signalType"
    elif kind == "remove-required-element":  # the first event without its eventStatus
        broken, path = doc.replace("<ei:eventStatus>far</ei:eventStatus>", "", 1), "eventDescriptor/eventStatus"
    elif kind == "truncate":  # cut after the first event: a parser in recovery mode keeps that one
        cut = doc.index("</oadrEvent>") + len("</oadrEvent>")
        broken, path = doc[:cut + 30], ""
    else:
        raise ValueError(kind)
    try:
        valid = OadrValidator().is_valid(etree.fromstring(broken.encode()))
    except etree.XMLSyntaxError:
        valid = False
    assert broken != doc and not valid, f"the {kind} example is not broken"
    return {"payload": "oadrDistributeEvent", "kind": kind, "path": path, "description": f"{kind} by hand",
            "document": broken}


def _positive(**event: object) -> dict:
    e = {"id": "E", "mod": 0, "priority": None, "test": None, "start_offset_s": 600, "durations": [600],
         "signals": [{"kind": 0, "id": "S", "values": [1]}], "notification_s": None, "ramp_up_s": None,
         "recovery_s": None, "start_after_s": None, "reason": None, "market": "", "other_targets": []}
    return {"request_id": "R", "events": [{**e, **event}]}


def _fuzz_findings(fuzz) -> list[tuple[str, str]]:  # noqa: ANN001
    trace = fuzz.ven.vtn.trace
    found = [f for fr in trace for f in fr.findings] + list(getattr(trace, "findings", []))
    return [(f.rule_id, f.severity.value) for f in found if f.rule_id.startswith("OADR-FUZZ")]


def _rule_of(body, example: dict) -> str | None:  # noqa: ANN001
    from vgitest.fuzzing.property import Counterexample
    try:
        body(example)
    except Counterexample as c:
        return c.rule_id
    return None


@provokes(r.FUZZ_INVALID_DATA)
def test_a_ven_that_acts_on_a_schema_invalid_event_breaks_invalid_data(fuzz_world) -> None:  # noqa: ANN001
    example = _negative("break-enumeration")
    good = fuzz_world()
    assert _rule_of(good.negative, example) is None and _fuzz_findings(good) == []  # refused with 454, polls on
    assert _rule_of(fuzz_world("accept_invalid_payload").negative, example) == r.FUZZ_INVALID_DATA


@provokes(r.FUZZ_MALFORMED)
def test_a_ven_that_repairs_a_cut_payload_breaks_malformed(fuzz_world) -> None:  # noqa: ANN001
    example = _negative("truncate")  # the first event survives a parser in recovery mode
    good = fuzz_world()
    assert _rule_of(good.negative, example) is None and _fuzz_findings(good) == []
    assert _rule_of(fuzz_world("recover_malformed_xml").negative, example) == r.FUZZ_MALFORMED


@provokes(r.FUZZ_SILENT, r.FUZZ_ERROR_CODE)
def test_a_silent_or_other_code_refusal_is_a_warning(fuzz_world, monkeypatch) -> None:  # noqa: ANN001
    from vgitest.openadr import messages as m
    from vgitest.openadr.ven import robustness
    example = _negative("remove-required-element")
    monkeypatch.setattr(robustness, "error_answer", lambda *a: ("oadrResponse", m.response("", 400, "no", a[2])))
    fuzz = fuzz_world()
    assert _rule_of(fuzz.negative, example) is None
    assert _fuzz_findings(fuzz) == [(r.FUZZ_ERROR_CODE, "warn")]
    monkeypatch.setattr(robustness, "error_answer", lambda *a: ("oadrPoll", m.poll(a[2])))  # sends nothing more
    fuzz = fuzz_world()
    assert _rule_of(fuzz.negative, example) is None
    assert _fuzz_findings(fuzz) == [(r.FUZZ_SILENT, "warn")]


@provokes(r.FUZZ_ALIVE)
def test_a_ven_that_restarts_on_a_long_id_is_not_alive(fuzz_world) -> None:  # noqa: ANN001
    example = _positive(id="x" * 120)
    assert _rule_of(fuzz_world().positive, example) is None
    assert _rule_of(fuzz_world("crash_on_long_string").positive, example) == r.FUZZ_ALIVE


@provokes(r.FUZZ_ACCEPT)
def test_a_ven_that_refuses_a_valid_unicode_event_breaks_accept(fuzz_world) -> None:  # noqa: ANN001
    example = _positive(id="\u00e9v\u00e9nement-\U0001f50c")
    assert _rule_of(fuzz_world().positive, example) is None
    assert _rule_of(fuzz_world("error_on_non_ascii").positive, example) == r.FUZZ_ACCEPT


@pytest.mark.parametrize("offset,durations", [(2, [1]), (0, [30, 30]), (-3600, [600]), (-100, [7200]), (86400, [5])])
def test_a_positive_event_is_never_over_before_the_ven_has_it(offset: int, durations: list[int]) -> None:
    """A VEN need not answer a completed event, so a generated one must end well after it is delivered."""
    import datetime as dt
    from vgitest.openadr.fuzzcases import build_event
    now = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)
    e = {**_positive()["events"][0], "start_offset_s": offset, "durations": durations,
         "signals": [{"kind": 0, "id": "S", "values": [1] * len(durations)}]}
    ev = build_event(e, "VEN", "x", now)
    start = m.parse_time(ev["eiActivePeriod"]["properties"]["dtstart"]["date-time"])
    assert start + dt.timedelta(seconds=sum(durations)) >= now + dt.timedelta(seconds=300)


def test_an_unreadable_answer_to_a_valid_event_is_reported_as_malformed_xml(fuzz_world) -> None:  # noqa: ANN001
    """Not as 'no answer': the VEN answered, in XML the VTN cannot read (openleadr with '&' in a requestID)."""
    assert _rule_of(fuzz_world("malformed_xml").positive, _positive()) == r.XML_MALFORMED


def test_a_ven_that_takes_only_simple_signals_may_refuse_others_with_460(fuzz_world, monkeypatch) -> None:  # noqa: ANN001
    """Every 2.0b VEN takes SIMPLE; an event with a price signal may be refused with 460 (signal not supported), a
    SIMPLE one may not."""
    from vgitest.openadr import messages
    answer = messages.event_response
    monkeypatch.setattr(messages, "event_response", lambda *a, **k: answer(*a, **{**k, "code": 460}))
    price = _positive(signals=[{"kind": 1, "id": "P", "values": [12.5]}])
    assert _rule_of(fuzz_world().positive, price) is None
    assert _rule_of(fuzz_world().positive, _positive()) == r.FUZZ_ACCEPT


# --- the event life-cycle model (vgitest.openadr.models) against the reference VEN, with and without its faults ------
class _SimDut:
    """The simulated adapter's two calls, straight onto the reference VEN."""

    def __init__(self, ven: object) -> None:
        self.ven = ven

    def supports(self, action: str) -> bool:
        return True

    def perform(self, action: str, **params: object) -> None:
        self.ven.perform(action, **params)  # type: ignore[attr-defined]


@pytest.fixture
def model_world(oadr_schema_dir: object):  # noqa: ANN201
    """(make(faults) -> EventLifecycleModel on a registered reference VEN polling every second)."""
    from vgitest.openadr.models import EventLifecycleModel
    from vgitest.openadr.ven.reference import ReferenceVen
    started: list = []

    def make(*faults: str) -> EventLifecycleModel:
        vtn = FakeVtn(poll_freq_s=1).start()
        ven = ReferenceVen(vtn.url, faults=faults)
        started.append((vtn, ven))
        ven.start()
        vtn.trace.wait_for(lambda f: f.name == "oadrPoll", 0, 10)
        return EventLifecycleModel(vtn.session, _SimDut(ven), _FuzzProfile(), wait_s=4, poll_s=1)

    yield make
    for vtn, ven in started:
        ven.stop()
        vtn.stop()


# new, tick (into the active period), modify; then opt_out; cancel, resend (the all-zeros program walks these)
_ACTIVE_MODIFY, _OPT_AFTER_MODIFY, _CANCEL_THEN_RESEND = [0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0, 0, 0]


def test_the_simplest_program_walks_the_life_cycle_and_a_correct_ven_passes(model_world) -> None:  # noqa: ANN001
    model = model_world()
    assert _rule_of(model.run, _CANCEL_THEN_RESEND) is None, model.shown(_CANCEL_THEN_RESEND)
    assert [x.split()[0] for x in model.steps] == ["new", "tick", "modify", "opt_out", "cancel", "resend"]


@provokes(r.EVENT_STALE)
def test_a_ven_that_freezes_a_running_event_acknowledges_a_stale_version(model_world) -> None:  # noqa: ANN001
    assert _rule_of(model_world("modification_ignored_when_active").run, _ACTIVE_MODIFY) == r.EVENT_STALE


def test_a_ven_that_opts_on_the_first_version_is_stale(model_world) -> None:  # noqa: ANN001
    assert _rule_of(model_world("opt_first_modification").run, _OPT_AFTER_MODIFY) == r.EVENT_STALE


@provokes(r.EVENT_CANCELLED_KEPT)
def test_a_ven_that_keeps_a_cancelled_event_is_caught(model_world) -> None:  # noqa: ANN001
    assert _rule_of(model_world("cancelled_event_kept").run, _CANCEL_THEN_RESEND) == r.EVENT_CANCELLED_KEPT


JUDGED_BY_FUZZ_SUITES_TO_COME: set[str] = set()  # every fuzz rule is provoked above (issue 15)


def test_every_openadr_rule_is_provoked_here() -> None:
    missing = {x.id for x in RULES.for_protocol("openadr")} - PROVOKED - JUDGED_BY_FUZZ_SUITES_TO_COME
    assert not missing, f"OpenADR rules without a provoking test: {sorted(missing)}"
    assert not PROVOKED & JUDGED_BY_FUZZ_SUITES_TO_COME, "provoked now: drop them from JUDGED_BY_FUZZ_SUITES_TO_COME"


# --- XML signatures (judged by the VTN on every signed request; see also test_signature.py) -------------------
def signed_post(vtn: FakeVtn, name: str, body: dict, test_pki, *, ctx=None,  # noqa: ANN001
                **sign_kw) -> tuple[int, codec.Decoded]:
    """POST `name` signed with the VEN's key (over its own TLS connection unless `ctx` says otherwise)."""
    from vgitest.openadr import signature
    from vgitest.openadr.ven.reference import SERVICE
    key = sign_kw.pop("key", test_pki.ven.key)
    cert = sign_kw.pop("cert", test_pki.ven.cert)
    raw = sign_kw.pop("raw", None) or signature.sign(codec.encode(name, body), cert, key, **sign_kw)
    req = urllib.request.Request(f"{vtn.url}/{SERVICE[name]}", data=raw, method="POST",
                                 headers={"Content-Type": "application/xml"})
    with urllib.request.urlopen(req, timeout=5, context=ctx or ven_ctx(test_pki)) as resp:
        return resp.status, codec.decode(resp.read())


def signed_create(vtn: FakeVtn, test_pki) -> codec.Decoded:  # noqa: ANN001
    body = m.create_party_registration(ven_name="signing", ven_id="VGI-VEN-1", xml_signature=True)
    _, answer = signed_post(vtn, "oadrCreatePartyRegistration", body, test_pki)
    return answer


@provokes(r.SIGNATURE)
def test_signatures_are_judged_with_the_vens_tls_certificate(tls_vtn: FakeVtn, test_pki) -> None:  # noqa: ANN001
    answer = signed_create(tls_vtn, test_pki)
    assert answer.name == "oadrCreatedPartyRegistration" and code_of(answer) == "200"
    meta = tls_vtn.session.expect("oadrCreatePartyRegistration", 2).meta["signature"]
    assert meta["verified"] and meta["authenticated"] and meta["signer"] == test_pki.ven_fingerprint
    assert rules_on(tls_vtn) == []
    # another VEN's key and certificate, over this VEN's TLS connection: refused with 463
    status, answer = signed_post(tls_vtn, "oadrPoll", m.poll("VGI-VEN-1"), test_pki, key=test_pki.other_ven.key,
                                 cert=test_pki.other_ven.cert)
    assert status == 200 and answer.name == "oadrResponse" and code_of(answer) == "463"
    assert rules_on(tls_vtn, "oadrPoll") == [r.SIGNATURE]
    assert tls_vtn.state.registration_id is not None  # nothing was processed, nothing forgotten


@provokes(r.SIGNATURE_REPLAY)
def test_replayed_and_stale_signatures_get_463(tls_vtn: FakeVtn, test_pki) -> None:  # noqa: ANN001
    import datetime as dt

    from vgitest.openadr import signature
    signed_create(tls_vtn, test_pki)
    raw = signature.sign(codec.encode("oadrPoll", m.poll("VGI-VEN-1")), test_pki.ven.cert, test_pki.ven.key)
    _, first = signed_post(tls_vtn, "oadrPoll", {}, test_pki, raw=raw)
    _, again = signed_post(tls_vtn, "oadrPoll", {}, test_pki, raw=raw)  # the same bytes: replayed
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=3)
    _, stale = signed_post(tls_vtn, "oadrPoll", m.poll("VGI-VEN-1"), test_pki, timestamp=old)
    assert [code_of(a) for a in (first, again, stale)] == ["200", "463", "463"]
    assert rules_on(tls_vtn, "oadrPoll") == [r.SIGNATURE_REPLAY, r.SIGNATURE_REPLAY]


@provokes(r.SIGNATURE_MISSING)
def test_a_ven_that_promised_signatures_must_sign(tls_vtn: FakeVtn, test_pki) -> None:  # noqa: ANN001
    status, answer = tls_post(tls_vtn, "oadrQueryRegistration", m.query_registration(), ven_ctx(test_pki))
    assert code_of(answer) == "200" and rules_on(tls_vtn) == []  # nobody asked for signatures yet
    signed_create(tls_vtn, test_pki)
    assert tls_vtn.state.xml_signature
    _, answer = tls_post(tls_vtn, "oadrPoll", m.poll("VGI-VEN-1"), ven_ctx(test_pki))
    assert code_of(answer) == "463" and rules_on(tls_vtn, "oadrPoll") == [r.SIGNATURE_MISSING]


def test_the_pics_can_require_signatures_from_the_first_payload(tls_vtn: FakeVtn, test_pki) -> None:  # noqa: ANN001
    tls_vtn.signatures.required = True
    _, answer = tls_post(tls_vtn, "oadrQueryRegistration", m.query_registration(), ven_ctx(test_pki))
    assert code_of(answer) == "463" and rules_on(tls_vtn) == [r.SIGNATURE_MISSING]
    _, answer = signed_post(tls_vtn, "oadrQueryRegistration", m.query_registration(), test_pki)
    assert answer.name == "oadrCreatedPartyRegistration" and code_of(answer) == "200"


def test_a_hostile_signature_costs_a_finding_not_the_vtn(tls_vtn: FakeVtn, test_pki) -> None:  # noqa: ANN001
    import re

    from vgitest.openadr import signature
    signed = signature.sign(codec.encode("oadrQueryRegistration", m.query_registration()), test_pki.ven.cert,
                            test_pki.ven.key)
    raw = re.sub(rb"<ds:SignatureValue>[^<]*<", b"<ds:SignatureValue>" + b"QUFB" * 5000 + b"<", signed)
    assert raw != signed
    _, answer = signed_post(tls_vtn, "oadrQueryRegistration", {}, test_pki, raw=raw)
    assert answer.name == "oadrResponse" and code_of(answer) == "463"
    assert rules_on(tls_vtn) == [r.SIGNATURE]
    _, good = signed_post(tls_vtn, "oadrQueryRegistration", m.query_registration(), test_pki)
    assert code_of(good) == "200"


def test_the_vens_latest_report_registration_replaces_its_earlier_reports(vtn: FakeVtn) -> None:
    """A VEN that starts afresh (openleadr names its reports with new UUIDs on every start) registers a new set of
    reports; the VTN must offer tests only those, or a test asks for a report the VEN no longer has (and blames
    the VEN when no data comes)."""
    ven = register(vtn)
    desc = m.report_description("rid-1", "usage", item=m.real_power(), min_period_s=10)
    send(vtn, "oadrRegisterReport", m.register_report([m.metadata_report([desc], specifier_id="OLD-SPEC")], ven))
    ven = register(vtn)  # the VEN restarted and registered anew
    send(vtn, "oadrRegisterReport", m.register_report([m.metadata_report([desc], specifier_id="NEW-SPEC")], ven))
    assert list(vtn.state.reports) == ["NEW-SPEC"]
    assert {str(q["reportSpecifier"]["reportSpecifierID"]) for q in vtn.state.report_requests.values()} == \
        {"NEW-SPEC"}


def test_report_data_the_check_cannot_read_is_a_schema_finding_not_a_wrong_rid(vtn: FakeVtn) -> None:
    """pyoadr-ven writes oadrReportPayload in the ei namespace: the payload is schema-invalid (OADR-SCHEMA, a
    warning under --vgi-lenient), but its rID is the one requested. The rID check must not turn an element it
    cannot read into 'data for rID None' (a FAIL for a defect the schema check already reports)."""
    import datetime as dt
    ven = register(vtn)
    rr = _register_reports(vtn, ven)["reportRequestID"]
    now = dt.datetime.now(dt.timezone.utc)
    rep = m.data_report([m.report_interval(now, 10, "rid-1", 5.0, 0)], report_request_id=rr, specifier_id="SPEC-1")
    raw = codec.encode("oadrUpdateReport", m.update_report([rep], ven))
    raw = raw.replace(b"<oadrReportPayload>", b"<ei:oadrReportPayload>").replace(b"</oadrReportPayload>",
                                                                               b"</ei:oadrReportPayload>")
    post(vtn, "EiReport", raw)
    assert r.SCHEMA in rules_on(vtn, "oadrUpdateReport")
    assert trace_rules(vtn) == []
