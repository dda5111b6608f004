"""`vgitest profile check PROFILE`: try a DUT profile before a suite does.

It loads the profile (PIXIT warnings, required keys), starts the fake peer the suites would start, runs every
adapter action of the profile once in an order that leaves the device as it found it, and checks what can be
checked cheaply: that the device connects to the fake peer with the profile's identity (OCPP: and password,
and sends BootNotification; OpenADR: the VEN reaches the fake VTN and registers; IEEE 2030.5: the client GETs
/dcap; ISO 15118: the EV starts SDP after plug_in, the EVSE answers SDP), and what each action visibly does.
One line per step: OK, FAILED, NOT SUPPORTED, SKIPPED or WARNING, with the reason. Exit status 1 when a step
the suites need failed.

A destructive action is run only with the action that undoes it (power_off with power_on, fault_connector with
clear_fault, disconnect_network with reconnect_network, cancel_registration with reregister); without it, it is
SKIPPED. Actions whose parameters come from a running scenario get made-up but valid ones (an opt schedule an
hour from now, an event the fake VTN sends for the purpose).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from .adapters import BY_NAME, REQUIRED, ActionNotSupported, DutAdapter
from .pixit import missing_required
from .profile import Profile
from .run import Settings, VgiRun
from .trace import Direction, Frame
from .verdict import HarnessError, Inconclusive

OK, FAILED, NOT_SUPPORTED, SKIPPED, WARNING = "OK", "FAILED", "NOT SUPPORTED", "SKIPPED", "WARNING"
PROTOCOL_SUITES = {"ocpp": ("ocpp16", "ocpp201"), "openadr": ("openadr20b",), "sep2": ("csip",),
                   "iso15118": ("din70121", "iso15118_2", "iso15118_20"), "slac": ("slac",)}


@dataclasses.dataclass
class Step:
    name: str
    status: str
    reason: str
    required: bool = True  # a FAILED required step fails the check

    @property
    def failed(self) -> bool:
        return self.status == FAILED and self.required

    def line(self) -> str:
        return f"{self.status:<14} {self.name:<20} {self.reason}"


class Check:
    """One profile check: the steps run so far, printed as they happen."""

    def __init__(self, run: VgiRun, profile: Profile, out: TextIO) -> None:
        self.run, self.profile, self.out = run, profile, out
        self.steps: list[Step] = []
        self.dut: DutAdapter | None = None
        self.protocol = str(profile.dut.get("protocol", "ocpp"))
        self.done: set[str] = set()

    def add(self, name: str, status: str, reason: str, required: bool = True) -> Step:
        step = Step(name, status, reason, required)
        self.steps.append(step)
        print(step.line(), file=self.out, flush=True)
        return step

    def wait(self, key: str, default: float) -> float:
        return float(self.profile.param(key, default))

    def needed(self, action: str) -> bool:
        """Whether the suites of this protocol need `action` (docs/adapters.md: required)."""
        suites = PROTOCOL_SUITES.get(self.protocol, ())
        return any(need == REQUIRED and set(suites) & set(s) for s, need, _ in BY_NAME[action].uses)

    def supported(self, action: str) -> bool:
        assert self.dut is not None
        return self.dut.supports(action)

    def act(self, action: str, observe: Callable[[int, float], tuple[bool, str]] | None = None, *,
            needed: bool | None = None, **params: Any) -> bool:
        """Run `action` once; then `observe(trace position before, seconds the command took)` says what the
        device did. Returns whether the action ran and did what was expected. `needed` overrides whether the
        suites need it (by default: docs/adapters.md)."""
        assert self.dut is not None
        self.done.add(action)
        label = action + (f"({', '.join(f'{k}={v}' for k, v in params.items())})" if params else "")
        if not self.dut.supports(action):
            self._not_supported(label, action, self.dut.why_not(action) or "the adapter says so", needed)
            return False
        peer = self.run.peer
        start = len(peer.trace) if peer is not None else 0
        t0 = time.monotonic()
        try:
            self.dut.perform(action, **params)
        except ActionNotSupported as exc:
            self._not_supported(label, action, exc.why, needed)
            return False
        except (HarnessError, Inconclusive) as exc:
            self.add(label, FAILED, _one_line(str(exc)))
            return False
        took = time.monotonic() - t0
        if observe is None:
            self.add(label, OK, f"done ({took:.1f} s)")
            return True
        good, what = observe(start, took)
        self.add(label, OK if good else FAILED, f"done ({took:.1f} s); {what}")
        return good

    def _not_supported(self, label: str, action: str, why: str, needed: bool | None = None) -> None:
        if self.needed(action) if needed is None else needed:
            self.add(label, FAILED, f"not supported ({why}); the {self.protocol} suites need it: most cases would be "
                                    "NOT_APPLICABLE")
        else:
            self.add(label, NOT_SUPPORTED, why, required=False)

    def skip(self, action: str, reason: str) -> None:
        """Leave `action` out (it would leave the device in a state nothing here undoes)."""
        self.done.add(action)
        assert self.dut is not None
        if self.dut.supports(action):
            self.add(action, SKIPPED, reason, required=False)
        else:
            self._not_supported(action, action, self.dut.why_not(action) or "the adapter says so")


def _one_line(text: str) -> str:
    lines = [x.strip() for x in text.strip().splitlines() if x.strip()]
    return " / ".join(lines[:2])[:300] if lines else "(no message)"


# --- OCPP ------------------------------------------------------------------------------------------------------
def _ocpp(c: Check) -> None:
    csms = c.run.peer
    identity = c.run.identity
    connect = c.wait("connect_timeout", 30)
    boot_wait = c.wait("boot_timeout", 15)
    wait = c.wait("message_wait", 10)
    connector = int(c.profile.param("connector", 1))
    version = c.run.dut_version
    mine = lambda f: f.meta.get("identity") == identity  # noqa: E731

    def inbound(start: int, kind: str, name: str | None = None, match: Callable[[Any], bool] | None = None,
                timeout: float = wait) -> Frame | None:
        return csms.trace.wait_for(lambda f: mine(f) and f.direction is Direction.IN and f.kind == kind
                                   and (name is None or f.name == name)
                                   and (match is None or (isinstance(f.body, dict) and match(f.body))), start, timeout)

    def boots(start: int, after: str) -> tuple[bool, str]:
        # the first attempt decides: the fake CSMS refuses a wrong identity or password (a REJECT frame says why)
        opened = csms.trace.wait_for(lambda f: f.direction is Direction.IN and (f.kind == "REJECT" or mine(f)
                                                                                and f.kind == "OPEN"), start, connect)
        if opened is None:
            return False, f"no connection to {csms.url_for(identity)} within {connect:g} s {after}"
        if opened.kind == "REJECT":
            why = "; ".join(fi.message for fi in opened.findings) or "refused"
            return False, f"the fake CSMS refused the station's connection {after}: {why}"
        negotiated = opened.meta.get("negotiated")
        if negotiated is None or opened.version != version:
            return False, f"connected, but with subprotocol {negotiated!r}; the profile says OCPP {version}"
        boot = inbound(opened.index, "CALL", "BootNotification", timeout=boot_wait)
        if boot is None:
            return False, f"connected with {negotiated}, but no BootNotification within {boot_wait:g} s"
        auth = " and its HTTP Basic password" if c.profile.dut.get("password") else ""
        return True, f"connected as {identity} with {negotiated}{auth} and sent BootNotification {after}"

    def status(wanted: tuple[str, ...]) -> Callable[[int, float], tuple[bool, str]]:
        field, cid = ("status", "connectorId") if version == "1.6" else ("connectorStatus", "evseId")

        def observe(start: int, _: float) -> tuple[bool, str]:
            f = inbound(start, "CALL", "StatusNotification", lambda b: b.get(cid) == connector and b.get(field)
                        in wanted)
            if f is not None:
                return True, f"StatusNotification {f.body.get(field)} followed"
            seen = [f"{x.body.get(field)}" for x in csms.trace.since(start) if mine(x) and x.name ==
                    "StatusNotification" and x.kind == "CALL" and isinstance(x.body, dict)]
            return False, (f"no StatusNotification {' or '.join(wanted)} for {cid} {connector} within {wait:g} s"
                           + (f" (reported: {', '.join(seen)})" if seen else ""))
        return observe

    # power on, then the connection the whole suite depends on
    start = 0
    powered = c.supported("power_on")
    if powered:
        c.act("power_on")
    good, what = boots(start, "after power_on" if powered else "after the fake CSMS started")
    if good:
        c.add("connect", OK, what)
    elif c.supported("reboot"):
        c.add("connect", WARNING, what + "; trying reboot", required=False)
    else:
        c.add("connect", FAILED, what)
    if c.supported("reboot"):
        c.act("reboot", lambda s, _: boots(s, "after reboot"))
    else:
        c.act("reboot")
    session = csms.sessions.get(identity)
    if session is None or not session.connected:
        for action in ("plug_in", "present_token", "unplug", "fault_connector", "clear_fault", "disconnect_network",
                       "reconnect_network", "power_off"):
            c.skip(action, "the station is not connected")
        return
    token = str(c.profile.param("valid_id_token", "VGI-TAG-0001"))
    session.unknown_token_status = "Accepted"

    def authorizes(start: int, _: float) -> tuple[bool, str]:
        def carries(b: Any) -> bool:
            return token in (str(b.get("idTag")), str((b.get("idToken") or {}).get("idToken")))
        f = next((x for x in (inbound(start, "CALL", n, carries, timeout=wait if n == "Authorize" else 0.5)
                              for n in ("Authorize", "StartTransaction", "TransactionEvent")) if x), None)
        return (True, f"{f.name} with {token} followed") if f else \
            (False, f"neither Authorize nor a transaction message with {token} within {wait:g} s")

    plugged = c.act("plug_in", status(("Preparing", "Occupied")), connector=connector)
    c.act("present_token", authorizes, id_token=token, connector=connector)
    c.act("unplug", status(("Available",)) if plugged else None, connector=connector)
    # clear_fault first: on a healthy connector it changes nothing, and it shows whether a fault can be undone
    if c.act("clear_fault", connector=connector) and c.supported("fault_connector"):
        c.act("fault_connector", status(("Faulted",)), connector=connector)
        c.act("clear_fault", status(("Available",)), connector=connector)
    else:
        c.skip("fault_connector", "it would leave the connector faulted: clear_fault did not work")

    def closes(start: int, _: float) -> tuple[bool, str]:
        f = csms.trace.wait_for(lambda x: mine(x) and x.kind == "CLOSE", start, wait)
        return (True, "the connection closed") if f else (False, f"the connection stayed open for {wait:g} s")

    def reconnects(start: int, _: float) -> tuple[bool, str]:
        f = inbound(start, "OPEN", timeout=connect)
        return (True, "the station connected again") if f else (False, f"no reconnection within {connect:g} s")

    # reconnect_network first: while connected it changes nothing, and it shows whether the link can be restored
    if c.act("reconnect_network") and c.supported("disconnect_network"):
        c.act("disconnect_network", closes)
        c.act("reconnect_network", reconnects)
    else:
        c.skip("disconnect_network", "it would leave the station offline: reconnect_network did not work")
    if powered:
        c.act("power_off", closes)
        c.act("power_on", lambda s, _: boots(s, "after power_on"))
    else:
        c.skip("power_off", "it would leave the station off: power_on is not supported")


# --- OpenADR ---------------------------------------------------------------------------------------------------
def _openadr(c: Check) -> None:
    from .openadr import messages as m
    vtn = c.run.peer
    ven = vtn.session
    register = c.wait("register_wait", 15) + 2 * float(c.profile.param("poll_freq_s", 10))
    wait = c.wait("message_wait", 10) + 2 * float(c.profile.param("poll_freq_s", 10))

    def request(start: int, names: tuple[str, ...] | None = None, timeout: float = wait) -> Frame | None:
        return vtn.trace.wait_for(lambda f: f.direction is Direction.IN and f.kind != "CLOSE"
                                  and (names is None or f.name in names), start, timeout)

    def sends(*names: str) -> Callable[[int, float], tuple[bool, str]]:
        def observe(start: int, _: float) -> tuple[bool, str]:
            f = request(start, names)
            return (True, f"{f.name} followed") if f else (False, f"no {' or '.join(names)} within {wait:g} s")
        return observe

    def reaches(start: int, after: str, names: tuple[str, ...] | None = None) -> tuple[bool, str]:
        first = request(start, names, timeout=register)
        if first is None:
            return False, f"no {' or '.join(names or ('request',))} to {vtn.url} within {register:g} s {after}"
        deadline = time.monotonic() + register
        while not ven.registered and time.monotonic() < deadline:
            time.sleep(0.05)
        if not ven.registered:
            return False, f"the VEN reached the fake VTN ({first.name}) but did not register within {register:g} s"
        return True, f"the VEN reached the fake VTN ({first.name}) and registered as {ven.ven_id} {after}"

    powered = c.supported("power_on")
    if powered:
        c.act("power_on")
    good, what = reaches(0, "after power_on" if powered else "after the fake VTN started")
    if not good and c.supported("reregister"):
        c.add("reach", WARNING, what + "; trying reregister", required=False)
    else:
        c.add("reach", OK if good else FAILED, what)
    c.act("reregister", lambda s, _: reaches(s, "after reregister", ("oadrCreatePartyRegistration",)))
    c.act("reboot", lambda s, _: reaches(s, "after reboot"))
    if not ven.registered:
        for action in ("request_event", "set_event_opt", "opt_in", "opt_out", "opt_schedule", "cancel_opt",
                       "cancel_registration", "power_off"):
            c.skip(action, "the VEN is not registered")
        return
    c.act("request_event", sends("oadrRequestEvent"))
    c.act("set_event_opt", opt="optIn")
    if c.supported("opt_in") or c.supported("opt_out"):
        start = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
        sig = m.signal([m.interval(0, 600, 1)], current=0)
        event_id = "VGI-CHECK-EVENT"
        ev = m.event(event_id, start=start, signals=[sig], ven_ids=[ven.ven_id])
        ven.state.events[event_id] = (ev, "always")
        mark = len(vtn.trace)
        ven.queue("oadrDistributeEvent", m.distribute_event(ven.state.vtn_id, list(ven.state.events.values())))
        answered = vtn.trace.wait_for(lambda f: f.direction is Direction.IN and f.name == "oadrCreatedEvent"
                                      and event_id in str(f.body), mark, wait)
        if answered is None:
            c.add("event", FAILED, f"the fake VTN sent event {event_id}; no oadrCreatedEvent within {wait:g} s")
        else:
            c.add("event", OK, f"the VEN answered event {event_id} (oadrCreatedEvent)", required=False)
        c.act("opt_in", sends("oadrCreateOpt"), event_id=event_id)
        c.act("opt_out", sends("oadrCreateOpt"), event_id=event_id)
    when = m.timestamp(dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1))
    scheduled = c.act("opt_schedule", sends("oadrCreateOpt"), start=when, duration_s=3600, opt="optOut",
                      opt_id="VGI-CHECK-OPT")
    c.act("cancel_opt", sends("oadrCancelOpt") if scheduled else None, opt_id="VGI-CHECK-OPT")
    if c.supported("reregister"):
        c.act("cancel_registration", sends("oadrCancelPartyRegistration"))
        if "cancel_registration" in c.done and c.supported("cancel_registration"):
            c.act("reregister", lambda s, _: reaches(s, "after cancel_registration and reregister",
                                                     ("oadrCreatePartyRegistration",)))
    else:
        c.skip("cancel_registration", "it would leave the VEN unregistered: reregister is not supported")
    _off_and_on(c, powered, lambda s, _: reaches(s, "after power_on"))


# --- IEEE 2030.5 -----------------------------------------------------------------------------------------------
def _sep2(c: Check) -> None:
    server = c.run.peer
    poll = float(c.profile.param("poll_rate_s", 900))
    register = c.wait("register_wait", 15) + 2 * poll

    def gets_dcap(start: int, after: str) -> tuple[bool, str]:
        f = server.trace.wait_for(lambda x: x.direction is Direction.IN and x.meta.get("method") == "GET"
                                  and str(x.meta.get("path", "")).split("?")[0] == "/dcap", start, register)
        if f is None:
            other = [x for x in server.trace.since(start) if x.direction is Direction.IN and x.meta.get("method")]
            seen = f" (it asked for {other[0].meta.get('method')} {other[0].meta.get('path')})" if other else ""
            return False, f"no GET /dcap at {server.url} within {register:g} s {after}{seen}"
        return True, f"the client GET /dcap {after}"

    powered = c.supported("power_on")
    if powered:
        c.act("power_on")
    good, what = gets_dcap(0, "after power_on" if powered else "after the fake server started")
    if not good and c.supported("reregister"):
        c.add("reach", WARNING, what + "; trying reregister", required=False)
    else:
        c.add("reach", OK if good else FAILED, what)
    c.act("reregister", lambda s, _: gets_dcap(s, "after reregister"))
    c.act("reboot", lambda s, _: gets_dcap(s, "after reboot"))
    c.act("set_power", w=0)
    c.act("set_grid", v=float(c.profile.param("nominal_v", 240)), hz=float(c.profile.param("nominal_hz", 60)))
    c.act("alarm")
    _off_and_on(c, powered, lambda s, _: gets_dcap(s, "after power_on"))


# --- ISO 15118 / DIN SPEC 70121 and SLAC --------------------------------------------------------------------------
def _iso15118(c: Check) -> None:
    fake = c.run.peer
    if c.run.dut_role == "ev":
        wait = c.wait("session_wait", 60)

        def sdp(start: int, _: float) -> tuple[bool, str]:
            f = fake.trace.wait_for(lambda x: x.direction is Direction.IN, start, wait)
            return (True, f"the EV sent {f.name or f.kind} to the fake SECC") if f else \
                (False, f"no SDP request or V2G message within {wait:g} s (the fake SECC answers SDP on port "
                        f"{fake.server.sdp_port})")

        if c.supported("power_on"):
            c.act("power_on")
        c.act("plug_in", sdp)
        c.act("unplug")
        return
    from .iso15118 import sdp
    if c.supported("power_on"):
        c.act("power_on")
    target, port = fake.sdp_target, int(fake.sdp_port)
    loop = fake.loop
    answer = loop.run(sdp.discover(target, port, max_requests=3), timeout=30) if loop else None
    if answer is None:
        c.add("sdp", FAILED, f"no SDP answer from {target} port {port} to 3 requests")
    else:
        c.add("sdp", OK, f"the EVSE answered SDP: V2G at [{answer.address}]:{answer.port}")
    c.act("plug_in", needed=False)  # the fake EVCC is the EV: the suites ask for no action of an EVSE
    c.act("unplug", needed=False)


def _slac(c: Check) -> None:
    fake = c.run.peer
    if fake.unavailable:
        c.add("link", FAILED, fake.unavailable)
    else:
        c.add("link", OK, f"the fake SLAC peer runs on {fake.link_description}")
    if c.supported("power_on"):
        c.act("power_on")
    c.act("plug_in")
    c.act("unplug")


def _off_and_on(c: Check, powered: bool, comes_back: Callable[[int, float], tuple[bool, str]]) -> None:
    if powered:
        c.act("power_off")
        c.act("power_on", comes_back)
    else:
        c.skip("power_off", "it would leave the device off: power_on is not supported")


PLANS = {"ocpp": _ocpp, "openadr": _openadr, "sep2": _sep2, "iso15118": _iso15118, "slac": _slac}


def check(profile_path: str, *, host: str = "127.0.0.1", port: int = 0, adapter: str | None = None,
          tls_cert: str | None = None, tls_key: str | None = None, tls_ca: str | None = None,
          out: TextIO | None = None) -> int:
    """Run the check; prints one line per step and returns the exit status (0 ready, 1 a required step failed,
    2 the profile cannot be used at all)."""
    out = sys.stdout if out is None else out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # printed below, one line each
        try:
            profile = Profile.load(profile_path)
        except HarnessError as exc:
            for line in str(exc).splitlines():  # one line per problem of the profile
                print(f"{FAILED:<14} {'profile':<20} {line}", file=out)
            return 2
    protocol = str(profile.dut.get("protocol", "ocpp"))
    print(f"vgitest profile check: {profile.path} ({profile.name}; {protocol} {profile.dut.get('version', '?')}, "
          f"adapter {adapter or profile.adapter.get('kind', 'simulated')})", file=out, flush=True)
    if protocol not in PLANS:
        print(f"{FAILED:<14} {'profile':<20} unknown protocol {protocol!r} ({', '.join(PLANS)})", file=out)
        return 2
    reports = Path(tempfile.mkdtemp(prefix="vgitest-check-"))
    settings = Settings(profile=str(profile.path), adapter=adapter, host=host, port=port, reports=reports,
                        run_name="check", faults=(), strict=False, lenient=False, schemas=None, tls_cert=tls_cert,
                        tls_key=tls_key, tls_ca=tls_ca)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = VgiRun(settings)
    c = Check(run, profile, out)
    for w in profile.warnings:
        c.add("pixit", WARNING, w, required=False)
    missing = missing_required(profile.pixit, protocol, str(profile.dut.get("version", "")))
    if missing:
        c.add("pixit", FAILED, "missing required keys: " + ", ".join(k.name for k in missing) + " (docs/pixit.md)")
    elif not profile.warnings:
        c.add("pixit", OK, "every key is known and the required ones are set")
    try:
        try:
            peer = run.ensure_peer()
        except (HarnessError, OSError) as exc:
            c.add("fake peer", FAILED, _one_line(str(exc)))
            return _summary(c)
        try:
            c.dut = run.ensure_dut(power_on=False)
        except (HarnessError, ValueError) as exc:
            c.add("adapter", FAILED, _one_line(str(exc)))
            return _summary(c)
        c.add("fake peer", OK, f"listening: {getattr(peer, 'url', '?')}"
              + (f"/{run.identity}" if protocol == "ocpp" else ""))
        PLANS[protocol](c)
        for action in getattr(c.dut, "commands", {}):
            if action not in c.done:
                c.add(action, SKIPPED, f"not an action of {protocol} devices (docs/adapters.md)", required=False)
    finally:
        run.stop()
    return _summary(c)


def _summary(c: Check) -> int:
    counts = {s: sum(1 for x in c.steps if x.status == s) for s in (OK, FAILED, NOT_SUPPORTED, SKIPPED, WARNING)}
    failed = any(s.failed for s in c.steps)
    print("result: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n) + " — "
          + ("fix the FAILED steps before running the suites" if failed else "ready for the suites"), file=c.out)
    return 1 if failed else 0
