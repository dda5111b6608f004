"""The fake peers of the Table 5 flow: :class:`FakeFlowEvse` tests an EV (the harness is the EVSE), :class:`FakeFlowEv`
tests an EVSE (the harness is the EV).

Each runs the harness's role of :mod:`vgitest.iec61850.flow` on a loop whose thread lives in namespace ``a`` of a
:class:`~vgitest.iec61850.netpair.FlowPair` (PIXIT ``interface = "veth"``); the device's end is namespace ``b``,
handed to it through :attr:`url`. Where namespaces cannot be made, :attr:`unavailable` says why and the cases end
NOT_APPLICABLE.

One :meth:`flow` is one whole Table 5 flow: the harness's role is set up (its MMS server listening, its layer-2
socket open), the device is plugged in through the DUT adapter, the role runs to its end, a settle lets the
device's last frames arrive, then every frame (GOOSE, SV and each MMS association's frames) goes into :attr:`trace`
(:mod:`vgitest.iec61850.flowtrace`) and the device's are judged: GOOSE and SV stream checks
(:mod:`vgitest.iec61850.streams`), MMS checks of each association (:mod:`vgitest.iec61850.mms_checks`). Their
findings sit on the frames, so the plugin fails the case on them. Table 5 sizes are judged only where a case asks
(:meth:`judge_sizes`): they are a budget of their own, not a condition of every case.
"""

from __future__ import annotations

import abc
import dataclasses
import time
from collections.abc import Iterable
from typing import Any

from ..evidence.allure import attach_frames, step
from ..findings import Finding
from ..session import Verdicts
from ..trace import Direction, Frame, Trace
from ..verdict import HarnessError
from . import flow_rules as _flow_rules  # noqa: F401 - registers the flow's rule ids
from . import mms_checks, model, streams
from .data import float32, integer
from .ether import ETHERTYPE_GOOSE, ETHERTYPE_SV, ethertype
from .flow import SV_ID, EvRole, EvseRole, FlowResult, FlowTimers
from .flowtrace import Item, l2_items, mms_items
from .l2 import L2Endpoint
from .netpair import DEVICE_IP, HARNESS_IP, FlowPair, NsLoop
from ..slac import netns

PROTOCOL = "iec61850"
L2_VERSION = MMS_VERSION = "ed2"  # the version every GOOSE, SV, MMS and flow rule judges


@dataclasses.dataclass
class FlowSession:
    """One flow as the harness saw it: its role's result and the trace frames of the flow."""

    result: FlowResult
    frames: list[Frame]
    findings: list[Finding]
    link: str

    def of(self, kind: str, sender: str | None = None) -> list[Frame]:
        """Frames of ``kind`` (``GOOSE``, ``SV``, ``REQUEST`` ...) sent by ``"dut"``, ``"harness"`` or either."""
        want = {None: None, "dut": Direction.IN, "harness": Direction.OUT}[sender]
        return [f for f in self.frames if f.kind == kind and (want is None or f.direction is want)]

    def row(self, n: int, sender: str = "dut") -> list[Frame]:
        """The frames of Table 5 row ``n`` the ``sender`` sent."""
        want = Direction.IN if sender == "dut" else Direction.OUT
        return [f for f in self.frames if f.meta.get("row") == n and f.direction is want]

    def describe(self) -> str:
        steps = ", ".join(self.result.steps) or "none"
        return f"harness steps done: {steps}" + (f"; stopped: {self.result.error}" if self.result.error else "")


