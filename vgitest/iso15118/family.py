"""A protocol family (DIN SPEC 70121, ISO 15118-2, ISO 15118-20): its SAP namespace, how a message body is
wrapped into an EXI document and which grammar and V2GTP payload type carry it, and the message logic of both
sides.

Message logic is plain and synchronous: an :class:`EvLogic` says which request comes next after a response,
an :class:`EvseLogic` answers a request. The roles (fake SECC/EVCC, reference EV/EVSE) add the network, the
timers, the checks, the scripting and the faults around it; the logic never blocks and never raises on what the
peer sent (a value it cannot use is treated as absent).
"""

from __future__ import annotations

import abc
import dataclasses
import time
from typing import Any, Callable

from .params import EvParams, EvseParams

Msg = tuple[str, dict[str, Any]]  # (message name, body), e.g. ("SessionSetupReq", {"EVCCID": b"..."})

OK_CODES = frozenset({"OK", "OK_NewSessionEstablished", "OK_OldSessionJoined", "OK_CertificateExpiresSoon",
                      "OK_IsolationValid", "OK_IsolationWarning", "OK_PowerToleranceConfirmed",
                      "OK_CertificateExpiresSoon"})


class EvLogic(abc.ABC):
    """The EV side of one session: the next request after each response (None = the session is over)."""

    family: str

    def __init__(self, params: EvParams, mode: str) -> None:
        self.p = params
        self.mode = mode  # "DC", "AC" (ISO-20 also "DC_BPT", "AC_BPT")
        self.soc = params.soc
        self.t_loop: float | None = None  # monotonic time of the last charge-loop request (SoC integration)
        self.rounds = 0  # consecutive "Ongoing" answers
        self.stop_reason = ""
        self.pause = False  # end with SessionStop(Pause) instead of Terminate (DIN: not available)
        self.power_early = False  # fault: asks for power before the pre-charge voltage is reached

    @abc.abstractmethod
    def first(self) -> Msg:
        """SessionSetupReq."""

    @abc.abstractmethod
    def next(self, res_name: str, res: dict[str, Any]) -> Msg | None:
        """The request after response ``res_name``; None once SessionStopRes arrived (or the EV gives up)."""

    def charge(self) -> float:
        """Advance the simulated battery by the time since the last charge-loop request; returns the SoC."""
        now = time.monotonic()
        if self.t_loop is not None:
            self.soc = min(100.0, self.soc + (now - self.t_loop) * self.p.soc_per_s)
        self.t_loop = now
        return self.soc

    @property
    def full(self) -> bool:
        return self.soc >= self.p.target_soc

    def ongoing(self, processing: Any) -> bool:
        """Whether to repeat a request the EVSE answered "Ongoing" (bounded by max_processing_rounds)."""
        if processing in ("Ongoing", "Ongoing_WaitingForCustomerInteraction"):
            self.rounds += 1
            if self.rounds > self.p.max_processing_rounds:
                self.stop_reason = "EVSEProcessing stayed Ongoing"
                return False
            return True
        self.rounds = 0
        return False


class EvseLogic(abc.ABC):
    """The EVSE side: an answer to each request, and the same answer shape with a failure code."""

    family: str

    def __init__(self, params: EvseParams) -> None:
        self.p = params
        self.present_v = 0.0
        self.present_a = 0.0
        self.counts: dict[str, int] = {}
        self.modes: tuple[str, ...] = ("DC", "AC")

    def count(self, name: str) -> int:
        self.counts[name] = self.counts.get(name, 0) + 1
        return self.counts[name]

    @abc.abstractmethod
    def respond(self, req_name: str, req: dict[str, Any]) -> Msg:
        """The answer to a request this EVSE expects at this point (the role checks the sequence first)."""

    def failed(self, req_name: str, code: str) -> Msg:
        """The response to ``req_name`` with ResponseCode ``code`` (the mandatory elements still present)."""
        name, body = self.skeleton(req_name)
        body["ResponseCode"] = code
        return name, body

    @abc.abstractmethod
    def skeleton(self, req_name: str) -> Msg:
        """A schema-valid response to ``req_name`` built without changing this EVSE's state."""


@dataclasses.dataclass(frozen=True)
class Family:
    name: str  # "din", "iso-2", "iso-20"
    namespace: str
    major: int
    minor: int
    ev: Callable[[EvParams, str], EvLogic]
    evse: Callable[[EvseParams], EvseLogic]
    schema_of: Callable[[str], str]
    payload_type_of: Callable[[str], int]
    wrap: Callable[[str, dict[str, Any], bytes], dict[str, Any]]
    unwrap: Callable[[dict[str, Any]], tuple[str, dict[str, Any], bytes | None]]
    follows: dict[str, set[str]]  # request -> requests that may come next (base names)
    modes: tuple[str, ...] = ("DC",)
    namespaces: tuple[str, ...] = ()  # every SAP namespace the family answers to (ISO-20: DC and AC), if several


def v2g_wrap(name: str, body: dict[str, Any], sid: bytes) -> dict[str, Any]:
    """DIN / ISO-2: Header + Body in a V2G_Message."""
    return {"V2G_Message": {"Header": {"SessionID": sid}, "Body": {name: body}}}


def v2g_unwrap(msg: dict[str, Any]) -> tuple[str, dict[str, Any], bytes | None]:
    root = msg.get("V2G_Message")
    if not isinstance(root, dict):
        name = next(iter(msg), "?")
        return name, msg.get(name) or {}, None
    body = root.get("Body") or {}
    name = next(iter(body), "EmptyBody")
    sid = (root.get("Header") or {}).get("SessionID")
    return name, body.get(name) or {}, sid if isinstance(sid, bytes) else None


_FAMILIES: dict[str, Family] = {}


def register(f: Family) -> Family:
    _FAMILIES[f.name] = f
    return f


def get(name: str) -> Family:
    """The family by name ("din", "iso-2", "iso-20"), importing its module on first use."""
    if name not in _FAMILIES:
        import importlib
        module = {"din": "din", "iso-2": "iso2", "iso-20": "iso20"}.get(name)
        if module is None:
            raise ValueError(f"unknown protocol family {name!r} (din, iso-2, iso-20)")
        importlib.import_module(f"{__package__}.{module}")
    return _FAMILIES[name]


def by_namespace(namespace: str) -> Family | None:
    for name in ("din", "iso-2", "iso-20"):
        try:
            f = get(name)
        except (ValueError, ImportError, KeyError):
            continue
        if f.namespace == namespace or namespace in f.namespaces:
            return f
    return None


def base(name: str) -> str:
    return name[:-3] if name.endswith(("Req", "Res")) else name
