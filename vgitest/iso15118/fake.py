"""The fake SECC and the fake EVCC as a test sees them: a synchronous API over the engines, each on its own
asyncio thread so that frames are timed at the socket while the test thread waits.

``secc`` (an EV under test): the test scripts answers, asks the DUT to plug in, and waits for the session the EV
runs. ``evcc`` (an EVSE under test): the test scripts requests and runs a whole session with
:meth:`FakeEvcc.charge`. Both keep one trace for the run; the plugin judges each test's slice of it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ssl
from typing import Any

from ..evidence.allure import attach_frames, step
from ..loop import BackgroundLoop
from ..session import Verdicts
from ..trace import Trace
from ..verdict import HarnessError, Inconclusive
from .evcc import EvccClient, EvccSession
from .params import EvParams, EvseParams
from .script import Action, Script
from .secc import DYNAMIC_PORTS, SeccServer, SeccSession
from .timers import Timers


MAX_EXCHANGE_STEPS = 300  # a long charge loop: the rest is in the trace and the sequence diagram


def _started(ok: bool, what: str) -> None:
    """A fake used before start() (or after stop()) is a fault of the harness (ERROR), never the device's FAIL."""
    if not ok:
        raise HarnessError(f"the {what} is not running (used before start() or after stop())")


def settle_heap(families: tuple[str, ...]) -> None:
    """Load the EXI grammars now and move everything alive into the garbage collector's permanent generation:
    a full collection over the ~120,000 grammar objects paused the charge loop for 60-140 ms on a 2-core VM
    (benchmarks/v2g_charge_loop.py), longer than the 25 ms an EVSE has for a CurrentDemandRes."""
    import gc

    from ..exi import load
    from . import family as fam
    for name in families:
        try:
            f = fam.get(name)
        except ValueError:
            continue
        for schema in {f.schema_of(n) for n in ("SessionSetupReq", "AC_ChargeLoopReq", "DC_ChargeLoopReq")}:
            load(schema)
    load("app-protocol")
    gc.collect()
    gc.freeze()


