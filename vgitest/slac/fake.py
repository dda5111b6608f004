"""The fake SLAC peers a conformance suite talks to: :class:`FakeSlacEvse` tests an EV's SLAC (the harness is the
EVSE side), :class:`FakeSlacEv` tests an EVSE's SLAC (the harness is the EV side).

Each fake runs the emulated role of :mod:`vgitest.slac.roles` on its own asyncio thread over a raw AF_PACKET
socket, so frames are timed by the kernel while the test thread waits in :meth:`match`. Where the link comes
from is the PIXIT ``interface``:

* ``"veth"`` (the reference profiles): the fake makes two network namespaces joined by a veth pair
  (:class:`~vgitest.slac.netns.NetnsPair`), opens its own socket in one and hands the other to the device under
  test through :attr:`url` (``slac+netns://<namespace>/<ifname>``). Where namespaces cannot be made
  (:func:`~vgitest.slac.netns.available` false) :attr:`unavailable` says why and the tests end NOT_APPLICABLE.
* any other name (a vendor's bench): the interface, in the host namespace or in PIXIT ``netns``, that reaches
  the PLC modem coupled to the device.

One :meth:`match` is one matching session: a fresh socket, the device plugged in through the DUT adapter, the
emulated role run to its end, a short settle for the device's last frames, then every SLAC frame of the session
goes into :attr:`trace` (protocol "slac", kind = MME name, direction IN = sent by the device) and the SLAC checks
(:func:`vgitest.slac.checks.check`) judge the device; their findings are attached to the frames, so the plugin
fails the test on them. A test then asserts the purpose of its case on the returned :class:`SlacSession`.

Harness variations (what a test provokes) are link-level: ``drop_first`` makes the emulated role ignore the
first copy of a message type (so the device sees a retry), ``decoy_match`` sends a CM_SLAC_MATCH.REQ with a
foreign RunID before the real one, and ``ev_behaviour`` reuses a named behaviour of the emulated EV (e.g.
``too_few_sounds``) where the EVSE's handling of it is the test's subject.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Iterable
from typing import Any

from ..findings import Finding
from ..loop import BackgroundLoop
from ..session import Verdicts
from ..trace import Direction, Trace
from ..verdict import HarnessError
from ..trace import Frame as TraceFrame
from . import netns
from .checks import _label, check
from .frames import Frame, MMType, SlacFrameError, decode
from .link import PacketLink, Record
from .roles import SlacEv, SlacEvse, SlacResult
from .timers import SlacTimers

PROTOCOL, VERSION = "slac", "15118-3"


def open_link(ifname: str, namespace: str | None) -> PacketLink:
    """An AF_PACKET endpoint on ``ifname``, created inside ``namespace`` when given (it works from any thread)."""
    if namespace:
        return netns.run_in_netns(namespace, lambda: PacketLink(ifname), timeout=10)
    return PacketLink(ifname)


def parse_url(url: str) -> tuple[str | None, str]:
    """``slac+netns://NS/IF`` -> (NS, IF); ``slac://IF`` -> (None, IF)."""
    scheme, _, rest = url.partition("://")
    if scheme == "slac+netns":
        ns, _, ifname = rest.partition("/")
        return ns, ifname
    if scheme == "slac":
        return None, rest
    raise ValueError(f"not a SLAC link URL: {url!r} (slac://IFNAME or slac+netns://NAMESPACE/IFNAME)")


@dataclasses.dataclass
class Injection:
    """A broken copy of the first frame of type ``target`` the harness's role sends (the fuzz cases,
    :mod:`vgitest.slac.fuzzcases`): it goes on the link first, then the harness waits ``window_s`` watching the
    device, then the good frame follows and the matching goes on. ``breaker`` turns the good frame (decoded, raw)
    into the broken bytes. After the session: ``raw`` is what was sent (None: the session never got to
    ``target``), ``window`` the device's frames in the quiet window."""

    target: MMType
    breaker: Callable[[Frame, bytes], bytes]
    window_s: float
    raw: bytes | None = None
    window: list[Record] = dataclasses.field(default_factory=list)
    good_ns: int | None = None  # time.monotonic_ns() when the good frame went out (the end of the window)


