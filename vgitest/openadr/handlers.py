"""What the fake VTN answers by default: a correct, minimal 2.0b VTN with the state a test needs to see
(the registration, the VEN's reports, the report requests, opts and the answers to events).

A handler gets the decoded request frame and returns ``(payload name, body)`` or a :class:`Reply`; identity
problems become findings on the frame and an application-level error code in the answer (452 invalid id).
"""

from __future__ import annotations

import collections
import dataclasses
from typing import Any

from ..trace import Frame
from . import messages as m, rules as r
from .codec import as_list, find

REPORTS_KEPT = 1000

_ACK = ("EiRegisterParty", "EiEvent", "EiReport", "EiOpt")
SERVICE_OF: dict[str, tuple[str, ...]] = {
    "oadrQueryRegistration": ("EiRegisterParty",), "oadrCreatePartyRegistration": ("EiRegisterParty",),
    "oadrCancelPartyRegistration": ("EiRegisterParty",), "oadrCanceledPartyRegistration": ("EiRegisterParty",),
    "oadrRequestEvent": ("EiEvent",), "oadrCreatedEvent": ("EiEvent",),
    "oadrRegisterReport": ("EiReport",), "oadrRegisteredReport": ("EiReport",), "oadrCreateReport": ("EiReport",),
    "oadrCreatedReport": ("EiReport",), "oadrUpdateReport": ("EiReport",), "oadrCancelReport": ("EiReport",),
    "oadrCanceledReport": ("EiReport",), "oadrCreateOpt": ("EiOpt",), "oadrCancelOpt": ("EiOpt",),
    "oadrPoll": ("OadrPoll",), "oadrResponse": _ACK,
}
VEN_PAYLOADS = frozenset(SERVICE_OF)
INVALID_ID = 452


@dataclasses.dataclass
class Reply:
    """A payload to answer with; `delivered` is the number of a queued payload handed out on a poll."""

    name: str
    body: dict
    delivered: int = 0


@dataclasses.dataclass
class VtnState:
    """What the VTN knows about the VEN under test. Persists across tests, like a real VTN's database."""

    vtn_id: str
    assigned_ven_id: str
    poll_freq_s: float
    request_reports: bool = True  # answer oadrRegisterReport with requests for the VEN's telemetry reports
    ven_id: str | None = None
    registration_id: str | None = None
    ven_name: str | None = None
    transport_address: str | None = None
    http_pull: bool = True
    xml_signature: bool = False  # the VEN registered with oadrXmlSignature=true: its payloads must be signed
    registrations: int = 0
    reports: dict[str, dict] = dataclasses.field(default_factory=dict)  # reportSpecifierID -> VEN metadata report
    report_requests: dict[str, dict] = dataclasses.field(default_factory=dict)  # reportRequestID -> request
    # the most recent oadrReport bodies of oadrUpdateReport: a VEN reports every few seconds for as long as it runs,
    # so keeping all of them grew a day-long soak without bound (issue 13); the trace keeps every one as evidence
    report_data: collections.deque[dict] = dataclasses.field(
        default_factory=lambda: collections.deque(maxlen=REPORTS_KEPT))
    events: dict[str, tuple[dict, str]] = dataclasses.field(default_factory=dict)  # eventID -> (eiEvent, respReq)
    event_answers: dict[str, str] = dataclasses.field(default_factory=dict)  # eventID -> optIn/optOut
    opts: dict[str, dict] = dataclasses.field(default_factory=dict)  # optID -> oadrCreateOpt body

    def forget_registration(self) -> None:
        self.ven_id = self.registration_id = None
        self.reports.clear()
        self.report_requests.clear()

    @staticmethod
    def request_id_of(body: Any) -> str:
        """The requestID a payload carries (top level, or inside eiResponse / eiRequestEvent)."""
        for path in ("requestID", "eiResponse/requestID", "eiRequestEvent/requestID",
                     "eiCreatedEvent/eiResponse/requestID"):
            v = find(body, path)
            if isinstance(v, str):
                return v
        return ""

    @staticmethod
    def ven_id_of(body: Any) -> str | None:
        for path in ("venID", "eiCreatedEvent/venID", "eiRequestEvent/venID"):
            v = find(body, path)
            if isinstance(v, str):
                return v
        return None