class FakeSecc(Verdicts):
    """SDP responder + V2GTP server that tests an EV. A case judges its purpose with ``secc.check(cond, RULE,
    message, frame)`` (:class:`~vgitest.session.Verdicts`)."""

    def __init__(self, *, host: str = "::1", port: int = 0, sdp_host: str = "::", sdp_port: int = 0,
                 families: tuple[str, ...] = ("iso-20", "iso-2", "din"), evse: EvseParams | None = None,
                 ssl_context: ssl.SSLContext | None = None, timers: Timers | None = None,
                 port_range: tuple[int, int] = DYNAMIC_PORTS) -> None:
        """``port`` 0 (the default) binds a random free TCP port in ``port_range`` (the dynamic ports an SDP answer
        must announce); ``sdp_port`` 0 any free UDP port (tests), 15118 for a real EV."""
        self.trace = Trace()
        self.script = Script()
        self.defaults = dataclasses.replace(evse or EvseParams())
        self._cfg = dict(host=host, port=port, sdp_host=sdp_host, sdp_port=sdp_port, families=families,
                         ssl_context=ssl_context, timers=timers, port_range=port_range)
        self.loop: BackgroundLoop | None = None
        self.server: SeccServer | None = None
        self.seen = 0  # sessions handed to tests so far
        self.pnc: Any = None  # Plug & Charge (pnc.SeccPnc), set before start
        self.pki: Any = None  # the run's generated V2G test PKI, if any (tests swap the SECC certificate)
        self.keylog: Any = None  # the run's TLS key log file

    @property
    def _trace(self) -> Trace:  # type: ignore[override]
        return self.trace

    def start(self) -> "FakeSecc":
        settle_heap(self._cfg["families"])  # type: ignore[arg-type]
        self.loop = BackgroundLoop("vgitest-fake-secc")
        self.server = SeccServer(self.trace, evse=dataclasses.replace(self.defaults), script=self.script,
                                 judge=True, **self._cfg)  # type: ignore[arg-type]
        self.server.pnc = self.pnc
        self.loop.run(self.server.start())
        return self

    def stop(self) -> None:
        if self.loop is not None and self.server is not None:
            try:
                self.loop.run(self.server.stop(), timeout=10)
            finally:
                self.loop.stop()
        self.loop = None

    @property
    def url(self) -> str:
        """Where an EV finds it: the SDP port (the EV multicasts there) and the TCP port it announces."""
        _started(self.server is not None, "fake SECC")
        return f"sdp://[::1]:{self.server.sdp_port}"

    @property
    def wires(self) -> list[Any]:
        return self.server.wires if self.server else []

    @property
    def evse(self) -> EvseParams:
        _started(self.server is not None, "fake SECC")
        return self.server.evse

    def reset_for_test(self) -> None:
        """Per test: no scripted answers, the EVSE's parameters back to the profile's."""
        self.script.clear()
        if self.server is not None:
            self.server.evse = dataclasses.replace(self.defaults)
            self.server.baseline = dataclasses.replace(self.defaults)
            self.server.evse_hook = None
            self.server.paused.clear()
            self.server.sdp_enabled = True
            self.server.accepting = True
            self.server.ssl_context = self._cfg["ssl_context"]  # a test may have swapped the certificate
            self.server.tls_expect_refusal = None
            self.seen = len(self.server.sessions)

    def notify(self, notification: str) -> None:
        """The fake EVSE puts ``notification`` (StopCharging, ReNegotiation) into its status in the next session
        (DIN/ISO-2), until the EV acts on it."""
        _started(self.server is not None, "fake SECC")
        self.server.evse_hook = lambda logic: setattr(logic, "notification", notification)

    def answer(self, match: str, **kwargs: Any) -> Action:
        """Script the answer to a request, e.g. ``answer("CableCheckReq", code="FAILED", nth=1)``."""
        return self.script.add(Action(match=match, **kwargs))

    def next_session(self, timeout: float) -> SeccSession:
        """The next session an EV ran (waits until it ended; Inconclusive when none started in time)."""
        _started(self.server is not None and self.loop is not None, "fake SECC")
        server = self.server

        async def wait() -> SeccSession | None:
            loop = asyncio.get_running_loop()
            end = loop.time() + timeout
            while len(server.sessions) <= self.seen:
                if loop.time() > end:
                    return None
                await asyncio.sleep(0.02)
            s = server.sessions[self.seen]
            left = max(0.1, end - loop.time())
            try:
                await asyncio.wait_for(s.done.wait(), left)
            except asyncio.TimeoutError:
                return s
            return s

        s = self.loop.run(wait(), timeout=timeout + 5)
        if s is None:
            raise Inconclusive(f"no EV connected to the fake SECC within {timeout:.0f} s (SDP port "
                               f"{server.sdp_port}, TCP port {server.port})")
        self.seen = server.sessions.index(s) + 1
        return s

    def next_session_or_finding(self, dut: Any, profile: Any) -> SeccSession | None:
        """Plug in and wait for a session; none within the PIXIT session_wait is a finding (V2G-NO-SESSION)."""
        from .suite import plug_mode
        dut.perform("plug_in", mode=plug_mode(profile))
        wait = float(profile.param("session_wait", 60))
        try:
            return self.next_session(wait)
        except Inconclusive:
            self.record("V2G-NO-SESSION", f"no V2G session within {wait:.0f} s of plug-in")
            return None


def port_range_of(value: Any) -> tuple[int, int]:
    """PIXIT ``secc_port_range``: ``[49152, 65535]`` or ``"49152-65535"`` (None: the dynamic ports)."""
    if value is None or value == "":
        return DYNAMIC_PORTS
    parts = value.split("-") if isinstance(value, str) else list(value)
    try:
        lo, hi = (int(str(x).strip()) for x in parts)
    except ValueError:
        raise ValueError(f"secc_port_range {value!r}: give two port numbers, e.g. [49152, 65535]") from None
    if not 0 < lo <= hi <= 65535:
        raise ValueError(f"secc_port_range {value!r} is not a range of TCP ports")
    return lo, hi


