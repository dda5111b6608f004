"""Reference VEN: a correct OpenADR 2.0b simple-HTTP VEN (pull by default, push with PIXIT
`exchange_model = "push"`), with injectable named faults.

It is the default DUT of `vgitest run` for OpenADR, the target of the harness's self-tests, and the proof that
the OpenADR suites can fail (every catalogued fault makes a named test fail). It runs on its own asyncio
thread with its own aiohttp client, separate from the fake VTN, so its work never counts as harness latency.

Life cycle: query the registration, register, register its reports, then poll at the frequency the VTN
asked for and answer what the poll delivers (events, report requests, re-registration, cancellation). A push
VEN instead serves the 2.0b endpoints itself, registers their address, and answers what the VTN POSTs there.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as _dt
import functools
import logging
import ssl
from typing import Any

import aiohttp
from aiohttp import web

from ...loop import BackgroundLoop
from ...simulator import LoopSimulator
from .. import codec, messages as m
from ..codec import as_list, find
from . import lifecycle, robustness
from .catalog import OADR_FAULTS, VERSION

log = logging.getLogger("vgitest.openadr.ven")

SERVICE = {  # which endpoint each VEN payload goes to
    "oadrQueryRegistration": "EiRegisterParty", "oadrCreatePartyRegistration": "EiRegisterParty",
    "oadrCancelPartyRegistration": "EiRegisterParty", "oadrCanceledPartyRegistration": "EiRegisterParty",
    "oadrRequestEvent": "EiEvent", "oadrCreatedEvent": "EiEvent", "oadrRegisterReport": "EiReport",
    "oadrRegisteredReport": "EiReport", "oadrCreatedReport": "EiReport", "oadrUpdateReport": "EiReport",
    "oadrCanceledReport": "EiReport", "oadrCreateOpt": "EiOpt", "oadrCancelOpt": "EiOpt", "oadrPoll": "OadrPoll",
    "oadrResponse": "EiRegisterParty",
}
PUSH_PREFIX = "/OpenADR2/Simple/2.0b"
NO_BODY_ANSWER = ("oadrDistributeEvent",)  # pushes a VEN acknowledges with a bare HTTP 200
# While the VEN handles a pushed payload, its answer goes into the HTTP response instead of a request of its own
_PUSH_REPLY: contextvars.ContextVar[asyncio.Future | None] = contextvars.ContextVar("push_reply", default=None)
R_POWER, R_STATUS = "vgi-power", "vgi-status"
SPEC_USAGE, SPEC_STATUS = "VGI-SPEC-USAGE", "VGI-SPEC-STATUS"


class ReferenceVen(LoopSimulator):
    """The adapter-facing object: `start()`, `stop()` and `perform(action, **params)`."""

    kind = "VEN"

    def __init__(self, vtn_url: str, ven_name: str = "vgitest-ref-ven", *, faults: tuple[str, ...] = (),
                 params: dict[str, Any] | None = None, ssl_context: ssl.SSLContext | None = None,
                 **_: Any) -> None:
        OADR_FAULTS.check_names(faults, VERSION)
        self.url = vtn_url.rstrip("/")
        self.ven_name = ven_name
        self.faults = frozenset(faults)
        self.params = dict(params or {})
        self.ssl_context = ssl_context or self._tls_from_params()
        self.poll_freq_s = float(self.params.get("poll_fallback_s", 10))
        self.ven_id: str | None = None
        self.registration_id: str | None = None
        self.events: dict[str, dict] = {}  # eventID -> eiEvent
        self.event_opt = str(self.params.get("event_opt", "optIn"))
        self.reporting: dict[str, asyncio.Task] = {}  # reportRequestID -> task sending oadrUpdateReport
        self.canceled_reports: set[str] = set()
        self._sending: set[str] = set()  # reportRequestIDs whose oadrUpdateReport is on its way right now
        self.log: list[str] = []  # what the VEN did, for humans debugging a run
        self.loop: BackgroundLoop | None = None
        self._http: aiohttp.ClientSession | None = None
        self._life: asyncio.Task | None = None
        self._wake: asyncio.Event | None = None
        self._io: asyncio.Lock | None = None  # a VEN-initiated cancellation and a poll never overlap
        self._owed_created_events: list[dict] = []  # late_created_event: answers held back until the next poll
        self.push = str(self.params.get("exchange_model", "pull")).lower() == "push"
        self.push_address: str | None = None  # where the VTN POSTs to (push), once the endpoint is up
        self._push_runner: web.AppRunner | None = None
        self._push_port = 0
        self._answered: dict[tuple[str, str], dict] = {}  # reuse_cached_event_response: (eventID, mod) -> answer
        self._restarting: asyncio.Task | None = None  # crash_on_long_string: the restart after a crash
        self._first_mod: dict[str, str] = {}  # opt_first_modification: eventID -> the first modificationNumber seen

    def has(self, fault: str) -> bool:
        return fault in self.faults

    def _tls_from_params(self) -> ssl.SSLContext | None:
        """TLS material from the PIXIT (paths), for an https:// VTN; the TLS faults bend it on purpose."""
        if not self.url.startswith("https://") or "tls_ca" not in self.params:
            return None
        from ..security import ven_context_files
        p = self.params
        cert, key = p.get("tls_cert"), p.get("tls_key")
        if self.has("tls_no_client_cert"):
            cert = key = None
        elif self.has("tls_other_ven_cert"):
            cert, key = p.get("tls_other_cert"), p.get("tls_other_key")
        return ven_context_files(p["tls_ca"], cert, key, verify=not self.has("tls_trusts_any_vtn"),
                                 ciphers="ECDHE-RSA-AES256-GCM-SHA384" if self.has("tls_wrong_suite") else None)

    # --- life cycle: start/stop/perform come from LoopSimulator -----------------------------------------
    async def _power_on(self) -> None:
        if self._life is not None and not self._life.done():
            return
        connector = aiohttp.TCPConnector(ssl=self.ssl_context if self.ssl_context is not None else False)
        self._http = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=10, connect=5))
        self._wake = asyncio.Event()
        self._io = asyncio.Lock()
        if self.push and self._push_runner is None:
            await self._serve_push()
        self._life = asyncio.get_running_loop().create_task(self._run())

    async def _power_off(self) -> None:
        tasks = [t for t in [self._life, *self.reporting.values()] if t is not None]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.reporting.clear()
        self._life = None
        if self._http is not None:
            await self._http.close()
            self._http = None
        if self._push_runner is not None:
            await self._push_runner.cleanup()
            self._push_runner = None

    # --- DUT actions ---------------------------------------------------------------------------------------
    async def do_reboot(self) -> None:
        """A restart keeps the registration (it is stored), like a real VEN: it queries it again first."""
        await self._power_off()
        await self._power_on()

    async def do_reregister(self) -> None:
        """Forget everything and register from scratch (after a cancellation, for instance)."""
        await self._power_off()
        self.ven_id = self.registration_id = None
        await self._power_on()

    async def do_cancel_registration(self) -> None:
        """Cancel the registration; no poll may overtake the cancellation, and none follows it."""
        if self.registration_id is None:
            return
        assert self._io is not None
        async with self._io:
            reg = self.registration_id + ("-x" if self.has("cancel_wrong_registration_id") else "")
            answer = await self._send("oadrCancelPartyRegistration", m.cancel_party_registration(reg, self.ven_id))
            if answer is not None and find(answer.body, "eiResponse/responseCode") == "200":
                self.registration_id = None
                self._stop_reporting()

    async def do_request_event(self) -> None:
        answer = await self._send("oadrRequestEvent", m.request_event(self._ven()))
        if answer is not None and answer.name == "oadrDistributeEvent" and not self.has("ignore_requested_events"):
            await self._on_distribute(answer.body)

    async def do_opt_out(self, event_id: str, opt_id: str | None = None) -> None:
        await self._opt(event_id, "optOut", opt_id)

    async def do_opt_in(self, event_id: str, opt_id: str | None = None) -> None:
        await self._opt(event_id, "optIn", opt_id)

    async def do_opt_schedule(self, start: str, duration_s: float, opt: str = "optOut",
                              opt_id: str | None = None) -> None:
        """An opt schedule (availability windows) not tied to an event."""
        when = m.parse_time(start)
        seconds = float(duration_s) / (2 if self.has("opt_schedule_wrong_duration") else 1)
        body = m.create_opt(opt_id or m.new_id("OPT"), self._ven(), opt=opt, reason="x-schedule",
                            availability=[(when, seconds)])
        await self._send("oadrCreateOpt", body)

    async def do_cancel_opt(self, opt_id: str) -> None:
        if self.has("cancel_opt_wrong_id"):
            opt_id = opt_id + "-x"
        await self._send("oadrCancelOpt", m.cancel_opt(opt_id, self._ven()))

    async def do_set_event_opt(self, opt: str) -> None:
        """How the VEN answers the next events that require a response (optIn or optOut)."""
        self.event_opt = opt

    async def _opt(self, event_id: str, opt: str, opt_id: str | None) -> None:
        ev = self.events.get(event_id)
        modification = int(find(ev, "eventDescriptor/modificationNumber", 0)) if ev else 0
        if self.has("opt_first_modification"):
            modification = int(self._first_mod.get(event_id, modification))
        if self.has("opt_unknown_event"):
            event_id = event_id + "-unknown"
        if self.has("opt_in_sent_as_opt_out") and opt == "optIn":
            opt = "optOut"
        body = m.create_opt(opt_id or m.new_id("OPT"), self._ven(), opt=opt, event_id=event_id,
                            modification=modification)
        await self._send("oadrCreateOpt", body)

    # --- protocol ---------------------------------------------------------------------------------------
    async def _run(self) -> None:
        try:
            while True:  # like a real VEN: keep trying until the VTN is reachable and accepts the registration
                try:
                    await self._register()
                    break
                except RuntimeError as exc:
                    self.log.append(f"registration: {exc}; retrying")
                    await asyncio.sleep(min(5.0, self.poll_freq_s))
            await self._register_reports()
            if self.push:  # from now on the VTN POSTs to the VEN's endpoint; the life cycle just waits
                await asyncio.Event().wait()
            while self.registration_id is not None or self.has("poll_after_cancel"):
                await self._poll_once()
                assert self._wake is not None
                try:
                    delay = self.poll_freq_s * (0.4 if self.has("poll_too_fast") else 1.0)
                    await asyncio.wait_for(self._wake.wait(), delay)
                except asyncio.TimeoutError:
                    pass
                self._wake.clear()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the reference VEN must never die silently: keep a note, stop polling
            log.exception("reference VEN stopped")
            self.log.append(f"stopped: {exc!r}")

    def _ven(self) -> str:
        if self.has("wrong_ven_id"):
            return "VGI-NOT-MY-VEN-ID"
        return self.ven_id or ""

    async def _register(self, *, again: bool = False) -> None:
        """Query, then create the registration (`again`: a re-registration the VTN asked for)."""
        if self.has("no_query_after_restart") and self.registration_id and not again:
            return  # polls straight away after a restart, as if nothing happened
        if not self.has("skip_query_registration"):
            answer = await self._send("oadrQueryRegistration", m.query_registration())
            if answer is not None and answer.name == "oadrCreatedPartyRegistration":
                self._take_poll_freq(answer.body)
                if not again and answer.body.get("registrationID") and self.ven_id \
                        and answer.body.get("venID") == self.ven_id:
                    self.registration_id = answer.body["registrationID"]
                    return  # still registered (a restart)
        reg = self.registration_id
        if reg is not None and self.has("wrong_registration_id"):
            reg = reg + "-x"
        push = self.push and not self.has("push_registers_as_pull")
        body = m.create_party_registration(ven_name=self.ven_name, ven_id=self.ven_id if reg else None,
                                           registration_id=reg, http_pull=not push,
                                           transport_address=self.push_address if push else None)
        if self.has("registration_schema_violation"):
            body.pop("oadrReportOnly")
        answer = await self._send("oadrCreatePartyRegistration", body)
        if answer is None or answer.name != "oadrCreatedPartyRegistration":
            raise RuntimeError(f"registration failed: {answer.name if answer else 'no answer'}")
        code = find(answer.body, "eiResponse/responseCode")
        if code != "200":
            raise RuntimeError(f"registration refused with code {code}")
        self.ven_id = answer.body.get("venID")
        self.registration_id = answer.body.get("registrationID")
        self._stop_reporting()  # a new registration voids the report requests of the old one
        self._take_poll_freq(answer.body)
        self.log.append(f"registered as {self.ven_id} ({self.registration_id}), polling every {self.poll_freq_s} s")

    def _take_poll_freq(self, body: dict) -> None:
        text = find(body, "oadrRequestedOadrPollFreq/xcal:duration")
        if isinstance(text, str):
            try:
                self.poll_freq_s = max(0.05, m.parse_duration(text))
            except ValueError:
                pass

    def _metadata_reports(self) -> list[dict]:
        usage = m.report_description(R_POWER, "usage", item=m.real_power(), min_period_s=self._sample_s(),
                                     reading_type="Direct Read")
        status = m.report_description(R_STATUS, "x-resourceStatus", reading_type="x-notApplicable",
                                      min_period_s=self._sample_s())
        rr = "1" if self.has("report_request_id_nonzero") else "0"
        return [m.metadata_report([usage], specifier_id=SPEC_USAGE, name="METADATA_TELEMETRY_USAGE",
                                  report_request_id=rr),
                m.metadata_report([status], specifier_id=SPEC_STATUS, name="METADATA_TELEMETRY_STATUS",
                                  report_request_id=rr)]

    def _sample_s(self) -> float:
        return float(self.params.get("report_min_period_s", 1))

    async def _register_reports(self) -> None:
        if self.has("no_register_report"):
            return
        answer = await self._send("oadrRegisterReport", m.register_report(self._metadata_reports(), self._ven()))
        if answer is not None and answer.name == "oadrRegisteredReport":
            requests = as_list(answer.body.get("oadrReportRequest"))
            if requests:
                await self._accept_report_requests(requests)

    def _stop_reporting(self) -> None:
        for task in self.reporting.values():
            task.cancel()
        self.reporting.clear()

    async def _poll_once(self) -> None:
        assert self._io is not None
        async with self._io:
            if self.registration_id is None and not self.has("poll_after_cancel"):
                return
            data, answer = await self._exchange("oadrPoll", m.poll(self._ven()))
        if self._owed_created_events:  # late_created_event: answer only after the next poll
            owed, self._owed_created_events = self._owed_created_events, []
            for body in owed:
                await self._send("oadrCreatedEvent", body)
        if answer is None:
            return
        screened = robustness.screen(self, data, answer)
        if screened.refused is not None:  # not acted on; the VTN is told (454) in the payload that answers it
            if screened.stall_s:
                await asyncio.sleep(screened.stall_s)
            self.log.append(f"refused a {screened.refused} payload ({screened.name or 'unreadable'})")
            await self._send(*robustness.error_answer(screened.name, screened.body, self._ven(),
                                                      self.registration_id))
            return
        if robustness.crashes_on(self, screened.body):
            self._crash()
            return
        handler = self._handlers().get(screened.name or "")
        if handler is not None:
            await handler(screened.body)

    def _crash(self) -> None:
        """crash_on_long_string: gone at once (nothing more is sent), back after a while like a supervised
        process, with its stored registration (it queries it first, as after any restart)."""
        self.log.append("crashed (robustness fault)")

        async def restart() -> None:
            await self._power_off()
            await asyncio.sleep(robustness.CRASH_RESTART_S)
            await self._power_on()

        self._restarting = asyncio.get_running_loop().create_task(restart())

    async def _on_distribute(self, body: dict) -> None:
        request_id = str(body.get("requestID", ""))
        if robustness.refuses_valid(self, body):
            await self._send(*robustness.error_answer("oadrDistributeEvent", body, self._ven(), self.registration_id))
            return
        responses = []
        respond_never = False
        for n, item in enumerate(as_list(body.get("oadrEvent"))):
            ev = item.get("eiEvent", {})
            event_id = str(find(ev, "eventDescriptor/eventID"))
            ev = self.events[event_id] = lifecycle.held_version(self, self.events.get(event_id), ev)
            modification = find(ev, "eventDescriptor/modificationNumber", "0")
            self._first_mod.setdefault(event_id, modification)
            rr = item.get("oadrResponseRequired")
            if rr == "never" and not self.has("ignore_response_required_never"):
                respond_never = True
                continue
            if self._skips(ev, n):
                continue
            if self.has("wrong_event_id"):
                event_id = event_id + "-x"
            if self.has("wrong_modification_number"):
                modification = str(int(modification) + 1)
            rid = request_id + "-x" if self.has("wrong_created_event_request_id") else request_id
            signals = as_list(find(ev, "eiEventSignals/eiEventSignal"))
            cached = self._answered.get((event_id, str(modification)))
            if cached is not None and self.has("reuse_cached_event_response"):
                responses.append(cached)
                continue
            for _ in signals if self.has("answer_per_signal") else [None]:
                responses.append(m.event_response(event_id, modification, self._opt_for(signals), rid))
            if self.has("reuse_cached_event_response"):
                self._answered[(event_id, str(modification))] = responses[-1]
        carried = {str(find(x.get("eiEvent", {}), "eventDescriptor/eventID")) for x in as_list(body.get("oadrEvent"))}
        responses += lifecycle.kept_cancelled(self, self.events, carried, self.event_opt, request_id)
        if not responses or self.has("no_created_event"):
            if respond_never:
                self.log.append("event(s) with oadrResponseRequired=never: no oadrCreatedEvent")
            return
        created = m.created_event(self._ven(), responses, request_id)
        if self.has("late_created_event"):
            self._owed_created_events.append(created)
            return
        if self.has("push_created_event_in_response"):
            await self._answer("oadrCreatedEvent", created)
            return
        await self._send("oadrCreatedEvent", created)

    def _skips(self, ev: dict, position: int) -> bool:
        """Events some faults leave unanswered."""
        status = find(ev, "eventDescriptor/eventStatus")
        return ((self.has("ignore_cancelled_events") and status == "cancelled")
                or (self.has("ignore_active_events") and status == "active")
                or (self.has("ignore_test_events") and find(ev, "eventDescriptor/testEvent") not in (None, "false"))
                or (self.has("answer_first_event_only") and position > 0))

    def _opt_for(self, signals: list) -> str:
        if self.has("always_opt_in"):
            return "optIn"
        if self.has("opt_out_of_price_events") and any(x.get("signalType") == "price" for x in signals):
            return "optOut"
        return self.event_opt

    async def _on_reregister(self, body: dict) -> None:
        await self._answer("oadrResponse", m.response(str(body.get("requestID", "")), 200, "OK", self._ven()))
        if self.has("ignore_reregistration"):
            return
        await self._register(again=True)
        await self._register_reports()

    async def _on_cancel_registration(self, body: dict) -> None:
        if self.has("ignore_cancel_registration"):
            return
        await self._answer("oadrCanceledPartyRegistration",
                           m.canceled_party_registration(str(body.get("requestID", "")), body.get("registrationID"),
                                                         self._ven()))
        self.registration_id = None  # the life cycle ends: an unregistered VEN does not poll
        self._stop_reporting()

    async def _on_create_report(self, body: dict) -> None:
        if self.has("no_created_report"):
            return
        await self._accept_report_requests(as_list(body.get("oadrReportRequest")), str(body.get("requestID", "")))

    async def _accept_report_requests(self, requests: list[dict], request_id: str = "") -> None:
        pending = []
        for req in requests:
            rr_id = str(req.get("reportRequestID"))
            spec = find(req, "reportSpecifier", {})
            if (self.has("ignore_report_interval_requests") and "reportInterval" in spec) or \
                    (self.has("no_status_report") and spec.get("reportSpecifierID") == SPEC_STATUS):
                continue
            pending.append(rr_id)
            if rr_id not in self.reporting:
                self.reporting[rr_id] = asyncio.get_running_loop().create_task(self._report_loop(req))
        await self._answer("oadrCreatedReport", m.created_report(request_id, pending, self._ven()))

    async def _report_loop(self, req: dict) -> None:
        rr_id = str(req.get("reportRequestID"))
        spec = find(req, "reportSpecifier", {})
        back = m.parse_duration(find(spec, "reportBackDuration/xcal:duration", "PT1S") or "PT1S")
        gran = m.parse_duration(find(spec, "granularity/xcal:duration", "PT1S") or "PT1S")
        every = max(float(self.params.get("report_min_period_s", 1)), back or gran or 1.0)
        rids = [str(p.get("rID")) for p in as_list(spec.get("specifierPayload"))]
        n = 0
        while True:
            await asyncio.sleep(every)
            if rr_id in self.canceled_reports and not self.has("ignore_cancel_report"):
                return
            if self.reporting.get(rr_id) is not asyncio.current_task() or self.registration_id is None:
                return  # voided while it slept (a new registration, a cancelled one): an orphan never reports
            now = _dt.datetime.now(_dt.timezone.utc)
            intervals = []
            for i, rid in enumerate(rids):
                if self.has("update_report_wrong_rid"):
                    rid = rid + "-x"
                intervals.append(m.report_interval(now, every, rid, 7000.0 + n, uid=i))
            sent_rr = rr_id + "-x" if self.has("update_report_wrong_request_id") else rr_id
            report = m.data_report(intervals, report_request_id=sent_rr, specifier_id=str(spec.get("reportSpecifierID")),
                                   start=now, duration_s=every)
            if self.has("report_schema_violation"):
                report.pop("createdDateTime")
            self._sending.add(rr_id)
            try:
                await self._send("oadrUpdateReport", m.update_report([report], self._ven()))
            finally:
                self._sending.discard(rr_id)
            if rr_id in self.canceled_reports and not self.has("ignore_cancel_report"):
                return  # cancelled while this update was on its way
            n += 1
            if self.has("single_report_update"):
                return

    async def _on_cancel_report(self, body: dict) -> None:
        ids = [str(x) for x in as_list(body.get("reportRequestID"))]
        self.canceled_reports.update(ids)
        if self.has("cancel_stops_all_reports"):
            ids = list(self.reporting)
        if not self.has("ignore_cancel_report"):
            for rr_id in ids:
                task = self.reporting.pop(rr_id, None)
                if task is not None and rr_id in self._sending and rr_id in self.canceled_reports:
                    await asyncio.wait([task], timeout=5)  # an update on its way arrives before the answer
                if task is not None:
                    task.cancel()
        if self.has("no_canceled_report"):
            return
        await self._answer("oadrCanceledReport", m.canceled_report(str(body.get("requestID", "")), [], self._ven()))

    async def _on_vtn_register_report(self, body: dict) -> None:
        if self.has("ignore_vtn_register_report"):
            return
        await self._answer("oadrRegisteredReport", m.registered_report(str(body.get("requestID", "")), self._ven()))

    # --- push: the VEN's own endpoint ---------------------------------------------------------------------
    async def _serve_push(self) -> None:
        app = web.Application()
        app.router.add_post(PUSH_PREFIX + "/{service}", self._on_push)
        self._push_runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._push_runner.setup()
        host = str(self.params.get("push_host", "127.0.0.1"))
        port = self._push_port or int(self.params.get("push_port", 0))
        tls = self._push_tls()
        site = web.TCPSite(self._push_runner, host, port, ssl_context=tls)  # after a restart: the same address
        await site.start()
        self._push_port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.push_address = f"{'https' if tls else 'http'}://{host}:{self._push_port}{PUSH_PREFIX}"

    def _push_tls(self) -> ssl.SSLContext | None:
        """Over TLS the push endpoint is a server with the VEN's certificate that requires and verifies the
        VTN's client certificate (push_tls_accepts_any_vtn: verifies nothing)."""
        if self.ssl_context is None or "tls_cert" not in self.params:
            return None
        from ..security import vtn_context_files
        p = self.params
        ctx = vtn_context_files(p["tls_cert"], p["tls_key"], p["tls_ca"], suites=("ecc",))
        if self.has("push_tls_accepts_any_vtn"):
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    async def _on_push(self, request: web.Request) -> web.Response:
        """A payload the VTN pushed: acknowledge it in the HTTP response, then do what it asks."""
        data = await request.read()
        decoded = codec.decode(data)
        name = decoded.name or ""
        if self.has("push_no_answer") or decoded.body is None:
            return web.Response(status=500 if self.has("push_no_answer") else 400)
        screened = robustness.screen(self, data, decoded)
        if screened.refused is not None:  # schema-invalid: not acted on, refused with 454 in the HTTP answer
            refusal = robustness.error_answer(screened.name, screened.body, self._ven(), self.registration_id)
            return web.Response(body=codec.encode(*refusal), content_type="application/xml")
        handler = self._handlers().get(name)
        if handler is None:
            return web.Response(status=400)
        if name in NO_BODY_ANSWER and not self.has("push_created_event_in_response"):
            asyncio.get_running_loop().create_task(handler(decoded.body))
            return web.Response(status=200)
        reply: asyncio.Future = asyncio.get_running_loop().create_future()
        ctx = contextvars.copy_context()
        ctx.run(_PUSH_REPLY.set, reply)
        task = asyncio.get_running_loop().create_task(handler(decoded.body), context=ctx)
        await asyncio.wait([reply, task], timeout=5, return_when=asyncio.FIRST_COMPLETED)
        if not reply.done():
            return web.Response(status=200)  # handled without an answer (a fault): an empty acknowledgement
        answer_name, answer_body = reply.result()
        return web.Response(body=codec.encode(answer_name, answer_body), content_type="application/xml")

    async def _answer(self, name: str, body: dict) -> None:
        """Answer the VTN: in the HTTP response to its push, or (pull) as a request of its own."""
        reply = _PUSH_REPLY.get()
        if reply is None or reply.done():
            await self._send(name, body)
            return
        reply.set_result((name, body))
        await asyncio.sleep(0.05)  # let the answer leave before anything the VEN does next

    def _handlers(self) -> dict[str, Any]:
        return {"oadrDistributeEvent": self._on_distribute, "oadrRequestReregistration": self._on_reregister,
                "oadrCancelPartyRegistration": self._on_cancel_registration,
                "oadrCreateReport": self._on_create_report, "oadrCancelReport": self._on_cancel_report,
                "oadrRegisterReport": self._on_vtn_register_report}

    # --- HTTP ---------------------------------------------------------------------------------------------
    async def _send(self, name: str, body: dict) -> codec.Decoded | None:
        return (await self._exchange(name, body))[1]

    async def _exchange(self, name: str, body: dict) -> tuple[bytes, codec.Decoded | None]:
        """Send `name`; the VTN's answer as bytes and decoded (None: no answer)."""
        service = SERVICE[name]
        if self.has("wrong_service_endpoint") and name == "oadrCreatedEvent":
            service = "EiReport"
        raw = codec.encode(name, self._declare_signing(name, body))
        if self.has("local_time_stamps"):
            raw = raw.replace(b"Z</ei:createdDateTime>", b"+01:00</ei:createdDateTime>")
        if self.has("malformed_xml") and name == "oadrCreatedEvent":
            raw = raw[:-20]
        raw = self._sign(raw)
        ctype = "text/plain" if self.has("wrong_content_type") else "application/xml"
        assert self._http is not None
        try:
            async with self._http.post(f"{self.url}/{service}", data=raw, headers={"Content-Type": ctype}) as resp:
                data = await resp.read()
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            self.log.append(f"{name}: {exc!r}")
            return b"", None
        answer = codec.decode(data)
        if answer.problems:
            self.log.append(f"{name}: answer not usable: {answer.problems}")
        return data, answer

    # --- XML signatures (PIXIT xml_signature; the signature_* faults) -----------------------------------
    @functools.cached_property
    def _signing_material(self) -> tuple[bytes, bytes] | None:
        """(certificate, key) PEM when the PIXIT asks for signatures: the VEN's TLS pair (tls_cert, tls_key), or
        another VEN's for signature_other_cert. None (and a note) when signing is off or impossible."""
        p = self.params
        if str(p.get("xml_signature", False)).lower() not in ("true", "1", "yes"):
            return None
        which = ("tls_other_cert", "tls_other_key") if self.has("signature_other_cert") else ("tls_cert", "tls_key")
        try:
            paths = [p[k] for k in which]
            return open(paths[0], "rb").read(), open(paths[1], "rb").read()
        except (KeyError, OSError) as exc:
            self.log.append(f"xml_signature is set but there is nothing to sign with ({exc!r}): payloads go unsigned")
            return None

    def _declare_signing(self, name: str, body: dict) -> dict:
        """A signing VEN says so when it registers (oadrXmlSignature), even with signature_missing."""
        if name == "oadrCreatePartyRegistration" and self._signing_material is not None:
            return {**body, "oadrXmlSignature": True}
        return body

    def _sign(self, raw: bytes) -> bytes:
        material = self._signing_material
        if material is None or self.has("signature_missing"):
            return raw
        from .. import signature
        stamp = _dt.datetime.now(_dt.timezone.utc)
        if self.has("signature_stale"):
            stamp -= _dt.timedelta(minutes=5)
        nonce = "vgitest-reused-nonce" if self.has("signature_nonce_reused") else None
        try:
            signed = signature.sign(raw, material[0], material[1], timestamp=stamp, nonce=nonce)
        except Exception as exc:  # e.g. malformed_xml cut the body short: it goes out as it is
            self.log.append(f"not signed: {exc!r}")
            return raw
        return _tamper(signed) if self.has("signature_tampered") else signed


def _tamper(signed: bytes) -> bytes:
    """The payload changed after signing: its first requestID or venID gets a suffix (still schema-valid, so
    only the signature can tell)."""
    from lxml import etree
    root = etree.fromstring(signed)
    for el in root.iter():
        if isinstance(el.tag, str) and etree.QName(el).localname in ("requestID", "venID") and el.text:
            el.text += "-x"
            break
    else:
        root[-1].text = "\n"  # no identifier to change: a text node inside oadrSignedObject changes the digest
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
