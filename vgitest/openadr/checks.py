"""OpenADR 2.0b rules checked over the trace after every test: what one payload alone cannot show
(polling cadence, answers to events, report and opt bookkeeping, UTC times).

Each check reads the whole trace (an answer may refer to an event delivered in an earlier test) and reports
only on the VEN's frames from `start` on, so a finding belongs to exactly one test.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterable, Iterator

from ..budgets import Budgets
from ..findings import Finding
from ..trace import Direction, Frame
from . import messages as m, rules as r
from .codec import as_list, find

TIME_KEYS = ("createdDateTime", "date-time", "modificationDateTime")


@dataclasses.dataclass(frozen=True)
class Delivery:
    """One event as the VTN delivered it."""

    event_id: str
    modification: str
    response_required: str
    request_id: str
    frame: Frame


def _ven(frames: Iterable[Frame], name: str) -> Iterator[Frame]:
    """What the VEN sent: its requests, and its answers to pushes."""
    return (f for f in frames if f.direction is Direction.IN and f.kind in ("REQUEST", "RESPONSE") and f.name == name)


def _vtn(frames: Iterable[Frame], name: str) -> Iterator[Frame]:
    """What the VTN handed to the VEN: its answer with HTTP 200 (pull), or a push the VEN took with HTTP 200
    (the push client copies the VEN's status onto its request frame). A payload a fuzz case broke on purpose
    (meta "broken") is no delivery: the VEN must refuse it, not act on it."""
    return (f for f in frames if f.direction is Direction.OUT and f.name == name and f.meta.get("status") == 200
            and not f.meta.get("broken"))


def deliveries(frames: list[Frame]) -> list[Delivery]:
    out = []
    for f in _vtn(frames, "oadrDistributeEvent"):
        for item in as_list(find(f.body, "oadrEvent") if isinstance(f.body, dict) else None):
            ev = item.get("eiEvent", {}) if isinstance(item, dict) else {}
            out.append(Delivery(str(find(ev, "eventDescriptor/eventID")),
                                str(find(ev, "eventDescriptor/modificationNumber", "0")),
                                str(item.get("oadrResponseRequired")), str(f.body.get("requestID", "")), f))
    return out


def poll_cadence(frames: list[Frame], start: int, budgets: Budgets) -> list[Finding]:
    """Consecutive polls of one registration closer than the requested frequency minus the tolerance (a poll
    exactly at that limit is not early).

    An early poll right after a poll the VTN answered with a payload is the VEN fetching the rest of the VTN's
    queue (2.0b hands a queue out one payload per poll answer, and an answer says nothing of what is left):
    OADR-POLL-DRAIN, a warning. Any other early poll, after an empty answer (oadrResponse) or an unanswered
    poll, is OADR-POLL-TOO-OFTEN.

    A VEN on a fixed-rate schedule whose one poll came late (a busy VEN or a busy host) sends the next one on
    schedule, closer to the late one than the frequency: that poll catches up, it is not extra. An early poll is
    judged only if the last two intervals together are also shorter than twice the frequency minus the
    tolerance (a VEN polling faster than asked breaks both; a single late poll breaks neither)."""
    tol = float(budgets.timing("openadr", "tolerance").value_s or 0)
    answers = {f.correlation: f for f in frames if f.direction is Direction.OUT and f.kind == "RESPONSE"}
    out: list[Finding] = []
    freq: float | None = None
    last: Frame | None = None
    before_last: Frame | None = None
    for f in frames:
        if f.direction is Direction.OUT and f.name == "oadrCreatedPartyRegistration" and isinstance(f.body, dict):
            text = find(f.body, "oadrRequestedOadrPollFreq/xcal:duration")
            if isinstance(text, str):
                try:
                    freq = m.parse_duration(text)
                except ValueError:
                    freq = None
            last = before_last = None  # a new registration restarts the cadence
        elif f.direction is Direction.IN and f.name == "oadrPoll" and f.kind == "REQUEST":
            if last is not None and freq is not None and f.index >= start:
                gap = (f.t_ns - last.t_ns) / 1e9
                catching_up = before_last is not None and (last.t_ns - before_last.t_ns) / 1e9 > freq and \
                    (f.t_ns - before_last.t_ns) / 1e9 >= 2 * freq - tol
                if gap < freq - tol and not catching_up:
                    before = answers.get(last.correlation)
                    carried = before is not None and before.meta.get("status") == 200 and \
                        before.name not in (None, "oadrResponse", "(raw)")
                    limits = f"the VTN asked for at most one poll per {freq:g} s (tolerance {tol:g} s)"
                    if carried:
                        out.append(Finding.of(r.POLL_DRAIN, f"polled {gap:.2f} s after the previous poll, whose "
                                              f"answer carried {before.name}: fetching what else is queued; "
                                              f"{limits}", f.index, gap_s=round(gap, 3), poll_freq_s=freq))
                    else:
                        what = "nothing queued (oadrResponse)" if before is not None else "no answer"
                        out.append(Finding.of(r.POLL_TOO_OFTEN, f"polled {gap:.2f} s after the previous poll, which "
                                              f"got {what}; {limits}", f.index, gap_s=round(gap, 3),
                                              poll_freq_s=freq))
            before_last, last = last, f
    return out


def event_answers(frames: list[Frame], start: int) -> list[Finding]:
    out: list[Finding] = []
    delivered = deliveries(frames)
    by_key: dict[tuple[str, str], list[Delivery]] = {}
    for d in delivered:
        by_key.setdefault((d.event_id, d.modification), []).append(d)
    by_id: dict[str, list[Delivery]] = {}
    for d in delivered:
        by_id.setdefault(d.event_id, []).append(d)
    answered: list[tuple[Frame, str, str]] = []
    for f in _ven(frames, "oadrCreatedEvent"):
        for resp in as_list(find(f.body, "eiCreatedEvent/eventResponses/eventResponse")):
            event_id = str(find(resp, "qualifiedEventID/eventID"))
            mod = str(find(resp, "qualifiedEventID/modificationNumber"))
            answered.append((f, event_id, mod))
            if f.index < start:
                continue
            d = next((x for x in reversed(by_key.get((event_id, mod), [])) if x.frame.index < f.index), None)
            if d is None:
                known = by_id.get(event_id)
                what = (f"modificationNumber {mod} of event {event_id} (delivered: "
                        f"{', '.join(x.modification for x in known)})" if known else f"event {event_id!r}")
                out.append(Finding.of(r.CREATED_EVENT_ID, f"oadrCreatedEvent answers {what}, which the VTN did not "
                                      "deliver", f.index))
                continue
            if d.response_required == "never":
                out.append(Finding.of(r.CREATED_EVENT_NEVER, f"event {event_id} was delivered with "
                                      "oadrResponseRequired=never, yet the VEN answered it", f.index))
            if str(resp.get("requestID", "")) != d.request_id:
                out.append(Finding.of(r.CREATED_EVENT_REQUEST_ID, f"the answer to event {event_id} carries requestID "
                                      f"{resp.get('requestID')!r}, the distribute had {d.request_id!r}", f.index))
    polls = list(_ven(frames, "oadrPoll"))
    for d in delivered:
        if d.response_required != "always" or d.frame.index < start:
            continue
        next_poll = next((p for p in polls if p.index > d.frame.index), None)
        if next_poll is None:
            continue  # the VEN has not polled again yet: nothing to say
        if not any(a.index > d.frame.index and a.index < next_poll.index and a_id == d.event_id and mod == d.modification
                   for a, a_id, mod in answered):
            out.append(Finding.of(r.CREATED_EVENT_MISSING, f"event {d.event_id} (modification {d.modification}) "
                                  "required a response; the VEN polled again without sending oadrCreatedEvent",
                                  next_poll.index))
    return out


def opts(frames: list[Frame], start: int) -> list[Finding]:
    known = {d.event_id for d in deliveries(frames)}
    out = []
    for f in _ven(frames, "oadrCreateOpt"):
        event_id = find(f.body, "qualifiedEventID/eventID")
        if f.index >= start and isinstance(event_id, str) and event_id not in known:
            out.append(Finding.of(r.OPT_EVENT_ID, f"oadrCreateOpt refers to event {event_id!r}, which the VTN never "
                                  "delivered", f.index))
    return out


def _times(body: Any) -> Iterator[str]:
    if isinstance(body, dict):
        for k, v in body.items():
            if k in TIME_KEYS and isinstance(v, str):
                yield v
            else:
                yield from _times(v)
    elif isinstance(body, list):
        for v in body:
            yield from _times(v)


def utc_times(frames: list[Frame], start: int) -> list[Finding]:
    out = []
    for f in frames:
        if f.index < start or f.direction is not Direction.IN or not isinstance(f.body, dict):
            continue
        bad = sorted({t for t in _times(f.body) if not t.strip().endswith("Z")})
        if bad:
            out.append(Finding.of(r.UTC, f"{f.name}: date-time(s) not in UTC: {', '.join(bad[:3])}", f.index))
    return out


def reports(frames: list[Frame], start: int) -> list[Finding]:
    out: list[Finding] = []
    for f in _ven(frames, "oadrRegisterReport"):
        if f.index < start:
            continue
        for rep in as_list(f.body.get("oadrReport") if isinstance(f.body, dict) else None):
            rr = rep.get("reportRequestID") if isinstance(rep, dict) else None
            if rr != "0":
                out.append(Finding.of(r.REPORT_REGISTER_REQUEST_ID, f"report {rep.get('reportSpecifierID')!r} is "
                                      f"registered with reportRequestID {rr!r}, not 0", f.index))
    requested: dict[str, set[str]] = {}
    for name in ("oadrRegisteredReport", "oadrCreateReport"):
        for f in _vtn(frames, name):
            for req in as_list(f.body.get("oadrReportRequest") if isinstance(f.body, dict) else None):
                rids = {str(p.get("rID")) for p in as_list(find(req, "reportSpecifier/specifierPayload"))}
                requested[str(req.get("reportRequestID"))] = rids
    cancelled_at: dict[str, int] = {}
    cancels = {str(x): f for f in _vtn(frames, "oadrCancelReport")
               for x in as_list(f.body.get("reportRequestID"))}
    for f in _ven(frames, "oadrCanceledReport"):
        for rr, cancel in cancels.items():
            if cancel.index < f.index and rr not in cancelled_at:
                cancelled_at[rr] = f.index
    for f in _ven(frames, "oadrUpdateReport"):
        if f.index < start:
            continue
        for rep in as_list(f.body.get("oadrReport") if isinstance(f.body, dict) else None):
            rr = str(rep.get("reportRequestID"))
            if rr not in requested:
                out.append(Finding.of(r.REPORT_REQUEST_ID, f"oadrUpdateReport for reportRequestID {rr!r}, which the "
                                      "VTN never requested", f.index))
                continue
            if rr in cancelled_at and f.index > cancelled_at[rr]:
                out.append(Finding.of(r.REPORT_AFTER_CANCEL, f"report {rr} was sent after the VEN acknowledged its "
                                      "cancellation", f.index))
            for interval in as_list(find(rep, "intervals/ei:interval")):
                rid = find(interval, "oadrReportPayload/rID")
                if not isinstance(rid, str):
                    continue  # no readable rID: a schema defect, which the schema check reports on the frame
                if rid not in requested[rr]:
                    out.append(Finding.of(r.REPORT_RID, f"report {rr} has data for rID {rid!r}; the request asked for "
                                          f"{sorted(requested[rr])}", f.index))
    return out


def run_all(frames: list[Frame], start: int, budgets: Budgets) -> list[Finding]:
    """Every trace check; findings point at frames with index >= start."""
    return (poll_cadence(frames, start, budgets) + event_answers(frames, start) + opts(frames, start)
            + utc_times(frames, start) + reports(frames, start))
