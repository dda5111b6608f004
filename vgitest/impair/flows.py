"""The protocol flows of the impairment matrix: a built-in reference device against the project's fake peer,
over an impaired link, once per repetition.

Each flow says what one repetition is (its last message), what an exchange is (``exchange``) and by which
envelope it is judged. The devices are the reference simulators `vgitest run` uses (OCPP stations, the VEN, the
2030.5 DER client, the ISO 15118 EV), unchanged: only the address they are given points at the link. Every wait is
bounded by ``step_s`` per step; a repetition that misses a step is unfinished, never a hang.
"""

from __future__ import annotations

import abc
import dataclasses
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

from ..trace import Direction, Frame
from .envelope import Envelope, for_protocol
from .exchanges import Exchange, cut, name
from .link import ImpairedLink
from .profile import Impairment
from .relay import DOWN, UP, Chunk, Relay

STEP_S = 60.0  # the bound of one step (a 9.6 kbit/s link moves ~1.2 kB/s; no step of these flows needs more)
SETTLE_S = 0.05  # after the last message: time for its answer's last write to be recorded


@dataclasses.dataclass
class Rep:
    exchanges: list[Exchange]
    finished: bool
    seconds: float
    why: str = ""


def with_address(url: str, address: tuple[str, int]) -> str:
    """`url` with its host and port replaced by the link's address."""
    parts = urllib.parse.urlsplit(url)
    host = f"[{address[0]}]" if ":" in address[0] else address[0]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{host}:{address[1]}"))


class Flow(abc.ABC):
    """One matrix row: how to make its impaired link, run one repetition on it and judge it."""

    name = ""  # the matrix row
    protocol = ""  # the budgets' protocol key
    timers = ""  # judged by this own-timer budget instead of Table 6 latency
    exchange = ""  # what one exchange and one repetition are (for the docs)
    last = ""  # the last message of a repetition (for the docs)

    def __init__(self, step_s: float = STEP_S) -> None:
        self.step_s = step_s

    def envelope(self) -> Envelope:
        return for_protocol(self.protocol, timers=self.timers)

    @abc.abstractmethod
    def open(self, imp: Impairment, seed: int | None = None, kernel: bool | None = None) -> None:
        """Make the impaired link (and what stands behind it); the caller closes with :meth:`close`."""

    @abc.abstractmethod
    def close(self) -> None:
        """Undo :meth:`open` (safe to call twice)."""

    @abc.abstractmethod
    def describe_link(self) -> dict[str, Any]:
        """How the cell's link was made and impaired (for the matrix's JSON)."""

    @abc.abstractmethod
    def run_once(self, rep: int) -> Rep:
        """One repetition on the open link: its exchanges, whether it reached its last message, how long it took."""

    def relays(self) -> list[Relay]:
        return []

    def link_errors(self) -> list[str]:
        return []


