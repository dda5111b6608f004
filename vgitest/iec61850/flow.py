"""The FLOW D3.1 Table 5 flow, both roles: the EV and the EVSE as asyncio objects the harness plays (fake EV, fake
EVSE) and the reference devices run with faults.

The flow, in Table 5's order: the EV writes its power request into the EVSE's model (row 1, MMS Write) and the
EVSE acknowledges it (row 2, the Write response); the EVSE reads the EV's state of charge, desired SoC, charging
mode and limits (rows 3 and 4, MMS Read and its response); the EVSE starts charging with a GOOSE (row 5) that it
repeats on the retransmission curve; the EV publishes its state of charge as Sampled Values (row 6, repeated) until
the EVSE's terminating GOOSE (row 7, the same control block with a new stNum).

Two MMS associations, one in each direction. Row 1 is a write by the EV, row 3 a read by the EVSE: in MMS only a
client reads or writes, and only a server holds the data, so each side is the server of its own model
(:mod:`vgitest.iec61850.model`) and the client of the other's. The EV associates to the EVSE for the power request
and releases; the EVSE then associates to the EV for the read and releases. A single association (the EV as
client, the EVSE pushing its reads as reports) would need MMS information reports that Table 5 does not show.

MMS runs over TCP port 102 between the two ends' IPv4 addresses; GOOSE and SV are Ethernet multicast on the same
link (:class:`~vgitest.iec61850.l2.L2Endpoint`). Every wait is bounded (:class:`FlowTimers`); a peer's bad answer
ends its role with an ``error`` in the :class:`FlowResult`, never an exception out of :meth:`run`.
"""

from __future__ import annotations

import abc
import asyncio
import dataclasses
import struct
import time
from collections.abc import Iterable
from typing import Any

from . import goose, mms, model, osi, sv
from .data import Data, UtcTime, boolean, float32, visible
from .ether import FrameError
from .l2 import L2Endpoint
from .mms_peer import Attribute, MmsClient, MmsPeerError, MmsServer, ServerFaults
from .publisher import GoosePublisher, RetransmissionCurve

MMS_PORT = 102
GOCB_REF, DAT_SET, GO_ID = "EVSE1/LLN0$GO$Chg", "EVSE1/LLN0$Chg", "Chg"
SV_ID = "EV1SoC"
POWER_REQUEST_W = 11000.0
ERRORS = (MmsPeerError, osi.OsiError, mms.MmsError, OSError, asyncio.TimeoutError, asyncio.IncompleteReadError)

PUBLISHER_FAULTS = {"no_retransmission", "sqnum_skip", "stnum_stuck", "tal_too_short"}
SERVER_FAULTS = {"wrong_invoke_id", "accept_read_only_writes"}
EVSE_FAULTS = PUBLISHER_FAULTS | SERVER_FAULTS | {"oversized_goose", "oversized_read"}
EV_FAULTS = SERVER_FAULTS | {"smpcnt_gap", "wrong_svid", "oversized_sv", "oversized_read_response"}
# oversized_read: the EVSE names the five attributes instead of the three functional constraints (a 264-byte frame);
# oversized_read_response: the EV keeps a 200-character identifier among its set points, so the answer to the
# EVSE's read of them grows past row 4.
EV_ATTRIBUTES = (model.SOC, model.SOC_TARGET, model.CHARGING_MODE, model.CURRENT_LIMIT, model.VOLTAGE_LIMIT)


@dataclasses.dataclass(frozen=True)
class FlowTimers:
    """How long each role waits and how the charge runs (harness settings, not budgets: the flow has none)."""

    step_timeout: float = 3.0  # the longest wait for the other side's next step
    sv_interval: float = 0.02  # the EV's SoC update period
    charge_s: float = 0.2  # the EVSE terminates this long after it initiated
    linger_s: float = 0.15  # and keeps retransmitting the terminate state this long
    max_samples: int = 100  # an EV never sends more SoC updates than this in one flow
    # 8 ms, doubling, at most 100 ms, and a timeAllowedtoLive of four intervals: the reference EVSE shares a loaded
    # 2-core machine with the harness, and a repeat its loop sends late must not expire (the faults still do)
    curve: RetransmissionCurve = RetransmissionCurve(first=0.008, factor=2.0, maximum=0.1, tal_factor=4.0)

    def for_link(self, rate_kbps: float | None) -> FlowTimers:
        """These settings as they would be configured for a link of ``rate_kbps`` (None: a LAN, unchanged).

        IEC 61850 leaves the GOOSE curve and the sampled-value rate to the configuration (an SCL file's GSE MinTime
        and MaxTime, its SMV rate), which is made for the network the device sits on. At 9.6 kbit/s one of the
        EVSE's GOOSE frames takes 84 ms on the wire, so the LAN curve's first repeats (8 ms apart, valid 32 ms)
        queue behind each other and arrive expired however correct both ends are. Here the first repeat and the
        EV's SoC update period are at least twice the time their frame takes at the rate, the heartbeat no
        shorter than the first repeat, and the charge lasts at least three update periods."""
        if not rate_kbps:
            return self

        def twice_on_wire(frame_bytes: int) -> float:
            return 2 * frame_bytes * 8 / (rate_kbps * 1000)
        first = max(self.curve.first, twice_on_wire(len(goose_template().encode())))
        curve = dataclasses.replace(self.curve, first=first, maximum=max(self.curve.maximum, first))
        period = max(self.sv_interval, twice_on_wire(len(soc_sample(0, frozenset(), bytes(6)).encode())))
        return dataclasses.replace(self, curve=curve, sv_interval=period, charge_s=max(self.charge_s, 3 * period))


