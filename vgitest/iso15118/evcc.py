"""The EVCC role on the network: SDP discovery with retries, TCP/TLS connect, SAP offer and the request loop.

As the **fake EVCC** (``judge=True``) it tests an EVSE: each response is checked (type, SessionID, response
code, performance time measured at the socket, EVSE limits, phase budgets), a test scripts deviations of the
requests (sequence errors, wrong SessionIDs, bad headers, silence) and the expected reaction is judged. As the
**reference EV** (``judge=False``) it is the device a fake SECC tests, its faults fixed at start.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import ssl
import time
from typing import Any

from ..exi import ExiError, encode
from ..findings import Severity
from ..trace import Direction, Frame, Trace
from ..wire import WireLog
from . import family as fam
from . import robustness
from . import rules_live  # noqa: F401
from . import sdp
from .judging import Judging
from .link import Link
from .params import EvParams, from_physical, from_rational
from .script import Script, apply_patch
from .secc import DYNAMIC_PORTS
from .timers import Timers
from .versions import SDP

OK_PREFIX = ("OK",)


def unverified_tls() -> ssl.SSLContext:
    """A client context that does not check the SECC's certificate (the Plug & Charge cases give their own)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    return ctx


def secc_host(ans: Any, sdp_target: str) -> str:
    """The address of an SDP answer; a link-local one gets the scope (interface) SDP was sent on."""
    host = ans.address
    if host.startswith("fe80") and "%" in sdp_target:
        host = f"{host}%{sdp_target.split('%', 1)[1]}"
    return host


async def connect_secc(host: str, port: int, ctx: ssl.SSLContext | None) -> tuple[Any, Any]:
    """TCP (TLS with ``ctx``) to the SECC, bounded: OSError, TimeoutError or SSLError when it takes none."""
    return await asyncio.wait_for(asyncio.open_connection(host, port, ssl=ctx), 5)


@dataclasses.dataclass
class EvccSession:
    family: str | None = None
    mode: str = "DC"
    session_id: bytes | None = None
    sap_code: str | None = None
    sdp: sdp.SdpAnswer | None = None
    exchanges: list[tuple[Frame, Frame | None]] = dataclasses.field(default_factory=list)
    closed_by: str | None = None  # "secc" or "evcc"
    closed_after_s: float | None = None  # how long after the last frame the SECC closed
    end_reason: str = ""
    completed: bool = False  # SessionStopRes received
    soc: float | None = None
    link: Link | None = None

    def names(self) -> list[str]:
        return [r.name or r.kind for r, _ in self.exchanges]

    def response(self, name: str, nth: int = 1) -> Frame | None:
        hits = [res for req, res in self.exchanges if res is not None and res.name == name]
        return hits[nth - 1] if len(hits) >= nth else None


