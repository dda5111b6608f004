"""Per-request checks of the transport and identity rules, as small pure functions the server calls.

They take what the HTTP layer and the codec already have (a header value, a method, a decoded body, the
client certificate's LFDI) and return findings, so each rule can be provoked without a server running.
:func:`decode_findings` turns the codec's (rule id, message) problems into findings.
"""

from __future__ import annotations

import re

from collections.abc import Iterable
from typing import Any

from ..budgets import Budgets
from ..findings import Finding
from ..trace import Direction, Frame
from . import identity, rules as r
from .codec import as_list, find
from .namespaces import MEDIA_TYPE

__all__ = ["content_type", "decode_findings", "http_method", "identity_findings", "poll_cadence",
           "response_sequence", "run_all"]


def decode_findings(problems: Iterable[tuple[str, str]], frame_index: int | None = None) -> list[Finding]:
    """The codec's problems (SEP2-XML-HOSTILE, -MALFORMED, -BODY-TOO-LARGE) as findings."""
    return [Finding.of(rule, message, frame_index) for rule, message in problems]


def content_type(header: str | None, frame_index: int | None = None) -> Finding | None:
    """SEP2-CONTENT-TYPE unless the media type is application/sep+xml (parameters such as charset and
    case are ignored, as HTTP media types are case-insensitive)."""
    media = (header or "").split(";", 1)[0].strip().lower()
    if media == MEDIA_TYPE:
        return None
    shown = f"'{header}'" if header else "no Content-Type"
    return Finding.of(r.CONTENT_TYPE, f"the body was sent with {shown}, not {MEDIA_TYPE}", frame_index,
                      content_type=header or "")


def http_method(method: str, allowed: Iterable[str], path: str, frame_index: int | None = None) -> Finding | None:
    """SEP2-HTTP-METHOD when ``method`` is not among the ``allowed`` methods of the resource at ``path``."""
    allowed_set = sorted({m.upper() for m in allowed})
    if method.upper() in allowed_set:
        return None
    return Finding.of(r.HTTP_METHOD, f"{method} {path}: the resource allows {', '.join(allowed_set) or 'no method'}",
                      frame_index, method=method, path=path, allowed=allowed_set)


# Where a client writes its own identity: resource name -> (LFDI field, SFDI field or None)
_IDENTITY_FIELDS: dict[str, tuple[str, str | None]] = {
    "EndDevice": ("lFDI", "sFDI"),
    "Response": ("endDeviceLFDI", None),
    "DERControlResponse": ("endDeviceLFDI", None),
    "PriceResponse": ("endDeviceLFDI", None),
    "TextResponse": ("endDeviceLFDI", None),
    "DrResponse": ("endDeviceLFDI", None),
}


def identity_findings(name: str | None, body: Any, cert_lfdi: str,
                      frame_index: int | None = None) -> list[Finding]:
    """SEP2-LFDI findings for a client's own EndDevice or Response whose LFDI/SFDI is not its certificate's.

    ``cert_lfdi`` is :func:`vgitest.sep2.identity.lfdi` of the client certificate. LFDIs compare
    case-insensitively (hexBinary); an absent optional ``lFDI`` is not a finding here (the schema and the
    scenario decide whether it is required). An aggregator registering EndDevices for other devices must
    not be checked with this function.
    """
    fields = _IDENTITY_FIELDS.get(name or "")
    if fields is None or not isinstance(body, dict):
        return []
    expected = identity.normalize_lfdi(cert_lfdi)
    if expected is None:
        raise ValueError(f"cert_lfdi is not an LFDI: {cert_lfdi!r}")
    out: list[Finding] = []
    lfdi_field, sfdi_field = fields
    written = find(body, lfdi_field)
    if isinstance(written, str) and identity.normalize_lfdi(written) != expected:
        out.append(Finding.of(r.LFDI, f"{name}/{lfdi_field} is {written!r}, the client certificate's LFDI is "
                              f"{expected}", frame_index, field=lfdi_field, written=written, expected=expected))
    written_sfdi = find(body, sfdi_field) if sfdi_field else None
    if isinstance(written_sfdi, str):
        want = identity.sfdi(expected)
        text = written_sfdi.strip()
        if not text.isdigit() or int(text) != want:
            out.append(Finding.of(r.LFDI, f"{name}/{sfdi_field} is {written_sfdi!r}, the client certificate's SFDI "
                                  f"is {want}", frame_index, field=sfdi_field, written=written_sfdi,
                                  expected=str(want)))
    return out