def default_answer(state: VtnState, session: Any, frame: Frame) -> tuple[str, dict] | Reply:
    name, body = frame.name or "", frame.body if isinstance(frame.body, dict) else {}
    rid = state.request_id_of(body)
    handler = _HANDLERS.get(name)
    if name not in ("oadrQueryRegistration", "oadrCreatePartyRegistration"):
        problem = _identity_problem(state, session, frame, body)
        if problem is not None:
            return problem
    if handler is None:
        return "oadrResponse", m.response(rid, 200, "OK", state.ven_id)
    return handler(state, session, frame, body, rid)


def _identity_problem(state: VtnState, session: Any, frame: Frame, body: dict) -> tuple[str, dict] | None:
    rid = state.request_id_of(body)
    if state.registration_id is None:
        session.record(r.NOT_REGISTERED, f"{frame.name} from a VEN that has no registration", frame)
        return "oadrResponse", m.response(rid, INVALID_ID, "not registered", None)
    sent = state.ven_id_of(body)
    if sent is not None and sent != state.ven_id:
        session.record(r.VEN_ID, f"{frame.name} carries venID {sent!r}; the VTN assigned {state.ven_id!r}", frame)
        return "oadrResponse", m.response(rid, INVALID_ID, "unknown venID", state.ven_id)
    reg = body.get("registrationID")
    if frame.name == "oadrCancelPartyRegistration" and reg != state.registration_id:
        session.record(r.REGISTRATION_ID, f"registrationID {reg!r} is not {state.registration_id!r}", frame)
        return "oadrCanceledPartyRegistration", m.canceled_party_registration(rid, reg, state.ven_id, INVALID_ID)
    return None


# --- registration ---------------------------------------------------------------------------------------------
def _query(state: VtnState, session: Any, frame: Frame, body: dict, rid: str) -> tuple[str, dict]:
    return "oadrCreatedPartyRegistration", m.created_party_registration(
        rid, state.vtn_id, registration_id=state.registration_id, ven_id=state.ven_id, poll_freq_s=state.poll_freq_s)


def _create(state: VtnState, session: Any, frame: Frame, body: dict, rid: str) -> tuple[str, dict]:
    reg = body.get("registrationID")
    if reg is not None and reg != state.registration_id:
        session.record(r.REGISTRATION_ID, f"re-registration with registrationID {reg!r}; the VTN assigned "
                       f"{state.registration_id!r}", frame)
        return "oadrCreatedPartyRegistration", m.created_party_registration(
            rid, state.vtn_id, poll_freq_s=state.poll_freq_s, code=INVALID_ID, description="unknown registrationID")
    sent_ven = body.get("venID")
    if reg is not None and sent_ven is not None and sent_ven != state.ven_id:
        session.record(r.VEN_ID, f"re-registration with venID {sent_ven!r}; the VTN assigned {state.ven_id!r}", frame)
    state.registrations += 1
    state.report_requests.clear()  # a (re-)registration voids the report requests of the previous one
    state.ven_id = state.ven_id if reg is not None else (sent_ven or state.assigned_ven_id)
    state.registration_id = reg or f"REG-{state.registrations}-{m.new_id('r')[-8:]}"
    state.ven_name = body.get("oadrVenName")
    state.transport_address = body.get("oadrTransportAddress")
    state.http_pull = str(body.get("oadrHttpPullModel", "true")).lower() != "false"
    state.xml_signature = str(body.get("oadrXmlSignature", "false")).lower() == "true"
    return "oadrCreatedPartyRegistration", m.created_party_registration(
        rid, state.vtn_id, registration_id=state.registration_id, ven_id=state.ven_id, poll_freq_s=state.poll_freq_s)


def _cancel(state: VtnState, session: Any, frame: Frame, body: dict, rid: str) -> tuple[str, dict]:
    reg = state.registration_id
    state.forget_registration()
    return "oadrCanceledPartyRegistration", m.canceled_party_registration(rid, reg, body.get("venID"))


def _canceled(state: VtnState, session: Any, frame: Frame, body: dict, rid: str) -> tuple[str, dict]:
    ven = state.ven_id
    state.forget_registration()
    return "oadrResponse", m.response(rid, 200, "OK", ven)


# --- poll and events ------------------------------------------------------------------------------------------
def _poll(state: VtnState, session: Any, frame: Frame, body: dict, rid: str) -> tuple[str, dict] | Reply:
    if session.outbox:
        name, payload, seq = session.outbox.popleft()
        note_delivery(state, name, payload)
        return Reply(name, payload, delivered=seq)
    return "oadrResponse", m.response("", 200, "OK", state.ven_id)


