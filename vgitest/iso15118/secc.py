"""The SECC role on the network: SDP responder, V2GTP server (TCP or TLS), SAP negotiation and the session loop.

One engine serves two purposes. As the **fake SECC** (``judge=True``) it tests an EV: every request is decoded
and checked (sequence, SessionID, timing, reaction to FAILED codes and to silence), and a test scripts its
answers. As the **reference EVSE** (``judge=False``) it is the device a fake EVCC tests, and its faults are
scripted deviations fixed at start. Every loop waits with a deadline; nothing the EV sends can raise out of a
connection handler: it becomes a finding with the raw bytes in the trace.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import random
import ssl
import time
from typing import Any, Callable

from ..exi import ExiError, encode
from ..findings import Finding, Severity
from ..trace import Frame, Trace
from ..wire import WireLog
from . import family as fam
from . import robustness
from . import rules_live  # noqa: F401  (registers the live rule ids)
from . import sdp
from .judging import Judging
from .link import Link
from .params import EvseParams
from .script import Action, Script, apply_patch
from .timers import Timers
from .v2gtp import FramingLost
from .versions import SDP

PRIORITY_ORDER = ("iso-20", "iso-2", "din")
# The SECC's TCP port, as its SDP answer announces it, is one of the Dynamic Ports of IETF RFC 6335 (ISO 15118-2:2014
# 7.10.1.2, supported ports); EVs refuse an SDP answer with another port (Josev does). The kernel's ephemeral
# range (Linux: 32768-60999) is not that range, so port 0 is never left to the kernel.
DYNAMIC_PORTS = (49152, 65535)
BIND_TRIES = 64
LOOP_REQUESTS = frozenset({"CurrentDemandReq", "ChargingStatusReq"})  # DIN / ISO-2 charge loops


class ACCEPTING:
    """Faults of the reference EVSE that answer OK where a FAILED code is due (fault -> the codes it swallows)."""

    CODES = {"accepts_wrong_energy_transfer": ("FAILED_WrongEnergyTransferType", "FAILED_WrongEnergyTransferMode"),
             "accepts_invalid_payment": ("FAILED_PaymentSelectionInvalid",)}

    @classmethod
    def get_codes(cls, faults: frozenset[str]) -> tuple[str, ...]:
        return tuple(c for f in faults for c in cls.CODES.get(f, ()))


@dataclasses.dataclass
class SeccSession:
    """What happened on one connection (a test reads it after the EV stopped)."""

    link: Link
    started_ns: int
    family: str | None = None
    mode: str | None = None
    session_id: bytes | None = None
    requests: list[Frame] = dataclasses.field(default_factory=list)
    responses: list[Frame] = dataclasses.field(default_factory=list)
    sap_code: str | None = None
    closed_by: str | None = None  # "ev", "secc"
    closed_ns: int | None = None
    end_reason: str = ""
    failed_sent: Frame | None = None
    silent_after: Frame | None = None
    resumed: bool = False
    notice: tuple[str, int] | None = None  # (EVSENotification, loop requests since) the EV has not acted on yet
    scripted: bool = False  # a test's scripted answer was used (the EV may end the session abnormally)
    done: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)

    def names(self) -> list[str]:
        return [f.name or f.kind for f in self.requests]


class SeccServer(Judging):
    def __init__(self, trace: Trace, *, evse: EvseParams | None = None, families: tuple[str, ...] = PRIORITY_ORDER,
                 host: str = "::1", port: int = 0, sdp_host: str = "::", sdp_port: int = 0,
                 ssl_context: ssl.SSLContext | None = None, timers: Timers | None = None, judge: bool = True,
                 script: Script | None = None, faults: frozenset[str] = frozenset(), name: str = "SECC",
                 on_finding: Callable[[Finding], None] | None = None,
                 port_range: tuple[int, int] = DYNAMIC_PORTS) -> None:
        self.trace = trace
        self.port_range = port_range  # where port 0 picks the TCP port
        self.evse = evse or EvseParams()
        self.baseline = dataclasses.replace(self.evse)  # a test that changes the EVSE provokes an abnormal end
        self.families = families
        self.host, self.port = host, port
        self.sdp_host, self.sdp_port = sdp_host, sdp_port
        self.ssl_context = ssl_context
        self.timers = timers or Timers()
        self.judge = judge
        self.script = script or Script()
        self.faults = faults
        self.name = name
        self.sessions: list[SeccSession] = []
        self.wires: list[WireLog] = []
        self.paused: dict[bytes, tuple[str, Any]] = {}  # SessionID -> (family, EVSE logic) of a paused session
        self.sdp_enabled = True
        self.accepting = True
        self._server: asyncio.base_events.Server | None = None
        self._sdp_tr: asyncio.DatagramTransport | None = None
        self._tasks: set[asyncio.Task] = set()
        self._n = 0
        self.evse_hook: Callable[[Any], None] | None = None  # called with each new EVSE logic (tests tweak it)
        self.pnc: Any = None  # Plug & Charge checks and answers (pnc.SeccPnc), ISO-2
        self.tls_expect_refusal: str | None = None  # a test presents a bad certificate: the EV must refuse it
        self.sdp_security_asked: int | None = None  # Security byte of the last SDP request

    # --- lifecycle ------------------------------------------------------------------------------------------
    async def start(self) -> "SeccServer":
        # TLS is started per connection (pnc.accept_tls): it notices an EV that connects without it
        self._server = await self._listen()
        self.port = self._server.sockets[0].getsockname()[1]
        responder = sdp.SdpResponder(self._sdp_answer, self._sdp_seen)
        self._sdp_tr, self.sdp_port = await sdp.start_responder(self.sdp_host, self.sdp_port, responder)
        return self

    async def _listen(self) -> asyncio.base_events.Server:
        """The V2G TCP server: on ``port``, or (port 0) on a random free port in ``port_range``."""
        if self.port:
            return await asyncio.start_server(self._accept, self.host, self.port, reuse_address=True)
        lo, hi = self.port_range
        if not 0 < lo <= hi <= 65535:
            raise ValueError(f"TCP port range {lo}-{hi} is not a range of ports")
        last: OSError | None = None
        for _ in range(BIND_TRIES):
            try:
                return await asyncio.start_server(self._accept, self.host, random.randint(lo, hi), reuse_address=True)
            except OSError as exc:  # in use: try another one
                last = exc
        raise OSError(f"no free TCP port in {lo}-{hi} for the SECC after {BIND_TRIES} tries: {last}")

    async def stop(self) -> None:
        if self._sdp_tr is not None:
            self._sdp_tr.close()
        if self._server is not None:
            self._server.close()
        for t in list(self._tasks):
            t.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=3)

    # --- SDP --------------------------------------------------------------------------------------------------
    def _sdp_answer(self, security: int, transport: int, peer: tuple[str, int]) -> bytes | None:
        self.sdp_security_asked = security
        if not self.sdp_enabled or "no_sdp_answer" in self.faults:
            return None
        offered = sdp.TLS if self.ssl_context is not None else sdp.NO_TLS
        addr = self.host if self.host not in ("::", "0.0.0.0", "") else "::1"
        if "sdp_wrong_port" in self.faults:
            return sdp.response(addr, (self.port + 1) % 65536 or 1, offered)
        if "sdp_bad_header" in self.faults:
            good = sdp.response(addr, self.port, offered)
            return bytes((0x02, 0xFD)) + good[2:]
        return sdp.response(addr, self.port, offered)

    def _sdp_seen(self, d: sdp.Datagram, problem: str | None) -> None:
        from ..trace import Direction
        direction = Direction.OUT if d.sent else Direction.IN
        if not self.judge:
            direction = Direction.IN if d.sent else Direction.OUT
        f = self.trace.append(Frame(d.t_ns, d.wall, direction, "iso15118", SDP, f"sdp[{d.peer[0]}]",
                                    "SDP", "SDPRes" if d.sent else "SDPReq", raw=d.data,
                                    meta={"peer": list(d.peer), **({"local": list(d.local)} if d.local else {})}))
        if problem and self.judge:
            self._find(f, "V2G-SDP-REQUEST", f"invalid SDP request ignored: {problem}")

    # --- connections ----------------------------------------------------------------------------------------
    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._serve(reader, writer)
        except asyncio.CancelledError:
            pass
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        tls_meta: dict[str, Any] = {}
        if self.ssl_context is not None:  # pauses reading before its first await
            from .pnc import accept_tls
            tls_meta = await accept_tls(self, reader, writer)
        self._n += 1
        peer = writer.get_extra_info("peername") or ("?", 0)
        local = writer.get_extra_info("sockname") or ("?", 0)
        conn = f"v2g-{self._n}"
        wire = WireLog(conn, (str(peer[0]), int(peer[1])), (str(local[0]), int(local[1])),
                       tls=writer.get_extra_info("ssl_object") is not None)
        self.wires.append(wire)
        link = Link(reader, writer, self.trace, wire, connection=conn, peer_is_dut=self.judge)
        s = SeccSession(link, time.monotonic_ns())
        self.sessions.append(s)
        if not self.judge:  # the reference EVSE: a fault's "n-th request" counts within each session
            self.script.counts.clear()
        link.event("OPEN", peer=list(peer)[:2], **{"tls": wire.tls, **tls_meta})
        if not self.accepting or tls_meta.get("tls_error"):
            s.end_reason = f"TLS: {tls_meta['tls_error']}" if tls_meta.get("tls_error") else \
                "refused: not accepting sessions"
            await link.close()
            s.closed_by = "secc"
            s.done.set()
            return
        try:
            await self._session(s)
        except FramingLost as exc:
            self._find(link.last_in, "V2G-V2GTP-HEADER", f"framing lost: {exc.args[0]}")
            s.end_reason = f"framing lost: {exc.args[0]}"
            if not self.judge and "crash_on_framing_error" in self.faults:  # a robustness fault (issue 15)
                robustness.crash(self, s.end_reason)
        except (ConnectionError, OSError) as exc:
            s.end_reason = s.end_reason or f"connection error: {exc}"
        except Exception as exc:  # a harness defect must not pass for a DUT finding, nor kill the server
            s.end_reason = f"harness error: {exc!r}"
            link.event("HARNESS-ERROR", error=repr(exc))
        finally:
            if not link.closed and s.closed_by is None:
                s.closed_by = "secc"
            await link.close()
            s.closed_ns = s.closed_ns or time.monotonic_ns()
            link.event("CLOSE", by=s.closed_by, reason=s.end_reason)
            s.done.set()

    async def _read(self, s: SeccSession, timeout: float) -> Frame | None | str:
        """The next frame, None when the EV closed, "timeout" when nothing came in time."""
        try:
            f = await s.link.recv(timeout)
        except asyncio.TimeoutError:
            return "timeout"
        if f is None:
            s.closed_by = s.closed_by or "ev"
            s.closed_ns = time.monotonic_ns()
        return f

    async def _session(self, s: SeccSession) -> None:
        link = s.link
        comm_setup = self.timers.with_tolerance("iso-2", "communication_setup")
        # --- supportedAppProtocol ---
        while True:
            got = await self._read(s, comm_setup)
            if got is None:
                s.end_reason = "EV closed before supportedAppProtocolReq"
                return
            if got == "timeout":
                s.end_reason = "no supportedAppProtocolReq"
                self._find(None, "V2G-SAP-FIRST", f"no supportedAppProtocolReq within {comm_setup:.1f} s of "
                           "the TCP connection")
                return
            assert isinstance(got, Frame)
            if got.meta.get("header_problems"):
                self._find(got, "V2G-V2GTP-HEADER", "; ".join(got.meta["header_problems"]))
                continue
            break
        if got.name != "supportedAppProtocolReq":
            self._find(got, "V2G-SAP-FIRST", f"first message is {got.name or got.meta.get('error')}, not "
                       "supportedAppProtocolReq")
            if got.kind == "MALFORMED":
                self._find(got, "V2G-EXI-DECODE", str(got.meta.get("error")))
            s.end_reason = "no SAP"
            return
        s.requests.append(got)
        offers = (got.body.get("supportedAppProtocolReq") or {}).get("AppProtocol") or []
        chosen, code = self._choose(offers, got)
        schema_id = chosen[1] if chosen else None
        res_body: dict[str, Any] = {"ResponseCode": code}
        if schema_id is not None:
            res_body["SchemaID"] = schema_id
        acts = self.script.take("supportedAppProtocolReq")
        res_body = self._apply_sap_actions(acts, res_body)
        if any(a.silence for a in acts):
            s.silent_after = got
            await self._watch_after(s, "supportedAppProtocolReq", got, failed=False)
            return
        delay = max((a.delay_s for a in acts), default=0.0)
        if delay:
            await asyncio.sleep(delay)
        msg = {"supportedAppProtocolRes": res_body}
        try:
            payload = encode(msg, "app-protocol")
        except ExiError as exc:  # a script asked for something the grammar cannot carry
            payload = b""
            link.event("HARNESS-ERROR", error=str(exc))
        res = await link.send("supportedAppProtocolRes", msg, payload)
        if not delay:
            _note_latency(got, res)
        s.responses.append(res)
        s.sap_code = res_body.get("ResponseCode")
        if chosen is None or str(s.sap_code).startswith("Failed"):
            s.end_reason = "SAP failed"
            if "keeps_open_after_failed" in self.faults:
                await asyncio.sleep(self.timers.value("iso-2", "termination") * 3)
            if self.judge:
                s.failed_sent = res
                await self._watch_after(s, "supportedAppProtocolReq", res, failed=True)
            return
        f = fam.get(chosen[0])
        s.family = f.name
        link.family = f
        link.version = f.name
        await self._loop(s, f)

    def _decode_anyway(self, got: Frame, f: fam.Family) -> Frame:
        """Fault answers_bad_header: treat a frame with a bad header as if it were fine."""
        from ..exi import decode
        try:
            got.body = decode(got.raw[8:], f.schema_of("x"))
            got.name = f.unwrap(got.body)[0]
            got.kind = "REQUEST"
        except ExiError:
            pass
        return got

    def _decode_any_grammar(self, got: Frame) -> Frame:
        """Fault ignores_payload_type (ISO 15118-20): decode with whichever -20 grammar works, whatever the V2GTP
        payload type said."""
        from ..exi import decode
        from .layers import EXI_SCHEMA_BY_PAYLOAD
        for schema in EXI_SCHEMA_BY_PAYLOAD.values():
            try:
                got.body = decode(got.raw[8:], schema)
            except ExiError:
                continue
            got.name = next(iter(got.body), None)
            got.kind = "REQUEST"
            break
        return got

    def _choose(self, offers: list[dict[str, Any]], frame: Frame) -> tuple[tuple[str, int] | None, str]:
        ids = [o.get("SchemaID") for o in offers]
        prios = [o.get("Priority") for o in offers]
        if not offers or len(set(ids)) != len(ids) or len(set(prios)) != len(prios):
            self._find(frame, "V2G-SAP-OFFER", f"offer list {ids} / priorities {prios}: empty or not distinct")
        best: tuple[int, str, int, int] | None = None
        for o in offers:
            f = fam.by_namespace(str(o.get("ProtocolNamespace")))
            if f is None or f.name not in self.families or o.get("VersionNumberMajor") != f.major:
                continue
            if "sap_ignores_priority" in self.faults:
                prio = PRIORITY_ORDER.index(f.name)  # its own preference: -20, then -2, then DIN
            else:
                prio = int(o.get("Priority") or 99)
            key = (prio, f.name, int(o.get("SchemaID") or 0), int(o.get("VersionNumberMinor") or 0))
            if best is None or key < best:
                best = key
        if best is None or "sap_no_negotiation" in self.faults or (
                "sap_rejects_unknown_namespace" in self.faults
                and any(fam.by_namespace(str(o.get("ProtocolNamespace"))) is None for o in offers)):
            return None, "Failed_NoNegotiation"
        code = "OK_SuccessfulNegotiation" if best[3] == fam.get(best[1]).minor else \
            "OK_SuccessfulNegotiationWithMinorDeviation"
        sid = best[2] + (100 if "sap_wrong_schema_id" in self.faults else 0)  # one the EV never offered
        return (best[1], sid), code

    def _apply_sap_actions(self, acts: list[Action], body: dict[str, Any]) -> dict[str, Any]:
        for a in acts:
            if a.code:
                body["ResponseCode"] = a.code
            body = apply_patch(body, a.patch)
        return body

    async def _loop(self, s: SeccSession, f: fam.Family) -> None:
        link = s.link
        logic: fam.EvseLogic | None = None
        prev: str | None = None
        last_res_name = "supportedAppProtocolRes"
        ongoing_since: dict[str, int] = {}
        while True:
            seq = self.timers.value(f.name, "secc_sequence_timeout", fam.base(last_res_name))
            if "ignores_sequence_timeout" in self.faults:
                seq = seq * 20
            elif "early_sequence_close" in self.faults:
                seq = seq * 0.2
            seq_tol = self.timers.tolerance(f.name, "secc_sequence_timeout", fam.base(last_res_name), limit=seq) \
                if self.judge else 0.0  # judging an EV: it is late only beyond the tolerance
            got = await self._read(s, seq + seq_tol)
            if got is None:
                if self.judge and prev != "SessionStop" and not (s.failed_sent or s.silent_after or s.scripted
                                                                             or self.evse.excuses_an_early_stop(
                                                                                 self.baseline)):
                    self._find(None, "V2G-SESSION-STOP", f"the EV closed the connection after {prev or 'SAP'} "
                               "without SessionStop")
                s.end_reason = s.end_reason or "EV closed"
                return
            if got == "timeout":
                if self.judge:
                    self._find(None, "V2G-SEQUENCE-TIMEOUT", f"no request within V2G_SECC_Sequence_Timeout "
                               f"({seq:.3g} s, tolerance {seq_tol:.3g} s) after {last_res_name}", budget_s=seq,
                               tolerance_s=seq_tol)
                s.end_reason = "sequence timeout"
                return
            assert isinstance(got, Frame)
            if got.meta.get("header_problems"):
                self._find(got, "V2G-V2GTP-HEADER", "; ".join(got.meta["header_problems"]))
                if "answers_bad_header" not in self.faults:
                    continue  # an invalid header is ignored
                got = self._decode_anyway(got, f)
            if (got.kind == "MALFORMED" or got.name is None) and "ignores_payload_type" in self.faults:
                got = self._decode_any_grammar(got)
            if got.kind == "MALFORMED" or got.name is None:
                self._find(got, "V2G-EXI-DECODE", str(got.meta.get("error")))
                s.end_reason = "undecodable request"
                if not self.judge and await self._undecodable_fault(s, f, got, logic, prev):
                    continue
                return
            name, body, sid = f.unwrap(got.body)
            s.requests.append(got)
            if not name.endswith("Req"):
                self._find(got, "V2G-SEQUENCE", f"{name} is not a request")
                return
            b = fam.base(name)
            if self.judge and link.last_out is not None:
                perf = self.timers.value(f.name, "evcc_sequence_performance", fam.base(last_res_name))
                tol = self.timers.tolerance(f.name, "evcc_sequence_performance", fam.base(last_res_name), limit=perf)
                gap = (got.t_ns - link.last_out.t_ns) / 1e9
                if gap > perf + tol:
                    self._find(got, "V2G-EVCC-SEQUENCE-PERFORMANCE", f"{name} {gap * 1000:.0f} ms after "
                               f"{last_res_name} (V2G_EVCC_Sequence_Performance_Time {perf:.3f} s, tolerance "
                               f"{tol * 1000:.0f} ms)", severity=self.timers.severity(Severity.WARN, True),
                               gap_ms=round(gap * 1000, 3), tolerance_s=tol)
            if s.failed_sent is not None or s.silent_after is not None:  # judged in _watch_after
                pass
            # --- session id, sequence ---
            failure: str | None = None
            if name == "SessionSetupReq":
                if prev is not None:
                    failure = "FAILED_SequenceError"
                    self._find(got, "V2G-SEQUENCE", f"SessionSetupReq again after {prev}Req")
                else:
                    if self.judge and self.paused and not (sid and any(sid)):
                        self._find(got, "V2G-SESSION-RESUME", "SessionSetupReq with SessionID 0 although the EV "
                                   "paused session " + ", ".join(k.hex() for k in self.paused) + " with this SECC")
                        self.paused.clear()
                    s.resumed = bool(sid and any(sid) and sid in self.paused)
                    if s.resumed:
                        fam_name, logic = self.paused.pop(sid)
                        s.session_id = sid
                    else:
                        s.session_id = os.urandom(8) if "zero_session_id" not in self.faults else bytes(8)
                        if "reuses_session_id" in self.faults and not self.judge:  # a life-cycle fault (issue 15)
                            s.session_id = getattr(self, "_last_new_sid", None) or s.session_id
                            self._last_new_sid = s.session_id
                        logic = f.evse(self.evse)
                    if self.evse_hook is not None:
                        self.evse_hook(logic)
            else:
                if (logic is None or prev is None) and "no_sequence_error" in self.faults:
                    logic = logic or f.evse(self.evse)
                    s.session_id = s.session_id or os.urandom(8)
                elif logic is None or prev is None:
                    failure = "FAILED_SequenceError"
                    self._find(got, "V2G-SESSION-SETUP-FIRST", f"{name} before SessionSetupReq")
                elif sid != s.session_id and "accepts_unknown_session" not in self.faults:
                    failure = "FAILED_UnknownSession"
                    self._find(got, "V2G-SESSION-ID", f"{name} carries SessionID {sid.hex() if sid else None}, "
                               f"the SECC assigned {s.session_id.hex() if s.session_id else None}")
                elif b not in f.follows.get(prev, set()) and "no_sequence_error" not in self.faults and not (
                        not self.judge and robustness.evse_allows(self, s.requests, prev, b)):
                    failure = "FAILED_SequenceError"
                    self._find(got, "V2G-SEQUENCE", f"{name} may not follow {prev}Req")
            if self.judge:
                self._judge_request(s, f, got, name, body, ongoing_since)
                if s.end_reason.startswith("the EV repeated"):
                    return
                if b == "PowerDelivery" and failure is None and logic is not None and _starts_power(body):
                    tgt, now_v = getattr(logic, "target_v", 0.0), getattr(logic, "present_v", 0.0)
                    if tgt and abs(tgt - now_v) > 20:
                        self._find(got, "V2G-EV-PARAMETERS", f"PowerDeliveryReq starts charging while the EVSE's "
                                   f"voltage is {now_v:.0f} V, not the {tgt:.0f} V the EV asked for in PreCharge")
            if logic is None:
                logic = f.evse(self.evse)
            if not self.judge and failure is None:  # the reference EVSE checks what EXI does not (issue 15)
                if robustness.evse_crashes(self, name, body):
                    s.end_reason = "crashed (robustness fault)"
                    return
                failure = robustness.evse_refuses(self, got.body, f.schema_of(name), name, body)
            if self.pnc is not None and failure is None:  # Plug & Charge: chains, signatures, GenChallenge
                if self.judge:
                    self.pnc.check_receipt_due(self, s, got, name)
                failure = self.pnc.check_request(self, got, name, body, logic)
            # --- the answer ---
            acts = self.script.take(name)
            s.scripted = s.scripted or bool(acts)
            if self.judge:
                self._judge_notification(s, got, name, body)
            if failure is not None:
                res_name, res_body = logic.failed(name, failure)
            else:
                try:
                    res_name, res_body = logic.respond(name, body)
                except Exception as exc:  # the EVSE logic met a request it cannot use: a protocol FAILED answer
                    got.meta["harness_note"] = f"EVSE logic: {exc!r}"
                    res_name, res_body = logic.failed(name, "FAILED")
                    failure = "FAILED"
            if "exceeds_current" in self.faults and "EVSEPresentCurrent" in res_body:
                pc = res_body["EVSEPresentCurrent"]  # ten times what it should deliver (still encodable)
                exp = "Exponent" if "Exponent" in pc else "Multiplier"  # ISO-20 RationalNumber / DIN, -2 PhysicalValue
                res_body["EVSEPresentCurrent"] = dict(pc, **{exp: pc.get(exp, 0) + 1}, Value=pc["Value"] or 10)
            if "renegotiation_refused" in self.faults and body.get("ChargeProgress") == "Renegotiate":
                res_body["ResponseCode"] = "FAILED"
            if res_body.get("ResponseCode") in ACCEPTING.get_codes(self.faults):
                res_body["ResponseCode"] = "OK"
            if s.resumed and name == "SessionSetupReq" and failure is None:
                res_body["ResponseCode"] = "OK_OldSessionJoined"
            for a in acts:
                if a.code:
                    res_body["ResponseCode"] = a.code
                if a.processing:
                    res_body["EVSEProcessing"] = a.processing
                res_body = apply_patch(res_body, a.patch)
            inst = next((a.send_instead for a in acts if a.send_instead is not None), None)
            if inst is not None:
                res_name, res_body = inst[0], dict(inst[1])
            if any(a.silence for a in acts):
                s.silent_after = got
                await self._watch_after(s, name, got, failed=False)
                return
            if any(a.close for a in acts):
                s.end_reason = "scripted close"
                s.closed_by = "secc"
                return
            delay = max((a.delay_s for a in acts), default=0.0)
            if delay:
                await asyncio.sleep(delay)
            sid_out = next((a.session_id for a in acts if a.session_id is not None), s.session_id or bytes(8))
            res = await self._send(s, f, res_name, res_body, sid_out, acts)
            if not delay:  # a scripted delay is the test's, not the harness's
                _note_latency(got, res)
            s.responses.append(res)
            last_res_name = res_name
            code = str(res_body.get("ResponseCode", ""))
            if name == "SessionStopReq" and failure is None:
                if (body.get("ChargingSession") == "Pause") and s.session_id and "no_session_resume" not in self.faults:
                    self.paused[s.session_id] = (f.name, logic)
                await self._await_close(s, res)
                return
            if code.startswith("FAILED"):
                s.failed_sent = res
                keep = self.judge and all(a.keep_open for a in acts)
                if keep:
                    await self._watch_after(s, name, res, failed=True)
                    return
                if "keeps_open_after_failed" not in self.faults:
                    s.end_reason = f"answered {code}"
                    s.closed_by = "secc"
                    return
            prev = b if failure is None else prev

    async def _undecodable_fault(self, s: SeccSession, f: fam.Family, got: Frame, logic: Any, prev: str | None) -> bool:
        """The reference EVSE's faults for a request it cannot decode (issue 15); True: the session goes on."""
        if "hang_on_unknown_enum" in self.faults and robustness.unknown_enum(got.meta.get("error")):
            robustness.crash(self, "hung on an unknown enumeration index")
            await asyncio.sleep(robustness.DOWN_S)
            return False
        if "answers_undecodable" in self.faults:
            guess = "SessionSetupReq" if prev is None else next((n for b, n in _NEXT_GUESS if b == prev), "SessionStopReq")
            logic = logic or f.evse(self.evse)
            res_name, res_body = logic.skeleton(guess)
            await self._send(s, f, res_name, res_body, s.session_id or bytes(8), [])
            return True
        return False

    async def _send(self, s: SeccSession, f: fam.Family, name: str, body: dict[str, Any], sid: bytes,
                    acts: list[Action]) -> Frame:
        link = s.link
        raw_payload = next((a.payload for a in acts if a.payload is not None), None)
        header = next((a.header for a in acts if a.header is not None), None)
        pt = next((a.payload_type for a in acts if a.payload_type is not None), None)
        msg = f.wrap(name, body, sid)
        if self.pnc is not None:
            msg = self.pnc.outgoing(name, msg)
        if raw_payload is None:
            try:
                payload = encode(msg, f.schema_of(name))
            except ExiError as exc:
                link.event("HARNESS-ERROR", error=f"cannot encode {name}: {exc}")
                raise ConnectionError(f"cannot encode {name}: {exc}") from None
        else:
            payload = raw_payload
        return await link.send(name, msg, payload, pt or f.payload_type_of(name), header=header)

    def _judge_request(self, s: SeccSession, f: fam.Family, frame: Frame, name: str, body: dict[str, Any],
                       ongoing_since: dict[str, int]) -> None:
        """EV-side checks on one request: parameters, and how long it kept repeating an Ongoing request."""
        from .params import from_physical, from_rational
        b = fam.base(name)
        if s.responses and len(s.requests) >= 2 and s.requests[-2].name != name and name != "SessionStopReq":
            _, lastres, _ = f.unwrap(s.responses[-1].body or {}) if s.responses[-1].body else ("", {}, None)
            if lastres.get("EVSEProcessing") in ("Ongoing", "Ongoing_WaitingForCustomerInteraction"):
                self._find(frame, "V2G-SEQUENCE", f"{name} after {s.responses[-1].name} said EVSEProcessing="
                           f"{lastres.get('EVSEProcessing')} (the EV must repeat {s.requests[-2].name})")
        if s.responses and s.requests[-2:-1] and (s.requests[-2].name == name):
            prev_res = s.responses[-1].body or {}
            _, pbody, _ = f.unwrap(prev_res) if prev_res else ("", {}, None)
            if pbody.get("EVSEProcessing") in ("Ongoing", "Ongoing_WaitingForCustomerInteraction") or b in (
                    "PreCharge", "DC_PreCharge"):
                first = ongoing_since.setdefault(b, s.requests[-2].t_ns)
                limit = self._ongoing_limit(f.name, b)
                limit += self._ongoing_tolerance(f.name, b, limit)  # the EV's own clock started a little later
                if (frame.t_ns - first) / 1e9 > limit:
                    s.end_reason = f"the EV repeated {name} beyond its timeout; the SECC ends the session"
                    self._find(frame, "V2G-ONGOING-TIMEOUT", f"{name} still repeated {(frame.t_ns - first) / 1e9:.1f} "
                               f"s after the first Ongoing answer (limit {limit:.1f} s)", limit_s=limit)
        else:
            ongoing_since.pop(b, None)
        if name in ("CurrentDemandReq",):
            tgt = from_physical(body.get("EVTargetCurrent"))
            mx = from_physical(body.get("EVMaximumCurrentLimit"))
            if tgt is not None and mx is not None and tgt > mx + 1e-6:
                self._find(frame, "V2G-EV-PARAMETERS", f"EVTargetCurrent {tgt} A above its own "
                           f"EVMaximumCurrentLimit {mx} A")
        if name == "DC_ChargeLoopReq":
            mode = next((v for k, v in body.items() if k.endswith("CLReqControlMode") and isinstance(v, dict)), {})
            tgt = from_rational(mode.get("EVTargetCurrent"))
            mx = from_rational(mode.get("EVMaximumChargeCurrent"))
            if tgt is not None and mx is not None and tgt > mx + 1e-6:
                self._find(frame, "V2G-EV-PARAMETERS", f"EVTargetCurrent {tgt} A above its own "
                           f"EVMaximumChargeCurrent {mx} A")

    def _judge_notification(self, s: SeccSession, frame: Frame, name: str, body: dict[str, Any]) -> None:
        """An EVSENotification (StopCharging, ReNegotiation) with NotificationMaxDelay 0 wants the EV to act at its
        next request; two more charge-loop requests are tolerated (one may already be on its way)."""
        if s.notice is not None:
            kind, n = s.notice
            if name in LOOP_REQUESTS:
                s.notice = (kind, n + 1)
                if n + 1 == 3:
                    self._find(frame, "V2G-EVSE-NOTIFICATION", f"the EV is still in the charge loop ({name}) three "
                               f"requests after the EVSE asked for {kind}")
            else:
                s.notice = None
        if s.responses:
            last = s.responses[-1].body
            _, lbody, _ = s.link.family.unwrap(last) if last and s.link.family else ("", {}, None)
            for k, v in lbody.items():
                if k.endswith("EVSEStatus") and isinstance(v, dict) and v.get("EVSENotification") in (
                        "StopCharging", "ReNegotiation") and s.notice is None and name in LOOP_REQUESTS:
                    s.notice = (v["EVSENotification"], 0)

    def _ongoing_tolerance(self, family: str, b: str, limit: float) -> float:
        kind = "cablecheck_loop" if b in ("CableCheck", "DC_CableCheck") else "precharge_loop" if b in (
            "PreCharge", "DC_PreCharge") else "ongoing_timeout"
        return self.timers.tolerance(family, kind, limit=limit)

    def _ongoing_limit(self, family: str, b: str) -> float:
        if b in ("CableCheck", "DC_CableCheck"):
            return self.timers.phase(family, "cablecheck_loop", "evcc")
        if b in ("PreCharge", "DC_PreCharge"):
            return self.timers.phase(family, "precharge_loop", "evcc")
        return self.timers.value(family, "ongoing_timeout")

    async def _watch_after(self, s: SeccSession, req_name: str, frame: Frame, *, failed: bool) -> None:
        """After a FAILED answer (or none at all) the EV must send nothing more and close the connection in time."""
        f = s.link.family
        fam_name = f.name if f else "iso-2"
        limit = self.timers.with_tolerance(fam_name, "termination")
        if failed:
            rule, what = "V2G-STOP-AFTER-FAILED", f"after {frame.name} with a FAILED code"
        else:
            limit += self.timers.with_tolerance(fam_name, "evcc_msg_timeout", fam.base(req_name))
            rule, what = "V2G-EVCC-TIMEOUT", f"after {req_name} went unanswered"
        deadline = time.monotonic() + limit
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self._find(None, rule, f"the EV kept the connection open {limit:.1f} s {what}", limit_s=limit)
                s.end_reason = f"EV did not close {what}"
                return
            got = await self._read(s, left)
            if got is None:
                s.end_reason = f"EV closed {what}"
                return
            if got == "timeout":
                continue
            assert isinstance(got, Frame)
            s.requests.append(got)
            self._find(got, rule, f"the EV sent {got.name or 'a frame'} {what}")

    async def _await_close(self, s: SeccSession, res: Frame) -> None:
        """After SessionStopRes the EV closes the connection ([V2G2-508]/[V2G2-025], [V2G-DC-937], [V2G20-1463]); an
        SECC gives it at least 5 s ([V2G20-1633]; DIN: 5 s, then closes within 1 s, [V2G-DC-938]). This SECC waits
        the termination time plus its tolerance, so an EV that closes when it must is never beaten to it."""
        wait = self.timers.with_tolerance(s.family or "iso-2", "termination")
        deadline = time.monotonic() + wait
        while (left := deadline - time.monotonic()) > 0:
            got = await self._read(s, left)
            if got is None:
                s.end_reason = "session stopped"
                return
            if isinstance(got, Frame):
                s.requests.append(got)
                self._find(got, "V2G-SEQUENCE", f"{got.name or 'a frame'} after SessionStopRes")
        s.end_reason = f"session stopped; the EV kept the connection open {wait:.1f} s after SessionStopRes, the " \
            "SECC closed it"
        s.closed_by = "secc"