# --- over the trace (after every test) --------------------------------------------------------------------
FINAL = {3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14}  # statuses after which an event has nothing more to say
MISSED_FACTOR = 1.5
RESTART_MARK = "DUT action"  # the harness's note that the test made the client restart or walk again  # a gap beyond 1.5 pollRate is a missed poll (as CSIP-AUS test tooling judges it)


def _gets(frames: Iterable[Frame]) -> dict[str, list[tuple[Frame, Frame | None]]]:
    """Per path: the client's GETs with the server's answer, in order."""
    answers = {f.correlation: f for f in frames if f.direction is Direction.OUT and f.kind == "RESPONSE"}
    out: dict[str, list[tuple[Frame, Frame | None]]] = {}
    for f in frames:
        if f.direction is Direction.IN and f.kind == "REQUEST" and f.meta.get("method") == "GET":
            out.setdefault(str(f.meta.get("path")), []).append((f, answers.get(f.correlation)))
    return out


def _restarts(frames: Iterable[Frame]) -> list[tuple[int, int]]:
    """When the test made the client restart or walk again (the harness's MARK frames), and when the client then
    made its first request, in ns. Its burst of start-up reads runs from that first request, not from the mark:
    a client process that takes 2 s to start on a busy machine has not polled when its start-up walk comes late."""
    out: list[tuple[int, int]] = []
    mark: int | None = None
    for f in frames:
        if f.kind == "MARK" and str(f.name).startswith(RESTART_MARK):
            if mark is not None:
                out.append((mark, mark))
            mark = f.t_ns
        elif mark is not None and f.direction is Direction.IN and f.kind == "REQUEST":
            out.append((mark, f.t_ns))
            mark = None
    if mark is not None:
        out.append((mark, mark))
    return out


def _notified(frames: Iterable[Frame]) -> dict[str, list[int]]:
    """Per subscribed path: when the server notified the client of a change (ns). A client may read a notified
    resource at once (to fetch what the Notification left out), whatever its pollRate: such a read restarts
    the cadence like a walk the test asked for."""
    out: dict[str, list[int]] = {}
    for f in frames:
        if f.direction is Direction.OUT and f.kind == "REQUEST" and f.meta.get("notification"):
            out.setdefault(str(f.meta.get("subscribed")), []).append(f.t_ns)
    return out


RESTART_BURST_S = 2.0  # after a restart, GETs of one path within this time are one burst (a straggler + the walk)


def _settling(marks: list[tuple[int, int]], a: Frame, b: Frame) -> bool:
    """The gap a→b spans a restart or Notification (`marks`: its time, and when the client's burst of reads after
    it began), or both GETs belong to that burst (a poll that was on its way when the client restarted, and the
    new walk's): the new cadence starts at the burst's last GET."""
    burst = int(RESTART_BURST_S * 1e9)
    return any(a.t_ns <= m <= b.t_ns or (m <= a.t_ns and b.t_ns <= first + burst) for m, first in marks)


def _poll_rate(answer: Frame | None, default: float | None) -> float | None:
    rate = answer.body.get("@pollRate") if answer is not None and isinstance(answer.body, dict) else None
    try:
        return float(rate) if rate is not None else default
    except ValueError:
        return default


def _dcap_rate(dcaps: list[tuple[int, float | None]], at_ns: int) -> float | None:
    """The DeviceCapability pollRate in force at `at_ns`: that of its latest answer by then (the first one for a
    read before any). A server that changes it (CACTUS set-comms-rate) changes the default of every resource
    without a pollRate of its own from then on; judging by an earlier answer would hold the new rate against a
    client that follows it."""
    before = [rate for t, rate in dcaps if t <= at_ns]
    return before[-1] if before else dcaps[0][1] if dcaps else None


PAGE_GAP_S = 5.0  # a further page of a list read comes within this time of the read's previous GET


def _index(query: dict | None, key: str, default: int) -> int:
    """A list query parameter (``s``, ``l``) as the server took it: absent or not a count -> the default."""
    try:
        n = int(str((query or {}).get(key, default)))
    except ValueError:
        return default
    return n if n >= 0 else default