class _FakeFlow(netns.LinkOwner, Verdicts, abc.ABC):
    """What both fake peers share. A case judges its purpose with ``check(cond, RULE, message, frame)``."""

    harness_role = ""
    dut_side = ""

    def __init__(self, *, interface: str = "veth", timers: FlowTimers | None = None, settle_s: float = 0.3,
                 sv_id: str = SV_ID) -> None:
        self.trace = Trace()
        self.wires: list[Any] = []
        self.timers = timers or FlowTimers()
        self.interface, self.settle_s, self.sv_id = interface, settle_s, sv_id
        self.pair: FlowPair | None = None
        self.loop: NsLoop | None = None
        self.budgets: Any = None  # the run's budgets (the fixture sets them); None: the packaged files
        self.unavailable: str | None = None
        self.dut: Any = None  # the DUT adapter: flow() plugs the device in (and out) through it
        self.flows = 0

    @property
    def _trace(self) -> Trace:  # type: ignore[override]
        return self.trace

    def start(self) -> _FakeFlow:
        if self.interface != "veth":
            self.unavailable = ("the Table 5 flow runs over the veth pair the harness makes (PIXIT interface = "
                                "\"veth\"); a bench interface is not supported yet")
            return self
        ok, why = netns.available()
        if not ok:
            self.unavailable = f"network namespaces unavailable ({why}); the Table 5 flow runs over a veth pair"
            return self
        self.pair = FlowPair().create()
        self.loop = NsLoop(self.pair.a, f"vgitest-fake-61850-{self.harness_role}")
        return self

    @property
    def url(self) -> str:
        return self.pair.device_url() if self.pair is not None else "iec61850://unavailable?ip=0.0.0.0&peer=0.0.0.0"

    @property
    def link(self) -> str:
        if self.pair is None:
            return "no link"
        return (f"veth pair {self.pair.ifname} between network namespaces {self.pair.a} (harness, {HARNESS_IP}) and "
                f"{self.pair.b} (device, {DEVICE_IP}); GOOSE/SV on AF_PACKET sockets, MMS on TCP port 102")

    def reset_for_test(self) -> None:
        """Nothing carries over: every flow() makes a fresh role, server and socket."""

    def _require(self) -> NsLoop:
        if self.unavailable:
            raise RuntimeError(self.unavailable)
        if self.loop is None:
            raise HarnessError("the fake IEC 61850 peer is not running (used before start() or after stop())")
        return self.loop

    def _perform(self, action: str) -> None:
        if self.dut is not None and (not hasattr(self.dut, "supports") or self.dut.supports(action)):
            self.dut.perform(action)

    @abc.abstractmethod
    def _role(self) -> EvRole | EvseRole:
        """The harness's side of the flow, on its end of the link."""

    # --- one flow -----------------------------------------------------------------------------------------------
    def flow(self) -> FlowSession:
        """One whole Table 5 flow with the device (plugged in, then out)."""
        loop = self._require()

        async def make() -> EvRole | EvseRole:
            role = self._role()
            await role.start()
            return role
        with step(f"Table 5 flow: the fake {self.harness_role.upper()} with the {self.dut_side.upper()}"):
            role = loop.run(make(), timeout=10)
            try:
                self._perform("plug_in")
                result = loop.run(role.run(), timeout=role.bound() + 5)
                time.sleep(self.settle_s)  # the device's last frames (retransmissions, a late answer) are evidence
            finally:
                loop.run(self._close(role), timeout=10)
                self._perform("unplug")
            return self._finish(role, result)

    def probe_read_only(self) -> tuple[FlowSession, int | None]:
        """Write a read-only attribute of the device's model (ST or MX): returns the session and the device's answer
        (None: it accepted the write; else its DataAccessError)."""
        loop = self._require()
        ref, value = ((model.EVSE_READ_ONLY_PROBE, integer(1)) if self.dut_side == "evse"
                      else (model.EV_READ_ONLY_PROBE, float32(99.0)))

        async def probe() -> tuple[EvRole | EvseRole, int | None]:
            role = self._role()
            try:
                client = await role.connect()
                answer = await client.write(ref, value)
                await client.conclude()
            except Exception:
                await self._close(role)
                raise
            await self._close(role)
            return role, answer
        with step(f"write the read-only {ref} of the {self.dut_side.upper()}"):
            role, answer = loop.run(probe(), timeout=4 * self.timers.step_timeout)
            return self._finish(role, role.result, read_only=(ref,)), answer

    async def _close(self, role: EvRole | EvseRole) -> None:
        await role.close()
        role.l2.close()

    def _finish(self, role: EvRole | EvseRole, result: FlowResult, read_only: Iterable[str] = ()) -> FlowSession:
        """The flow's frames into the trace, in time order, and the device judged."""
        self.flows += 1
        conn = f"flow-{self.flows}"
        groups: list[tuple[str, list[Item], list[Finding]]] = []
        dut_l2 = [r for r in role.l2.records if r.direction == "rx"]
        items = l2_items(role.l2.records)
        rx_index = [i for i, r in enumerate(role.l2.records) if r.direction == "rx"]
        l2_findings: list[Finding] = []
        goose_rx = [r for r in dut_l2 if ethertype(r.raw) == ETHERTYPE_GOOSE]
        sv_rx = [r for r in dut_l2 if ethertype(r.raw) == ETHERTYPE_SV]
        for subset, findings in ((goose_rx, streams.check_goose(goose_rx) if self.dut_side == "evse" else []),
                                 (sv_rx, streams.check_sv(sv_rx, sv_id=self.sv_id) if self.dut_side == "ev" else [])):
            for f in findings:
                if f.frame_index is not None:
                    f.frame_index = rx_index[dut_l2.index(subset[f.frame_index])]
                l2_findings.append(f)
        groups.append(("l2", items, l2_findings))
        for n, (served_by, log) in enumerate(role.mms_logs()):
            harness_is_client = served_by == "peer"
            findings = mms_checks.judge(log, "server" if harness_is_client else "client",
                                        read_only if harness_is_client else ())
            groups.append((f"mms{n}", mms_items(log, harness_is_client), findings))
        offset = time.time_ns() - time.monotonic_ns()
        placed: list[tuple[Item, str, list[Finding]]] = []
        for name, group_items, findings in groups:
            by_index = {it.index: it for it in group_items}
            for it in group_items:
                placed.append((it, name, [f for f in findings if f.frame_index == it.index]))
            for f in findings:
                if f.frame_index is None or f.frame_index not in by_index:
                    f.frame_index = None
                    self.trace.add_finding(f)
        frames: list[Frame] = []
        all_findings = [f for _, _, fs in groups for f in fs]
        for it, name, findings in sorted(placed, key=lambda p: p[0].t_ns):
            version = L2_VERSION if name == "l2" else MMS_VERSION
            frame = self.trace.append(Frame(
                t_ns=it.t_ns, wall=(it.t_ns + offset) / 1e9, direction=it.direction, protocol=PROTOCOL,
                version=version, connection=f"{conn}-{name}", kind=it.kind, name=it.name,
                correlation=it.correlation, raw=it.raw, body=None, meta={**it.meta, "link": self.link}))
            for f in findings:
                f.frame_index = frame.index
                frame.findings.append(f)
            frames.append(frame)
        self._size_verdicts(frames)
        self.request_steps(frames)
        return FlowSession(result, frames, all_findings, self.link)

    def request_steps(self, frames: list[Frame]) -> None:
        """One Allure step per MMS request the harness sent, with the device's answer (its response, or the error
        that refused it), failed when none came. The flow runs on the peer's loop, where no step can be opened, so
        they are made afterwards in the test's thread."""
        device = self.dut_side.upper()
        for req in frames:
            if req.direction is not Direction.OUT or req.kind != "REQUEST":
                continue
            answer = next((f for f in frames if f.index > req.index and f.direction is Direction.IN
                           and f.connection == req.connection
                           and (f.kind == "ERROR" or (f.kind == "RESPONSE" and f.correlation == req.correlation))),
                          None)
            with step(f"{req.name} -> {device}") as outcome:
                attach_frames([req] if answer is None else [req, answer], "request and answer")
                if answer is None:
                    outcome.failed(f"the {device} did not answer {req.name}")

    def _size_verdicts(self, frames: list[Frame]) -> None:
        """Every frame of a Table 5 row carries its size verdict in the evidence (``meta["table5"]``): within the
        row's figure, or over it with the row's severity. The suite's size cases judge the rows whose severity is
        warn or fail; an ``info`` row (1 and 2, see ``schemas/budgets/flow_d31_table5.toml``) is reported here and
        never judged."""
        from .table5rows import row_budgets
        limits = row_budgets(self.budgets)
        for f in frames:
            b = limits.get(f.meta.get("row"))  # type: ignore[arg-type]
            if b is None:
                continue
            size = f.meta["frame_size"]
            f.meta["table5"] = {"row": f.meta["row"], "budget": b.max_bytes, "severity": b.severity.value,
                                "frame_size": size, "apdu_size": f.meta.get("apdu_size"),
                                "sender": "device" if f.direction is Direction.IN else "harness",
                                "verdict": "within" if size <= b.max_bytes else f"over ({b.severity.value})"}

    # --- Table 5 sizes ------------------------------------------------------------------------------------------
    def judge_sizes(self, session: FlowSession, rows: Iterable[int], budgets: Any) -> list[dict[str, Any]]:
        """Each of the device's frames of ``rows`` against its row (severity from the budget file); the findings go
        on the frames (so they judge the case) and the measurements are returned."""
        from .table5rows import row_budgets
        limits = row_budgets(budgets)
        out = []
        for n in rows:
            b = limits[n]
            for f in session.row(n, "dut"):
                size, apdu = f.meta["frame_size"], f.meta.get("apdu_size")
                out.append({"row": n, "name": f.name, "frame": f.index, "frame_size": size, "apdu_size": apdu,
                            "budget": b.max_bytes, "within": size <= b.max_bytes})
                if size > b.max_bytes:
                    f.findings.append(Finding.of(
                        "IEC-TABLE5-SIZE", f"{f.name}: {size} bytes as a whole frame (PDU {apdu}), above Table 5 "
                        f"row {n} ({b.note}, {b.max_bytes} bytes)", f.index, severity=b.severity, row=n,
                        frame_size=size, apdu_size=apdu, budget=b.max_bytes))
        return out


