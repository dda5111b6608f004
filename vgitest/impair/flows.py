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
from .relay import DOWN

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
    name = ""  # the matrix row
    protocol = ""  # the budgets' protocol key
    timers = ""  # judged by this own-timer budget instead of Table 6 latency
    exchange = ""  # what one exchange and one repetition are (for the docs)
    last = ""  # the last message of a repetition (for the docs)

    def __init__(self, step_s: float = STEP_S) -> None:
        self.step_s = step_s
        self.links: list[ImpairedLink] = []

    def envelope(self) -> Envelope:
        return for_protocol(self.protocol, timers=self.timers)

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
        """Start the peer and the link(s) in front of it (the caller closes with :meth:`close`)."""
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

class _Ocpp(Flow):
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

    def run_device(self, rep: int, mark: int) -> Callable[[], None]:
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

    def run_device(self, rep: int, mark: int) -> Callable[[], None]:
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

class OpenAdr(Flow):
    name = "OpenADR 2.0b event poll"
    protocol = "openadr"
    last = "oadrCreatedEvent"
    exchange = ("an HTTP POST of the VEN and its answer; a repetition: a new VEN registers (query, create, "
                "reports), polls, gets the event on a poll, answers oadrCreatedEvent")

    def make_peer(self) -> Any:
        from ..openadr.vtn import FakeVtn
        return FakeVtn(poll_freq_s=1).start()

    def run_device(self, rep: int, mark: int) -> Callable[[], None]:
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

class Sep2(Flow):
    name = "IEEE 2030.5 DER program read"
    protocol = "sep2"
    last = "GET …/derp (DERProgramList)"
    exchange = ("an HTTP request of the DER client and its response; a repetition: the client (restarted) walks "
                "from DeviceCapability to its EndDevice (registering in band the first time), its "
                "FunctionSetAssignments and reads the DERProgramList")

    def make_peer(self) -> Any:
        from ..sep2.server import FakeSep2Server
        return FakeSep2Server().start()

    def run_device(self, rep: int, mark: int) -> Callable[[], None]:
        from ..sep2.client.reference import ReferenceDerClient
        # the same device each repetition (same LFDI): the first registers in band, the later ones find their
        # EndDevice (a new LFDI each time would grow the EndDeviceList the walk reads). No PIN: the server's
        # Registration of an in-band EndDevice has its own, which a restarted client cannot know.
        client = ReferenceDerClient(with_address(self.peer.url, self.address),
                                    params={"registration": "in_band", "lfdi": LFDI, "pin": "",
                                            "random_seed": 1}).start()
        try:
            last = self.wait("GET of the DERProgramList", lambda f: f.kind == "REQUEST" and f.meta.get("method") == "GET"
                      and str(f.meta.get("path", "")).endswith("/derp"), mark)
        except BaseException:
            client.stop()
            raise
        return client.stop, last


# ---- ISO 15118-2 ----------------------------------------------------------------------------------------------

class Iso2(Flow):
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

    def run_device(self, rep: int, mark: int) -> Callable[[], None]:
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


FLOWS: dict[str, type[Flow]] = {"ocpp16": Ocpp16, "ocpp201": Ocpp201, "openadr20b": OpenAdr, "sep2": Sep2,
                                "iso15118-2": Iso2}