def _list_page(answer: Frame | None) -> tuple[int, int] | None:
    """(all, results) of an answer that is a list, else None."""
    body = answer.body if answer is not None and isinstance(answer.body, dict) else {}
    try:
        return int(body["@all"]), int(body["@results"])
    except (KeyError, TypeError, ValueError):
        return None


def list_reads(gets: list[tuple[Frame, Frame | None]]) -> list[tuple[Frame, Frame | None]]:
    """The GETs of one path that start a read of it: the polls. A list is read in pages (``s`` start index,
    ``l`` limit; a server answers one item when no ``l`` is given), so one read of a list may be several GETs;
    only its first is a poll. A GET continues the read before it when it asks from past the first item
    (``s`` > 0: a later page, or the empty page past the end a client asks for to know it is done), or when it
    asks from the first item again while that read has not yet delivered the whole list, asks for more than it
    delivered, and comes within PAGE_GAP_S of the read's previous GET (a client that learnt the list's size from
    its first answer and now reads it in pages). A GET of the first item that asks for no more than the client
    already got is a poll, so a client that never pages and polls too often is still caught."""
    out: list[tuple[Frame, Frame | None]] = []
    covered, total, last_ns = 0, 0, None  # the open read: items delivered from index 0 on, the list's all
    for f, ans in gets:
        q = f.meta.get("query") or {}
        first, limit = _index(q, "s", 0), _index(q, "l", 1)
        if first > 0 and last_ns is not None:
            pass  # a later page of the open read
        elif not (first == 0 and last_ns is not None and covered < total and limit > covered
                  and f.t_ns - last_ns <= PAGE_GAP_S * 1e9):
            out.append((f, ans))  # a new read
            covered, total = 0, 0
        got = _list_page(ans) if ans is not None and ans.meta.get("status") == 200 else None
        if got is not None:
            total = got[0]
            if first <= covered:
                covered = max(covered, first + got[1])
        last_ns = f.t_ns
    return out


SAME_INSTANT_S = 0.5  # reads of one resource closer than this (and than the tolerance) are one poll


def one_per_instant(reads: list[tuple[Frame, Frame | None]], window_s: float) -> list[tuple[Frame, Frame | None]]:
    """Reads that start less than `window_s` after the read kept before them are the same poll: a client that
    reads a resource twice in one go (py20305 reads a newly listed program's DERControlList and DERCurveList from
    two places within 0.1 s) has not polled it faster. Measured from the kept read, so a client that reads every
    0.2 s still polls every 0.2 s, whatever the window."""
    kept: list[tuple[Frame, Frame | None]] = []
    for read in reads:
        if kept and read[0].t_ns - kept[-1][0].t_ns < window_s * 1e9:
            continue
        kept.append(read)
    return kept


def poll_cadence(frames: list[Frame], start: int, budgets: Budgets) -> list[Finding]:
    """Polls of one path closer than its pollRate, or further apart than 1.5 pollRate. A poll is the start of a
    read of the resource (see `list_reads`: further pages of one list read are not polls). The pollRate is the
    one the server's answer to that path carried, else the DeviceCapability's in force (its latest answer);
    resources without either (an unpolled link the client follows once) are not judged, and neither is the
    pollRate after a restart the test asked for (the client walks everything again at once) or after a
    Notification of that path (the client may read it at once), nor a second read in the same instant
    (`one_per_instant`). Only gaps between two reads in the test's own frames (index >= start) are judged: a
    read between tests (a walk the previous test's clean-up caused, e.g. when it removed a program the client
    was polling) is never held against the next test. Tolerance: the budget ``sep2.tolerance`` (1 s by
    default) either way, so a poll exactly one pollRate after the last is on time."""
    tol = float(budgets.timing("sep2", "tolerance").value_s or 0)
    by_path = {path: one_per_instant(list_reads(gets), min(tol, SAME_INSTANT_S)) for path, gets in _gets(frames).items()}
    dcaps = [(ans.t_ns, _poll_rate(ans, None)) for _, ans in _gets(frames).get("/dcap", [])
             if ans is not None and ans.meta.get("status") == 200]  # every answer (also one read in the same instant)
    restarts = _restarts(frames)
    notified = _notified(frames)
    out: list[Finding] = []
    for path, polls in by_path.items():
        marks = restarts + [(t, t) for t in notified.get(path, [])]
        for (a, a_ans), (b, _) in zip(polls, polls[1:]):
            rate = _poll_rate(a_ans, _dcap_rate(dcaps, a.t_ns))
            if rate is None or a.index < start or a_ans is None or a_ans.meta.get("status") != 200 \
                    or a_ans.meta.get("announced") is not None or _settling(marks, a, b):  # (a cut answer: no
                # resource came of it, the next read is a retry, not a poll)
                continue
            gap = (b.t_ns - a.t_ns) / 1e9
            if gap < rate - tol:
                out.append(Finding.of(r.POLL_TOO_OFTEN, f"GET {path} {gap:.2f} s after the previous one; its pollRate "
                                      f"is {rate:g} s (tolerance {tol:g} s)", b.index, gap_s=round(gap, 3),
                                      poll_rate_s=rate))
            elif gap > MISSED_FACTOR * rate + tol:
                out.append(Finding.of(r.POLL_MISSED, f"GET {path} {gap:.2f} s after the previous one; its pollRate "
                                      f"is {rate:g} s (a poll was missed)", b.index, gap_s=round(gap, 3),
                                      poll_rate_s=rate))
    return out


