"""The fake CSMS: a WebSocket server that plays the central system for a charging station under test.

It runs on its own asyncio thread and timestamps every frame at the socket. Tests drive it through the
synchronous :class:`StationSession` API (`expect`, `call`, `override`, `forbid`, `send_raw`). Every frame,
in both directions, passes the OCPP-J framing checks, the RPC state checks and the schema validator; every
violation is a :class:`~vgitest.findings.Finding` on the frame, and a bad frame from the DUT gets the
protocol-correct CALLERROR.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import dataclasses
import itertools
import json
import logging
import ssl
import threading
import time
import urllib.parse
import uuid
from collections import deque
from typing import Any, Callable, Iterator

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.frames import DATA_OPCODES, Frame as WsFrame, Opcode
from websockets.protocol import State

from ..budgets import Budgets
from .. import latency
from ..bounded import RECENT_IDS, RecentSet
from ..evidence.allure import attach_frames
from ..evidence.allure import step as _step
from ..expect import Match, PeerSession, exchange_of, matches
from ..findings import Finding, Severity
from ..loop import BackgroundLoop
from ..trace import Direction, Frame, Trace, now
from ..verdict import HarnessError, Inconclusive, NonConformance
from ..waits import waiting
from ..wire import MAX_BYTES as MAX_WIRE_BYTES, WireLog, forget_closed
from . import codec, handlers, wsfail
from . import identity as station_identity
from . import rules as r
from .validator import Erratum, SchemaValidator
from .versions import BY_SUBPROTOCOL, CALLRESULTERROR, VERSIONS, OcppVersion, csms_may_not_send

log = logging.getLogger("vgitest.ocpp.csms")
log.addFilter(wsfail.PeerErrorsWithoutTracebacks())
# permessage-deflate (RFC 7692; a 2.0.1 CSMS must support it) without context takeover on either side, so that
# every message in a capture decompresses on its own and a per-test pcapng stays readable in Wireshark.
_DEFLATE_NO_TAKEOVER = ServerPerMessageDeflateFactory(server_no_context_takeover=True,
                                                      client_no_context_takeover=True)
MAX_IDENTITY = 48
# what a closed connection leaves behind is kept for the evidence of the test it closed in, not for the whole run:
# beyond these, the oldest closed wire logs and the sessions of the oldest disconnected stations are forgotten
KEEP_CLOSED_WIRES = 64
KEEP_IDLE_SESSIONS = 64
KEEP_LATENCIES = 100_000  # harness latency samples per station (a benchmark's run; a test judges its own frames)
# A fleet (issue 19): what every connection keeps is shared out of these budgets once many are open, so memory stays
# bounded however many stations connect and however long they talk: each one's wire log (WireLog.max_bytes, for
# the pcapng), its recent latency samples, and the recent message ids each id check looks back over.
FLEET_WIRE_BYTES = 64 * 2 ** 20
FLEET_LATENCIES = 256_000
FLEET_IDS = 256_000  # per kind of id set
MIN_WIRE_BYTES, MIN_LATENCIES, MIN_IDS = 64 * 1024, 256, 256


# --- what a handler may answer ---------------------------------------------------------------------------
@dataclasses.dataclass
class CallError:
    """Answer a station CALL with a CALLERROR."""

    code: str
    description: str = ""
    details: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Delay:
    """Answer after `seconds` (the delay is excluded from the harness's own latency figure)."""

    seconds: float
    then: Any = None  # a payload, a CallError, or None for the default handler


class _NoReply:
    def __repr__(self) -> str:
        return "NO_REPLY"


NO_REPLY = _NoReply()  # never answer this CALL (the socket stays open)


class OcppCallError(NonConformance):
    """The station answered a CSMS CALL with a CALLERROR the test did not ask for (`call`; a case that expects one
    uses `call_frame`). It carries the finding `call` recorded, so the FAIL names its rule."""

    def __init__(self, action: str, frame: Frame, findings: list[Finding] | None = None) -> None:
        self.code = (frame.body or {}).get("errorCode")
        self.frame = frame
        super().__init__(self.describe(action, frame), findings)

    @staticmethod
    def describe(action: str, frame: Frame) -> str:
        body = frame.body or {}
        return f"{action}: station answered CALLERROR {body.get('errorCode')} ({body.get('errorDescription')!r})"


# --- the WebSocket connection with socket-level timestamps ------------------------------------------------
class _Connection(ServerConnection):
    """Records arrival time at `data_received` and raw bytes both ways, for latency and pcapng."""

    identity: str | None = None
    conn_id: str = ""
    wire: WireLog | None = None
    rejected: list[Finding]
    frames_in = 0  # frames the library accepted: a refused frame is the next one on the wire
    on_bad_handshake: Callable[["_Connection"], None] | None = None
    _bad_handshake_seen = False
    # The fast path (a fleet's hot path): a whole text message is handled inside `data_received`, as it arrives,
    # instead of being queued for `recv()` and a task wake-up. It returns False to decline (the write buffer is
    # full: the queued path then waits for the station to read, which is the back-pressure a flood needs).
    on_text: Callable[[str, tuple[int, float]], bool] | None = None
    queued = 0  # messages handed to `recv()` and not yet handled: later ones queue behind them (order is kept)
    _mid_fragment = False  # a fragmented message is being received: it, and what follows it, take the queue

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.rx_times: deque[tuple[int, float]] = deque()
        self._last_rx = now()
        self.rejected = []
        peer = transport.get_extra_info("peername") or ("?", 0)
        sock = transport.get_extra_info("sockname") or ("?", 0)
        self.wire = WireLog("", (str(peer[0]), int(peer[1])), (str(sock[0]), int(sock[1])),
                            tls=transport.get_extra_info("sslcontext") is not None)
        write = transport.write  # type: ignore[attr-defined]
        wire = self.wire

        def _write(data: bytes) -> None:
            t, w = now()
            wire.add(t, w, Direction.OUT, data)
            write(data)

        transport.write = _write  # type: ignore[attr-defined]

    def connection_lost(self, exc: Exception | None) -> None:
        if self.wire is not None:
            self.wire.closed = True
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._last_rx = now()
        if self.wire is not None:
            self.wire.add(self._last_rx[0], self._last_rx[1], Direction.IN, data)
        super().data_received(data)
        if self.request is None:  # a request the library refused before process_request ever saw it
            self._report_bad_handshake()

    async def handshake(self, *args: Any, **kwargs: Any) -> None:
        try:
            await super().handshake(*args, **kwargs)
        finally:  # a request that parsed but is no acceptable upgrade (e.g. no Upgrade header)
            self._report_bad_handshake()

    def _report_bad_handshake(self) -> None:
        if self.protocol.handshake_exc is not None and not self._bad_handshake_seen and self.on_bad_handshake:
            self._bad_handshake_seen = True
            self.on_bad_handshake(self)

    def process_event(self, event: Any) -> None:
        if isinstance(event, WsFrame):
            self.frames_in += 1
        opcode = getattr(event, "opcode", None)
        if opcode in DATA_OPCODES:
            if not event.fin:
                self._mid_fragment = True
            else:
                if (opcode is Opcode.TEXT and self.on_text is not None and not self._mid_fragment
                        and not self.queued):
                    try:
                        text = str(event.data, "utf-8")
                    except UnicodeDecodeError:  # the library's own path refuses it (close 1007, a MALFORMED frame)
                        text = None
                    if text is not None and self.on_text(text, self._last_rx):
                        return
                self._mid_fragment = False
                self.rx_times.append(self._last_rx)
                self.queued += 1
        super().process_event(event)


# --- per connection RPC state ------------------------------------------------------------------------------
@dataclasses.dataclass
class _Outstanding:
    action: str
    frame: Frame
    future: asyncio.Future


class _Link:
    """One live connection of a station: its socket, version and RPC bookkeeping."""

    def __init__(self, ws: _Connection, version: OcppVersion, conn_id: str) -> None:
        self.ws = ws
        self.version = version
        self.conn_id = conn_id
        self.dut_call_ids: RecentSet = RecentSet()
        self.dut_pending: dict[str, int] = {}  # DUT CALL id -> t_ns it arrived, until answered/expired
        # DUT CALL id -> (t_ns it arrived, t_ns just before its answer was written): a later CALL that reached the
        # socket before that write was sent while this one was outstanding, even if it was read after the answer
        self.dut_answer_written: dict[str, tuple[int, int]] = {}
        self.answered_dut_calls = RecentSet()
        self.ours: dict[str, _Outstanding] = {}
        self.our_answered = RecentSet()
        self.our_timed_out: dict[str, str] = {}
        self.call_lock = asyncio.Lock()
        self.triggered: set[str] = set()


# --- the test-facing session of one station identity -------------------------------------------------------
class StationSession(PeerSession):
    """A station identity as seen by the fake CSMS, across its (re)connections. Synchronous API for tests."""

    expected_rule, forbidden_rule = r.EXPECTED_MESSAGE, r.FORBIDDEN_MESSAGE

    def __init__(self, csms: "FakeCsms", identity: str) -> None:
        self._init_session(csms)
        self.csms = csms
        self.identity = identity
        self.who = identity
        self.link: _Link | None = None
        self.version: str | None = None
        self.connections = 0
        self.boot_status = "Accepted"
        self.boot_retry_interval = 5
        self.heartbeat_interval = csms.heartbeat_interval
        self.registration = "unknown"  # status of the last BootNotification answer, "unknown" before one
        self.tokens: dict[str, str] = {}
        self.unknown_token_status = "Accepted"
        self.transactions: dict[str, dict] = {}
        self.abandoned_tx: set[str] = set()  # transactions the clean-up gave up on (the station does not know them)
        self.dut_call_timeout_s = csms.budgets.timing("ocpp", "response_timeout").value_s or 30.0
        # an answer up to the response timeout plus this tolerance is on time (schemas/budgets/ocpp.toml)
        self.response_tolerance_s = csms.budgets.timing("ocpp", "tolerance").value_s or 0.0
        self.latencies_ns: deque[int] = deque(maxlen=csms._latency_cap)  # the recent ones: a soak must not grow
        self._connected = asyncio.Event()  # loop-side
        self.msgid_scope_ids = RecentSet()  # for 2.1 identity-wide message id uniqueness
        self.refusing = False  # offline(): the CSMS refuses this station's connections (HTTP 503)

    # configuration ------------------------------------------------------------------------------------
    def token_status(self, token: str | None) -> str:
        if token is None:
            return self.unknown_token_status
        return self.tokens.get(token, self.unknown_token_status)

    def override(self, action: str, answer: Any, *, once: bool = False) -> None:
        """Answer `action` with `answer`: a payload dict, a callable(payload) -> answer, CallError, Delay or NO_REPLY."""
        super().override(action, answer, once=once)

    def forbid(self, action: str, reason: str = "") -> None:
        """Any `action` CALL from the station is a finding (OCPP-FORBIDDEN-MESSAGE) until `allow(action)`."""
        super().forbid(action, reason or f"{action} is not allowed in this scenario")

    def reset_for_test(self) -> None:
        """Forget per-test configuration; keep the connection and what the station already told us."""
        self._reset_session()
        self.boot_status = "Accepted"
        self.tokens.clear()
        self.unknown_token_status = "Accepted"
        self.heartbeat_interval = self.csms.heartbeat_interval
        self.refusing = False

    # state ---------------------------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self.link is not None

    def frames(self, since: int | None = None) -> list[Frame]:
        start = self.cursor if since is None else since
        return [f for f in self.csms.trace.since(start) if f.meta.get("identity") == self.identity]

    # waiting -------------------------------------------------------------------------------------------
    def expect(self, action: str, timeout: float = 10.0, match: Match = None, *, kind: str = "CALL",
               fresh: bool = False, since: int | None = None) -> Frame:
        """Wait for the station to send `action` (optionally matching a partial payload, see
        :func:`vgitest.expect.matches`); consume it.

        Searches from the session cursor (the end of the last expected frame, or the start of the test), so
        a message that arrived just before the call is still found; `fresh=True` ignores earlier frames;
        `since=index` searches from a trace index instead (for messages the protocol does not order against the
        ones expected before them). Raises NonConformance (OCPP-EXPECTED-MESSAGE) on timeout.
        """
        return self._expect(action, self._sent(action, match, kind), timeout, match, start=self._start(fresh, since),
                            received=self._received)

    def _received(self, start: int) -> str:
        """What the station sent from `start` on, in order ('' for nothing)."""
        seen = [f.name or f.kind for f in self.frames(start) if f.direction is Direction.IN]
        return str(seen) if seen else ""

    def expect_none(self, action: str, within: float, match: Match = None) -> None:
        """Assert the station does NOT send `action` for `within` seconds (OCPP-FORBIDDEN-MESSAGE otherwise)."""
        self._expect_none(action, self._sent(action, match), within)

    def _sent(self, action: str, match: Match, kind: str = "CALL") -> Callable[[Frame], bool]:
        """The frames of `action` (a `kind` message) from this station whose payload matches `match`."""
        def pred(f: Frame) -> bool:
            return (f.direction is Direction.IN and f.meta.get("identity") == self.identity and f.kind == kind
                    and f.name == action and (match is None or matches(f.body, match)))
        return pred

    def settle_first_contact(self, timeout: float) -> None:
        """Before a test power-cycles the station: if it is still in its first boot exchange with us, let that
        exchange finish. A power cycle that cuts the station off between its BootNotification and our answer
        leaves an unanswered boot in the trace, which a test would take for this power cycle's boot."""
        if self.registration != "unknown":
            return
        deadline = time.monotonic() + min(timeout, 1.0)  # a station that is not connecting costs at most 1 s
        while self.link is None and time.monotonic() < deadline:
            time.sleep(0.01)
        if self.link is None:
            return

        def answered(f: Frame) -> bool:
            return (f.direction is Direction.OUT and f.meta.get("identity") == self.identity
                    and f.name == "BootNotification" and f.kind in ("CALLRESULT", "CALLERROR"))

        self.csms.trace.wait_for(answered, 0, timeout)
        self.cursor = max(self.cursor, len(self.csms.trace))  # that exchange is not the test's to expect

    def wait_connected(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.link is None:
            if time.monotonic() > deadline:
                raise NonConformance(f"station {self.identity} did not (re)connect within {timeout:g} s")
            time.sleep(0.01)

    # verdicts ------------------------------------------------------------------------------------------
    # acting --------------------------------------------------------------------------------------------
    def call(self, action: str, payload: dict, timeout: float | None = None, *, validate: bool = True,
             negative: str | None = None) -> dict:
        """Send a CALL and return the validated CALLRESULT payload. A CALLERROR raises OcppCallError; no
        answer within `timeout` (default: budget ocpp.response_timeout) raises NonConformance. A CALL the CSMS
        must not send in the station's state (OCPP 1.6 §4.2) is refused unless `negative` says why a negative
        case sends it."""
        frame = self.call_frame(action, payload, timeout, validate=validate, negative=negative)
        if frame.kind == "CALLERROR":  # the scenario needs the request served: an error answer is the wrong answer
            why = OcppCallError.describe(action, frame) + "; the scenario needs the request served"
            raise OcppCallError(action, frame, [self.record(r.STATION_RESPONSE, why, frame)])
        return frame.body

    def call_frame(self, action: str, payload: dict, timeout: float | None = None, *, validate: bool = True,
                   negative: str | None = None) -> Frame:
        """Send a CALL and return the station's answer frame (CALLRESULT or CALLERROR). Without an explicit
        `timeout` the station has the response timeout plus the tolerance (schemas/budgets/ocpp.toml)."""
        timeout = self.dut_call_timeout_s + self.response_tolerance_s if timeout is None else timeout
        if validate:
            self._check_own(action, payload)
        forbidden = csms_may_not_send(self.version or "", self.registration, action)
        if forbidden and not negative:
            raise HarnessError(f"the fake CSMS will not send {action} now: {forbidden} (a negative case passes "
                               "negative='why')")
        with _step(f"{action} -> {self.identity}"), waiting(f"the answer to {action} from {self.identity}", timeout):
            start = len(self.csms.trace)
            answer = self.csms.loop.run(self.csms._call(self, action, payload, timeout), timeout=timeout + 10)
            attach_frames(exchange_of(self.csms.trace, answer, start), "request and answer")
            return answer

    def send_raw(self, data: str | bytes) -> None:
        """Send any text (or bytes, as a binary frame) exactly as given: for negative tests."""
        self.csms.loop.run(self.csms._send_raw(self, data))

    def disconnect(self, code: int = 1000) -> None:
        """Close the station's WebSocket from the CSMS side."""
        link = self.link
        if link is not None:
            self.csms.loop.run(link.ws.close(code))

    @contextlib.contextmanager
    def offline(self) -> Iterator[None]:
        """The CSMS is out of the station's reach for the block: the connection is closed and every reconnection
        refused with HTTP 503 (a REJECT frame in the trace, no finding); afterwards the station may reconnect. For
        the offline cases: what the station does meanwhile (queueing transaction messages) shows after the block."""
        self.refusing = True
        try:
            self.disconnect()
            yield
        finally:
            self.refusing = False

    def _check_own(self, action: str, payload: dict) -> None:
        link = self._link_or_wait()
        validator = self.csms.validator(link.version.name)
        if action not in validator.actions:
            raise HarnessError(f"{action} is not an OCPP {link.version.name} action")
        bad = [f for f in validator.validate(action, payload) if f.severity is Severity.FAIL]
        if bad:
            raise HarnessError(f"the test's own {action} payload is invalid: " + "; ".join(map(str, bad)) +
                               " (pass validate=False to send it on purpose)")

    def _link_or_wait(self) -> _Link:
        if self.link is None:
            self.wait_connected(self.csms.connect_timeout)
        if self.link is None:  # it connected and was gone again at once: nothing to send the CALL on
            raise Inconclusive(f"station {self.identity} is not connected (it closed right after connecting)")
        return self.link

    # reporting -----------------------------------------------------------------------------------------
    def latency_summary(self, since_ns: int = 0) -> dict[str, float] | None:
        return latency.summary(self.latencies_ns)


# --- the server --------------------------------------------------------------------------------------------
def _id_readable(data: str | bytes) -> bool:
    """Whether a strict JSON parser reads a message id (a string in second place of an array) in ``data``."""
    try:
        msg = json.loads(data)
    except ValueError:
        return False
    return isinstance(msg, list) and len(msg) > 1 and isinstance(msg[1], str)


class FakeCsms:
    """Fake central system. Usable from a plain script::

        with FakeCsms(port=9000) as csms:
            station = csms.wait_for_station(timeout=60)
            station.expect("BootNotification")
            print(station.call("GetConfiguration", {}))
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, versions: tuple[str, ...] = ("2.1", "2.0.1", "1.6"),
                 identities: set[str] | None = None, passwords: dict[str, str] | None = None,
                 security_profile: int = 0, ssl_context: ssl.SSLContext | None = None,
                 budgets: Budgets | None = None, lenient: bool = False, schema_path: str | None = None,
                 errata: list[Erratum] | None = None, heartbeat_interval: int = 60, path_prefix: str = "/ocpp",
                 connect_timeout: float = 30.0, trace: Trace | None = None, cpo_name: str | None = None) -> None:
        for v in versions:
            if v not in VERSIONS:
                raise HarnessError(f"unknown OCPP version {v!r}")
        if security_profile in (2, 3) and ssl_context is None:
            raise HarnessError(f"security profile {security_profile} needs TLS material (ssl_context)")
        self.host, self.port = host, port
        self.versions = versions
        self.identities = identities
        self.passwords = passwords or {}
        self.security_profile = security_profile
        self.ssl_context = ssl_context
        self.cpo_name = cpo_name  # profile 3: the O of a station certificate (None: not judged)
        self.tls_generation = 0  # how many times the server was restarted with another TLS context (set_tls)
        self.tls_attempts = 0  # TLS handshakes begun (a refused one may leave no other trace)
        self._basic_seen: dict[str, dict] = {}  # identity -> what its last Basic credentials looked like (no secret)
        if ssl_context is not None:
            self._watch_handshakes(ssl_context)
        self.budgets = budgets or Budgets.load()
        self.lenient = lenient
        self.schema_path = schema_path
        self.errata = errata
        self.heartbeat_interval = heartbeat_interval
        self.path_prefix = path_prefix.rstrip("/")
        self.connect_timeout = connect_timeout
        self.trace = trace or Trace()
        self.sessions: dict[str, StationSession] = {}
        self._sessions_lock = threading.Lock()  # session() is called from the test's thread and the loop's
        self._since_sweep = 0  # connections opened or closed since closed ones were last forgotten
        self.wires: list[WireLog] = []
        # each connection's (session's) share of the fleet budgets, set by _fit_fleet
        self._wire_cap, self._ids_cap, self._latency_cap = MAX_WIRE_BYTES, RECENT_IDS, KEEP_LATENCIES
        self._validators: dict[str, SchemaValidator] = {}
        self._tx_counter = itertools.count(1)
        self._conn_counter = itertools.count(1)
        self._server: Server | None = None
        self.loop: BackgroundLoop | None = None  # type: ignore[assignment]

    # lifecycle ------------------------------------------------------------------------------------------
    def start(self) -> "FakeCsms":
        for v in self.versions:
            self.validator(v)  # fail fast on missing schemas
        self.loop = BackgroundLoop("vgitest-csms")
        self._server = self.loop.run(self._start())
        sock = next(iter(self._server.sockets))
        self.port = sock.getsockname()[1]
        return self

    async def _start(self) -> Server:
        return await serve(self._handle, self.host, self.port, create_connection=self._new_connection,
                           select_subprotocol=self._select_subprotocol, process_request=self._process_request,
                           ssl=self.ssl_context, ping_interval=None, max_size=r.MAX_MESSAGE, compression=None,
                           extensions=[_DEFLATE_NO_TAKEOVER], logger=log)

    def set_tls(self, ssl_context: ssl.SSLContext) -> None:
        """Serve with another TLS context from now on, on the same port (the negative TLS matrix: an expired,
        untrusted or misnamed certificate, an old TLS version, a weak suite). Open connections are closed, so
        the station's next attempt meets the new context."""
        if self.ssl_context is None:
            raise HarnessError("set_tls needs a CSMS that serves TLS (security profile 2 or 3)")
        self.set_security(self.security_profile, ssl_context)

    def set_security(self, security_profile: int, ssl_context: ssl.SSLContext | None) -> None:
        """Enforce another security profile from now on, on the same port: plain ws:// for 0 and 1, TLS for 2 and
        3 (the upgrade case TC_A_19_CS moves a station up a profile, and back). Open connections are closed."""
        if security_profile in (2, 3) and ssl_context is None:
            raise HarnessError(f"security profile {security_profile} needs TLS material (ssl_context)")
        if ssl_context is not None:
            self._watch_handshakes(ssl_context)

        async def _swap() -> None:
            assert self._server is not None
            self._server.close()
            await asyncio.wait_for(self._server.wait_closed(), 5)
            self.ssl_context = ssl_context
            self.security_profile = security_profile
            self.tls_generation += 1
            self._server = await self._start()

        assert self.loop is not None
        self.loop.run(_swap(), timeout=10)

    def _watch_handshakes(self, ctx: ssl.SSLContext) -> None:
        """Every refused TLS handshake becomes a TLS frame: a station's refusal of a CSMS it must not trust is
        the evidence the negative cases judge, and it happens before any HTTP request names the station."""
        from ..tlsutil import describe_handshake_error, record_handshake_failures

        def sink(exc: ssl.SSLError) -> None:
            t, w = now()
            self.trace.append(Frame(t, w, Direction.IN, "ocpp", "", "", "TLS",
                                    meta={"error": str(exc), "generation": self.tls_generation,
                                          **describe_handshake_error(exc)}))

        record_handshake_failures(ctx, sink)
        csms = self
        base = ctx.sslobject_class
        if getattr(base, "_vgi_counted", False):
            base = base.__bases__[0]

        class _Counted(base):  # type: ignore[misc,valid-type]
            """Counts TLS attempts: a client that drops a refused handshake without an alert (asyncio's does)
            leaves the server no error to record, only an attempt that never became a connection."""
            _vgi_counted = True
            _vgi_seen = False

            def do_handshake(self) -> None:
                if not self._vgi_seen:
                    self._vgi_seen = True
                    csms.tls_attempts += 1
                super().do_handshake()

        ctx.sslobject_class = _Counted

    def _new_connection(self, *args: Any, **kwargs: Any) -> _Connection:
        conn = _Connection(*args, **kwargs)
        conn.on_bad_handshake = self._bad_handshake
        return conn

    def begin_body(self, index: int) -> None:
        """A case's body starts at trace `index`: the waits of every station session look from there on (a message
        of the preamble does not satisfy what the body waits for)."""
        for session in self.sessions.values():
            session.cursor = max(session.cursor, index)

    def stop(self) -> None:
        if self.loop is None:
            return
        if self._server is not None:
            srv = self._server

            async def _close() -> None:
                srv.close()
                await asyncio.wait_for(srv.wait_closed(), 5)

            try:
                self.loop.run(_close(), timeout=8)
            except Exception:  # closing must never mask the test's own result
                log.exception("closing the fake CSMS")
        self.loop.stop()
        self.loop = None

    def __enter__(self) -> "FakeCsms":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        scheme = "wss" if self.ssl_context else "ws"
        return f"{scheme}://{self.host}:{self.port}{self.path_prefix}"

    def url_for(self, identity: str) -> str:
        return f"{self.url}/{urllib.parse.quote(identity, safe='')}"

    def validator(self, version: str) -> SchemaValidator:
        v = self._validators.get(version)
        if v is None:
            v = SchemaValidator(VERSIONS[version], schema_path=self.schema_path, lenient=self.lenient,
                                errata=self.errata)
            self._validators[version] = v
        return v

    def next_transaction_id(self) -> int:
        return next(self._tx_counter)

    def session(self, identity: str) -> StationSession:
        """The one session of `identity`. Called from the test's thread (a case asks for its station) and from the
        event loop's (the station connects); without the lock both could make one at the same moment and the
        connection's link land on the other (seen: a connected station the case waited 30 s for)."""
        with self._sessions_lock:
            s = self.sessions.get(identity)
            if s is None:
                s = self.sessions[identity] = StationSession(self, identity)
            return s

    def wait_for_station(self, identity: str | None = None, timeout: float = 30.0) -> StationSession:
        """Wait until a station (this identity, or any) is connected and return its session."""
        deadline = time.monotonic() + timeout
        while True:
            for ident, s in list(self.sessions.items()):
                if (identity is None or ident == identity) and s.connected:
                    return s
            if time.monotonic() > deadline:
                who = identity or "any station"
                raise NonConformance(f"{who} did not connect to {self.url} within {timeout:g} s")
            time.sleep(0.01)

    def latencies(self) -> list[int]:
        return [x for s in self.sessions.values() for x in s.latencies_ns]

    # handshake ------------------------------------------------------------------------------------------
    def _select_subprotocol(self, conn: _Connection, offered: Any) -> Any:
        for name in offered:  # the client's order is its preference
            v = BY_SUBPROTOCOL.get(name)
            if v is not None and v.name in self.versions:
                return name
        return None

    def _process_request(self, conn: _Connection, request: Any) -> Any:
        t, w = now()
        path = urllib.parse.urlsplit(request.path).path
        conn.conn_id = f"conn{next(self._conn_counter)}"
        assert conn.wire is not None
        conn.wire.connection = conn.conn_id
        conn.wire.max_bytes = self._wire_cap
        self.wires.append(conn.wire)
        self._forget_closed()
        prefix = self.path_prefix + "/"
        ident_raw = path[len(prefix):] if path.startswith(prefix) else ""
        identity = urllib.parse.unquote(ident_raw)
        meta = {"path": request.path, "identity": identity or None,
                "subprotocols": request.headers.get("Sec-WebSocket-Protocol", "")}
        problems: list[Finding] = []
        status = None
        odd = station_identity.problem(ident_raw) if ident_raw and "/" not in ident_raw else None
        if odd is not None:
            problems.append(Finding.of(r.IDENTITY_CHARS, f"station identity {ident_raw!r} in the URL path: {odd[0]}",
                                       severity=odd[1]))
        if odd is not None and odd[1] is Severity.FAIL:
            status = 400
            meta["identity"] = None  # a mangled name names no station
        elif not identity or "/" in identity:
            problems.append(Finding.of(r.IDENTITY, f"no station identity in the URL path {request.path!r}; expected "
                                       f"{prefix}<identity>"))
            status = 404
        elif ":" in identity or len(identity) > MAX_IDENTITY:
            problems.append(Finding.of(r.IDENTITY, f"identity {identity!r} contains ':' or is longer than 48 chars"))
            status = 404
        elif self.identities is not None and identity not in self.identities:
            problems.append(Finding.of(r.IDENTITY, f"identity {identity!r} is not known to this CSMS"))
            status = 404
        if status is None and self.security_profile in (1, 2):
            problem = self._check_basic_auth(identity, request.headers.get("Authorization"))
            if problem:
                problems.append(Finding.of(r.BASIC_AUTH, problem))
                status = 401
        if status is None and identity in self.sessions and self.sessions[identity].refusing:
            status = 503  # StationSession.offline(): the CSMS is "unreachable" on purpose; not the station's fault
            meta["offline"] = True
        if status is None and self.security_profile == 3:
            problem = self._check_client_certificate(conn, identity)
            if problem:
                problems.append(Finding.of(r.CLIENT_CERT, problem))
                status = 401
        ssl_object = conn.transport.get_extra_info("ssl_object") if conn.transport is not None else None
        if ssl_object is not None:
            meta["tls_version"] = ssl_object.version()
            meta["cipher"] = (ssl_object.cipher() or (None,))[0]
        if status is None:
            conn.identity = identity
            for f in problems:  # accepted with a warning: the OPEN frame carries it
                conn.rejected.append(f)
            return None
        meta["status"] = status
        frame = Frame(t, w, Direction.IN, "ocpp", "", conn.conn_id, "REJECT", raw=_request_bytes(request),
                      findings=problems, meta=meta)
        for f in problems:
            f.frame_index = self.trace.append(frame).index if f is problems[0] else frame.index
        if not problems:
            self.trace.append(frame)
        reasons = {400: "Malformed station identity\n", 404: "Unknown station identity\n",
                   503: "CSMS offline (test)\n"}
        resp = conn.respond(status, reasons.get(status, "Unauthorized\n"))
        if status == 401:
            resp.headers["WWW-Authenticate"] = 'Basic realm="vgitest", charset="UTF-8"'
        return resp

    def _check_client_certificate(self, conn: _Connection, identity: str) -> str | None:
        """Profile 3: the station authenticates with its certificate (verified against the CSMS's CA by the TLS
        layer when it is sent): its O names the CPO and its CN is the station's serial number, here the identity
        the station connects with."""
        from cryptography.x509.oid import NameOID
        from ..tlsutil import peer_certificate
        cert = peer_certificate(conn.transport.get_extra_info("ssl_object") if conn.transport else None)
        if cert is None:
            return "no client certificate (security profile 3 authenticates the station by its certificate)"
        cn = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
        org = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
        if self.cpo_name is not None and org != [self.cpo_name]:
            return f"client certificate O is {org!r}, expected the CPO {self.cpo_name!r}"
        if cn != [identity]:
            return f"client certificate CN is {cn!r}, expected the station's serial number / identity {identity!r}"
        return None

    def _check_basic_auth(self, identity: str, header: str | None) -> str | None:
        if not header:
            return "no Authorization header (security profile requires HTTP Basic)"
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return f"Authorization scheme is {scheme!r}, expected Basic"
        try:
            user, sep, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return "Authorization value is not base64 of 'identity:password'"
        if not sep:
            return "Basic credentials lack the ':' separator"
        from .passwords import password_problem
        self._basic_seen[identity] = {"user": user, "password_length": len(password),
                                      "password_problem": password_problem(password)}
        if user != identity:
            return f"Basic user name {user!r} differs from the identity in the URL {identity!r}"
        expected = self.passwords.get(identity, self.passwords.get("*"))
        if expected is not None and password != expected:
            return "wrong password"
        return None

    def _bad_handshake(self, conn: _Connection) -> None:
        """A request the library refused before `_process_request` (e.g. a 10k-character URL: 414): kept as a
        REJECT frame with the request bytes (bounded) and the status sent, instead of only a logged traceback."""
        t, w = now()
        if not conn.conn_id and conn.wire is not None:  # refused before _process_request named it
            conn.conn_id = f"conn{next(self._conn_counter)}"
            conn.wire.connection = conn.conn_id
            self.wires.append(conn.wire)
        exc = conn.protocol.handshake_exc
        cause = exc.__cause__ if exc is not None and exc.__cause__ is not None else exc
        status = wsfail.response_status(conn.wire)
        raw, meta = wsfail.keep(wsfail.received(conn.wire, after_handshake=False))
        answer = f"refused with HTTP {status}" if status else "connection closed without an HTTP response"
        finding = Finding.of(r.HANDSHAKE, f"opening handshake refused: {cause}; {answer}")
        self._append(Frame(t, w, Direction.IN, "ocpp", "", conn.conn_id, "REJECT", raw=raw, findings=[finding],
                           meta={**meta, "status": status, "error": type(cause).__name__}))

    # the connection ---------------------------------------------------------------------------------------
    async def _handle(self, ws: _Connection) -> None:
        identity = ws.identity or "?"
        session = self.session(identity)
        version = BY_SUBPROTOCOL.get(ws.subprotocol or "")
        t, w = now()
        open_frame = Frame(t, w, Direction.IN, "ocpp", version.name if version else "", ws.conn_id, "OPEN",
                           meta={"identity": identity, "offered": ws.request.headers.get("Sec-WebSocket-Protocol", "")
                                 if ws.request else "", "negotiated": ws.subprotocol, "tls": ws.wire.tls,
                                 "host": ws.request.headers.get("Host", "") if ws.request else ""})
        if identity in self._basic_seen:  # the password's shape, never the password (TC_A_01_CS)
            open_frame.meta["basic_auth"] = self._basic_seen.pop(identity)
        ssl_object = ws.transport.get_extra_info("ssl_object") if ws.transport is not None else None
        if ssl_object is not None:  # what the station agreed to: the security-profile cases judge it
            open_frame.meta["tls_version"] = ssl_object.version()
            open_frame.meta["cipher"] = (ssl_object.cipher() or (None,))[0]
        open_frame.findings.extend(ws.rejected)  # identity warnings of the handshake
        if version is None:
            open_frame.findings.append(Finding.of(r.SUBPROTOCOL, "station offered "
                                                  f"{open_frame.meta['offered']!r}; none of "
                                                  f"{[VERSIONS[v].subprotocol for v in self.versions]} matched"))
            self._append(open_frame)
            await ws.close(1002, "no supported OCPP subprotocol")
            self._append_close(ws, identity, "")
            return
        self._append(open_frame)
        link = _Link(ws, version, ws.conn_id)
        session.link, session.version = link, version.name
        session.connections += 1
        if version.msgid_scope == "connection":
            link.dut_call_ids = RecentSet()
        else:
            link.dut_call_ids = session.msgid_scope_ids
        for ids_set in (link.dut_call_ids, link.answered_dut_calls, link.our_answered):
            ids_set.limit = min(ids_set.limit, self._ids_cap)
        ws.on_text = lambda text, rx: self._on_text_now(session, link, text, rx)
        try:
            while True:
                data = await ws.recv()
                t_ns, wall = ws.rx_times.popleft() if ws.rx_times else now()
                try:
                    self._on_message_guarded(session, link, data, t_ns, wall)
                    await self._drain(ws)
                finally:
                    ws.queued -= 1
        except ConnectionClosed as exc:
            self._refused_frame(ws, identity, version.name, exc)
        finally:
            if session.link is link:
                session.link = None
            for o in link.ours.values():
                if not o.future.done():
                    o.future.set_result(None)
            self._append_close(ws, identity, version.name)
            self._forget_closed()

    def _on_text_now(self, session: StationSession, link: _Link, text: str, rx: tuple[int, float]) -> bool:
        """The fast path: a text message handled as it arrives (see `_Connection.on_text`); False while the
        station is not reading what the CSMS writes (the queued path then waits for it)."""
        if link.ws.paused:
            return False
        self._on_message_guarded(session, link, text, rx[0], rx[1])
        return True

    def _on_message_guarded(self, session: StationSession, link: _Link, data: str | bytes, t_ns: int,
                            wall: float) -> None:
        try:
            self._on_message(session, link, data, t_ns, wall)
        except Exception:  # a harness bug must not kill the connection silently
            log.exception("internal error while handling a frame")
            err = Finding.of(r.FRAME_SHAPE, "harness internal error while handling this frame",
                             severity=Severity.INFO)
            self.trace.add_finding(err)

    @staticmethod
    async def _drain(ws: _Connection) -> None:
        """Wait while the station does not read what the CSMS wrote (TCP back-pressure, as `send` does)."""
        try:
            await ws.drain()
        except Exception:  # a connection that broke meanwhile: the next recv() reports the close
            pass

    @staticmethod
    def _write(ws: _Connection, text: str) -> bool:
        """Hand a text message to the socket now, without a task switch; False when the connection is no longer
        open (what `send` reports as ConnectionClosed)."""
        data = text.encode("utf-8")
        if ws.protocol.state is not State.OPEN:
            return False
        try:
            ws.protocol.send_text(data)
            ws.send_data()
        except Exception as exc:  # an OSError from the transport: the connection is over
            ws.set_connection_exc(exc)
            if ws.transport is not None:
                ws.transport.abort()
            return False
        return True

    def _fit_fleet(self) -> None:
        """Share the fleet budgets out among the open connections (see FLEET_WIRE_BYTES); with few stations
        every connection keeps the full amounts."""
        links = [s.link for s in list(self.sessions.values()) if s.link is not None]
        n = max(1, len(links))
        wire_cap = min(MAX_WIRE_BYTES, max(MIN_WIRE_BYTES, FLEET_WIRE_BYTES // n))
        for w in self.wires:
            w.max_bytes = wire_cap
        ids = min(RECENT_IDS, max(MIN_IDS, FLEET_IDS // n))
        for link in links:
            for ids_set in (link.dut_call_ids, link.answered_dut_calls, link.our_answered):
                ids_set.limit = ids
        keep = min(KEEP_LATENCIES, max(MIN_LATENCIES, FLEET_LATENCIES // max(1, len(self.sessions))))
        for s in list(self.sessions.values()):
            if s.latencies_ns.maxlen != keep:
                s.latencies_ns = deque(s.latencies_ns, maxlen=keep)
        self._wire_cap, self._ids_cap, self._latency_cap = wire_cap, ids, keep

    def _forget_closed(self) -> None:
        """Bound what closed connections leave behind (issue 13): a soak of reconnecting stations kept every wire
        log and every session for the whole run. A station that reconnects soon keeps its session. The sweep
        reads every connection, so it runs once per KEEP_CLOSED_WIRES openings and closings: on each one, 10,000
        connections closing at once cost the event loop seconds (at most twice as many closed ones are kept)."""
        self._since_sweep += 1
        if self._since_sweep < KEEP_CLOSED_WIRES:
            return
        self._since_sweep = 0
        forget_closed(self.wires, KEEP_CLOSED_WIRES)
        self._fit_fleet()
        with self._sessions_lock:
            idle = [k for k, s in self.sessions.items() if s.link is None and not s.transactions]
            for k in idle[:max(0, len(idle) - KEEP_IDLE_SESSIONS)]:
                del self.sessions[k]

    def _append_close(self, ws: _Connection, identity: str, version: str) -> None:
        t, w = now()
        code = ws.close_code if ws.close_code is not None else None
        sent = ws.protocol.close_sent
        self._append(Frame(t, w, Direction.IN, "ocpp", version, ws.conn_id, "CLOSE",
                           meta={"identity": identity, "code": code, "reason": ws.close_reason,
                                 "sent": int(sent.code) if sent is not None else None}))

    def _refused_frame(self, ws: _Connection, identity: str, version: str, closed: ConnectionClosed) -> None:
        """The frame the library refused (invalid UTF-8, framing error, too big), as a MALFORMED trace frame."""
        cause = ws.connection_exc if isinstance(ws.connection_exc, UnicodeDecodeError) else ws.protocol.parser_exc
        sent = ws.protocol.close_sent
        failure = wsfail.frame_failure(cause, wsfail.received(ws.wire, after_handshake=True), ws.frames_in,
                                       int(sent.code) if sent is not None else None)
        if failure is None:
            return
        raw, findings, meta = failure
        t, w = ws.rx_times.popleft() if isinstance(cause, UnicodeDecodeError) and ws.rx_times else ws._last_rx
        self._append(Frame(t, w, Direction.IN, "ocpp", version, ws.conn_id, "MALFORMED", raw=raw, findings=findings,
                           meta={"identity": identity, **meta}))

    def _append(self, frame: Frame) -> Frame:
        self.trace.append(frame)
        for f in frame.findings:
            f.frame_index = frame.index
        return frame

    def _on_message(self, session: StationSession, link: _Link, data: str | bytes, t_ns: int,
                    wall: float) -> None:
        version = link.version
        validator = self.validator(version.name)
        msg = codec.parse(data, version, validator.actions)
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        frame = Frame(t_ns, wall, Direction.IN, "ocpp", version.name, link.conn_id, msg.kind, msg.action, msg.id,
                      raw, msg.body(), list(msg.findings), {"identity": session.identity})
        if msg.kind in ("CALL", "SEND") and msg.reply is None:
            self._check_dut_call(session, link, msg, frame, validator)
        elif msg.kind in ("CALLRESULT", "CALLERROR"):
            self._correlate(link, msg, frame, validator)
        elif msg.kind == "CALLRESULTERROR":
            self._correlate_result_error(link, msg, frame)
        self._append(frame)
        if msg.kind == "CALLRESULT" and CALLRESULTERROR in version.message_types and frame.name:
            # 2.1 Part 4 §4.2.3: the receiver of a CALLRESULT it cannot accept says so with a CALLRESULTERROR
            bad = [f for f in frame.findings if f.rule_id in (r.SCHEMA, r.OPTIONAL_EMPTY, r.PAYLOAD_TYPE)
                   and f.severity is Severity.FAIL]
            if bad:
                code = version.format_violation if bad[0].rule_id == r.PAYLOAD_TYPE else validator.error_code(bad)
                self._send(session, link, codec.encode_result_error(msg.id or "-1", code, bad[0].message[:255]),
                                 "CALLRESULTERROR", frame.name, msg.id, t_in=t_ns)
            return
        if msg.reply is not None:
            rid, code, desc = msg.reply
            self._send(session, link, codec.encode_error(rid, code, desc), "CALLERROR", msg.action, rid,
                             t_in=t_ns)
            return
        if msg.kind == "CALL":
            schema_fail = [f for f in frame.findings if f.rule_id in (r.SCHEMA, r.OPTIONAL_EMPTY)
                           and f.severity is Severity.FAIL]
            if schema_fail:
                code = validator.error_code(schema_fail)
                self._send(session, link, codec.encode_error(msg.id, code, schema_fail[0].message[:255]),
                                 "CALLERROR", msg.action, msg.id, t_in=t_ns)
                return
            self._answer(session, link, msg, t_ns, frame)

    def _check_dut_call(self, session: StationSession, link: _Link, msg: codec.Message, frame: Frame,
                        validator: SchemaValidator) -> None:
        version = link.version
        assert msg.id is not None and msg.action is not None
        if msg.id in link.dut_call_ids:
            frame.findings.append(Finding.of(r.MSGID_REUSED, f"CALL id {msg.id!r} was already used by the station "
                                             f"{'on this connection' if version.msgid_scope == 'connection' else ''}"
                                             .rstrip()))
        link.dut_call_ids.add(msg.id)
        # one outstanding CALL per direction (our unanswered = still being delayed or never answered)
        pending = self._outstanding_at(session, link, frame.t_ns)
        if msg.kind == "CALL" and pending:
            sev = Severity.WARN if version.call_concurrency_severity == "warn" else Severity.FAIL
            frame.findings.append(Finding.of(r.CALL_CONCURRENT, f"{msg.action} CALL {msg.id!r} sent while CALL "
                                             f"{pending[0]!r} was still unanswered", severity=sev))
        if msg.kind == "CALL":
            link.dut_pending[msg.id] = frame.t_ns
        frame.findings.extend(validator.validate(msg.action, msg.payload))
        # behaviour: nothing but BootNotification before boot is accepted (unless the CSMS triggered it)
        if msg.action != "BootNotification" and session.registration != "Accepted":
            if msg.action in link.triggered:
                link.triggered.discard(msg.action)
            elif session.registration == "unknown":
                # This CSMS never saw the station boot: it may have connected without restarting (OCPP asks for a
                # BootNotification after a restart, not after a reconnection, e.g. to a CSMS that restarted). Not
                # judged here; the boot cases judge what a station sends before its BootNotification after they
                # power-cycled it.
                frame.findings.append(Finding.of(r.BOOT_BEFORE_ACCEPT, f"{msg.action} sent before any BootNotification"
                                                 " to this CSMS (a station that connected without restarting need "
                                                 "not boot): not judged", severity=Severity.INFO))
            else:
                frame.findings.append(Finding.of(r.BOOT_BEFORE_ACCEPT, f"{msg.action} sent while registration is "
                                                 f"{session.registration}"))
        if msg.action in session.forbidden:
            frame.findings.append(Finding.of(r.FORBIDDEN_MESSAGE, session.forbidden[msg.action]))

    @staticmethod
    def _outstanding_at(session: StationSession, link: _Link, t_ns: int) -> list[str]:
        """The station's CALLs still outstanding when a frame reached the socket at `t_ns`: not yet answered, or
        answered by a write that began after `t_ns` (the station pipelined: the harness read both frames before
        it could see that). A CALL older than the response timeout no longer counts."""
        limit = session.dut_call_timeout_s * 1e9
        if link.dut_pending:
            for i in [i for i, t in link.dut_pending.items() if t_ns - t > limit]:
                del link.dut_pending[i]
        if not link.dut_answer_written:  # the usual case: the last answer was written before this frame arrived
            return list(link.dut_pending)
        for i in [i for i, (_, w) in link.dut_answer_written.items() if w <= t_ns]:
            del link.dut_answer_written[i]  # frames are read in arrival order: it is over for every later one
        late = [i for i, (t, _) in link.dut_answer_written.items() if t_ns - t <= limit]
        return list(link.dut_pending) + late

    def _correlate(self, link: _Link, msg: codec.Message, frame: Frame, validator: SchemaValidator) -> None:
        mid = msg.id
        pending = link.ours.pop(mid, None) if mid is not None else None
        if pending is not None:
            frame.name = pending.action
            link.our_answered.add(mid)  # type: ignore[arg-type]
            if msg.kind == "CALLRESULT" and isinstance(msg.payload, dict):
                frame.findings.extend(validator.validate(pending.action, msg.payload, response=True))
            frame.meta["request_frame"] = pending.frame.index
            frame.meta["latency_ms"] = round((frame.t_ns - pending.frame.t_ns) / 1e6, 3)
            if not pending.future.done():
                pending.future.set_result(frame)
        elif mid in link.our_timed_out:
            frame.name = link.our_timed_out.pop(mid)
            frame.findings.append(Finding.of(r.RESULT_LATE, f"answer to {frame.name} {mid!r} arrived after the "
                                             "response timeout had expired"))
        elif mid in link.our_answered and mid != "-1":  # "-1" answers a frame whose id could not be read: no CALL
            frame.findings.append(Finding.of(r.RESULT_DUPLICATE, f"{msg.kind} {mid!r} answers a CALL that was "
                                             "already answered"))
        elif msg.kind == "CALLERROR" and mid in link.answered_dut_calls:
            frame.findings.append(Finding.of(r.CALLERROR_NOT_FOR_CALL, f"CALLERROR {mid!r} answers the CSMS's "
                                             "CALLRESULT; a CALLERROR may only answer a CALL"))
        else:
            frame.findings.append(Finding.of(r.RESULT_ORPHAN, f"{msg.kind} {mid!r} matches no CALL the CSMS sent"))

    @staticmethod
    def _correlate_result_error(link: _Link, msg: codec.Message, frame: Frame) -> None:
        """A station's CALLRESULTERROR (2.1) reports a CSMS CALLRESULT it could not accept: it must carry the id of
        a CALLRESULT the CSMS sent on this connection."""
        if msg.id not in link.answered_dut_calls:
            frame.findings.append(Finding.of(r.RESULT_ORPHAN, f"CALLRESULTERROR {msg.id!r} matches no CALLRESULT the "
                                             "CSMS sent"))

    def _answer(self, session: StationSession, link: _Link, msg: codec.Message, t_in: int,
                      frame: Frame | None = None) -> None:
        action = msg.action
        assert action is not None and msg.id is not None
        overridden, answer = session._take_override(action)
        if overridden:
            if callable(answer) and not isinstance(answer, (CallError, Delay, _NoReply)):
                answer = answer(msg.payload)
        if frame is not None and (answer is NO_REPLY or isinstance(answer, Delay)):
            frame.meta["withheld"] = True  # the case holds the answer back: the station waits on the CSMS
        if isinstance(answer, Delay):
            delay = answer
            asyncio.get_running_loop().create_task(self._answer_later(session, link, msg, t_in, delay))
            return
        self._reply(session, link, msg, answer, t_in, 0)

    async def _answer_later(self, session: StationSession, link: _Link, msg: codec.Message, t_in: int,
                            delay: Delay) -> None:
        await asyncio.sleep(delay.seconds)
        self._reply(session, link, msg, delay.then, t_in, int(delay.seconds * 1e9))
        await self._drain(link.ws)

    def _reply(self, session: StationSession, link: _Link, msg: codec.Message, answer: Any, t_in: int,
                     delay_ns: int) -> None:
        action, mid = msg.action, msg.id
        assert action is not None and mid is not None
        if answer is NO_REPLY:
            return  # stays in dut_pending until it expires
        if isinstance(answer, CallError):
            text = codec.encode_error(mid, answer.code, answer.description, answer.details)
            kind = "CALLERROR"
        else:
            if answer is None:
                handler = handlers.defaults(link.version.name).get(action)
                if handler is None:
                    text = codec.encode_error(mid, "NotSupported", f"{action} is not handled by the fake CSMS")
                    self._send(session, link, text, "CALLERROR", action, mid, t_in=t_in, delay_ns=delay_ns)
                    return
                answer = handler(session, msg.payload)
            if action == "BootNotification" and isinstance(answer, dict):
                session.registration = answer.get("status", session.registration)
                if answer.get("status") == "Accepted" and "interval" in answer:
                    session.heartbeat_interval = answer["interval"]
            text = codec.encode_result(mid, answer)
            kind = "CALLRESULT"
        if kind == "CALLRESULT":
            link.answered_dut_calls.add(mid)
        self._send(session, link, text, kind, action, mid, t_in=t_in, delay_ns=delay_ns,
                         body=answer if kind == "CALLRESULT" else None)

    def _send(self, session: StationSession, link: _Link, text: str, kind: str, action: str | None,
              mid: str | None, *, t_in: int | None = None, delay_ns: int = 0, body: Any = None) -> Frame | None:
        if kind in ("CALLRESULT", "CALLERROR") and mid is not None:
            # every answer to a station CALL ends it here, whichever path wrote it (a CALLERROR for a bad payload too)
            arrived = link.dut_pending.pop(mid, None)
            if arrived is not None:
                link.dut_answer_written[mid] = (arrived, now()[0])
        if not self._write(link.ws, text):
            return None
        t, w = now()
        if body is None:
            try:
                decoded = codec.loads(text)
                body = decoded[2] if kind in ("CALLRESULT",) else (
                    decoded[3] if kind == "CALL" else {"errorCode": decoded[2], "errorDescription": decoded[3],
                                                       "errorDetails": decoded[4]})
            except Exception:
                body = None
        frame = Frame(t, w, Direction.OUT, "ocpp", link.version.name, link.conn_id, kind, action, mid,
                      text.encode("utf-8"), body, meta={"identity": session.identity})
        if t_in is not None:
            added = t - t_in - delay_ns
            session.latencies_ns.append(added)
            frame.meta["harness_latency_us"] = round(added / 1e3, 1)
        if kind == "CALLRESULT" and action and isinstance(body, dict):  # check our own answers too
            own = self.validator(link.version.name).validate(action, body, response=True)
            for f in own:  # a finding on our own frame is a harness issue, never the DUT's
                f.severity = Severity.INFO
                f.details["side"] = "harness"
            frame.findings.extend(own)
        return self._append(frame)

    async def _call(self, session: StationSession, action: str, payload: dict, timeout: float) -> Frame:
        link = session.link
        if link is None:
            raise NonConformance(f"station {session.identity} is not connected")
        async with link.call_lock:  # the CSMS keeps the one-outstanding-CALL rule itself
            mid = str(uuid.uuid4())
            fut: asyncio.Future = asyncio.get_running_loop().create_future()
            if action == "TriggerMessage":
                link.triggered.add(payload.get("requestedMessage", ""))
            frame = self._send(session, link, codec.encode_call(mid, action, payload), "CALL", action, mid,
                               body=payload)
            if frame is None:
                raise NonConformance(f"connection to {session.identity} closed before {action} could be sent")
            link.ours[mid] = _Outstanding(action, frame, fut)
            await self._drain(link.ws)
            try:
                result = await asyncio.wait_for(asyncio.shield(fut), timeout)
            except asyncio.TimeoutError:
                link.ours.pop(mid, None)
                link.our_timed_out[mid] = action
                text = f"no answer to {action} ({mid}) within {timeout:g} s"
                finding = Finding.of(r.RESPONSE_TIMEOUT, text, frame.index)
                frame.findings.append(finding)
                raise NonConformance(text, [finding]) from None
            if result is None:
                raise NonConformance(f"connection to {session.identity} closed while waiting for the {action} answer")
            return result

    async def _send_raw(self, session: StationSession, data: str | bytes) -> None:
        link = session.link
        if link is None:
            raise NonConformance(f"station {session.identity} is not connected")
        await link.ws.send(data)
        t, w = now()
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        msg = codec.parse(data, link.version, self.validator(link.version.name).actions, from_station=False)
        frame = Frame(t, w, Direction.OUT, "ocpp", link.version.name, link.conn_id, msg.kind, msg.action, msg.id,
                      raw, msg.body(), meta={"identity": session.identity, "raw_injection": True})
        key = msg.id if msg.kind in ("CALL", "UNKNOWN") and msg.id else None  # 2.0.1 answers an unknown type
        if msg.kind == "MALFORMED":
            key = msg.id or "-1"  # a station that cannot read the id answers with "-1"
        keys = [key] if key is not None else []
        if not _id_readable(data):  # e.g. 02 for 2: the harness's parser reads it, a strict JSON parser does not,
            keys.append("-1")  # and the station's CALLERROR "-1" answers it (the id of a message it cannot read)
        for k in dict.fromkeys(keys):
            fut: asyncio.Future = asyncio.get_running_loop().create_future()
            link.ours[k] = _Outstanding(msg.action or "(malformed frame)", frame, fut)
        self._append(frame)


def _request_bytes(request: Any) -> bytes:
    lines = [f"GET {request.path} HTTP/1.1"] + [f"{k}: {v}" for k, v in request.headers.raw_items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "replace")