class ShapedLink:
    """A link as the harness's emulated role sees it, with the test's variations applied."""

    def __init__(self, link: PacketLink, drop_first: Iterable[MMType] = (), decoy_match: bool = False,
                 inject: Injection | None = None) -> None:
        self.inner, self.mac, self.records = link, link.mac, link.records
        self.drop = set(drop_first)
        self.decoy = decoy_match
        self.dropped: list[MMType] = []
        self.inject = inject

    async def send(self, frame: Frame) -> None:
        await self.send_raw(frame.encode())

    async def _inject(self, raw: bytes) -> None:
        inj = self.inject
        if inj is None or inj.raw is not None:
            return
        try:
            good = decode(raw)
        except SlacFrameError:
            return
        if good.mmtype is not inj.target:
            return
        inj.raw = inj.breaker(good, raw)
        start = len(self.records)
        await self.inner.send_raw(inj.raw)
        await asyncio.sleep(inj.window_s)
        inj.window = [r for r in list(self.records)[start:]
                      if r.direction == "rx" and r.via == "plc" and r.raw[6:12] != self.mac]
        inj.good_ns = time.monotonic_ns()

    async def send_raw(self, raw: bytes) -> None:
        await self._inject(raw)
        if self.decoy:
            try:
                f = decode(raw)
            except SlacFrameError:
                f = None
            if f is not None and f.mmtype is MMType.CM_SLAC_MATCH_REQ:
                self.decoy = False
                foreign = bytes(b ^ 0xFF for b in f.mme.run_id)  # type: ignore[attr-defined]
                await self.inner.send(dataclasses.replace(f, mme=dataclasses.replace(f.mme, run_id=foreign)))
        await self.inner.send_raw(raw)

    async def recv(self, timeout: float) -> Frame | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (left := deadline - loop.time()) > 0:
            frame = await self.inner.recv(left)
            if frame is None:
                return None
            if frame.mmtype in self.drop:
                self.drop.discard(frame.mmtype)
                self.dropped.append(frame.mmtype)
                continue
            return frame
        return None

    def close(self) -> None:
        self.inner.close()


@dataclasses.dataclass
class Message:
    """One SLAC frame of a session: the trace frame, its decoded form (None if it does not decode), its sender."""

    frame: TraceFrame
    slac: Frame | None
    sender: str  # "dut" or "harness"

    @property
    def mme(self) -> Any:
        return self.slac.mme if self.slac else None

    @property
    def t(self) -> float:
        return self.frame.t_ns / 1e9


@dataclasses.dataclass
class SlacSession:
    """What one :meth:`match` saw: the harness role's result, the frames, and the findings about the device."""

    harness: SlacResult
    messages: list[Message]
    findings: list[Finding]
    link: str
    dropped: list[str] = dataclasses.field(default_factory=list)

    @property
    def matched(self) -> bool:
        """The harness's role completed the matching (it got, or handed out, NID and NMK)."""
        return self.harness.ok

    def of(self, mmtype: str | MMType, sender: str | None = None) -> list[Message]:
        name = mmtype.name if isinstance(mmtype, MMType) else mmtype.replace(".", "_")
        return [m for m in self.messages if m.frame.kind == name and (sender is None or m.sender == sender)]

    def first(self, mmtype: str | MMType, sender: str | None = None) -> Message | None:
        got = self.of(mmtype, sender)
        return got[0] if got else None

    def rules(self) -> set[str]:
        return {f.rule_id for f in self.findings}

    def describe(self) -> str:
        return (f"harness {self.harness.role}: {'matched' if self.matched else self.harness.reason}; frames: "
                + " ".join(f"{'>' if m.sender == 'dut' else '<'}{m.frame.kind}" for m in self.messages))