@dataclasses.dataclass
class FlowResult:
    """What one role saw: the steps it completed (in order) and why it stopped early, if it did."""

    steps: list[str] = dataclasses.field(default_factory=list)
    error: str | None = None
    read: tuple[Data | int, ...] = ()  # the EVSE: the EV's answer to the parameter read
    samples: int = 0  # the EV: SoC updates sent; the EVSE: received

    def done(self, step: str) -> bool:
        return step in self.steps


def _attributes(points: Iterable[model.Point]) -> list[Attribute]:
    return [Attribute(p.ref, p.value, p.read_only) for p in points]


def _server_faults(faults: frozenset[str]) -> ServerFaults:
    return ServerFaults(wrong_invoke_id="wrong_invoke_id" in faults,
                        accept_read_only_writes="accept_read_only_writes" in faults)


def goose_template(faults: frozenset[str] = frozenset(), src: bytes = bytes(6)) -> goose.GooseFrame:
    """The EVSE's charging control block, untagged (see docs/iec61850_flow.md on sizes); ``oversized_goose`` gives
    it the long names a careless configuration would (beyond Table 5's 104 bytes)."""
    ref, ds, go_id = (GOCB_REF, DAT_SET, GO_ID) if "oversized_goose" not in faults else (
        "EVSE1/LLN0$GO$ChargingControlBlock", "EVSE1/LLN0$ChargingDataSet", "ChargingControlBlock")
    pdu = goose.GoosePdu.of(ref, ds, (boolean(True),), t=UtcTime(0), go_id=go_id)
    return goose.frame(pdu, src, vlan=None)


def is_charging_goose(f: goose.GooseFrame) -> bool | None:
    """The charging state a GOOSE of the EVSE's control block carries (None: not that block, or no BOOLEAN)."""
    if not f.pdu.all_data:
        return None
    first = f.pdu.all_data[0]
    return bool(first.value) if first.kind == "boolean" else None


class _Role(abc.ABC):
    """What both roles share: their MMS server (their own model), their layer-2 endpoint and the logs."""

    def __init__(self, l2: L2Endpoint, host: str, peer_host: str, points: tuple[model.Point, ...],
                 faults: Iterable[str] = (), timers: FlowTimers = FlowTimers(), port: int = MMS_PORT,
                 peer_port: int = MMS_PORT) -> None:
        self.l2, self.host, self.peer_host, self.port, self.peer_port = l2, host, peer_host, port, peer_port
        self.faults = frozenset(faults)
        self.timers = timers
        if "oversized_read_response" in self.faults:
            points += (model.Point(f"{model.EV_LD}/{model.EV_LN}$SP$EvId$setVal", visible("EV-" + "0" * 197), False,
                                   "a vehicle identifier (the fault's bloat)"),)
        self.server = MmsServer(_attributes(points), host=host, port=port, faults=_server_faults(self.faults),
                             on_write=self._written, timeout=timers.step_timeout)
        self.clients: list[MmsClient] = []
        self.result = FlowResult()

    def _written(self, name: mms.Name, value: Data) -> None:
        """A write the server applied (the EVSE learns the power request from it)."""

    async def start(self) -> None:
        await self.server.start()

    async def close(self) -> None:
        await self.server.close()

    async def connect(self) -> MmsClient:
        client = await MmsClient.connect(self.peer_host, self.peer_port, timeout=self.timers.step_timeout)
        self.clients.append(client)
        return client

    def mms_logs(self) -> list[tuple[str, list[Any]]]:
        """(who served, frame log) of every association: ``"peer"`` where this role was the client."""
        return ([("peer", c.conn.log) for c in self.clients]
                + [("self", a.conn.log) for a in self.server.associations])

    async def run(self) -> FlowResult:
        try:
            await asyncio.wait_for(self._run(), self.bound())
        except ERRORS as exc:
            self.result.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return self.result

    def bound(self) -> float:
        """The longest a whole flow of this role may take (every wait in it is bounded by less)."""
        t = self.timers
        return 4 * t.step_timeout + t.charge_s + t.linger_s + t.max_samples * t.sv_interval

    @abc.abstractmethod
    async def _run(self) -> None:
        """The role's side of the flow, from its first frame to its last."""