class PeerFlow(Flow):
    """A device driven against a fake peer through a relay: the peer and the relay measure every exchange."""

    def __init__(self, step_s: float = STEP_S) -> None:
        super().__init__(step_s)
        self.links: list[ImpairedLink] = []

    # the peer and the link -------------------------------------------------------------------------------------
    peer: Any = None  # the started fake peer (its trace, port, stop())

    @abc.abstractmethod
    def make_peer(self) -> Any:
        """The fake peer, started."""

    def start_peer(self) -> None:
        self.peer = self.make_peer()

    def stop_peer(self) -> None:
        if self.peer is not None:
            self.peer.stop()

    @property
    def trace(self) -> Any:
        return self.peer.trace

    def target(self) -> tuple[str, int]:
        return ("127.0.0.1", self.peer.port)

    def listen(self) -> tuple[str, int]:
        return ("127.0.0.1", 0)

    def open(self, imp: Impairment, seed: int | None = None, kernel: bool | None = None) -> None:
        """Start the peer and the link(s) in front of it."""
        self.start_peer()
        self.links.append(ImpairedLink(imp, self.target(), listen=self.listen(), seed=seed, kernel=kernel).start())

    def close(self) -> None:
        for link in self.links:
            link.stop()
        self.links.clear()
        self.stop_peer()

    @property
    def address(self) -> tuple[str, int]:
        return self.links[0].address

    def describe_link(self) -> dict[str, Any]:
        return self.links[0].describe()

    def relays(self) -> list[Relay]:
        return [link.relay for link in self.links if link.relay is not None]

    def link_errors(self) -> list[str]:
        return [e for r in self.relays() for e in r.errors]

    # one repetition --------------------------------------------------------------------------------------------
    @abc.abstractmethod
    def run_device(self, rep: int, mark: int) -> tuple[Callable[[], None], Frame]:
        """Start the device and drive it to its last message (bounded waits; raise StepMissed); returns how to
        stop the device and the last message's frame (the device's exchanges up to it are the flow's)."""

    def wait(self, what: str, pred: Callable[[Frame], bool], mark: int) -> Frame:
        f = self.trace.wait_for(lambda f: f.direction is Direction.IN and pred(f), mark, self.step_s)
        if f is None:
            raise StepMissed(f"no {what} within {self.step_s:g} s")
        return f

    def requests(self, mark: int, end: int) -> list[str]:
        return [f.name or f.kind for f in list(self.trace)[mark:] if f.direction is Direction.IN
                and f.kind in ("CALL", "REQUEST") and f.t_ns <= end]

    def run_once(self, rep: int) -> Rep:
        mark = len(self.trace)
        t0 = time.monotonic_ns()
        stop: Callable[[], None] | None = None
        finished, why, end = False, "", 0
        try:
            stop, last = self.run_device(rep, mark)
            end = last.t_ns  # the flow's exchanges: those the device began before its last message arrived
            finished = self._answered(t0, end)
            why = "" if finished else f"the last answer did not reach the device within {self.step_s:g} s"
        except StepMissed as exc:
            why = str(exc)
        finally:
            end = end or time.monotonic_ns()
            if stop is not None:
                stop()
        seconds = (time.monotonic_ns() - t0) / 1e9
        # what the device does after its last message or while being stopped (a WebSocket close, a next poll)
        # is not the flow's
        exchanges = [e for e in cut(self.links[0].relay.records(t0)) if e.start_ns <= end]
        name(exchanges, self.requests(mark, end))
        exchanges += [e for e in self._extra_exchanges(t0) if e.start_ns <= end]
        return Rep(exchanges, finished, seconds, why)

    def _extra_exchanges(self, t0: int) -> list[Exchange]:
        return []

    def _answered(self, t0: int, end: int) -> bool:
        """Every exchange the device began up to `end` answered at the device's edge (bounded wait)."""
        deadline = time.monotonic() + self.step_s
        while time.monotonic() < deadline:
            time.sleep(SETTLE_S)
            ex = [e for e in cut(self.links[0].relay.records(t0)) if e.start_ns <= end]
            if ex and all(e.answered for e in ex):
                return True
        return False


class StepMissed(Exception):
    """A step of a repetition did not happen within its bound."""


# ---- OCPP -----------------------------------------------------------------------------------------------------

class _Ocpp(PeerFlow):
    protocol = "ocpp"
    version = ""
    exchange = ("a CALL of the station and its CALLRESULT (the WebSocket upgrade counts as one more exchange); a "
                "repetition: connect, boot, plug in, present a token, authorize, start a transaction")

    def make_peer(self) -> Any:
        from ..ocpp.csms import FakeCsms
        return FakeCsms(port=0, heartbeat_interval=3600, versions=(self.version,)).start()

    def call(self, action: str, **match: Any) -> Callable[[Frame], bool]:
        return lambda f: f.kind == "CALL" and f.name == action and all(
            _get(f.body, k) == v for k, v in match.items())


def _get(body: Any, path: str) -> Any:
    for part in path.split("."):
        body = body.get(part) if isinstance(body, dict) else None
    return body


class Ocpp16(_Ocpp):
    name = "OCPP 1.6 boot/authorize/transaction"
    version = "1.6"
    last = "StatusNotification (Charging)"

    def run_device(self, rep: int, mark: int) -> tuple[Callable[[], None], Frame]:
        from ..ocpp.station.v16 import Station16
        st = Station16(with_address(self.peer.url, self.address), f"IMP16-{rep}",
                       params={"meter_sample_interval": 3600, "call_timeout": self.step_s}).start()
        self.wait("BootNotification", self.call("BootNotification"), mark)
        self.wait("StatusNotification Available", self.call("StatusNotification", connectorId=1,
                                                            status="Available"), mark)
        st.perform("plug_in", connector=1)
        st.perform("present_token", id_token="TAG1", connector=1)
        self.wait("Authorize", self.call("Authorize"), mark)
        self.wait("StartTransaction", self.call("StartTransaction"), mark)
        last = self.wait("StatusNotification Charging", self.call("StatusNotification", status="Charging"), mark)
        return st.stop, last