class EvccClient(Judging):
    def __init__(self, trace: Trace, *, ev: EvParams | None = None, offers: tuple[str, ...] = ("iso-2",),
                 mode: str = "DC", sdp_target: str = "::1", sdp_port: int = sdp.SDP_PORT,
                 ssl_context: ssl.SSLContext | None = None, want_tls: bool = False, timers: Timers | None = None,
                 judge: bool = True, script: Script | None = None, faults: frozenset[str] = frozenset(),
                 name: str = "EVCC", sdp_retries: int = sdp.MAX_REQUESTS) -> None:
        self.trace = trace
        self.ev = ev or EvParams()
        self.offers = offers
        self.secc_supports: tuple[str, ...] = ()  # the families the EVSE under test declares (judges its SAP choice)
        self.mode = mode
        self.sdp_target, self.sdp_port = sdp_target, sdp_port
        self.ssl_context = ssl_context
        self.want_tls = want_tls
        self.timers = timers or Timers()
        self.judge = judge
        self.script = script or Script()
        self.faults = faults
        self.name = name
        self.sdp_retries = sdp_retries
        self.wires: list[WireLog] = []
        self.sessions: list[EvccSession] = []
        self._n = 0
        self.last_session_id: bytes | None = None  # of a paused session, to resume
        self.ev_hook: Any = None  # called with each new EV logic (tests set control mode, pause, ...)
        self.pnc: Any = None  # Plug & Charge signing and checks (pnc.EvPnc), ISO-2
        self.tls_required = False  # the EVSE declares TLS (PICS Tls): an SDP answer without it is a finding

    def _sdp_frames(self, log: list[sdp.Datagram]) -> None:
        for d in log:
            direction = Direction.OUT if d.sent == self.judge else Direction.IN
            meta: dict[str, Any] = {"peer": list(d.peer)}
            if d.local is not None:  # the EVCC's own UDP address: with it the SDP exchange goes into the pcapng
                meta["local"] = list(d.local)
            self.trace.append(Frame(d.t_ns, d.wall, direction, "iso15118", SDP, "sdp", "SDP",
                                    "SDPReq" if d.sent else "SDPRes", raw=d.data, meta=meta))

    # --- one session ----------------------------------------------------------------------------------------
    async def run(self, *, resume: bool = False, pause: bool = False, deadline_s: float = 120.0) -> EvccSession:
        """Discover, connect, negotiate and run one session to its end (bounded by ``deadline_s``)."""
        s = EvccSession(mode=self.mode)
        self.sessions.append(s)
        try:
            await asyncio.wait_for(self._run(s, resume, pause), deadline_s)
        except asyncio.TimeoutError:
            s.end_reason = s.end_reason or f"session did not end within {deadline_s:.0f} s"
            self._find(None, "V2G-NO-RESPONSE", s.end_reason)
        except (ConnectionError, OSError) as exc:
            s.end_reason = s.end_reason or f"connection error: {exc}"
        finally:
            if s.link is not None:
                await s.link.close()
                s.link.event("CLOSE", Direction.OUT if self.judge else Direction.IN, by=s.closed_by or "evcc",
                             reason=s.end_reason)
        return s

    async def _run(self, s: EvccSession, resume: bool, pause: bool) -> None:
        want = sdp.TLS if self.want_tls else sdp.NO_TLS
        log: list[sdp.Datagram] = []
        payload = None
        if "sdp_bad_request" in self.faults:
            payload = bytes((0x01, 0xFE, 0x90, 0x00, 0, 0, 0, 2, 0x55, 0x55))
        ans = await sdp.discover(self.sdp_target, self.sdp_port, security=want, retry_s=sdp.RETRY_S,
                                 max_requests=self.sdp_retries, log=log, payload=payload)
        self._sdp_frames(log)
        if ans is None:
            s.end_reason = f"no SDP answer after {self.sdp_retries} request(s)"
            self._find(None, "V2G-SDP-ANSWER", f"no valid SDP response to {self.sdp_retries} request(s) sent to "
                       f"[{self.sdp_target}]:{self.sdp_port}")
            return
        s.sdp = ans
        lo, hi = DYNAMIC_PORTS
        if not lo <= ans.port <= hi:
            self._find(None, "V2G-SDP-ANSWER", f"SDP response announces TCP port {ans.port}, outside the dynamic ports "
                       f"{lo}-{hi} (ISO 15118-2:2014 7.10.1.2); EVs refuse such an answer", port=ans.port)
        if ans.transport != sdp.TCP:
            self._find(None, "V2G-SDP-ANSWER", f"SDP response offers transport {ans.transport:#04x}, not TCP")
        tls = ans.security == sdp.TLS
        if self.want_tls and not tls and self.tls_required:
            self._find(None, "V2G-TLS", "the SDP answer offers no TLS although the EV asked for it and the EVSE "
                       "declares TLS (PICS Tls)")
        if "no_tls" in self.faults:
            tls = False
        ctx = (self.ssl_context or unverified_tls()) if tls else None
        host = secc_host(ans, self.sdp_target)
        try:
            reader, writer = await connect_secc(host, ans.port, ctx)
        except (OSError, asyncio.TimeoutError, ssl.SSLError) as exc:
            s.end_reason = f"cannot connect to [{host}]:{ans.port}: {exc!r}"
            if tls and isinstance(exc, (ssl.SSLError, ConnectionResetError)):
                from .pnc import _describe
                self._find(None, "V2G-TLS", f"TLS handshake with the SECC failed: {_describe(exc)}")
                return
            self._find(None, "V2G-SDP-ANSWER", f"the SDP answer's address [{host}]:{ans.port} takes no connection: "
                       f"{exc!r}")
            return
        self._n += 1
        local = writer.get_extra_info("sockname") or ("?", 0)
        peer = writer.get_extra_info("peername") or ("?", 0)
        wire = WireLog(f"v2g-{self._n}", (str(local[0]), int(local[1])), (str(peer[0]), int(peer[1])), tls=tls,
                       harness_is_client=True)
        self.wires.append(wire)
        link = s.link = Link(reader, writer, self.trace, wire, connection=wire.connection, peer_is_dut=self.judge)
        from .pnc import tls_meta
        meta = tls_meta(writer)
        link.event("OPEN", Direction.OUT if self.judge else Direction.IN, peer=list(peer)[:2], tls=tls, **meta)
        if "no_sap" in self.faults:
            f: fam.Family | None = fam.get(self.offers[0])
            link.family, link.version, s.family = f, f.name, f.name
        else:
            f = await self._sap(s, link)
        if f is None and "stops_after_failed_sap" in self.faults and s.sap_code:
            f = fam.get(self.offers[0])
            link.family, link.version, s.family = f, f.name, f.name
        if f is None:
            return
        want_version = "TLSv1.3" if f.name == "iso-20" else "TLSv1.2"
        if tls and f.name in ("iso-2", "iso-20") and meta.get("tls_version") != want_version:
            self._find(None, "V2G-TLS", f"{f.name} session over {meta.get('tls_version')} (needs {want_version})")
        logic = f.ev(self.ev, self.mode)
        logic.pause = pause
        if self.ev_hook is not None:
            self.ev_hook(logic)
        if self.pnc is not None:
            self.pnc.attach(logic)
        await self._loop(s, link, f, logic, resume)

    async def _sap(self, s: EvccSession, link: Link) -> fam.Family | None:
        offers = []
        for i, name in enumerate(self.offers, start=1):
            f = fam.get(name)
            ns = f.namespace
            if name == "iso-20" and self.mode.startswith("AC"):
                ns = getattr(__import__(f"{__package__}.iso20", fromlist=["NAMESPACES"]), "NAMESPACES", {}).get(
                    "AC", ns)
            offers.append({"ProtocolNamespace": ns, "VersionNumberMajor": f.major, "VersionNumberMinor": f.minor,
                           "SchemaID": i, "Priority": i})
        if "sap_unknown_namespace_only" in self.faults:
            offers = [{"ProtocolNamespace": "urn:vgitest:unknown:2026", "VersionNumberMajor": 1,
                       "VersionNumberMinor": 0, "SchemaID": 1, "Priority": 1}]
        if "sap_duplicate_ids" in self.faults:
            offers.append(dict(offers[0], ProtocolNamespace="urn:iso:15118:2:2013:MsgDef"))
        acts = self.script.take("supportedAppProtocolReq")
        body: dict[str, Any] = {"AppProtocol": offers}
        for a in acts:
            body = apply_patch(body, a.patch)
        msg = {"supportedAppProtocolReq": body}
        req = await link.send("supportedAppProtocolReq", msg, encode(msg, "app-protocol"))
        res = await self._response(s, link, req, self._msg_wait("iso-2", "SupportedAppProtocol"))
        s.exchanges.append((req, res))
        if res is None:
            return None
        body = (res.body or {}).get("supportedAppProtocolRes") or {}
        s.sap_code = str(body.get("ResponseCode"))
        expect = next((a.expect_code for a in acts if a.expect_code), None)
        if expect:
            if s.sap_code != expect:
                self._find(res, "V2G-SAP-CHOICE", f"supportedAppProtocolRes {s.sap_code}, expected {expect}")
            if s.sap_code.startswith("Failed"):
                await self._await_secc_close(s, link, res)
                return None
        if s.sap_code.startswith("Failed"):
            s.end_reason = "SAP failed"
            if not expect:
                self._find(res, "V2G-SAP-CHOICE", "supportedAppProtocolRes Failed_NoNegotiation to an offer the "
                           "SECC declares it supports")
            return None
        sid = body.get("SchemaID")
        sent = (req.body or {}).get("supportedAppProtocolReq", {}).get("AppProtocol") or offers
        chosen = next((o for o in sent if o.get("SchemaID") == sid), None)
        if chosen is None:
            self._find(res, "V2G-SAP-RESULT", f"SchemaID {sid} was not offered ({[o['SchemaID'] for o in offers]})")
            s.end_reason = "SAP chose an unknown SchemaID"
            return None
        f = fam.by_namespace(chosen["ProtocolNamespace"])
        assert f is not None
        best = min((o for o in sent if (g := fam.by_namespace(str(o.get("ProtocolNamespace")))) is not None
                    and g.name in self.secc_supports), key=lambda o: o.get("Priority", 99), default=None)
        if best is not None and best is not chosen and _priority(chosen) > _priority(best):
            # Priority 1 is the highest ([V2G2-167]); an EVSE that picks an entry with a *higher* priority than every
            # one its profile declares speaks more than the profile says: a profile matter, not an EVSE defect
            self._find(res, "V2G-SAP-CHOICE", f"SchemaID {sid} ({chosen['ProtocolNamespace']}, priority "
                       f"{chosen.get('Priority')}) chosen; the EVSE declares {best['ProtocolNamespace']} too, offered "
                       f"with the higher priority {best.get('Priority')} (1 is the highest)")
        s.family = f.name
        link.family = f
        link.version = f.name
        return f

    async def _response(self, s: EvccSession, link: Link, req: Frame, wait: float) -> Frame | None:
        """The response to ``req`` (None: none within ``wait`` or the SECC closed); judges type and timing."""
        deadline = time.monotonic() + wait
        while True:
            left = deadline - time.monotonic()
            try:
                got = await link.recv(max(left, 0.001))
            except asyncio.TimeoutError:
                s.end_reason = f"no response to {req.name} within {wait:.3f} s"
                self._find(req, "V2G-NO-RESPONSE", s.end_reason, wait_s=wait)
                return None
            if got is None:
                s.closed_by = "secc"
                s.end_reason = f"the SECC closed the connection instead of answering {req.name}"
                self._find(req, "V2G-NO-RESPONSE", s.end_reason)
                return None
            if got.meta.get("header_problems"):
                self._find(got, "V2G-V2GTP-HEADER", "; ".join(got.meta["header_problems"]))
                continue
            if got.kind == "MALFORMED":
                self._find(got, "V2G-EXI-DECODE", str(got.meta.get("error")))
                s.end_reason = "undecodable response"
                if not self.judge and await self._undecodable_fault(s, link, req, got):
                    continue
                return None
            want = (req.name or "")[:-3] + "Res"
            if not self.judge and got.name == want:  # the reference EV checks what EXI does not (issue 15)
                if robustness.ev_crashes(self, got.body):
                    s.end_reason, s.closed_by = "crashed (robustness fault)", "evcc"
                    return None
                why = robustness.ev_refuses(self, got.body, link.family.schema_of(got.name) if link.family else
                                            "app-protocol")
                if why:
                    s.end_reason = f"{got.name} unusable: {why}"
                    return None
            if got.name != want:  # an EVCC stops the session on an unexpected message; going on would loop
                self._find(got, "V2G-UNEXPECTED-RESPONSE", f"{got.name} in answer to {req.name}")
                s.end_reason = f"{got.name} in answer to {req.name}: the EVCC stopped the session"
                return None
            dt = (got.t_ns - req.t_ns) / 1e9
            got.meta["response_time_ms"] = round(dt * 1000, 3)
            if s.family and self.judge:
                b = fam.base(req.name or "")
                perf = self.timers.value(s.family, "secc_msg_performance", b)
                tol = self.timers.tolerance(s.family, "secc_msg_performance", b, limit=perf)
                if dt > perf + tol:
                    self._find(got, "V2G-SECC-PERFORMANCE", f"{got.name} {dt * 1000:.1f} ms after {req.name} "
                               f"(V2G_SECC_Msg_Performance_Time {perf * 1000:.0f} ms, tolerance {tol * 1000:.1f} ms)",
                               severity=self.timers.severity(Severity.FAIL, True), response_time_ms=round(dt * 1e3, 3),
                               budget_ms=perf * 1000, tolerance_ms=round(tol * 1000, 3))
            return got

    async def _loop(self, s: EvccSession, link: Link, f: fam.Family, logic: fam.EvLogic, resume: bool) -> None:
        msg: fam.Msg | None = logic.first()
        sid = bytes(8)
        if resume and self.last_session_id and "no_session_resume" not in self.faults:
            sid = self.last_session_id
        phase_start: dict[str, float] = {}
        limit = 20000  # requests per session: bounded even if the EVSE answers Ongoing for ever
        while msg is not None and limit > 0:
            limit -= 1
            name, body = msg
            acts = self.script.take(name)
            for a in acts:
                body = apply_patch(body, a.patch)
            inst = next((a.send_instead for a in acts if a.send_instead is not None), None)
            if inst is not None:
                name, body = inst
            if any(a.silence for a in acts):
                await self._silent(s, link)
                return
            if any(a.close for a in acts):
                s.end_reason = f"scripted close before {name}"
                s.closed_by = "evcc"
                return
            delay = max((a.delay_s for a in acts), default=0.0)
            if delay:
                await asyncio.sleep(delay)
            sid_out = next((a.session_id for a in acts if a.session_id is not None), sid)
            header = next((a.header for a in acts if a.header is not None), None)
            raw_payload = next((a.payload for a in acts if a.payload is not None), None)
            pt = next((a.payload_type for a in acts if a.payload_type is not None), None)
            wire_msg = f.wrap(name, body, sid_out)
            sig = getattr(logic, "signature", None)
            if sig is not None and inst is None and "Header" in wire_msg.get("V2G_Message", {}):
                wire_msg["V2G_Message"]["Header"]["Signature"] = sig  # Plug & Charge (Iso2Ev.sign)
            try:
                payload = raw_payload if raw_payload is not None else encode(wire_msg, f.schema_of(name))
            except ExiError as exc:
                link.event("HARNESS-ERROR", error=f"cannot encode {name}: {exc}")
                s.end_reason = f"harness cannot encode {name}: {exc}"
                return
            req = await link.send(name, wire_msg, payload, pt or f.payload_type_of(name), header=header)
            expect_ignored = any(a.expect_ignored for a in acts)
            b = fam.base(name)
            wait = self._msg_wait(f.name, b)
            if expect_ignored:
                res = await self._ignored(s, link, req, wait)
                return
            if not self.judge and self._phase_over(f, name, phase_start):
                s.end_reason = f"{b} took longer than the EV's phase timeout: the EV stops"
                return
            if "ignores_msg_timeout" in self.faults:
                wait *= 20
            res = await self._response(s, link, req, wait)
            s.exchanges.append((req, res))
            if res is None and "retries_after_timeout" in self.faults and not link.closed and s.closed_by is None:
                req = await link.send(name, wire_msg, payload, pt or f.payload_type_of(name), header=header)
                res = await self._response(s, link, req, wait)
                s.exchanges.append((req, res))
            if res is None:
                return
            rname, rbody, rsid = f.unwrap(res.body)
            if self.pnc is not None:
                self.pnc.check_response(self, name, res, rname, rbody)
            code = str(rbody.get("ResponseCode", ""))
            expect = next((a.expect_code for a in acts if a.expect_code), None)
            if name == "SessionSetupReq":
                ok_codes = ("OK_OldSessionJoined",) if resume and sid != bytes(8) else ("OK_NewSessionEstablished",)
                if expect is None and (code not in ok_codes or not rsid or not any(rsid)):
                    self._find(res, "V2G-NEW-SESSION", f"SessionSetupRes {code} with SessionID "
                               f"{rsid.hex() if rsid else None} (expected {ok_codes[0]} and a non-zero SessionID)")
                sid = rsid or sid
                s.session_id = sid
                if hasattr(logic, "session_id"):
                    logic.session_id = sid  # ISO-2 MeteringReceiptReq carries it
            elif expect is None and rsid != sid:
                self._find(res, "V2G-SESSION-ID", f"{rname} carries SessionID {rsid.hex() if rsid else None}, the "
                           f"session is {sid.hex()}")
            if expect is not None:
                if code != expect:
                    self._find(res, "V2G-RESPONSE-CODE", f"{rname} answered {code}; the situation requires {expect}",
                               expected=expect)
                    s.end_reason = f"{rname} {code} where {expect} was due"
                    return
                if code.startswith("FAILED"):
                    await self._await_secc_close(s, link, res)
                    return
            elif not code.startswith(OK_PREFIX):
                self._find(res, "V2G-RESPONSE-CODE", f"{rname} answered {code} to a valid {name} in sequence")
                s.end_reason = f"{rname} {code}"
                if "ignores_failed" not in self.faults and not (
                        "ignores_specific_failed" in self.faults and code != "FAILED"):
                    return
                rbody = {**rbody, "ResponseCode": "OK"}  # fault: the EV's logic carries on as if all were well
            if self.judge:
                self._judge_response(s, f, name, body, res, rname, rbody, phase_start)
            if rname == "SessionStopRes":
                s.completed = True
                s.end_reason = "session stopped"
                if body.get("ChargingSession") == "Pause":
                    self.last_session_id = sid
                s.closed_by = "evcc"
                s.soc = logic.soc
                if "lingers_after_stop" in self.faults:  # fault: leaves closing to the SECC (bounded)
                    try:
                        while await link.recv(30) is not None:
                            pass
                    except (asyncio.TimeoutError, ConnectionError, OSError):
                        pass
                if "requests_after_stop" in self.faults:
                    again = f.wrap("ServiceDiscoveryReq", {}, sid)
                    await link.send("ServiceDiscoveryReq", again, encode(again, f.schema_of("ServiceDiscoveryReq")),
                                    f.payload_type_of("ServiceDiscoveryReq"))
                    await asyncio.sleep(0.3)
                return
            if "ignores_failed" in self.faults and code.startswith("FAILED"):
                rbody = dict(rbody, ResponseCode="OK")
            if "ignores_notifications" in self.faults:
                rbody = {k: dict(v, EVSENotification="None") if k.endswith("EVSEStatus") and isinstance(v, dict)
                         else v for k, v in rbody.items()}
            if "skips_ongoing" in self.faults and rbody.get("EVSEProcessing") == "Ongoing":
                rbody = dict(rbody, EVSEProcessing="Finished")
            nxt = logic.next(rname, rbody)
            if logic.stop_reason and self.judge and not getattr(logic, "_judged_stop", False):
                logic._judged_stop = True  # type: ignore[attr-defined]
                rule = "V2G-PRECHARGE" if "pre-charge" in logic.stop_reason else "V2G-PHASE-TIME"
                self._find(res, rule, f"the EV gave up: {logic.stop_reason} ({logic.rounds} answers to {name})")
            if nxt is not None and nxt[0] == name:  # a repeated request (Ongoing, pre-charge): real EVs pace it
                await asyncio.sleep(self.ev.loop_interval_s)
            msg = nxt
            if msg is not None and msg[0] in ("CurrentDemandReq", "ChargingStatusReq", "AC_ChargeLoopReq",
                                              "DC_ChargeLoopReq"):
                await asyncio.sleep(self.ev.loop_interval_s)
            s.soc = logic.soc
        if msg is not None:
            s.end_reason = "request limit reached"

    async def _undecodable_fault(self, s: EvccSession, link: Link, req: Frame, got: Frame) -> bool:
        """The reference EV's faults for a response it cannot decode (issue 15); True: wait for another answer."""
        if "retries_on_undecodable" in self.faults and not req.meta.get("retried"):
            req.meta["retried"] = True
            await link.send(req.name or "", req.body, req.raw[8:], req.meta.get("payload_type", 0x8001))
            return True
        if "hang_on_unknown_enum" in self.faults and robustness.unknown_enum(got.meta.get("error")):
            s.end_reason = "hung on an unknown enumeration index"
            try:  # silent with the connection open, until the SECC gives up (bounded)
                while await link.recv(30) is not None:
                    pass
            except (asyncio.TimeoutError, ConnectionError, OSError):
                pass
        return False

    def _msg_wait(self, family: str, message: str) -> float:
        """How long the EVCC waits for a response: V2G_EVCC_Msg_Timeout; judging an EVSE, plus its tolerance, so that
        a late answer is judged late (V2G-SECC-PERFORMANCE) rather than missing."""
        if self.judge:
            return self.timers.with_tolerance(family, "evcc_msg_timeout", message)
        return self.timers.value(family, "evcc_msg_timeout", message)

    def _phase_over(self, f: fam.Family, name: str, phase_start: dict[str, float]) -> bool:
        """The EV's own bound on a repeated request (Ongoing answers, pre-charge): past it, the EV gives up."""
        key = "ev:" + name
        prev = phase_start.get("ev:last")
        phase_start["ev:last"] = name  # type: ignore[assignment]
        if prev != name:
            phase_start[key] = time.monotonic()
            return False
        if "ignores_phase_timeouts" in self.faults:
            return False
        b = fam.base(name)
        if "CableCheck" in b:
            limit = self.timers.phase(f.name, "cablecheck_loop", "evcc")
        elif "PreCharge" in b:
            limit = self.timers.phase(f.name, "precharge_loop", "evcc")
        else:
            limit = self.timers.value(f.name, "ongoing_timeout")
        return time.monotonic() - phase_start[key] > limit

    def _judge_response(self, s: EvccSession, f: fam.Family, name: str, body: dict[str, Any], res: Frame,
                        rname: str, rbody: dict[str, Any], phase_start: dict[str, float]) -> None:
        b = fam.base(name)
        if b in ("CableCheck", "DC_CableCheck", "PreCharge", "DC_PreCharge"):
            phase_start.setdefault(b, res.t_ns / 1e9 - (res.meta.get("response_time_ms", 0) / 1000))
            elapsed = res.t_ns / 1e9 - phase_start[b]
            phase = "cablecheck_loop" if "CableCheck" in b else "precharge_loop"
            try:
                limit = self.timers.phase(f.name, phase, "secc")
            except KeyError:
                limit = None
            tol = self.timers.tolerance(f.name, phase, limit=limit) if limit is not None else 0.0
            if limit is not None and elapsed > limit + tol and not res.meta.get("phase_judged"):
                res.meta["phase_judged"] = True
                rule = "V2G-PRECHARGE" if phase == "precharge_loop" else "V2G-PHASE-TIME"
                self._find(res, rule, f"{b} phase has taken {elapsed:.2f} s (the SECC's budget is {limit:.1f} s, "
                           f"tolerance {tol:.1f} s)", elapsed_s=round(elapsed, 3), limit_s=limit, tolerance_s=tol)
        if rname in ("CurrentDemandRes",):
            pa = from_physical(rbody.get("EVSEPresentCurrent"))
            mx = from_physical(rbody.get("EVSEMaximumCurrentLimit"))
            tgt = from_physical(body.get("EVTargetCurrent"))
            if pa is not None and tgt is not None and pa > tgt * 1.05 + 1:
                self._find(res, "V2G-EVSE-LIMITS", f"EVSEPresentCurrent {pa} A above the EV's target {tgt} A")
            if pa is not None and mx is not None and pa > mx + 1e-6:
                self._find(res, "V2G-EVSE-LIMITS", f"EVSEPresentCurrent {pa} A above the EVSE's own limit {mx} A")
        if rname == "DC_ChargeLoopRes":
            pa = from_rational(rbody.get("EVSEPresentCurrent"))
            mode = next((v for k, v in body.items() if k.endswith("CLReqControlMode") and isinstance(v, dict)), {})
            tgt = from_rational(mode.get("EVTargetCurrent"))
            if pa is not None and tgt is not None and pa > tgt * 1.05 + 1:
                self._find(res, "V2G-EVSE-LIMITS", f"EVSEPresentCurrent {pa} A above the EV's target {tgt} A")

    async def _ignored(self, s: EvccSession, link: Link, req: Frame, wait: float) -> None:
        """The SECC must not answer ``req`` (an invalid header): any frame within ``wait`` is a finding."""
        try:
            got = await link.recv(wait)
        except asyncio.TimeoutError:
            s.end_reason = f"{req.name} ignored, as required"
            return
        if got is None:
            s.closed_by = "secc"
            s.end_reason = "the SECC closed the connection after the invalid frame"
            return
        self._find(got, "V2G-HEADER-IGNORED", f"the SECC answered ({got.name or got.kind}) a frame it must ignore")
        s.end_reason = "invalid frame answered"

    async def _await_secc_close(self, s: EvccSession, link: Link, res: Frame) -> None:
        term = self.timers.with_tolerance(s.family or "iso-2", "termination")
        t0 = time.monotonic()
        try:
            got = await link.recv(term)
        except asyncio.TimeoutError:
            self._find(res, "V2G-CLOSE-AFTER-FAILED", f"the SECC kept the connection open {term:.1f} s after "
                       f"{res.name} with a FAILED code", limit_s=term)
            s.end_reason = "SECC did not close after FAILED"
            return
        if got is None:
            s.closed_by = "secc"
            s.closed_after_s = time.monotonic() - t0
            s.end_reason = "the SECC closed after FAILED"
            return
        self._find(got, "V2G-CLOSE-AFTER-FAILED", f"the SECC sent {got.name or got.kind} after {res.name} with a "
                   "FAILED code")

    async def _silent(self, s: EvccSession, link: Link) -> None:
        """Send nothing more and time how long the SECC keeps the connection (V2G_SECC_Sequence_Timeout)."""
        last = link.last_in or link.last_out
        f = s.family or "iso-2"
        last_name = fam.base(last.name or "") if last is not None else ""
        seq = self.timers.value(f, "secc_sequence_timeout", last_name)
        tol = self.timers.tolerance(f, "secc_sequence_timeout", last_name, limit=seq, watch="close")
        t_last = (last.t_ns if last is not None else time.monotonic_ns()) / 1e9
        deadline = t_last + seq + tol
        while True:
            left = deadline - time.monotonic()
            try:
                got = await link.recv(max(left, 0.001))
            except asyncio.TimeoutError:
                self._find(last, "V2G-SECC-SEQUENCE-CLOSE", f"the SECC still kept the connection {seq + tol:.1f} s "
                           f"after {last.name if last else 'the last frame'} (V2G_SECC_Sequence_Timeout {seq:.1f} s)",
                           budget_s=seq)
                s.end_reason = "SECC ignored its sequence timeout"
                return
            if got is None:
                dt = time.monotonic() - t_last
                s.closed_by, s.closed_after_s = "secc", dt
                s.end_reason = f"the SECC closed {dt:.2f} s after the last frame"
                if dt < seq - tol:
                    self._find(last, "V2G-SECC-SEQUENCE-CLOSE", f"the SECC closed {dt:.2f} s after "
                               f"{last.name if last else 'the last frame'}, before V2G_SECC_Sequence_Timeout "
                               f"({seq:.1f} s)", budget_s=seq)
                return
            self._find(got, "V2G-UNEXPECTED-RESPONSE", f"{got.name or got.kind} while the EVCC was silent")


def _priority(offer: dict[str, Any]) -> int:
    """An AppProtocol entry's Priority (1 = the highest, 20 = the lowest); absent or invalid sorts last."""
    p = offer.get("Priority")
    return p if isinstance(p, int) else 99


def new_session_id() -> bytes:
    return os.urandom(8)