# answers_undecodable: the request the reference EVSE expects after each one (what it answers instead)
_NEXT_GUESS = (("SessionSetup", "ServiceDiscoveryReq"), ("ServiceDiscovery", "PaymentServiceSelectionReq"),
               ("PaymentServiceSelection", "AuthorizationReq"), ("Authorization", "ChargeParameterDiscoveryReq"),
               ("ChargeParameterDiscovery", "CableCheckReq"), ("CableCheck", "PreChargeReq"),
               ("PreCharge", "PowerDeliveryReq"), ("PowerDelivery", "CurrentDemandReq"),
               ("CurrentDemand", "CurrentDemandReq"), ("WeldingDetection", "SessionStopReq"))


def _starts_power(body: dict[str, Any]) -> bool:
    """Whether a PowerDeliveryReq starts energy transfer (DIN ReadyToChargeState, ISO-2/-20 ChargeProgress)."""
    return bool(body.get("ReadyToChargeState")) or body.get("ChargeProgress") == "Start"


def _note_latency(req: Frame, res: Frame) -> None:
    """The harness's own turnaround for one answer: from the socket time the request's last byte arrived to the
    moment the response went to the socket (decode, checks, EVSE logic, encode, trace), in µs."""
    if req.t_ns and res.t_ns >= req.t_ns:
        res.meta["harness_latency_us"] = round((res.t_ns - req.t_ns) / 1000, 1)