class Ocpp201(_Ocpp):
    name = "OCPP 2.0.1 boot/authorize/transaction"
    version = "2.0.1"
    last = "TransactionEvent (Updated, Authorized)"

    def run_device(self, rep: int, mark: int) -> tuple[Callable[[], None], Frame]:
        from ..ocpp.station.v201 import Station201
        st = Station201(with_address(self.peer.url, self.address), f"IMP201-{rep}",
                        params={"meter_sample_interval": 3600, "call_timeout": self.step_s}).start()
        self.wait("BootNotification", self.call("BootNotification"), mark)
        self.wait("StatusNotification Available", self.call("StatusNotification", connectorStatus="Available"),
                  mark)
        st.perform("plug_in", connector=1)
        self.wait("TransactionEvent Started", self.call("TransactionEvent", eventType="Started"), mark)
        st.perform("present_token", id_token="TOK", connector=1)
        self.wait("Authorize", self.call("Authorize"), mark)
        last = self.wait("TransactionEvent Authorized", self.call("TransactionEvent", triggerReason="Authorized"),
                         mark)
        return st.stop, last


# ---- OpenADR 2.0b ---------------------------------------------------------------------------------------------

class OpenAdr(PeerFlow):
    name = "OpenADR 2.0b event poll"
    protocol = "openadr"
    last = "oadrCreatedEvent"
    exchange = ("an HTTP POST of the VEN and its answer; a repetition: a new VEN registers (query, create, "
                "reports), polls, gets the event on a poll, answers oadrCreatedEvent")

    def make_peer(self) -> Any:
        from ..openadr.vtn import FakeVtn
        return FakeVtn(poll_freq_s=1).start()

    def run_device(self, rep: int, mark: int) -> tuple[Callable[[], None], Frame]:
        import datetime as dt

        from ..openadr import messages as m
        from ..openadr.ven.reference import ReferenceVen
        session = self.peer.session
        session.reset_for_test()
        ven = ReferenceVen(with_address(self.peer.url, self.address)).start()
        try:
            self.wait("oadrCreatePartyRegistration", lambda f: f.name == "oadrCreatePartyRegistration", mark)
            self.wait("oadrPoll", lambda f: f.name == "oadrPoll", mark)
            start = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=600)
            sig = m.signal([m.interval(0, 600, 1)], current=0)
            ev = m.event(m.new_id("IMP"), start=start, signals=[sig], ven_ids=[session.ven_id])
            self.peer.state.events["impairment"] = (ev, "always")
            session.queue("oadrDistributeEvent", m.distribute_event(self.peer.state.vtn_id,
                                                                    list(self.peer.state.events.values())))
            last = self.wait("oadrCreatedEvent", lambda f: f.name == "oadrCreatedEvent", mark)
        except BaseException:
            ven.stop()
            raise
        return ven.stop, last


# ---- IEEE 2030.5 ----------------------------------------------------------------------------------------------

LFDI = "3E4F45AB31EDFE5B67E343E5E4562E31984E23E5"

class Sep2(PeerFlow):
    name = "IEEE 2030.5 DER program read"
    protocol = "sep2"
    last = "GET …/derp (DERProgramList)"
    exchange = ("an HTTP request of the DER client and its response; a repetition: the client (restarted) walks "
                "from DeviceCapability to its EndDevice (registering in band the first time), its "
                "FunctionSetAssignments and reads the DERProgramList")

    def make_peer(self) -> Any:
        from ..sep2.server import FakeSep2Server
        return FakeSep2Server().start()

    def run_device(self, rep: int, mark: int) -> tuple[Callable[[], None], Frame]:
        from ..sep2.client.reference import ReferenceDerClient
        # the same device each repetition (same LFDI): the first registers in band, the later ones find their
        # EndDevice (a new LFDI each time would grow the EndDeviceList the walk reads). No PIN: the server's
        # Registration of an in-band EndDevice has its own, which a restarted client cannot know.
        client = ReferenceDerClient(with_address(self.peer.url, self.address),
                                    params={"registration": "in_band", "lfdi": LFDI, "pin": "",
                                            "random_seed": 1}).start()
        try:
            last = self.wait("GET of the DERProgramList",
                             lambda f: f.kind == "REQUEST" and f.meta.get("method") == "GET"
                             and str(f.meta.get("path", "")).endswith("/derp"), mark)
        except BaseException:
            client.stop()
            raise
        return client.stop, last