class FakeEvcc(Verdicts):
    """SDP client + V2GTP client that tests an EVSE. A case judges its purpose with ``evcc.check(cond, RULE,
    message, frame)`` (:class:`~vgitest.session.Verdicts`)."""

    def __init__(self, *, sdp_target: str = "::1", sdp_port: int = 15118, offers: tuple[str, ...] = ("iso-2",),
                 mode: str = "DC", ev: EvParams | None = None, ssl_context: ssl.SSLContext | None = None,
                 want_tls: bool = False, timers: Timers | None = None, sdp_retries: int = 50) -> None:
        self.trace = Trace()
        self.script = Script()
        self.defaults = dataclasses.replace(ev or EvParams())
        self.offers, self.mode = offers, mode
        self.sdp_target, self.sdp_port = sdp_target, sdp_port
        self.ssl_context, self.want_tls = ssl_context, want_tls
        self.timers = timers or Timers()
        self.sdp_retries = sdp_retries
        self.loop: BackgroundLoop | None = None
        self.client: EvccClient | None = None
        self.pnc: Any = None  # Plug & Charge (pnc.EvPnc), set before start
        self.tls_required = False  # the EVSE declares TLS (PICS Tls)

    @property
    def _trace(self) -> Trace:  # type: ignore[override]
        return self.trace

    def start(self) -> "FakeEvcc":
        settle_heap(self.offers)
        self.loop = BackgroundLoop("vgitest-fake-evcc")
        self.client = EvccClient(self.trace, ev=dataclasses.replace(self.defaults), offers=self.offers,
                                 mode=self.mode, sdp_target=self.sdp_target, sdp_port=self.sdp_port,
                                 ssl_context=self.ssl_context, want_tls=self.want_tls, timers=self.timers,
                                 judge=True, script=self.script, sdp_retries=self.sdp_retries)
        self.client.secc_supports = self.offers  # the profile's families: what the EVSE under test supports
        self.client.pnc, self.client.tls_required = self.pnc, self.tls_required
        return self

    def stop(self) -> None:
        if self.loop is not None:
            self.loop.stop()
        self.loop = None

    @property
    def url(self) -> str:
        return f"sdp://[{self.sdp_target}]:{self.sdp_port}"

    @property
    def wires(self) -> list[Any]:
        return self.client.wires if self.client else []

    def reset_for_test(self) -> None:
        self.script.clear()
        if self.client is not None:
            self.client.ev = dataclasses.replace(self.defaults)
            self.client.offers, self.client.mode = self.offers, self.mode
            self.client.ev_hook = None
            if self.pnc is not None:
                self.pnc.reset()

    def renegotiate(self) -> None:
        """ISO 15118-2: the fake EV asks to renegotiate at its next charge-loop answer (PowerDelivery Renegotiate,
        then ChargeParameterDiscovery again)."""
        _started(self.client is not None, "fake EVCC")
        self.client.ev_hook = lambda logic: setattr(logic, "renegotiate", True)

    def send(self, match: str, **kwargs: Any) -> Action:
        """Script a request, e.g. ``send("PowerDeliveryReq", send_instead=("ServiceDiscoveryReq", {}),
        expect_code="FAILED_SequenceError")``."""
        return self.script.add(Action(match=match, **kwargs))

    def charge(self, *, offers: tuple[str, ...] | None = None, mode: str | None = None, resume: bool = False,
               pause: bool = False, deadline_s: float = 120.0, control_mode: str | None = None,
               **ev: Any) -> EvccSession:
        """Run one whole session against the EVSE and return what happened (bounded by ``deadline_s``).
        ``control_mode`` ("Scheduled" or "Dynamic", ISO 15118-20) is the one the fake EV asks for."""
        _started(self.client is not None and self.loop is not None, "fake EVCC")
        c = self.client
        if offers is not None:
            c.offers = offers
        if mode is not None:
            c.mode = mode
        if ev:
            c.ev = dataclasses.replace(c.ev, **ev)
        hook = c.ev_hook
        if control_mode is not None:
            c.ev_hook = with_control_mode(hook, control_mode)
        with step(f"charge: the fake EV runs a session with the EVSE ({', '.join(c.offers)}, {c.mode})"):
            try:
                session = self.loop.run(c.run(resume=resume, pause=pause, deadline_s=deadline_s),
                                        timeout=deadline_s + 10)
            finally:
                c.ev_hook = hook
            exchange_steps(session)
        return session


def exchange_steps(session: EvccSession) -> None:
    """One Allure step per request the fake EV sent, with the EVSE's answer, failed when none came. The session
    runs on the EVCC's loop, where no step can be opened, so they are made afterwards in the test's thread."""
    for n, (req, res) in enumerate(session.exchanges):
        if n == MAX_EXCHANGE_STEPS:
            with step(f"... {len(session.exchanges) - n} more exchanges (in the trace and the sequence diagram)"):
                return
        with step(f"{req.name or req.kind} -> EVSE") as outcome:
            attach_frames([req] if res is None else [req, res], "request and answer")
            if res is None:
                outcome.failed(f"the EVSE did not answer {req.name or req.kind}"
                               + (f" ({session.end_reason})" if session.end_reason else ""))


def with_control_mode(hook: Any, control_mode: str) -> Any:
    """An EV-logic hook that runs ``hook`` and then sets the logic's ISO 15118-20 control mode."""
    def set_mode(logic: Any) -> None:
        if hook is not None:
            hook(logic)
        if hasattr(logic, "control_mode"):
            logic.control_mode = control_mode
    return set_mode