class EvseRole(_Role):
    """The EVSE: serves ``DESE1``; on the EV's power request it reads the EV, then initiates and terminates
    charging with its GOOSE."""

    def __init__(self, l2: L2Endpoint, host: str, peer_host: str, faults: Iterable[str] = (),
                 timers: FlowTimers = FlowTimers(), **kw: Any) -> None:
        super().__init__(l2, host, peer_host, model.evse_model(), faults, timers, **kw)
        self.requested = asyncio.Event()
        self.publisher = GoosePublisher(goose_template(self.faults, l2.mac), timers.curve,
                                        self.faults & PUBLISHER_FAULTS)

    def _written(self, name: mms.Name, value: Data) -> None:
        if str(name) == model.POWER_REQUEST:
            self.requested.set()

    async def _run(self) -> None:
        await asyncio.wait_for(self.requested.wait(), self.timers.step_timeout)
        self.result.steps.append("power_request")
        client = await self.connect()
        refs = EV_ATTRIBUTES if "oversized_read" in self.faults else model.EV_PARAMETERS
        answer = await client.request(mms.ReadRequest(tuple(mms.Name.parse(r) for r in refs)))
        if not isinstance(answer, mms.ConfirmedResponse) or not isinstance(answer.service, mms.ReadResponse):
            raise MmsPeerError(f"{type(answer).__name__} to the parameter read")
        self.result.read = answer.service.results
        self.result.steps.append("parameters")
        await client.conclude()
        t = self.timers
        changes = [(0.0, (boolean(True),)), (t.charge_s, (boolean(False),))]
        self.result.steps.append("initiate")
        await self._publish(self.publisher.schedule(changes, t.charge_s + t.linger_s, time.time()))
        self.result.steps.append("terminate")
        self.result.samples = sum(1 for r in self.l2.records if r.direction == "rx" and _sv(r.raw) is not None)


    async def _publish(self, plan: list[tuple[float, goose.GooseFrame]]) -> None:
        """Send the publisher's plan, sleeping each nominal gap after the previous send (not until an absolute
        time): a send the loop makes late delays the rest instead of shortening the next interval, so a loaded
        machine never makes the curve shrink (GOOSE-RETRANSMISSION) or a message expire early."""
        previous = 0.0
        for at, frame in plan:
            await asyncio.sleep(max(0.0, at - previous))
            previous = at
            await self.l2.send(frame)


class EvRole(_Role):
    """The EV: serves ``DEEV1``; writes its power request into the EVSE, then on the EVSE's initiating GOOSE
    publishes its state of charge until the terminating one."""

    def __init__(self, l2: L2Endpoint, host: str, peer_host: str, faults: Iterable[str] = (),
                 timers: FlowTimers = FlowTimers(), **kw: Any) -> None:
        super().__init__(l2, host, peer_host, model.ev_model(), faults, timers, **kw)

    async def _run(self) -> None:
        client = await self.connect()
        name, value = mms.Name.parse(model.POWER_REQUEST), float32(POWER_REQUEST_W)
        answer = await client.request(mms.WriteRequest((name,), (value,)))
        if not isinstance(answer, mms.ConfirmedResponse) or not isinstance(answer.service, mms.WriteResponse):
            raise MmsPeerError(f"{type(answer).__name__} to the power request")
        refused = next((r for r in answer.service.results if r is not None), None)
        if refused is not None:
            raise MmsPeerError(f"the power request was refused (DataAccessError {refused})")
        self.result.steps.append("power_request")
        await client.conclude()
        if not await self._goose_state(True, self.timers.step_timeout):
            raise asyncio.TimeoutError("no initiating GOOSE")
        self.result.steps.append("initiate")
        for n in range(self.timers.max_samples):
            await self.l2.send(self._sample(n))
            self.result.samples += 1
            if await self._goose_state(False, self.timers.sv_interval):
                self.result.steps.append("terminate")
                return
        raise asyncio.TimeoutError(f"no terminating GOOSE after {self.timers.max_samples} SoC updates")

    async def _goose_state(self, charging: bool, timeout: float) -> bool:
        """Whether a GOOSE with this charging state arrives within ``timeout`` (other frames are skipped)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (left := deadline - loop.time()) > 0:
            seen = await self.l2.recv(left)
            if seen is None:
                return False
            try:
                f = seen.decode()
            except FrameError:
                continue
            if isinstance(f, goose.GooseFrame) and is_charging_goose(f) is charging:
                return True
        return False

    def _sample(self, n: int) -> sv.SvFrame:
        return soc_sample(n, self.faults, self.l2.mac)


def soc_sample(n: int, faults: frozenset[str], src: bytes) -> sv.SvFrame:
    """The EV's ``n``-th state-of-charge update (SV, untagged), as its faults shape it."""
    cnt = n + (1 if "smpcnt_gap" in faults and n >= 3 else 0)
    sv_id = "EV1SoC-X" if "wrong_svid" in faults else SV_ID
    data = struct.pack(">fI", 42.0 + 0.1 * n, 0)
    if "oversized_sv" in faults:  # voltage, current and power with their qualities too
        data += struct.pack(">fIfIfI", 400.0, 0, 27.5, 0, 11000.0, 0)
    return sv.frame(sv.SavPdu.of(sv.Asdu(sv_id, cnt % 65536, 1, 0, data)), src, vlan=None)


def _sv(raw: bytes) -> sv.SvFrame | None:
    try:
        return sv.decode(raw)
    except FrameError:
        return None