# ---- ISO 15118-2 ----------------------------------------------------------------------------------------------

class Iso2(PeerFlow):
    name = "ISO 15118-2 DC session"
    protocol = "iso15118"
    timers = "iso2_evcc_msg_timeout"
    last = "SessionStopReq"
    exchange = ("a V2GTP request of the EV and its response (the SDP request and answer, over UDP, one more); a "
                "repetition: SDP, supportedAppProtocol, SessionSetup ... CurrentDemand loop ... SessionStop")

    def make_peer(self) -> Any:
        from ..iso15118.fake import FakeSecc
        return FakeSecc(families=("iso-2",)).start()

    def target(self) -> tuple[str, int]:
        return ("::1", self.peer.server.port)

    def listen(self) -> tuple[str, int]:
        return ("::1", 0)

    def open(self, imp: Impairment, seed: int | None = None, kernel: bool | None = None) -> None:
        super().open(imp, seed, kernel)
        from ..iso15118 import sdp
        tcp_port = self.address[1]

        def to_relay(direction: str, data: bytes) -> bytes:
            """The SECC's SDP answer names its own TCP port: the EV must come through the link instead."""
            if direction != DOWN:
                return data
            ans = sdp.parse_response(data)
            return data if isinstance(ans, str) else sdp.response("::1", tcp_port, ans.security, ans.transport)
        self.links.append(ImpairedLink(imp, ("::1", self.peer.server.sdp_port), proto="udp", listen=("::1", 0),
                                       seed=seed, transform=to_relay).start())

    def run_device(self, rep: int, mark: int) -> tuple[Callable[[], None], Frame]:
        from ..iso15118.reference import ReferenceEv
        self.peer.reset_for_test()
        sdp_addr = self.links[1].address
        ev = ReferenceEv(f"sdp://[{sdp_addr[0]}]:{sdp_addr[1]}", "EV",
                         params={"dut_version": "iso-2", "ev_soc_per_s": 200, "ev_loop_interval_s": 0.01}).start()
        try:
            ev.perform("plug_in")
            last = self.wait("SessionStopReq", lambda f: f.name == "SessionStopReq", mark)
        except BaseException:
            ev.stop()
            raise
        return ev.stop, last

    def _extra_exchanges(self, t0: int) -> list[Exchange]:
        """The SDP exchanges (UDP): each request datagram and the answer to it, as the EV saw them."""
        out = []
        for e in cut(self.links[1].relay.records(t0)):
            e.name = "SDP"
            out.append(e)
        return out


# ---- IEC 61850 (FLOW D3.1 Table 5) ---------------------------------------------------------------------------

MMS_STEPS = ("COTP connect", "MMS initiate", "", "MMS conclude", "ACSE release")  # "": the association's service