class FakeFlowEvse(_FakeFlow):
    """The harness as EVSE (an EV under test)."""

    harness_role, dut_side = "evse", "ev"

    def _role(self) -> EvseRole:
        return EvseRole(L2Endpoint(self.pair.ifname), HARNESS_IP, DEVICE_IP, timers=self.timers)  # type: ignore


class FakeFlowEv(_FakeFlow):
    """The harness as EV (an EVSE under test)."""

    harness_role, dut_side = "ev", "evse"

    def _role(self) -> EvRole:
        return EvRole(L2Endpoint(self.pair.ifname), HARNESS_IP, DEVICE_IP, timers=self.timers)  # type: ignore


def from_pixit(role: str, pixit: dict[str, Any], classes: tuple[type[_FakeFlow], type[_FakeFlow]] | None = None
               ) -> _FakeFlow:
    """The fake peer for a DUT of ``role`` ("ev" or "evse") from the profile's PIXIT."""
    evse_cls, ev_cls = classes or (FakeFlowEvse, FakeFlowEv)
    cls = evse_cls if role == "ev" else ev_cls
    timers = FlowTimers(step_timeout=float(pixit.get("step_timeout_s", FlowTimers.step_timeout)))
    return cls(interface=str(pixit.get("interface", "veth")), timers=timers,
               settle_s=float(pixit.get("settle_s", 0.3)), sv_id=str(pixit.get("sv_id", SV_ID)))