_RAW_MRID = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?mRID>\s*([0-9A-Fa-f]+)\s*</")


def response_sequence(frames: list[Frame], start: int) -> list[Finding]:
    """Per event (subject): received before started, started before completed, nothing after a final status;
    and only events the server served (in a DERControl body) may be answered."""
    served = {str(find(f.body, "mRID")) for f in frames if f.direction is Direction.OUT and f.name == "DERControl"}
    # a body served as raw bytes (the fuzz suites' broken or generated resources) still gave the client its mRIDs
    served.update(m.decode("ascii") for f in frames if f.direction is Direction.OUT and f.body is None and f.raw
                  for m in _RAW_MRID.findall(f.raw))
    for f in frames:
        body = f.body
        if f.direction is Direction.OUT and f.name == "Notification" and isinstance(body, dict) \
                and isinstance(body.get("Resource"), dict):
            body = body["Resource"]  # events the client heard of by notification
        elif not (f.direction is Direction.OUT and f.name == "DERControlList"):
            continue
        if isinstance(body, dict):
            served.update(str(c.get("mRID")) for c in as_list(body.get("DERControl")) if isinstance(c, dict))
    seen: dict[str, list[int]] = {}
    out: list[Finding] = []
    # a Response the server refused (an outage's 5xx) was never taken: the client's retry of it is no repetition
    refused = {a.correlation for a in frames if a.direction is Direction.OUT and a.kind == "RESPONSE"
               and int(a.meta.get("status") or 200) >= 300}
    for f in frames:
        if not (f.direction is Direction.IN and f.meta.get("method") == "POST" and isinstance(f.body, dict)
                and f.meta.get("payload") in ("Response", "DERControlResponse")) or f.correlation in refused:
            continue
        subject = str(f.body.get("subject"))
        try:
            status = int(str(f.body.get("status", "")))
        except ValueError:
            continue
        before = seen.setdefault(subject, [])
        if f.index >= start:
            if subject not in served:
                out.append(Finding.of(r.RESPONSE_SUBJECT, f"Response for event {subject}, which the server never "
                                      "served to this client", f.index))
            elif before and before[-1] in FINAL:
                out.append(Finding.of(r.RESPONSE_ORDER, f"event {subject}: status {status} after the final status "
                                      f"{before[-1]}", f.index, statuses=before + [status]))
            elif status == 2 and 2 in before:
                out.append(Finding.of(r.RESPONSE_ORDER, f"event {subject}: started (2) reported twice", f.index))
            elif status == 3 and 2 not in before:
                out.append(Finding.of(r.RESPONSE_ORDER, f"event {subject}: completed (3) without started (2)",
                                      f.index, statuses=before + [status]))
            elif status in (1,) and before:
                out.append(Finding.of(r.RESPONSE_ORDER, f"event {subject}: received (1) after status {before[-1]}",
                                      f.index, statuses=before + [status]))
        before.append(status)
    return out


def run_all(frames: list[Frame], start: int, budgets: Budgets) -> list[Finding]:
    """Every trace check; findings point at frames with index >= start."""
    return poll_cadence(frames, start, budgets) + response_sequence(frames, start)