class Iec61850(Flow):
    """Both ends are roles of :mod:`vgitest.iec61850.flow` (the reference EVSE in namespace ``a``, the reference
    EV in ``b``, as :func:`vgitest.iec61850.pair.run_pair` runs them), so there is no relay: every exchange is
    measured by the end that waits for it (an MMS client at its socket, the EV's and EVSE's AF_PACKET sockets
    with kernel receive times). The rate is `tbf` on both veth ends; delay, jitter and loss need the link split by
    a layer-2 forwarder in a middle namespace (:mod:`.l2delay`), which carries the multicast too: it delays each
    frame, and the kernel's eBPF drop for every EtherType on its egress loses GOOSE, SV and ARP frames as well as
    MMS's TCP segments."""

    name = "IEC 61850 Table 5 flow"
    protocol = "iec61850"
    timers = "flow_step_timeout"
    last = "the terminating GOOSE, received by the EV"
    exchange = ("an MMS request of a client and its answer (COTP connect, initiate, the EV's power-request Write or "
                "the EVSE's parameter Read, conclude, release: two associations), judged by the flow's step "
                "timeout; each GOOSE the EV receives, judged by the timeAllowedtoLive of the GOOSE before it (the "
                "first, from its sending, by its own); each SV SoC update the EV sends, delivered to the EVSE within "
                "the step timeout (never delivered: a failed attempt); a repetition: one whole Table 5 flow between "
                "the reference EVSE and the reference EV (MMS over TCP, GOOSE and SV multicast on the same link)")

    def __init__(self, step_s: float = STEP_S) -> None:
        from ..iec61850.flow import FlowTimers
        super().__init__(step_s)
        self.lan_timers = FlowTimers(step_timeout=self.envelope().default_timer_s or FlowTimers.step_timeout)
        self.flow_timers = self.lan_timers
        self.pair: Any = None
        self.applied: dict[str, str] = {}
        self.imp: Impairment | None = None

    def envelope(self) -> Envelope:
        """The step timeout for MMS and SV; each GOOSE its own TAL. The tightest limit (whether a link's round
        trip is inside the envelope) is the shortest TAL the reference EVSE gives, four times its first repeat."""
        from ..iec61850.flow import FlowTimers
        env = super().envelope()
        curve = FlowTimers().curve
        return dataclasses.replace(env, per_message={**env.per_message, "GOOSE": curve.tal_ms(curve.first) / 1000})

    def open(self, imp: Impairment, seed: int | None = None, kernel: bool | None = None) -> None:
        from ..iec61850.netpair import FlowPair
        from .kernel import KernelUnavailable, apply, capabilities
        from .l2delay import MIDDLE_IFS, ForwardedFlowPair
        from .link import kernel_available
        ok, why = kernel_available()
        if kernel is False or not ok:
            raise KernelUnavailable("the IEC 61850 flow runs over a veth pair between network namespaces: "
                                    + (why or "kernel=False was asked"))
        self.imp = imp
        self.flow_timers = self.lan_timers.for_link(imp.rate_kbps)  # the GOOSE curve and SV period for the rate
        forwarded = imp.delays or bool(imp.loss_pct)
        self.pair = (ForwardedFlowPair(imp, seed) if forwarded else FlowPair()).create()
        try:
            caps = capabilities(self.pair.a, self.pair.ifname)
            self.applied = {}
            if imp.rate_kbps:  # tbf on both ends' egress, as on the other rows' veth
                rate = Impairment(imp.name, rate_kbps=imp.rate_kbps)
                for ns in (self.pair.a, self.pair.b):
                    self.applied.update(apply(ns, self.pair.ifname, rate, caps))
            if imp.loss_pct:  # every EtherType, on the forwarder's egress (see l2delay)
                loss = Impairment(imp.name, loss_pct=imp.loss_pct)
                for dev in MIDDLE_IFS:
                    self.applied.update(apply(self.pair.m, dev, loss, caps, loss_protocol="all"))
        except BaseException:
            self.close()
            raise
        if imp.delays:
            self.applied["delay"] = "layer-2 forwarder"

    def close(self) -> None:
        if self.pair is not None:
            self.pair.destroy()
            self.pair = None

    def describe_link(self) -> dict[str, Any]:
        assert self.imp is not None
        fwd = getattr(self.pair, "forwarder", None)
        path = "veth pair" if fwd is None else "veth pairs joined by a layer-2 forwarder"
        t = self.flow_timers
        configured = {"goose_first_repeat_ms": round(t.curve.first * 1000, 1),
                      "goose_heartbeat_ms": round(t.curve.maximum * 1000, 1),
                      "sv_period_ms": round(t.sv_interval * 1000, 1)}
        return {"impairment": self.imp.as_dict(), "applied": dict(self.applied), "path": path,
                "configured": configured}

    def link_errors(self) -> list[str]:
        fwd = getattr(self.pair, "forwarder", None)
        return list(fwd.errors) if fwd is not None else []

    def run_once(self, rep: int) -> Rep:
        from ..iec61850.pair import run_pair
        t = self.flow_timers
        assert self.imp is not None
        time.sleep(2 * (self.imp.delay_ms + self.imp.jitter_ms) / 1000)  # the previous flow's last frames drain
        t0 = time.monotonic_ns()
        try:
            run = run_pair(self.pair, timers=t, timeout=self.step_s, settle_s=t.step_timeout)
        except TimeoutError:
            return Rep([], False, (time.monotonic_ns() - t0) / 1e9, f"the flow did not end within {self.step_s:g} s")
        clients = ([("MMS Write", log) for who, log in run.ev_mms if who == "peer"]
                   + [("MMS Read", log) for who, log in run.evse_mms if who == "peer"])
        exchanges = (mms_exchanges(clients)
                     + goose_exchanges(run.evse_l2, run.ev_l2) + sv_exchanges(run.ev_l2, run.evse_l2))
        exchanges.sort(key=lambda e: e.start_ns)
        errors = [f"{who}: {r.error}" for who, r in (("EVSE", run.evse), ("EV", run.ev)) if r.error]
        finished = not errors and run.ev.done("terminate")
        why = "; ".join(errors) or ("" if finished else "the EV saw no terminating GOOSE")
        return Rep(exchanges, finished, (time.monotonic_ns() - t0) / 1e9, why)


