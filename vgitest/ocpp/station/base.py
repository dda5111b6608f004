"""Reference charging station: a correct OCPP-J client by default, with injectable named faults.

It is the default DUT of `vgitest run`, the target of the harness's self-tests, and the proof that the
suites can fail (every catalogued fault must make a named test fail). It runs on its own asyncio thread,
separate from the fake CSMS, so its processing never counts as harness latency.

Version behaviour lives in subclasses (`v16.Station16`, `v201.Station201`); this base owns the connection,
the boot/heartbeat life cycle, RPC bookkeeping and the message-level faults.
"""

from __future__ import annotations

import abc
import asyncio
import base64
import dataclasses
import datetime as _dt
import itertools
import json
import logging
import time
import uuid
from typing import Any, Awaitable, Callable

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from ...loop import BackgroundLoop
from ...simulator import LoopSimulator
from ..timestamps import parse as parse_datetime
from . import catalog_security  # noqa: F401  (registers the TLS faults of both versions)
from . import robustness, tls
from .faults import check_names

log = logging.getLogger("vgitest.ocpp.station")

Handler = Callable[[dict], Awaitable[Any]]


def utcnow() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def seconds_until(stamp: str | None, cap: float) -> float:
    """Seconds from now until `stamp`, at most `cap`; 0 when it is unset, unreadable or past."""
    when = parse_datetime(stamp)
    if when is None:
        return 0.0
    return max(0.0, min(cap, (when - _dt.datetime.now(_dt.timezone.utc)).total_seconds()))


def is_past(stamp: str | None) -> bool:
    """Whether `stamp` has come (False when it is unset or unreadable)."""
    when = parse_datetime(stamp)
    return when is not None and when <= _dt.datetime.now(_dt.timezone.utc)


class Reply(Exception):
    """Raised by a handler to answer with a CALLERROR."""

    def __init__(self, code: str, description: str = "", details: Any = None) -> None:
        super().__init__(code)
        self.code, self.description = code, description
        self.details = {} if details is None else details


class NoAnswer(Exception):
    """Raised by a handler (under a fault) to leave a CSMS CALL unanswered."""


@dataclasses.dataclass
class Connector:
    id: int
    status: str = "Available"
    plugged: bool = False
    transaction: Any = None  # version-specific transaction record
    available: bool = True
    locked: bool = False


