"""Raw V2G sessions of the fake EVCC, for fuzz cases that test an EVSE: one request at a time, any bytes.

The fake EVCC's :meth:`~vgitest.iso15118.fake.FakeEvcc.charge` runs a whole session and judges every answer as it
goes; a fuzz case needs the opposite: to send what no EV sends (a broken request, a request out of order) and to
judge the answer itself, as one example of a property. This driver opens a session the way the fake EV does
(SDP, TCP, supportedAppProtocol offering the DUT's family only), then sends requests one by one and returns the
EVSE's answer (or that it closed, or said nothing). Every frame goes into the fake EVCC's trace (the evidence and
the counterexample's frames) but the driver records no finding: the case judges.

Requests are built by the fake EV's own logic (:class:`~vgitest.iso15118.iso2.Iso2Ev`), so their values are those
of a well-behaved EV in the PIXIT's energy transfer mode.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ssl
from typing import Any

from ..exi import ExiError, encode
from ..trace import Direction, Frame
from ..wire import WireLog
from . import family as fam
from . import sdp
from .evcc import connect_secc, secc_host, unverified_tls
from .link import Link
from .negative import Broken

__all__ = ["CLOSED", "Conn", "DIN_STEPS", "Driver", "FAMILIES", "ISO20_STEPS", "STEPS", "family_of", "steps_for"]

CLOSED = "closed"  # the EVSE closed the connection instead of answering

# The EV's requests in the order of one session, per energy transfer kind: (step label, request name)
STEPS = {
    "DC": (("SessionSetup", "SessionSetupReq"), ("ServiceDiscovery", "ServiceDiscoveryReq"),
           ("PaymentServiceSelection", "PaymentServiceSelectionReq"), ("Authorization", "AuthorizationReq"),
           ("ChargeParameterDiscovery", "ChargeParameterDiscoveryReq"), ("CableCheck", "CableCheckReq"),
           ("PreCharge", "PreChargeReq"), ("PowerDeliveryStart", "PowerDeliveryReq"),
           ("CurrentDemand", "CurrentDemandReq"), ("PowerDeliveryStop", "PowerDeliveryReq"),
           ("WeldingDetection", "WeldingDetectionReq"), ("SessionStop", "SessionStopReq")),
    "AC": (("SessionSetup", "SessionSetupReq"), ("ServiceDiscovery", "ServiceDiscoveryReq"),
           ("PaymentServiceSelection", "PaymentServiceSelectionReq"), ("Authorization", "AuthorizationReq"),
           ("ChargeParameterDiscovery", "ChargeParameterDiscoveryReq"), ("PowerDeliveryStart", "PowerDeliveryReq"),
           ("ChargingStatus", "ChargingStatusReq"), ("PowerDeliveryStop", "PowerDeliveryReq"),
           ("SessionStop", "SessionStopReq")),
}
# DIN SPEC 70121 (DC only): its own names for payment selection and authorization
DIN_STEPS = {"DC": (("SessionSetup", "SessionSetupReq"), ("ServiceDiscovery", "ServiceDiscoveryReq"),
                    ("ServicePaymentSelection", "ServicePaymentSelectionReq"),
                    ("ContractAuthentication", "ContractAuthenticationReq"),
                    ("ChargeParameterDiscovery", "ChargeParameterDiscoveryReq"), ("CableCheck", "CableCheckReq"),
                    ("PreCharge", "PreChargeReq"), ("PowerDeliveryStart", "PowerDeliveryReq"),
                    ("CurrentDemand", "CurrentDemandReq"), ("PowerDeliveryStop", "PowerDeliveryReq"),
                    ("WeldingDetection", "WeldingDetectionReq"), ("SessionStop", "SessionStopReq"))}


# ISO 15118-20 (EIM, no TLS, the mode's service): its own message set, DC and AC
_ISO20_HEAD = (("SessionSetup", "SessionSetupReq"), ("AuthorizationSetup", "AuthorizationSetupReq"),
               ("Authorization", "AuthorizationReq"), ("ServiceDiscovery", "ServiceDiscoveryReq"),
               ("ServiceDetail", "ServiceDetailReq"), ("ServiceSelection", "ServiceSelectionReq"))
ISO20_STEPS = {
    "DC": _ISO20_HEAD + (("ChargeParameterDiscovery", "DC_ChargeParameterDiscoveryReq"),
                         ("ScheduleExchange", "ScheduleExchangeReq"), ("CableCheck", "DC_CableCheckReq"),
                         ("PreCharge", "DC_PreChargeReq"), ("PowerDeliveryStart", "PowerDeliveryReq"),
                         ("ChargeLoop", "DC_ChargeLoopReq"), ("PowerDeliveryStop", "PowerDeliveryReq"),
                         ("WeldingDetection", "DC_WeldingDetectionReq"), ("SessionStop", "SessionStopReq")),
    "AC": _ISO20_HEAD + (("ChargeParameterDiscovery", "AC_ChargeParameterDiscoveryReq"),
                         ("ScheduleExchange", "ScheduleExchangeReq"), ("PowerDeliveryStart", "PowerDeliveryReq"),
                         ("ChargeLoop", "AC_ChargeLoopReq"), ("PowerDeliveryStop", "PowerDeliveryReq"),
                         ("SessionStop", "SessionStopReq")),
}
FAMILIES = ("din", "iso-2", "iso-20")  # the families the driver runs sessions of


def steps_for(family: str, mode: str) -> tuple[tuple[str, str], ...]:
    """The EV's requests of one session in order for ``family`` ("iso-2", "din", "iso-20") and energy transfer
    ``mode``."""
    if family == "din":
        return DIN_STEPS["DC"]
    if family == "iso-20":
        return ISO20_STEPS["AC" if mode == "AC" else "DC"]
    return STEPS["AC" if mode == "AC" else "DC"]


def family_of(profile: Any) -> Any:
    """The protocol family of the profile's [dut] version (ISO 15118-2 when it names none the driver runs)."""
    version = str(profile.dut.get("version", "iso-2"))
    return fam.get(version if version in FAMILIES else "iso-2")


