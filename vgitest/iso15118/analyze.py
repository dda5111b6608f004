"""Analyse V2G captures: per TCP session, the decoded message sequence with response times, sizes and findings.

Why: a capture from the field or a lab run is the only evidence many vendors have. The analyser never
crashes on what the peers sent: bad V2GTP headers, undecodable EXI and missing responses become findings
with stable rule ids (see :mod:`vgitest.iso15118.rules`), and the raw bytes stay in each :class:`Frame`.
Timing is judged against ``schemas/budgets/iso15118.toml``, each limit with the tolerance written beside it
(a peer exactly at a limit is not late); the profile used is part of every report.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from ..budgets import Budgets
from ..exi import ExiError, decode
from ..exi.jsonconv import to_json
from ..findings import Finding, Severity
from ..trace import Direction, Frame
from .capfile import FileStats
from .capture import Capture, Endpoint, SdpDatagram, TcpConnection, read_capture
from .rules import allowed_after, base_name
from .session import EXI_PAYLOADS, SAP_PAYLOAD, Negotiation, message_name, negotiate, schema_for, session_id
from .versions import of_schema

PROFILES = ("strict", "field")
# In the field profile, the SECC's and EVCC's *own* performance targets are reported as info; what the peer
# enforces (EVCC message timeout, SECC sequence timeout, phase timeouts) keeps its severity.
FIELD_INFO_RULES = frozenset({"V2G-SECC-PERFORMANCE", "V2G-EVCC-SEQUENCE-PERFORMANCE"})
BUDGET_PREFIX = {"iso-2": "iso2", "din": "din", "iso-20": "iso20"}
# Direction convention: the SECC is treated as the device under test, so SECC->EVCC is "IN".
SENDER_DIRECTION = {"EVCC": Direction.OUT, "SECC": Direction.IN}


@dataclasses.dataclass
class Exchange:
    """A request and its response (either may be missing)."""

    request: Frame | None
    response: Frame | None

    @property
    def response_time_s(self) -> float | None:
        if self.request is None or self.response is None:
            return None
        return (self.response.t_ns - self.request.t_ns) / 1e9


@dataclasses.dataclass
class SessionReport:
    """One TCP connection carrying V2G (plaintext or TLS)."""

    connection: str
    evcc: Endpoint
    secc: Endpoint
    tls: bool
    start: float
    end: float
    negotiation: Negotiation
    frames: list[Frame] = dataclasses.field(default_factory=list)
    exchanges: list[Exchange] = dataclasses.field(default_factory=list)
    findings: list[Finding] = dataclasses.field(default_factory=list)
    bytes_by_sender: dict[str, int] = dataclasses.field(default_factory=dict)

    @property
    def exi_messages(self) -> int:
        return sum(1 for f in self.frames if f.meta.get("payload_type") in EXI_PAYLOADS)

    def all_findings(self) -> list[Finding]:
        return [f for fr in self.frames for f in fr.findings] + self.findings


@dataclasses.dataclass
class CaptureReport:
    path: Path
    profile: str
    packets: int = 0
    sdp: list[SdpDatagram] = dataclasses.field(default_factory=list)
    sessions: list[SessionReport] = dataclasses.field(default_factory=list)
    findings: list[Finding] = dataclasses.field(default_factory=list)  # capture-level (SDP)
    skipped_connections: int = 0
    file: FileStats | None = None  # how much of the file was read, and where it is damaged

    @property
    def damaged(self) -> bool:
        """The file is cut short or has corrupt blocks: every result of this report may be partial."""
        return self.file is not None and self.file.damaged

    def all_findings(self) -> list[Finding]:
        return self.findings + [f for s in self.sessions for f in s.all_findings()]


class _Budget:
    """Looks up one timing value per protocol family and message, with the profile applied."""

    def __init__(self, budgets: Budgets, profile: str) -> None:
        self.budgets = budgets
        self.profile = profile

    def value(self, family: str | None, kind: str, message: str | None = None, key: str = "value_s"
              ) -> tuple[float | None, str]:
        if family not in BUDGET_PREFIX:
            return None, ""
        try:
            b = self.budgets.timing("iso15118", f"{BUDGET_PREFIX[family]}_{kind}")
        except KeyError:
            return None, ""
        per = b.extra.get("per_message", {})
        if key == "value_s":
            v = per.get(message, b.value_s) if message else b.value_s
        else:
            v = b.extra.get(key)
        return (float(v) if v is not None else None), b.ref

    def tolerance(self, family: str | None, kind: str, limit: float) -> float:
        """max(tolerance_s, tolerance_rel * limit) of the budget (see the budget file's header)."""
        from .timers import DEFAULT_TOLERANCE
        extra: dict[str, Any] = {}
        name = f"{BUDGET_PREFIX[family]}_{kind}" if family in BUDGET_PREFIX else kind
        try:
            extra = self.budgets.timing("iso15118", name).extra
        except KeyError:
            pass
        return max(float(extra.get("tolerance_s", DEFAULT_TOLERANCE[0])),
                   float(extra.get("tolerance_rel", DEFAULT_TOLERANCE[1])) * limit)

    def finding(self, rule: str, message: str, frame: int | None = None, **details: Any) -> Finding:
        sev = Severity.INFO if self.profile == "field" and rule in FIELD_INFO_RULES else None
        return Finding.of(rule, message, frame, severity=sev, profile=self.profile, **details)


def analyze_capture(path: Path | str, budgets: Budgets | None = None, profile: str = "strict") -> CaptureReport:
    """Read and analyse one capture file. IO errors propagate; everything about the content is a finding."""
    if profile not in PROFILES:
        raise ValueError(f"unknown budget profile {profile!r} (use one of {', '.join(PROFILES)})")
    cap = read_capture(path)
    budget = _Budget(budgets or Budgets.load(), profile)
    report = CaptureReport(Path(path), profile, cap.packets, cap.sdp, file=cap.file)
    report.findings += _check_sdp(cap.sdp, budget)
    secc_ports = {(d.fields["secc_ip"], d.fields["secc_port"]) for d in cap.sdp if "secc_port" in d.fields}
    for conn in cap.connections:
        if not _is_v2g(conn, secc_ports):
            report.skipped_connections += 1
            continue
        report.sessions.append(_analyze_connection(conn, secc_ports, budget))
    return report


def _is_v2g(conn: TcpConnection, secc_ports: set[tuple[object, object]]) -> bool:
    if any(ep in secc_ports for ep in (conn.server, conn.client)) or 15118 in (conn.server[1], conn.client[1]):
        return True
    return any(s.data[:2] == b"\x01\xfe" for s in conn.streams.values())


def _roles(conn: TcpConnection, secc_ports: set[tuple[object, object]]) -> tuple[Endpoint, Endpoint]:
    """(EVCC, SECC): the SDP-announced endpoint is the SECC; otherwise the TCP server is."""
    if conn.client in secc_ports and conn.server not in secc_ports:
        return conn.server, conn.client
    return conn.client, conn.server


def _analyze_connection(conn: TcpConnection, secc_ports: set[tuple[object, object]], budget: _Budget
                        ) -> SessionReport:
    evcc, secc = _roles(conn, secc_ports)
    streams = {"EVCC": conn.stream_from(evcc), "SECC": conn.stream_from(secc)}
    times = [t for s in streams.values() for _, t in s.chunk_ends]
    start = min([*times, *([conn.syn_time] if conn.syn_time is not None else [])], default=0.0)
    end = max([*times, *([conn.end_time] if conn.end_time is not None else [])], default=start)
    rep = SessionReport(conn.name, evcc, secc, conn.is_tls, start, end, Negotiation(),
                        bytes_by_sender={k: len(s.data) for k, s in streams.items()})
    if rep.tls:
        return rep  # encrypted application data: listed, not decoded
    per_sender: dict[str, list[Frame]] = {}
    for sender, stream in streams.items():
        if stream.gaps:
            rep.findings.append(Finding.of("V2G-TCP-GAP", f"{sender} stream has {stream.gaps} gap(s) in the "
                                           "capture; frames after a gap may be misaligned", sender=sender))
        frames, problems = stream.frames()
        per_sender[sender] = [_frame(conn.name, sender, f) for f in frames]
        for p in problems:
            rep.findings.append(Finding.of("V2G-V2GTP-TRUNCATED", f"{sender}: {p}", sender=sender))
    # negotiation from the first EXI frame per side, then decode everything with the right schema
    sap = []
    for sender, frames in per_sender.items():
        first = next((f for f in frames if f.meta["payload_type"] in EXI_PAYLOADS), None)
        if first is not None and first.meta["payload_type"] == SAP_PAYLOAD:
            first.meta["first_exi"] = True
            try:
                sap.append(decode(first.raw, "app-protocol"))
            except ExiError:
                pass  # reported when the frame itself is decoded below
    rep.negotiation = negotiate(sap)
    for frames in per_sender.values():
        for fr in frames:
            _decode_frame(fr, rep.negotiation)
    rep.frames = _merge(per_sender.get("EVCC", []), per_sender.get("SECC", []))
    for i, fr in enumerate(rep.frames):
        fr.index = i
        for f in fr.findings:
            f.frame_index = i
    _check_sequence(rep, budget)
    return rep


def _frame(conn_name: str, sender: str, f: Any) -> Frame:
    fr = Frame(int(round(f.time * 1e9)), f.time, SENDER_DIRECTION[sender], "iso15118", "", conn_name, "OTHER",
               raw=f.payload, meta={"sender": sender, "payload_type": f.payload_type, "offset": f.offset,
                                    "v2gtp_header": f.header.hex()})
    for p in f.problems:
        fr.findings.append(Finding.of("V2G-V2GTP-HEADER", f"{sender}: {p}", sender=sender))
    return fr


def _decode_frame(fr: Frame, neg: Negotiation) -> None:
    pt = fr.meta["payload_type"]
    if pt not in EXI_PAYLOADS:
        return  # not EXI (already reported by the header check if the type is unknown)
    schema, why = schema_for(pt, bool(fr.meta.get("first_exi")), neg)
    fr.kind = "MALFORMED"
    if schema is None:
        fr.findings.append(Finding.of("V2G-NO-SCHEMA", f"{fr.meta['sender']}: {why}"))
        return
    fr.meta["schema"] = schema
    fr.version = of_schema(schema)  # the live roles' version strings (versions.py), which the rules declare
    try:
        fr.body = decode(fr.raw, schema)
    except ExiError as e:
        fr.findings.append(Finding.of("V2G-EXI-DECODE", f"{fr.meta['sender']}: {len(fr.raw)} bytes do not decode "
                                      f"as {schema}: {e}", schema=schema))
        return
    fr.name = message_name(fr.body)
    fr.kind = "REQ" if fr.name.endswith("Req") else "RES" if fr.name.endswith("Res") else "OTHER"
    sid = session_id(fr.body)
    if sid is not None:
        fr.meta["session_id"] = sid.hex()


def _merge(evcc: list[Frame], secc: list[Frame]) -> list[Frame]:
    """Interleave the two directions by capture time; on a tie, causality decides (request before response)."""
    out: list[Frame] = []
    i = j = 0
    pending = False
    while i < len(evcc) or j < len(secc):  # each pass consumes one frame
        take_evcc = j >= len(secc) or (i < len(evcc) and (evcc[i].t_ns < secc[j].t_ns or (
            evcc[i].t_ns == secc[j].t_ns and not pending)))
        if take_evcc:
            out.append(evcc[i])
            i += 1
            pending = True
        else:
            out.append(secc[j])
            j += 1
            pending = False
    return out


def _check_sequence(rep: SessionReport, budget: _Budget) -> None:
    """Pair requests and responses; check order, SessionID and timing."""
    family = rep.negotiation.family
    neg = rep.negotiation
    exi = [fr for fr in rep.frames if fr.meta["payload_type"] in EXI_PAYLOADS]
    if exi and exi[0].name != "supportedAppProtocolReq":
        got = exi[0].name or f"an undecodable {exi[0].meta['sender']} frame"
        rep.findings.append(Finding.of("V2G-SAP-FIRST", f"session starts with {got}, not supportedAppProtocolReq",
                                       exi[0].index))
    if neg.schema_id is not None and str(neg.response_code or "").startswith("OK") and neg.namespace is None:
        rep.findings.append(Finding.of("V2G-SAP-RESULT", f"SAP response selects SchemaID {neg.schema_id}, which "
                                       f"the EVCC did not offer ({sorted(neg.offered)})"))
    pending: Frame | None = None
    last_res: Frame | None = None
    prev_req: str | None = None
    sid: bytes | None = None
    for fr in exi:  # requests come from the EVCC, responses from the SECC, decoded or not
        if fr.meta["sender"] == "EVCC":
            if pending is not None:
                rep.findings.append(Finding.of("V2G-NO-RESPONSE", f"{pending.name or 'request'} got no response "
                                               f"before the next request", pending.index))
                rep.exchanges.append(Exchange(pending, None))
            name = base_name(fr.name) if fr.name else None
            if name and name != "supportedAppProtocol":
                if prev_req in (None, "supportedAppProtocol") and name != "SessionSetup":
                    rep.findings.append(Finding.of("V2G-SESSION-SETUP-FIRST", f"first request after SAP is "
                                                   f"{fr.name}", fr.index))
                elif prev_req and family and allowed_after(family, prev_req, name) is False:
                    rep.findings.append(Finding.of("V2G-SEQUENCE", f"{fr.name} is not allowed after "
                                                   f"{prev_req}Req ({family})", fr.index, previous=prev_req))
            if last_res is not None:
                _check_gap(rep, budget, family, last_res, fr)
            if sid is not None and name != "SessionSetup" and "session_id" in fr.meta and \
                    fr.meta["session_id"] != sid.hex():
                rep.findings.append(Finding.of("V2G-SESSION-ID", f"{fr.name} carries SessionID "
                                               f"{fr.meta['session_id']}, SECC assigned {sid.hex()}", fr.index))
            prev_req = name or prev_req
            pending, last_res = fr, None
            continue
        if pending is None:
            rep.findings.append(Finding.of("V2G-UNEXPECTED-RESPONSE", f"{fr.name or 'SECC frame'} answers no "
                                           "pending request", fr.index))
            rep.exchanges.append(Exchange(None, fr))
            last_res = fr
            continue
        if fr.name and pending.name and base_name(fr.name) != base_name(pending.name):
            rep.findings.append(Finding.of("V2G-UNEXPECTED-RESPONSE", f"{fr.name} answers {pending.name}",
                                           fr.index))
        ex = Exchange(pending, fr)
        rep.exchanges.append(ex)
        corr = str(len(rep.exchanges))
        pending.correlation = fr.correlation = corr
        fr.meta["response_time_ms"] = round((ex.response_time_s or 0.0) * 1000, 3)
        _check_response_time(rep, budget, family, pending, fr, ex.response_time_s or 0.0)
        if fr.name == "SessionSetupRes" and "session_id" in fr.meta:
            sid = bytes.fromhex(fr.meta["session_id"])
        elif sid is not None and "session_id" in fr.meta and fr.meta["session_id"] != sid.hex():
            rep.findings.append(Finding.of("V2G-SESSION-ID", f"{fr.name} carries SessionID "
                                           f"{fr.meta['session_id']}, SECC assigned {sid.hex()}", fr.index))
        pending, last_res = None, fr
    if pending is not None:
        how = "the connection closed" if rep.end > pending.wall else "the capture ended"
        rep.findings.append(Finding.of("V2G-NO-RESPONSE", f"{pending.name or 'request'} got no response before "
                                       f"{how}", pending.index))
        rep.exchanges.append(Exchange(pending, None))
    _check_phases(rep, budget, family)


def _check_response_time(rep: SessionReport, budget: _Budget, family: str | None, req: Frame, res: Frame,
                         dt: float) -> None:
    msg = base_name(req.name) if req.name else None
    perf, ref = budget.value(family, "secc_msg_performance", msg)
    if perf is not None and dt > perf + (tol := budget.tolerance(family, "secc_msg_performance", perf)):
        rep.findings.append(budget.finding("V2G-SECC-PERFORMANCE", f"{res.name or 'response'} after "
                                           f"{dt * 1000:.1f} ms > {perf * 1000:g} ms + tolerance {tol * 1000:g} ms "
                                           f"({ref})", res.index, response_time_ms=round(dt * 1000, 3),
                                           budget_ms=perf * 1000, tolerance_ms=round(tol * 1000, 3)))
    tmo, ref = budget.value(family, "evcc_msg_timeout", msg)
    if tmo is not None and dt > tmo + (tol := budget.tolerance(family, "evcc_msg_timeout", tmo)):
        rep.findings.append(budget.finding("V2G-EVCC-MSG-TIMEOUT", f"{res.name or 'response'} after "
                                           f"{dt * 1000:.1f} ms > EVCC timeout {tmo * 1000:g} ms + tolerance "
                                           f"{tol * 1000:g} ms ({ref})", res.index, response_time_ms=round(dt * 1000, 3),
                                           budget_ms=tmo * 1000, tolerance_ms=round(tol * 1000, 3)))


def _check_gap(rep: SessionReport, budget: _Budget, family: str | None, res: Frame, req: Frame) -> None:
    gap = (req.t_ns - res.t_ns) / 1e9
    msg = base_name(res.name) if res.name else None
    for kind, rule, who in (("secc_sequence_timeout", "V2G-SEQUENCE-TIMEOUT", "SECC sequence timeout"),
                            ("evcc_sequence_performance", "V2G-EVCC-SEQUENCE-PERFORMANCE",
                             "EVCC sequence performance time")):
        limit, ref = budget.value(family, kind, msg)
        if limit is not None and gap > limit + (tol := budget.tolerance(family, kind, limit)):
            rep.findings.append(budget.finding(rule, f"{req.name or 'request'} {gap * 1000:.1f} ms after "
                                               f"{res.name or 'the last response'} > {who} {limit * 1000:g} ms + "
                                               f"tolerance {tol * 1000:g} ms ({ref})", req.index,
                                               gap_ms=round(gap * 1000, 3), budget_ms=limit * 1000,
                                               tolerance_ms=round(tol * 1000, 3)))


def _check_phases(rep: SessionReport, budget: _Budget, family: str | None) -> None:
    """CableCheck / PreCharge loops: time from the first request to the last response of each run."""
    phases = {"CableCheck": "cablecheck_loop", "DC_CableCheck": "cablecheck_loop", "PreCharge": "precharge_loop",
              "DC_PreCharge": "precharge_loop"}
    runs: list[tuple[str, Exchange, Exchange]] = []
    previous: Exchange | None = None
    for ex in rep.exchanges:
        name = base_name(ex.request.name) if ex.request is not None and ex.request.name else None
        if name in phases and ex.response is not None:
            if runs and runs[-1][0] == name and runs[-1][2] is previous:
                runs[-1] = (name, runs[-1][1], ex)  # the loop goes on
            else:
                runs.append((name, ex, ex))
        previous = ex
    for name, first, last in runs:
        assert first.request is not None and last.response is not None
        dt = (last.response.t_ns - first.request.t_ns) / 1e9
        for key, who in (("value_s", "SECC performance time"), ("evcc_timeout_s", "EVCC timeout")):
            limit, ref = budget.value(family, phases[name], key=key)
            if limit is not None and dt > limit + (tol := budget.tolerance(family, phases[name], limit)):
                rep.findings.append(budget.finding("V2G-PHASE-TIME", f"{name} phase took {dt:.3f} s > {who} "
                                                   f"{limit:g} s + tolerance {tol:g} s ({ref})", last.response.index,
                                                   phase=name, duration_s=round(dt, 3), tolerance_s=tol))


def _check_sdp(sdp: list[SdpDatagram], budget: _Budget) -> list[Finding]:
    """Header validity of every SDP datagram, and the EVCC's retry pacing between unanswered requests."""
    out = []
    limit_s, ref = 0.25, ""
    max_req = 50
    try:
        b = budget.budgets.timing("iso15118", "sdp_retry")
        limit_s, ref, max_req = float(b.value_s or limit_s), b.ref, int(b.extra.get("max_requests", max_req))
    except KeyError:
        pass
    tol = budget.tolerance(None, "sdp_retry", limit_s)  # a lower bound: too soon only below limit - tolerance
    last_req: dict[Endpoint, float] = {}
    count: dict[Endpoint, int] = {}
    for d in sdp:
        for p in d.problems:
            out.append(Finding.of("V2G-V2GTP-HEADER", f"SDP datagram from [{d.src[0]}]:{d.src[1]}: {p}",
                                  time=d.time))
        if d.payload_type == 0x9001:
            last_req.pop(d.dst, None)
            count.pop(d.dst, None)
        elif d.payload_type == 0x9000:
            prev = last_req.get(d.src)
            n = count[d.src] = count.get(d.src, 0) + 1
            if prev is not None and d.time - prev < limit_s - tol:
                out.append(budget.finding("V2G-SDP-RETRY", f"SDP request repeated after {(d.time - prev) * 1000:.1f}"
                                          f" ms < {limit_s * 1000:g} ms - tolerance {tol * 1000:g} ms ({ref})",
                                          time=d.time))
            if n == max_req + 1:
                out.append(budget.finding("V2G-SDP-RETRY", f"more than {max_req} SDP requests without a response "
                                          f"({ref})", time=d.time))
            last_req[d.src] = d.time
    return out


def analyze(paths: list[Path | str], profile: str = "strict", budgets: Budgets | None = None
            ) -> list[CaptureReport]:
    budgets = budgets or Budgets.load()
    return [analyze_capture(p, budgets, profile) for p in paths]


def frame_dict(fr: Frame, t0: float) -> dict[str, Any]:
    """JSON view of one analysed frame (bytes as hex, time relative to the session start)."""
    d: dict[str, Any] = {"index": fr.index, "t_s": round(fr.wall - t0, 6), "timestamp": fr.timestamp,
                         "sender": fr.meta["sender"], "direction": fr.direction.value, "kind": fr.kind,
                         "name": fr.name, "schema": fr.meta.get("schema"), "payload_type": fr.meta["payload_type"],
                         "size": fr.size, "correlation": fr.correlation, "raw_hex": fr.raw.hex()}
    for k in ("session_id", "response_time_ms", "v2gtp_header"):
        if k in fr.meta:
            d[k] = fr.meta[k]
    if fr.body is not None:
        d["body"] = to_json(fr.body)
    if fr.findings:
        d["findings"] = [f.to_dict() for f in fr.findings]
    return d


__all__ = ["analyze", "analyze_capture", "CaptureReport", "SessionReport", "Exchange", "frame_dict", "PROFILES",
           "Capture"]