class _FakeSlac(netns.LinkOwner, Verdicts):
    """What both fake SLAC peers share. A case judges its purpose with ``slac_evse.check(cond, RULE, message,
    m.frame)`` (:class:`~vgitest.session.Verdicts`), on the trace frame of the message that shows it."""

    harness_role = ""
    dut_side = ""

    def __init__(self, *, interface: str = "veth", namespace: str | None = None, timers: SlacTimers | None = None,
                 init_timeout: float | None = None, session_timeout: float | None = None, settle_s: float = 0.1,
                 start_delay_s: float = 0.0, unplug_after: bool = True) -> None:
        self.trace = Trace()
        self.wires: list[Any] = []  # no TCP: the plugin writes an Ethernet capture from the trace instead
        self.timers = timers or SlacTimers.from_budgets()
        self.interface, self.namespace = interface, namespace
        self.init_timeout = self.timers.evse_slac_init if init_timeout is None else init_timeout
        self.session_timeout = self.timers.evse_match_session if session_timeout is None else session_timeout
        self.settle_s, self.start_delay_s, self.unplug_after = settle_s, start_delay_s, unplug_after
        self.pair: netns.NetnsPair | None = None
        self.ifname = interface
        self.dut_namespace: str | None = None
        self.unavailable: str | None = None
        self.loop: BackgroundLoop | None = None
        self.dut: Any = None  # the DUT adapter: match() plugs the device in (and out) through it
        self.dut_recording: Callable[[], list[Record] | None] | None = None  # the device's own frames, if it can tell
        self.session_count = 0  # matchings so far ("sessions" is what the plugin reads as a mapping of sessions)

    @property
    def _trace(self) -> Trace:  # type: ignore[override]
        return self.trace

    # --- life cycle -------------------------------------------------------------------------------------------
    def start(self) -> "_FakeSlac":
        self.loop = BackgroundLoop(f"vgitest-fake-slac-{self.harness_role}")
        if self.interface == "veth":
            ok, why = netns.available()
            if not ok:
                self.unavailable = f"network namespaces unavailable ({why}); the SLAC suite runs over a veth pair"
                return self
            self.pair = netns.NetnsPair().create()
            self.namespace, self.dut_namespace, self.ifname = self.pair.a, self.pair.b, self.pair.ifname
        return self

    @property
    def url(self) -> str:
        """Where the device under test finds its end of the link (only meaningful for the reference devices)."""
        if self.dut_namespace:
            return f"slac+netns://{self.dut_namespace}/{self.ifname}"
        return f"slac://{self.ifname}"

    @property
    def link_description(self) -> str:
        if self.pair is not None:
            return (f"veth pair {self.ifname} between network namespaces {self.pair.a} (harness) and {self.pair.b} "
                    "(device), AF_PACKET sockets, kernel timestamps")
        where = f" in namespace {self.namespace}" if self.namespace else ""
        return f"interface {self.ifname}{where}, AF_PACKET socket, kernel timestamps"

    def reset_for_test(self) -> None:
        """Nothing carries over from one test to the next: every match() opens a fresh socket."""

    # --- one session --------------------------------------------------------------------------------------------
    def _require(self) -> None:
        if self.unavailable:
            raise RuntimeError(self.unavailable)
        if self.loop is None:  # a fault of the harness (ERROR), never the device's FAIL
            raise HarnessError("the fake SLAC peer is not running (used before start() or after stop())")

    def _perform(self, action: str) -> None:
        if self.dut is not None and (not hasattr(self.dut, "supports") or self.dut.supports(action)):
            self.dut.perform(action)

    async def _drive(self, role: Any, link: ShapedLink) -> SlacResult:
        try:
            result = await role.run()
            await asyncio.sleep(self.settle_s)  # the device's last frames (a late answer) are evidence too
            return result
        finally:
            link.close()

    def _finish(self, link: ShapedLink, result: SlacResult) -> SlacSession:
        """Put the session's frames into the trace and judge the device."""
        self.session_count += 1
        records = list(link.records)
        offset = time.time_ns() - time.monotonic_ns()
        where: dict[int, int] = {}
        messages: list[Message] = []
        for i, rec in enumerate(records):
            if rec.via != "plc":
                continue  # the harness's own modem exchange never went on the link
            try:
                slac: Frame | None = decode(rec.raw)
            except SlacFrameError as exc:
                slac, error = None, str(exc)
            else:
                error = ""
            run_id = getattr(slac.mme, "run_id", None) if slac else None
            body: dict[str, Any] = {"dst": rec.raw[0:6].hex(":"), "src": rec.raw[6:12].hex(":")}
            if slac is not None:
                body.update({k: (v.hex() if isinstance(v, bytes) else v)
                             for k, v in dataclasses.asdict(slac.mme).items()})
            else:
                body["error"] = error
            frame = self.trace.append(TraceFrame(
                t_ns=rec.t_ns, wall=(rec.t_ns + offset) / 1e9,
                direction=Direction.IN if rec.direction == "rx" else Direction.OUT, protocol=PROTOCOL,
                version=VERSION, connection=f"slac-{self.session_count}", kind=slac.mmtype.name if slac else "MALFORMED",
                correlation=run_id.hex() if run_id else None, raw=rec.raw, body=body,
                meta={"link": self.link_description, "label": _label(slac.mmtype) if slac else "?"}))
            where[i] = frame.index
            messages.append(Message(frame, slac, "dut" if rec.direction == "rx" else "harness"))
        # a frame the harness broke on purpose is the fuzz case's to judge, not part of the matching the checks follow
        broken = link.inject.raw if link.inject is not None else None
        judged = [i for i, r in enumerate(records) if not (broken is not None and r.direction == "tx"
                                                           and r.raw == broken)]
        findings = check([records[i] for i in judged], dut=self.dut_side, recorded_by=self.harness_role,
                         timers=self.timers)
        for f in findings:
            if f.frame_index is not None:
                f.frame_index = judged[f.frame_index]
        findings += self._own_recording_findings()
        for f in findings:
            idx = where.get(f.frame_index) if f.frame_index is not None else None
            f.frame_index = idx
            if idx is not None:
                self.trace[idx].findings.append(f)
            else:
                self.trace.add_finding(f)
        if self.unplug_after:
            self._perform("unplug")
        return SlacSession(result, messages, findings, self.link_description,
                           [_label(t) for t in link.dropped])

    def _own_recording_findings(self) -> list[Finding]:
        """What only the device's own recording shows (its CM_SET_KEY exchange with its modem)."""
        return []