def note_delivery(state: VtnState, name: str, payload: dict) -> None:
    """What the VTN learns from handing a payload to the VEN (on a poll, or by push)."""
    if name == "oadrCreateReport":  # the VTN now expects these reports
        for req in as_list(payload.get("oadrReportRequest")):
            state.report_requests[str(req.get("reportRequestID"))] = req
    elif name == "oadrCancelReport":
        for rr in as_list(payload.get("reportRequestID")):
            state.report_requests.pop(str(rr), None)


def _request_event(state: VtnState, session: Any, frame: Frame, body: dict, rid: str) -> tuple[str, dict]:
    return "oadrDistributeEvent", m.distribute_event(state.vtn_id, list(state.events.values()), request_id=rid)


def _created_event(state: VtnState, session: Any, frame: Frame, body: dict, rid: str) -> tuple[str, dict]:
    for resp in as_list(find(body, "eiCreatedEvent/eventResponses/eventResponse")):
        event_id = find(resp, "qualifiedEventID/eventID")
        if isinstance(event_id, str):
            state.event_answers[event_id] = str(resp.get("optType"))
    return "oadrResponse", m.response(rid, 200, "OK", state.ven_id)


# --- reports ----------------------------------------------------------------------------------------------------
def _register_report(state: VtnState, session: Any, frame: Frame, body: dict, rid: str) -> tuple[str, dict]:
    """The VEN's report catalogue: its latest oadrRegisterReport replaces what it registered before (a VEN that
    restarted may name its reports anew, and a test must only ask for reports the VEN has now)."""
    requests = []
    state.reports.clear()
    for report in as_list(body.get("oadrReport")):
        spec = str(report.get("reportSpecifierID"))
        state.reports[spec] = report
        name = str(report.get("reportName", ""))
        if state.request_reports and name.startswith("METADATA_TELEMETRY"):
            rids = [str(d.get("rID")) for d in as_list(report.get("oadrReportDescription"))]
            period = find(report, "oadrReportDescription/oadrSamplingRate/oadrMinPeriod") or "PT10S"
            seconds = m.parse_duration(period) if isinstance(period, str) else 10
            req = m.report_request(m.new_id("RR"), spec, rids, granularity_s=seconds, report_back_s=seconds)
            state.report_requests[req["reportRequestID"]] = req
            requests.append(req)
    return "oadrRegisteredReport", m.registered_report(rid, state.ven_id, requests)


def _update_report(state: VtnState, session: Any, frame: Frame, body: dict, rid: str) -> tuple[str, dict]:
    state.report_data.extend(as_list(body.get("oadrReport")))
    return "oadrUpdatedReport", m.updated_report(rid, state.ven_id)


def _cancel_report(state: VtnState, session: Any, frame: Frame, body: dict, rid: str) -> tuple[str, dict]:
    return "oadrCanceledReport", m.canceled_report(rid, [], state.ven_id)


def _create_report(state: VtnState, session: Any, frame: Frame, body: dict, rid: str) -> tuple[str, dict]:
    return "oadrCreatedReport", m.created_report(rid, [], state.ven_id)


# --- opt ---------------------------------------------------------------------------------------------------------
def _create_opt(state: VtnState, session: Any, frame: Frame, body: dict, rid: str) -> tuple[str, dict]:
    opt_id = str(body.get("optID"))
    state.opts[opt_id] = body
    return "oadrCreatedOpt", m.created_opt(rid, opt_id)


def _cancel_opt(state: VtnState, session: Any, frame: Frame, body: dict, rid: str) -> tuple[str, dict]:
    opt_id = str(body.get("optID"))
    if state.opts.pop(opt_id, None) is None:
        return "oadrCanceledOpt", m.canceled_opt(rid, opt_id, INVALID_ID)
    return "oadrCanceledOpt", m.canceled_opt(rid, opt_id)


_HANDLERS = {
    "oadrQueryRegistration": _query, "oadrCreatePartyRegistration": _create,
    "oadrCancelPartyRegistration": _cancel, "oadrCanceledPartyRegistration": _canceled,
    "oadrPoll": _poll, "oadrRequestEvent": _request_event, "oadrCreatedEvent": _created_event,
    "oadrRegisterReport": _register_report, "oadrUpdateReport": _update_report, "oadrCancelReport": _cancel_report,
    "oadrCreateReport": _create_report, "oadrCreateOpt": _create_opt, "oadrCancelOpt": _cancel_opt,
}