def mms_exchanges(associations: list[tuple[str, list[Any]]]) -> list[Exchange]:
    """The exchanges of each MMS client's association (its service, its frame log at the client's socket), cut
    like the relay's records: a client's frames and the answers alternate."""
    out: list[Exchange] = []
    for conn, (service, log) in enumerate(associations):
        chunks = [Chunk(conn, UP if f.sent else DOWN, len(f.frame), int(f.at * 1e9), int(f.at * 1e9)) for f in log]
        ex = cut(chunks)
        name(ex, [s or service for s in MMS_STEPS][:len(ex)])
        out += ex
    return out


def goose_exchanges(evse_l2: list[Any], ev_l2: list[Any]) -> list[Exchange]:
    """Each GOOSE of this flow the EV received: from the one before it (the first: from the EVSE's first send) to
    its arrival, limited by the timeAllowedtoLive of the one before (the first: its own), which is how long the EV
    may wait for it. None received although sent: one unanswered attempt."""
    from ..iec61850 import goose
    from ..iec61850.ether import ETHERTYPE_GOOSE, FrameError, ethertype
    sent = [r for r in evse_l2 if r.direction == "tx" and ethertype(r.raw) == ETHERTYPE_GOOSE]
    if not sent:
        return []
    ours = {r.raw for r in sent}  # a late frame of the previous flow (its t differs) is not this flow's
    out: list[Exchange] = []
    prev_t, prev_tal = sent[0].t_ns, None
    for r in ev_l2:
        if r.direction != "rx" or r.raw not in ours:
            continue
        try:
            tal = goose.decode(r.raw).pdu.time_allowed_to_live / 1000
        except FrameError:
            continue
        out.append(Exchange(-1, prev_t, r.t_ns, name="GOOSE", limit_s=tal if prev_tal is None else prev_tal))
        prev_t, prev_tal = r.t_ns, tal
    if not out:
        tal = goose.decode(sent[0].raw).pdu.time_allowed_to_live / 1000
        out.append(Exchange(-1, sent[0].t_ns, None, name="GOOSE", limit_s=tal))
    return out


def sv_exchanges(ev_l2: list[Any], evse_l2: list[Any]) -> list[Exchange]:
    """Each SV frame the EV sent and its arrival at the EVSE (matched by smpCnt; never arrived: unanswered)."""
    from ..iec61850 import sv
    from ..iec61850.ether import ETHERTYPE_SV, FrameError, ethertype

    def count(r: Any) -> int | None:
        try:
            return sv.decode(r.raw).pdu.asdus[0].smp_cnt
        except (FrameError, IndexError):
            return None
    arrived: dict[int, int] = {}
    for r in evse_l2:
        if r.direction == "rx" and ethertype(r.raw) == ETHERTYPE_SV and (n := count(r)) is not None:
            arrived.setdefault(n, r.t_ns)
    return [Exchange(-2, r.t_ns, arrived.get(count(r)), name="SV") for r in ev_l2
            if r.direction == "tx" and ethertype(r.raw) == ETHERTYPE_SV]


FLOWS: dict[str, type[Flow]] = {"ocpp16": Ocpp16, "ocpp201": Ocpp201, "openadr20b": OpenAdr, "sep2": Sep2,
                                "iso15118-2": Iso2, "iec61850": Iec61850}