class FakeSlacEvse(_FakeSlac):
    """The harness as EVSE: waits for the EV's CM_SLAC_PARM.REQ, characterizes, hands out NID/NMK on match."""

    harness_role, dut_side = "evse", "ev"

    def match(self, *, drop_first: Iterable[str | MMType] = (), plug_in: bool = True,
              timeout: float | None = None, inject: Injection | None = None) -> SlacSession:
        """One matching session with the EV: listen, plug the EV in, run until the emulated EVSE ends."""
        self._require()
        assert self.loop is not None
        link = ShapedLink(open_link(self.ifname, self.namespace), _types(drop_first), inject=inject)
        role = SlacEvse(link, (), self.timers, init_timeout=self.init_timeout, session_timeout=self.session_timeout)
        fut = self.loop.submit(self._drive(role, link))
        limit = timeout or (self.init_timeout + self.timers.ev_atten_results + self.session_timeout + 5)
        try:
            if plug_in:
                self._perform("plug_in")  # the socket is already bound: the EV's first frame cannot be missed
            result = fut.result(limit + self.settle_s)
        except BaseException:
            fut.cancel()  # the emulated EVSE stops (and closes its socket) when plugging in failed or hung
            raise
        return self._finish(link, result)


class FakeSlacEv(_FakeSlac):
    """The harness as EV: CM_SLAC_PARM.REQ, sounding, CM_ATTEN_CHAR.RSP, CM_SLAC_MATCH.REQ, with the EVSE."""

    harness_role, dut_side = "ev", "evse"

    def match(self, *, drop_first: Iterable[str | MMType] = (), decoy_match: bool = False,
              ev_behaviour: Iterable[str] = (), plug_in: bool = True, timeout: float = 20.0,
              inject: Injection | None = None) -> SlacSession:
        """One matching session with the EVSE: plug in (the EVSE starts listening), then run the emulated EV."""
        self._require()
        assert self.loop is not None
        link = ShapedLink(open_link(self.ifname, self.namespace), _types(drop_first), decoy_match, inject)
        try:
            if plug_in:
                self._perform("plug_in")
            if self.start_delay_s:
                time.sleep(self.start_delay_s)
        except BaseException:
            link.close()  # no loop has read from it yet
            raise
        role = SlacEv(link, tuple(ev_behaviour), self.timers)
        result = self.loop.run(self._drive(role, link), timeout=timeout)
        return self._finish(link, result)

    def _own_recording_findings(self) -> list[Finding]:
        """The EVSE's modem key against CM_SLAC_MATCH.CNF, where the device can show its own recording."""
        records = self.dut_recording() if self.dut_recording else None
        if not records:
            return []
        out = []
        for f in check(list(records), dut="evse", recorded_by="evse", timers=self.timers):
            if f.rule_id == "SLAC-SET-KEY":
                f.details["source"] = "the EVSE's own recording of its modem exchange"
                f.frame_index = None
                out.append(f)
        return out


def _types(names: Iterable[str | MMType]) -> list[MMType]:
    return [n if isinstance(n, MMType) else MMType[n.replace(".", "_")] for n in names]


def from_pixit(role: str, pixit: dict[str, Any], budgets: Any = None,
               classes: tuple[type[_FakeSlac], type[_FakeSlac]] | None = None) -> _FakeSlac:
    """The fake peer for a DUT of ``role`` ("ev" or "evse"), configured from the profile's PIXIT. `classes` (the
    fake EVSE's and the fake EV's class) lets a caller use subclasses of the two.

    ``[pixit.timers]`` overrides :class:`SlacTimers` fields for the harness (its role and its checks); the
    reference profiles use it to widen a capture tolerance, never a vendor device's budget.
    """
    timers = SlacTimers.from_budgets(budgets)
    if pixit.get("timers"):
        timers = dataclasses.replace(timers, **{k: type(getattr(timers, k))(v) for k, v in pixit["timers"].items()})
    evse_cls, ev_cls = classes or (FakeSlacEvse, FakeSlacEv)
    cls = evse_cls if role == "ev" else ev_cls
    opt = lambda k: float(pixit[k]) if k in pixit else None  # noqa: E731
    return cls(interface=str(pixit.get("interface", "veth")), namespace=pixit.get("netns") or None, timers=timers,
               init_timeout=opt("slac_init_timeout"), session_timeout=opt("match_session_timeout"),
               settle_s=float(pixit.get("settle_s", 0.1)), start_delay_s=float(pixit.get("start_delay_s", 0.0)),
               unplug_after=bool(pixit.get("unplug_after_match", True)))