class ReferenceStation(LoopSimulator, abc.ABC):
    version = ""
    subprotocol = ""

    def __init__(self, csms_url: str, identity: str = "VGI-REF-001", *, password: str | None = None,
                 connectors: int = 1, faults: tuple[str, ...] | list[str] = (), boot_reason: str = "PowerUp",
                 call_timeout: float = 10.0, reboot_delay: float = 0.2, reconnect_delay: float = 0.5,
                 params: dict[str, Any] | None = None) -> None:
        check_names(faults, self.version)
        self.csms_url = csms_url.rstrip("/")
        self.identity = identity
        self.password = password
        self.faults = set(faults)
        self.params = params or {}
        self.connectors = {i: Connector(i) for i in range(1, connectors + 1)}
        self.call_timeout = call_timeout
        self.reboot_delay = reboot_delay
        self.reconnect_delay = reconnect_delay
        self.boot_reason = boot_reason
        self.heartbeat_interval = 60.0
        self.registration = "unknown"
        self.powered = False
        self.ws: ClientConnection | None = None
        self.loop: BackgroundLoop | None = None
        self.kind = "station"
        self._life: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()
        self._pending: dict[str, asyncio.Future] = {}
        self._pending_actions: dict[str, str] = {}  # message id -> action of our outstanding CALL
        self._call_lock: asyncio.Lock | None = None
        self._last_traffic = time.monotonic()
        self._ids = itertools.count(1)
        self._boot_trigger: asyncio.Event | None = None
        self._booted_this_power_cycle = False
        self.handlers: dict[str, Handler] = {}
        self.events: list[str] = []  # what the station did, for humans debugging a run
        self.security_events: list[str] = []  # security events to report once connected (TLS refusals)
        self.register_handlers()

    # --- to be provided by the version subclasses ----------------------------------------------------------
    @abc.abstractmethod
    def register_handlers(self) -> None:
        """Fill `self.handlers` with the version's CSMS-request handlers."""

    @abc.abstractmethod
    def boot_payload(self) -> dict:
        """The version's BootNotification payload."""

    @abc.abstractmethod
    async def report_connector_states(self) -> None:
        """Report every connector's state (after boot, or when triggered)."""

    async def on_power_loss(self) -> None:
        """Version hook: forget volatile state on reboot."""

    # --- life cycle: start/stop/perform come from LoopSimulator ---------------------------------------------
    async def do_power_on(self) -> None:
        await self._power_on()

    async def do_power_off(self) -> None:
        await self._power_off()

    async def do_reboot(self, reason: str = "PowerUp") -> None:
        await self._power_off()
        await asyncio.sleep(self.reboot_delay)
        self.boot_reason = reason
        await self._power_on()

    async def _power_on(self) -> None:
        if self.powered:
            return
        self.powered = True
        self._call_lock = asyncio.Lock()
        self._booted_this_power_cycle = False
        self.registration = "unknown"
        self._life = asyncio.get_running_loop().create_task(self._lifecycle())
        self.events.append("power on")

    async def _power_off(self) -> None:
        if not self.powered:
            return
        self.powered = False
        self.events.append("power off")
        for t in list(self._tasks):
            t.cancel()
        if self.ws is not None:
            try:
                await asyncio.wait_for(self.ws.close(), 2)
            except Exception:
                pass
        if self._life is not None:
            self._life.cancel()
            try:
                await self._life
            except (asyncio.CancelledError, Exception):
                pass
        self._life = None
        await self.on_power_loss()

    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def has(self, fault: str) -> bool:
        return fault in self.faults

    # --- connection --------------------------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        if self.password is None:
            return {}
        password = self.password + "-wrong" if self.has("wrong_basic_auth") else self.password
        if self.has("short_basic_password"):
            password = password[:12]
        token = base64.b64encode(f"{self.identity}:{password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def connection_url(self) -> str:
        """The CSMS URL of the next connection attempt, without the identity (version hook: 2.0.1 follows its
        network connection profiles)."""
        return self.csms_url

    def connection_security_profile(self) -> int:
        """The security profile of the next connection attempt (version hook: 2.0.1 takes the one of the network
        connection profile it dials, which an upgrade may have raised)."""
        return int(self.params.get("security_profile", 0))

    def connection_opened(self) -> None:
        """Version hook: the WebSocket is open, before any message is read or sent on it."""

    def reconnect_wait(self, failures: int) -> float:
        """Seconds before the next connection attempt, after `failures` failed attempts since the connection was
        lost (version hook: 2.0.1 follows RetryBackOff*)."""
        return self.reconnect_delay

    async def after_reconnect(self, offline_s: float) -> None:
        """Version hook: connected again without a restart, after `offline_s` seconds without a connection."""

    async def _lifecycle(self) -> None:
        failures = 0
        lost_at: float | None = None  # when the last connection went (None: not lost in this power cycle)
        while self.powered:
            url = f"{self.connection_url().rstrip('/')}/{self.identity}"
            subprotocols = [] if self.has("no_subprotocol") else [self.subprotocol]
            tls_ctx = tls.client_context({**self.params, "security_profile": self.connection_security_profile()},
                                         self.has) if url.startswith("wss:") else None
            try:
                async with connect(url, subprotocols=subprotocols or None, additional_headers=self._headers(),
                                   open_timeout=5, ping_interval=None, close_timeout=2, ssl=tls_ctx) as ws:
                    self.ws = ws
                    self.events.append("connected")
                    self.connection_opened()
                    failures = 0
                    reader = self.spawn(self._reader(ws))
                    if not self._booted_this_power_cycle or self.has("reboot_on_reconnect"):
                        if self.has("traffic_before_boot"):
                            await self.report_connector_states()
                        await self._boot()
                    elif lost_at is not None:
                        self.spawn(self.after_reconnect(time.monotonic() - lost_at))
                    if self.security_events:
                        self.spawn(self.report_security_events())
                    hb = self.spawn(self._heartbeat())
                    await reader
                    hb.cancel()
            except asyncio.CancelledError:
                raise
            except (OSError, ConnectionClosed, InvalidHandshake, asyncio.TimeoutError) as exc:
                self.events.append(f"connection problem: {type(exc).__name__}")
                failures += 1
                kind = tls.refusal_kind(exc)
                event = tls.EVENTS[kind].get(self.version) if kind else None
                if event and event not in self.security_events and not self.has("no_security_event"):
                    self.security_events.append(event)
            finally:
                if self.ws is not None:
                    lost_at = time.monotonic()
                self.ws = None
                for fut in self._pending.values():
                    if not fut.done():
                        fut.set_exception(ConnectionError("connection closed"))
                self._pending.clear()
            if self.powered:
                await asyncio.sleep(self.reconnect_wait(failures))

    async def _boot(self) -> None:
        """BootNotification until Accepted, honouring the interval of Pending/Rejected answers."""
        while True:
            try:
                res = await self.call("BootNotification", self.boot_payload())
            except Reply as rep:  # a CALLERROR to BootNotification: wait and try again, never give up the loop
                self.events.append(f"BootNotification answered CALLERROR {rep.code}; retrying")
                await asyncio.sleep(float(self.params.get("boot_retry_interval", 2)))
                continue
            status = res.get("status")
            self.registration = status
            interval = float(res.get("interval", 0) or 0)
            if status == "Accepted":
                self._booted_this_power_cycle = True
                if interval > 0:
                    self.heartbeat_interval = interval
                self.events.append("boot accepted")
                if not self.has("no_status_after_boot"):
                    await self.report_connector_states()
                await self.after_boot()
                return
            wait = 0.05 if self.has("boot_retry_too_early") else (interval if interval > 0 else 5.0)
            self.events.append(f"boot {status}, retry in {wait} s")
            await self._wait_for_boot_trigger(wait)

    async def report_security_events(self) -> None:
        """The refusals of a CSMS the station did not trust are critical security events: reported to the CSMS
        as soon as a trusted connection is up (and registration accepted)."""
        while self.security_events and self.registration == "Accepted":
            event = self.security_events[0]
            try:
                await self.call("SecurityEventNotification", {"type": event, "timestamp": utcnow(),
                                                              "techInfo": "TLS handshake refused"})
            except Exception as exc:  # the connection dropped: report it on the next one
                self.events.append(f"security event {event} not delivered: {type(exc).__name__}")
                return
            self.security_events.remove(event)

    def trigger_boot(self) -> None:
        """A TriggerMessage(BootNotification) while Pending ends the wait early."""
        if self._boot_trigger is not None:
            self._boot_trigger.set()

    async def _wait_for_boot_trigger(self, seconds: float) -> None:
        self._boot_trigger = asyncio.Event()
        try:
            await asyncio.wait_for(self._boot_trigger.wait(), seconds)
        except asyncio.TimeoutError:
            pass

    async def after_boot(self) -> None:
        """Version hook after boot Accepted and the state report."""

    async def _heartbeat(self) -> None:
        while True:
            interval = self.heartbeat_interval * (1.6 if self.has("heartbeat_drift") else 1.0)
            if self.has("heartbeat_too_often"):
                interval = max(0.2, self.heartbeat_interval / 6)  # clearly below the interval/2 threshold
            due = self._last_traffic + interval
            await asyncio.sleep(min(0.25, max(0.05, due - time.monotonic())))  # a new interval applies at once
            if time.monotonic() >= self._last_traffic + interval - 0.01 and self.registration == "Accepted":
                try:
                    await self.call("Heartbeat", {})
                except Exception as exc:  # keep beating; the CSMS may have been slow once
                    self.events.append(f"heartbeat failed: {exc}")

    # --- sending -----------------------------------------------------------------------------------------
    def _next_id(self) -> str:
        if self.has("duplicate_message_id"):
            return "42"
        if self.has("long_message_id"):
            return "m" + uuid.uuid4().hex + "xxxx"  # 37 characters: one more than allowed
        if self.has("empty_message_id"):
            return ""
        return str(next(self._ids))

    async def _send_text(self, text: str) -> None:
        ws = self.ws
        if ws is None:
            raise ConnectionError("not connected")
        self._last_traffic = time.monotonic()
        if self.has("binary_frames"):
            await ws.send(text.encode("utf-8"))
        else:
            await ws.send(text)

    async def call(self, action: str, payload: dict, *, timeout: float | None = None) -> dict:
        """Send a CALL and wait for its CALLRESULT (one outstanding CALL at a time, unless faulted)."""
        assert self._call_lock is not None
        if self.has("concurrent_call"):
            return await self._call_unlocked(action, payload, timeout)
        async with self._call_lock:
            return await self._call_unlocked(action, payload, timeout)

    async def _call_unlocked(self, action: str, payload: dict, timeout: float | None) -> dict:
        mid = self._next_id()
        sent_action = action.lower() if (self.has("wrong_action_case") and action == "Heartbeat") else action
        fut: asyncio.Future = asyncio.get_running_loop().create_future()
        self._pending[mid] = fut
        self._pending_actions[mid] = action
        text = json.dumps([2, mid, sent_action, payload], separators=(",", ":"))
        if self.has("invalid_json") and action == "Heartbeat":
            text = text[:-1]  # drop the closing bracket
        await self._send_text(text)
        try:
            kind, body = await asyncio.wait_for(fut, timeout or self.call_timeout)
        finally:
            self._pending.pop(mid, None)
            self._pending_actions.pop(mid, None)
        if kind == 4:
            raise Reply(body[0], body[1])
        if self.has("callerror_on_callresult") and action == "Heartbeat":
            await self._send_text(json.dumps([4, mid, "GenericError", "", {}]))
        return body

    def answered(self, action: str) -> bool:
        """Whether the answer to the station's outstanding `action` CALL has arrived (its caller has not taken it up
        yet): a message is delivered when its answer is read, not when the code that sent it next runs."""
        return any(m in self._pending and self._pending[m].done() for m, a in self._pending_actions.items()
                   if a == action)

    async def send_result(self, mid: str, payload: Any) -> None:
        if self.has("late_response"):
            await asyncio.sleep(float(self.params.get("late_response_s", 3.0)))
        if self.has("wrong_message_id"):
            mid = mid + "-x"
        await self._send_text(json.dumps([3, mid, payload], separators=(",", ":")))

    async def send_error(self, mid: str, code: str, description: str = "", details: Any = None) -> None:
        if self.has("late_response"):
            await asyncio.sleep(float(self.params.get("late_response_s", 3.0)))
        code = self.misspell(code)
        det: Any = {} if details is None else details
        if self.has("error_details_not_object"):
            det = "none"
        await self._send_text(json.dumps([4, mid, code, description, det], separators=(",", ":")))

    def misspell(self, code: str) -> str:
        if not self.has("wrong_error_code_spelling"):
            return code
        swap = {"FormationViolation": "FormatViolation", "FormatViolation": "FormationViolation",
                "OccurenceConstraintViolation": "OccurrenceConstraintViolation",
                "OccurrenceConstraintViolation": "OccurenceConstraintViolation"}
        return swap.get(code, code)

    # --- receiving ---------------------------------------------------------------------------------------
    async def _reader(self, ws: ClientConnection) -> None:
        try:
            async for data in ws:
                self._last_traffic = time.monotonic()
                await robustness.reader_pause(self)
                self.spawn(self._dispatch(data))
        except ConnectionClosed:
            pass

    async def _dispatch(self, data: str | bytes) -> None:
        try:
            msg = json.loads(data)
        except ValueError:
            if not await robustness.on_garbled(self):
                await self.send_error("-1", self.format_violation, "not JSON")
            return
        if not isinstance(msg, list) or len(msg) < 3 or not isinstance(msg[1], str):
            await self.send_error("-1", self.format_violation, "not an RPC frame")
            return
        kind, mid = msg[0], msg[1]
        if kind in (3, 4):
            fut = self._pending.get(mid)
            if kind == 3 and self._pending_actions.get(mid) == "BootNotification" and isinstance(msg[2], dict):
                # take the registration status in message order: a CSMS request right behind the answer must
                # already see it (the boot coroutine resumes only later)
                self.registration = str(msg[2].get("status", self.registration))
            if fut is not None and not fut.done():
                fut.set_result((kind, msg[2] if kind == 3 else msg[2:4]))
            return
        if kind != 2:
            if self.version == "2.0.1":
                await self.send_error(mid, "MessageTypeNotSupported", f"type {kind}")
            return
        if len(msg) != 4:
            await self.send_error(mid, self.format_violation, "CALL must have 4 elements")
            return
        action, payload = msg[2], msg[3]
        if await robustness.on_call(self, payload):
            return
        handler = self.handlers.get(action)
        if handler is None:
            await self.send_error(mid, "NotImplemented", f"unknown action {action}")
            return
        if not isinstance(payload, dict):
            await self.send_error(mid, self.format_violation, "payload must be an object")
            return
        try:
            problem = self.validate_request(action, payload)
        except NoAnswer:
            return
        if problem is not None:
            refusal = robustness.refusal(self, problem)
            if refusal is not None:
                await self.send_error(mid, *refusal)
            return
        choke = robustness.answer_valid(self, payload)
        if choke is not None:
            await self.send_error(mid, *choke)
            return
        try:
            result = await handler(payload)
        except Reply as rep:
            await self.send_error(mid, rep.code, rep.description, rep.details)
            return
        except NoAnswer:
            return
        except Exception as exc:  # a bug in the reference station shows up as InternalError, never a hang
            log.exception("reference station handler %s", action)
            await self.send_error(mid, "InternalError", str(exc)[:200])
            return
        await self.send_result(mid, result)
        await self.after_answer(action, payload, result)

    async def after_answer(self, action: str, payload: dict, result: Any) -> None:
        """Version hook: actions that follow an answer (a reset reboots after Accepted, a trigger sends)."""

    def validate_request(self, action: str, payload: dict) -> tuple[str, str] | None:
        """Schema-check an incoming CSMS request; returns (errorCode, description) when invalid."""
        from ..validator import SchemaValidator
        from ..versions import VERSIONS
        validator = _VALIDATORS.get(self.version)
        if validator is None:
            validator = _VALIDATORS[self.version] = SchemaValidator(VERSIONS[self.version])
        findings = robustness.unchecked(self, validator.validate(action, payload))
        if not findings:
            return None
        if robustness.accepted_anyway(self, findings):
            raise NoAnswer()
        return validator.error_code(findings), findings[0].message[:200]

    @property
    def format_violation(self) -> str:
        return "FormationViolation" if self.version == "1.6" else "FormatViolation"


_VALIDATORS: dict[str, Any] = {}