SERVICE_SCOPE = "vgitest"  # the optional ServiceScope the fake EV sends (a string a too-long mutation can reach)


@dataclasses.dataclass
class Conn:
    """One open V2G connection: the link, the SessionID in force and the EV logic that builds its requests."""

    link: Link
    family: fam.Family
    logic: Any
    sid: bytes = bytes(8)
    last: str | None = None  # the last step answered with an OK code
    closed: bool = False


class Driver:
    """Opens V2G sessions to the EVSE under test through the fake EVCC's client, on its event loop."""

    def __init__(self, evcc: Any, profile: Any) -> None:
        self.evcc = evcc
        self.client = evcc.client
        self.family = family_of(profile)
        mode = str(profile.param("mode") or "")  # none given: AC for an EVSE that declares only AC, else DC
        supports = getattr(profile, "supports", lambda _f: False)
        self.mode = mode if mode in ("AC", "DC") else ("AC" if supports("AC") and not supports("DC") else "DC")
        if self.family.name == "din":
            self.mode = "DC"  # DIN SPEC 70121 is DC charging only
        self.steps = steps_for(self.family.name, self.mode)
        self.timers = self.client.timers
        self.why = ""  # why the last open() failed

    # -- the event loop ----------------------------------------------------------------------------------------
    def run(self, coro: Any, timeout: float = 60.0) -> Any:
        return self.evcc.loop.run(coro, timeout=timeout)

    # -- opening ----------------------------------------------------------------------------------------------
    async def open(self) -> Conn | None:
        """SDP, TCP (TLS when the EVSE offers it) and supportedAppProtocol; None (``why`` says) when any fails."""
        c = self.client
        log: list[sdp.Datagram] = []
        want = sdp.TLS if c.want_tls else sdp.NO_TLS
        ans = await sdp.discover(c.sdp_target, c.sdp_port, security=want, retry_s=sdp.RETRY_S,
                                 max_requests=max(1, c.sdp_retries), log=log)  # an EVSE may answer SDP only
        # once its last session is over (Josev: 5 s after it ended): the PIXIT sdp_retries bounds the wait
        c._sdp_frames(log)
        if ans is None:
            self.why = "no SDP answer"
            return None
        ctx = (c.ssl_context or unverified_tls()) if ans.security == sdp.TLS else None
        host = secc_host(ans, c.sdp_target)
        try:
            reader, writer = await connect_secc(host, ans.port, ctx)
        except (OSError, asyncio.TimeoutError, ssl.SSLError) as exc:
            self.why = f"no connection to [{host}]:{ans.port}: {exc!r}"
            return None
        c._n += 1
        local = writer.get_extra_info("sockname") or ("?", 0)
        peer = writer.get_extra_info("peername") or ("?", 0)
        wire = WireLog(f"v2g-fz{c._n}", (str(local[0]), int(local[1])), (str(peer[0]), int(peer[1])),
                       tls=ctx is not None, harness_is_client=True)
        c.wires.append(wire)
        link = Link(reader, writer, c.trace, wire, connection=wire.connection, peer_is_dut=True)
        link.event("OPEN", Direction.OUT, peer=list(peer)[:2], tls=ctx is not None)
        f = self.family
        namespace = f.namespace
        if f.name == "iso-20":  # the namespace of the mode's energy service (DC, AC)
            from .iso20 import NAMESPACES
            namespace = NAMESPACES["AC" if self.mode == "AC" else "DC"]
        offer = {"ProtocolNamespace": namespace, "VersionNumberMajor": f.major, "VersionNumberMinor": f.minor,
                 "SchemaID": 1, "Priority": 1}
        msg = {"supportedAppProtocolReq": {"AppProtocol": [offer]}}
        await link.send("supportedAppProtocolReq", msg, encode(msg, "app-protocol"))
        res = await self._answer(link, self.timers.with_tolerance(f.name, "evcc_msg_timeout", "SupportedAppProtocol"))
        code = ((res.body or {}).get("supportedAppProtocolRes") or {}).get("ResponseCode") \
            if isinstance(res, Frame) else None
        if not str(code).startswith("OK"):
            self.why = f"supportedAppProtocol answered {code or res}"
            await link.close()
            return None
        link.family, link.version = f, f.name
        return Conn(link, f, f.ev(dataclasses.replace(c.ev), self.mode))

    async def _answer(self, link: Link, wait: float) -> Frame | str | None:
        """The next frame from the EVSE (a frame with a bad header too), CLOSED, or None when nothing came."""
        try:
            got = await link.recv(wait)
        except asyncio.TimeoutError:
            return None
        except Exception:  # framing lost: the EVSE's bytes cannot be split into frames
            return CLOSED
        return CLOSED if got is None else got

    async def close(self, conn: Conn) -> None:
        if not conn.closed:
            conn.closed = True
            await conn.link.close()
            conn.link.event("CLOSE", Direction.OUT, by="evcc", reason="fuzz example done")

    # -- requests ----------------------------------------------------------------------------------------------
    def request(self, conn: Conn, step: str, *, pause: bool = False) -> tuple[str, dict[str, Any]]:
        """The request of ``step`` (a label of STEPS) as the fake EV builds it now."""
        ev = conn.logic
        if conn.family.name == "din":
            return self._din_request(ev, step)
        if conn.family.name == "iso-20":
            return self._iso20_request(ev, step, pause)
        if step == "SessionSetup":
            return ev.first()
        if step == "ServiceDiscovery":
            return "ServiceDiscoveryReq", {"ServiceScope": SERVICE_SCOPE}
        if step == "PaymentServiceSelection":
            return ev._payment_selection({})
        if step == "Authorization":
            return "AuthorizationReq", {}
        if step == "ChargeParameterDiscovery":
            return ev._cpd()
        if step == "CableCheck":
            return "CableCheckReq", {"DC_EVStatus": ev._status()}
        if step == "PreCharge":
            return ev._precharge()
        if step == "PowerDeliveryStart":
            return ev._power_delivery("Start")
        if step == "PowerDeliveryStop":
            return ev._power_delivery("Stop")
        if step == "CurrentDemand":
            return ev._current_demand()
        if step == "ChargingStatus":
            return "ChargingStatusReq", {}
        if step == "WeldingDetection":
            return "WeldingDetectionReq", {"DC_EVStatus": ev._status(ready=False)}
        if step == "SessionStop":
            return "SessionStopReq", {"ChargingSession": "Pause" if pause else "Terminate"}
        raise ValueError(f"unknown step {step!r}")

    @staticmethod
    def _din_request(ev: Any, step: str) -> tuple[str, dict[str, Any]]:
        """DIN SPEC 70121's form of ``step`` (its EV logic, :class:`~vgitest.iso15118.din.DinEv`)."""
        if step == "SessionSetup":
            return ev.first()
        if step == "ServiceDiscovery":
            return "ServiceDiscoveryReq", {"ServiceScope": SERVICE_SCOPE}
        if step == "ServicePaymentSelection":
            return ev.next("ServiceDiscoveryRes", {})
        if step == "ContractAuthentication":
            return "ContractAuthenticationReq", {}
        if step == "ChargeParameterDiscovery":
            return ev._cpd()
        if step in ("CableCheck", "WeldingDetection"):
            return f"{step}Req", {"DC_EVStatus": ev._status()}
        if step == "PreCharge":
            return ev._precharge()
        if step in ("PowerDeliveryStart", "PowerDeliveryStop"):
            return ev._power_delivery(step == "PowerDeliveryStart")
        if step == "CurrentDemand":
            return ev._current_demand()
        if step == "SessionStop":
            return "SessionStopReq", {}
        raise ValueError(f"unknown DIN SPEC 70121 step {step!r}")

    @staticmethod
    def _iso20_request(ev: Any, step: str, pause: bool) -> tuple[str, dict[str, Any]]:
        """ISO 15118-20's form of ``step`` (its EV logic, :class:`~vgitest.iso15118.iso20.Iso20Ev`; the parameter
        set and schedule it took from the EVSE's answers so far)."""
        if step == "SessionSetup":
            return ev.first()
        if step in ("AuthorizationSetup", "ServiceDiscovery"):
            return f"{step}Req", {}
        if step == "Authorization":
            return ev._authorization()
        if step == "ServiceDetail":
            return "ServiceDetailReq", {"ServiceID": ev.service_id}
        if step == "ServiceSelection":
            return "ServiceSelectionReq", {"SelectedEnergyTransferService": {
                "ServiceID": ev.service_id, "ParameterSetID": ev.parameter_set_id or 1}}
        if step == "ChargeParameterDiscovery":
            return ev._cpd()
        if step == "ScheduleExchange":
            return ev._schedule_exchange()
        if step == "CableCheck":
            return "DC_CableCheckReq", {}
        if step == "PreCharge":
            return ev._precharge()
        if step in ("PowerDeliveryStart", "PowerDeliveryStop"):
            return ev._power_delivery(step == "PowerDeliveryStart")
        if step == "ChargeLoop":
            return ev._charge_loop()
        if step == "WeldingDetection":
            return ev._welding()
        if step == "SessionStop":
            return "SessionStopReq", {"ChargingSession": "Pause" if pause else "Terminate"}
        raise ValueError(f"unknown ISO 15118-20 step {step!r}")

    def wait_for(self, name: str) -> float:
        return self.timers.with_tolerance(self.family.name, "evcc_msg_timeout", fam.base(name))

    def quiet_wait(self, name: str) -> float:
        """How long an EVSE that answers at all answers within: its performance time (at least 0.5 s)."""
        return max(0.5, self.timers.with_tolerance(self.family.name, "secc_msg_performance", fam.base(name)))

    def wrap(self, conn: Conn, name: str, body: dict[str, Any], sid: bytes | None = None) -> dict[str, Any]:
        return conn.family.wrap(name, body, conn.sid if sid is None else sid)

    async def send(self, conn: Conn, name: str, body: dict[str, Any], *, sid: bytes | None = None,
                   broken: Broken | None = None, wait: float | None = None) -> Frame | str | None:
        """Send one request (or its broken form) and return the EVSE's answer: a frame, CLOSED, or None (silence)."""
        f = conn.family
        msg = broken.msg if broken is not None and broken.msg is not None else self.wrap(conn, name, body, sid)
        if broken is not None:
            payload = broken.payload
        else:
            try:
                payload = encode(msg, f.schema_of(name))
            except ExiError as exc:
                raise RuntimeError(f"the fake EV cannot encode {name}: {exc}") from exc
        await conn.link.send(name, msg, payload, f.payload_type_of(name),
                             header=broken.header if broken is not None else None)
        res = await self._answer(conn.link, self.wait_for(name) if wait is None else wait)
        if res == CLOSED:
            conn.closed = True
        return res

    def answer_of(self, conn: Conn, res: Frame) -> tuple[str, dict[str, Any], bytes | None]:
        return conn.family.unwrap(res.body or {})

    async def exchange(self, conn: Conn, step: str, *, pause: bool = False, sid: bytes | None = None,
                       patch: Any = None) -> tuple[Frame | str | None, str]:
        """Send ``step``'s request (``patch``: a function that changes its body); repeat it while the EVSE answers
        Ongoing (bounded, as an EV does); returns the last answer and its ResponseCode ('' for no frame).
        SessionSetup takes the new SessionID, ChargeParameterDiscovery the schedule."""
        name, body = self.request(conn, step, pause=pause)
        body = patch(body) if patch is not None else body
        for _ in range(60):
            res = await self.send(conn, name, body, sid=sid)
            if not isinstance(res, Frame) or res.body is None:
                return res, ""
            rname, rbody, rsid = self.answer_of(conn, res)
            code = str(rbody.get("ResponseCode", ""))
            if step == "SessionSetup" and code.startswith("OK") and rsid:
                conn.sid = rsid
                conn.logic.session_id = rsid
            if code.startswith("OK"):
                conn.last = step
                self._took(conn, step, rbody)
            if rbody.get("EVSEProcessing") not in ("Ongoing", "Ongoing_WaitingForCustomerInteraction") and not (
                    step == "PreCharge" and code.startswith("OK") and self._precharging(conn, rbody)):
                return res, code
            await asyncio.sleep(0.05)
            name, body = self.request(conn, step, pause=pause)
            body = patch(body) if patch is not None else body
        return res, code

    @staticmethod
    def _took(conn: Conn, step: str, res: dict[str, Any]) -> None:
        """What the EV logic keeps from an OK answer: the schedule (ISO 15118-2 ChargeParameterDiscovery, -20
        ScheduleExchange), the parameter set to select (-20 ServiceDetail)."""
        ev, name = conn.logic, conn.family.name
        if name == "iso-2" and step == "ChargeParameterDiscovery":
            ev._take_schedule(res)
        elif name == "iso-20" and step == "ScheduleExchange" and res.get("EVSEProcessing") != "Ongoing":
            ev._take_schedule(res)
        elif name == "iso-20" and step == "ServiceDetail":
            ev._service_selection(res)

    def _precharging(self, conn: Conn, res: dict[str, Any]) -> bool:
        if conn.family.name == "iso-20":  # the EV's own decision: it says Finished once the voltage is reached
            was = conn.logic.precharged
            nxt = conn.logic._after_precharge(res)
            return not was and nxt is not None and nxt[0] == "DC_PreChargeReq"
        from .params import from_physical
        v = from_physical(res.get("EVSEPresentVoltage")) or 0.0
        p = conn.logic.p
        return abs(v - p.battery_v) > p.precharge_tolerance_v

    async def session_to(self, conn: Conn, upto: int) -> tuple[bool, str]:
        """Run the steps before index ``upto`` of STEPS; (True, '') when each was answered OK, else (False, what)."""
        for label, _ in self.steps[:upto]:
            res, code = await self.exchange(conn, label)
            if not code.startswith("OK"):
                what = res if isinstance(res, str) or res is None else f"{res.name} {code}"
                return False, f"{label}: {what or 'no answer'}"
        return True, ""

    async def probe(self) -> str:
        """A new session (SDP, SAP, SessionSetup with SessionID 0): '' when it worked, else what went wrong. A
        SessionStop ends it; its answer is the session model's to judge, not the probe's."""
        conn = await self.open()
        if conn is None:
            return self.why
        try:
            res, code = await self.exchange(conn, "SessionSetup")
            if code != "OK_NewSessionEstablished":
                return f"SessionSetupReq answered {code or res or 'nothing'}"
            await self.exchange(conn, "SessionStop")
            return ""
        finally:
            await self.close(conn)
