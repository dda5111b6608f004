"""A stateful model of a station's transaction life cycle, run against the station as generated command sequences.

A program is a list of choices among steps (plug the EV in, take it out, present the valid token, remote start,
remote stop, remote stop of an unknown transaction, charge a while). Before each program the station is brought
back to idle; each choice picks among the steps whose precondition holds in the model then (a remote stop needs a
running transaction), as a state machine picks among its enabled rules. A step acts
on the station through the adapter or the fake CSMS, waits (bounded) for what the step must cause, and then the
invariants are checked over every frame of the program: meter values and stops carry the id of the transaction
running when they were sent, and the energy register never goes back.

Why command lists and not hypothesis's ``RuleBasedStateMachine``: the same power (hypothesis draws and shrinks the
sequence of rules), but a program is a plain JSON list, which the fuzz kit can send again alone to confirm a
counterexample and write into counterexample.json for ``vgitest replay``; a state machine's run cannot be replayed
outside hypothesis. Sequences that only a model finds: a transaction whose meter values carry the previous
transaction's id, a remote start ignored after a transaction the EV ended by unplugging.

OCPP 2.0.1 (:class:`TransactionModel201`): the same steps; a transaction counts as running once the station reports
it Charging, whatever its TxStartPoint (a station that starts at EVConnected opens one at plug-in, authorized later).
Unplugging a charging EV is a step only where TxStopPoint ends the transaction then (EVConnected or PowerPathClosed).
The invariants read every TransactionEvent of the program: each transaction's events start with Started, end with
one Ended and count seqNo up by one; no transactionId comes back for a new transaction; the energy register never
goes back.
"""

from __future__ import annotations

import abc
import time
from typing import Any

from hypothesis import strategies as st

from ..fuzzing.property import Counterexample
from ..trace import Direction, Frame
from . import rules as r
from . import states_v16 as s16
from . import states_v201 as s201

__all__ = ["STEPS", "STEPS_16", "TransactionModel16", "TransactionModel201", "model_for", "programs"]

# In this order: a program's choice 0 is the first step enabled, so a program shrunk to zeros still moves on
# (plug in, start with the token, charge, ...)
STEPS = ("plug", "present_token", "charge", "remote_start", "remote_stop", "unplug", "remote_stop_unknown")
STEPS_16 = STEPS


def programs(max_steps: int = 12) -> st.SearchStrategy[list[int]]:
    """Programs as choices: at each step, choice ``k`` runs the k-th step (modulo) of those enabled in the model
    then, like a state machine choosing among the rules whose preconditions hold."""
    return st.lists(st.integers(0, len(STEPS) - 1), min_size=2, max_size=max_steps)


class _Model(abc.ABC):
    """What both versions' models share: the program loop, one connector, the PIXIT's valid token."""

    def __init__(self, station: Any, dut: Any, profile: Any) -> None:
        self.station, self.dut, self.profile = station, dut, profile
        self.c = s16.connector(profile)
        self.wait = s16.wait_s(profile)
        self.sample_s = float(profile.param("meter_sample_interval", 1))
        self.plugged = False
        self.tx: Any = None  # the transaction running (1.6: its id; 2.0.1: its transactionId once Charging)
        self.start_index = 0
        self.missing = [a for a in ("plug_in", "unplug", "present_token") if not dut.supports(a)]

    def run(self, program: list[int]) -> None:
        self._reset()
        self.steps: list[str] = []
        for choice in program:
            enabled = [s for s in STEPS if self.enabled(s)]
            step = enabled[int(choice) % len(enabled)]
            self.steps.append(step)
            getattr(self, step)()
            self.invariants(step)

    def shown(self, program: list[int]) -> str:
        """The steps the last run of ``program`` took."""
        return " -> ".join(getattr(self, "steps", [])) or str(program)

    def charge(self) -> None:
        time.sleep(self.sample_s + 0.5)  # at least one sampled reading

    def _mark(self) -> int:
        return len(self.station.csms.trace)

    def _unplug_after_idle(self, quiet: Any) -> None:
        """The clean-up unplugs only a connector that reports itself busy; after a remote stop with the EV still
        in, a station may report it free, and the model's next "plug" would plug in a plugged EV: take it out."""
        mark = self._mark()
        self.dut.perform("unplug", connector=self.c)
        if self._mark() > mark or s16.calls_wait(self.station, "StatusNotification", mark, 0.3) is not None:
            quiet(self.station, float(self.profile.param("quiet_after_cleanup", 0.5)), self.wait)
        self.plugged, self.tx = False, None
        self.start_index = self._mark()

    @abc.abstractmethod
    def enabled(self, step: str) -> bool:
        """Whether ``step``'s precondition holds in the model now."""

    @abc.abstractmethod
    def _reset(self) -> None:
        """Bring the station back to idle before a program."""

    @abc.abstractmethod
    def invariants(self, after: str) -> None:
        """Check the program's frames so far (a Counterexample when one breaks)."""


class TransactionModel16(_Model):
    """The OCPP 1.6 model."""

    def __init__(self, station: Any, dut: Any, profile: Any) -> None:
        super().__init__(station, dut, profile)
        self.token = str(profile.param("valid_id_token", "VGI-TAG-0001"))
        self.windows: list[tuple[int, int, int | None]] = []  # (transaction id, first frame, last frame or None)

    def enabled(self, step: str) -> bool:
        if step in ("plug", "unplug", "present_token") and self.missing:
            return False
        return {"plug": not self.plugged, "unplug": self.plugged, "present_token": self.plugged and self.tx is None,
                "remote_start": self.plugged and self.tx is None, "remote_stop": self.tx is not None,
                "remote_stop_unknown": True, "charge": self.tx is not None}[step]

    def _reset(self) -> None:
        s16.to_idle(self.station, self.dut, self.profile)
        self._unplug_after_idle(s16.quiet)
        self.windows = []
        self.station.tokens[self.token] = "Accepted"

    # -- steps -----------------------------------------------------------------------------------------------
    def plug(self) -> None:
        mark = self._mark()
        self.dut.perform("plug_in", connector=self.c)
        self.plugged = True
        if s16.calls_wait(self.station, "StatusNotification", mark, self.wait, {"connectorId": self.c}) is None:
            raise Counterexample(r.STATUS_TRANSITION, f"plugging in the EV was not reported within {self.wait:g} s")

    def unplug(self) -> None:
        mark = self._mark()
        self.dut.perform("unplug", connector=self.c)
        self.plugged = False
        if self.tx is not None:
            self._stopped(mark, "unplugging the EV")

    def present_token(self) -> None:
        mark = self._mark()
        self.dut.perform("present_token", id_token=self.token, connector=self.c)
        self._started(mark, "the valid token presented with the EV plugged in")

    def remote_start(self) -> None:
        mark = self._mark()
        res = self.station.call_frame("RemoteStartTransaction", {"connectorId": self.c, "idTag": self.token})
        status = _status(res)
        if status != "Accepted":
            raise Counterexample(r.STATION_RESPONSE, f"RemoteStartTransaction with the EV plugged in and no "
                                 f"transaction running was answered {status}", res)
        self._started(mark, "an accepted RemoteStartTransaction")

    def remote_stop(self) -> None:
        mark = self._mark()
        res = self.station.call_frame("RemoteStopTransaction", {"transactionId": self.tx})
        status = _status(res)
        if status != "Accepted":
            raise Counterexample(r.STATION_RESPONSE, f"RemoteStopTransaction of the running transaction {self.tx} "
                                 f"was answered {status}", res)
        self._stopped(mark, "an accepted RemoteStopTransaction")

    def remote_stop_unknown(self) -> None:
        unknown = (self.tx or 0) + 7777
        res = self.station.call_frame("RemoteStopTransaction", {"transactionId": unknown})
        status = _status(res)
        if status != "Rejected":
            raise Counterexample(r.STATION_RESPONSE, f"RemoteStopTransaction of the unknown transaction {unknown} "
                                 f"was answered {status}", res)

    # -- what steps must cause ---------------------------------------------------------------------------------
    def _started(self, mark: int, why: str) -> None:
        start = s16.calls_wait(self.station, "StartTransaction", mark, self.wait, {"connectorId": self.c})
        if start is None:
            raise Counterexample(r.EXPECTED_MESSAGE, f"{why} started no transaction within {self.wait:g} s")
        self.tx = s16.transaction_id(self.station, start)
        self.windows.append((self.tx, start.index, None))
        # the next step waits for the station to say it charges, as a CSMS would: a request sent the instant the
        # transaction id was granted would only test how fast the station reads its own answers
        self._status(start.index, ("Charging", "SuspendedEV", "SuspendedEVSE"), f"transaction {self.tx} started")

    def _stopped(self, mark: int, why: str) -> None:
        stop = s16.calls_wait(self.station, "StopTransaction", mark, self.wait)
        if stop is None:
            raise Counterexample(r.EXPECTED_MESSAGE, f"{why} did not stop transaction {self.tx} within {self.wait:g} s")
        tx, first, _ = self.windows[-1]
        self.windows[-1] = (tx, first, stop.index)
        self.tx = None
        self._status(stop.index, ("Finishing", "Available"), f"transaction {tx} stopped")

    def _status(self, since: int, wanted: tuple[str, ...], why: str) -> None:
        ident, c = self.station.identity, self.c

        def said(f: Frame) -> bool:
            return (f.direction is Direction.IN and f.kind == "CALL" and f.name == "StatusNotification"
                    and f.meta.get("identity") == ident and isinstance(f.body, dict)
                    and f.body.get("connectorId") == c and f.body.get("status") in wanted)
        if self.station.csms.trace.wait_for(said, since, self.wait) is None:
            raise Counterexample(r.STATUS_TRANSITION, f"{why}, but connector {c} did not report "
                                 f"{' or '.join(wanted)} within {self.wait:g} s")

    # -- invariants ----------------------------------------------------------------------------------------------
    def invariants(self, after: str) -> None:
        """Over the program's frames: transaction ids and the energy register."""
        register: float | None = None
        for f in self._station_calls():
            if f.name not in ("MeterValues", "StopTransaction", "StartTransaction") or not isinstance(f.body, dict):
                continue
            tx = f.body.get("transactionId")
            if f.name in ("MeterValues", "StopTransaction") and tx is not None:
                running = self._running_at(f.index)
                if running is not None and tx != running:
                    raise Counterexample(r.TX_ID, f"after '{after}': {f.name} carries transaction id {tx} while "
                                         f"transaction {running} was running", f)
            for value in self._energy(f):
                if register is not None and value < register:
                    raise Counterexample(r.METER_ORDER, f"after '{after}': the energy register went back from "
                                         f"{register:g} to {value:g} Wh ({f.name})", f)
                register = value

    def _station_calls(self) -> list[Frame]:
        ident = self.station.identity
        return [f for f in self.station.csms.trace.since(self.start_index)
                if f.direction is Direction.IN and f.kind == "CALL" and f.meta.get("identity") == ident]

    def _running_at(self, index: int) -> int | None:
        for tx, first, last in self.windows:
            if first <= index and (last is None or index <= last):
                return tx
        return None

    @staticmethod
    def _energy(f: Frame) -> list[float]:
        body = f.body
        if f.name == "StartTransaction":
            return [float(body["meterStart"])] if isinstance(body.get("meterStart"), (int, float)) else []
        if f.name == "StopTransaction":
            return [float(body["meterStop"])] if isinstance(body.get("meterStop"), (int, float)) else []
        out = []
        for mv in body.get("meterValue", []) if isinstance(body.get("meterValue"), list) else []:
            for sv in mv.get("sampledValue", []) if isinstance(mv, dict) else []:
                if isinstance(sv, dict) and sv.get("measurand", "Energy.Active.Import.Register") == \
                        "Energy.Active.Import.Register" and sv.get("unit", "Wh") == "Wh":
                    try:
                        out.append(float(sv.get("value")))
                    except (TypeError, ValueError):
                        pass
        return out


class TransactionModel201(_Model):
    """The OCPP 2.0.1 model (see the module docstring)."""

    ENDS_ON_UNPLUG = ("EVConnected", "PowerPathClosed")

    def __init__(self, station: Any, dut: Any, profile: Any) -> None:
        super().__init__(station, dut, profile)
        self.id_token = s201.id_token(profile)
        self.remote = profile.supports("RemoteStart")
        self.stops_on_unplug = True
        self.remote_start_id = 0

    def enabled(self, step: str) -> bool:
        if step in ("plug", "unplug", "present_token") and self.missing:
            return False
        charging = self.tx is not None
        return {"plug": not self.plugged, "unplug": self.plugged and (not charging or self.stops_on_unplug),
                "present_token": self.plugged and not charging,
                "remote_start": self.remote and self.plugged and not charging, "remote_stop": charging,
                "remote_stop_unknown": True, "charge": charging}[step]

    def _reset(self) -> None:
        s201.to_idle(self.station, self.dut, self.profile)
        self._unplug_after_idle(s16.quiet)
        points = s201.get_value(self.station, "TxCtrlr", "TxStopPoint") or ""
        self.stops_on_unplug = bool({p.strip() for p in points.split(",")} & set(self.ENDS_ON_UNPLUG))
        self.start_index = self._mark()
        self.station.tokens[self.id_token["idToken"]] = "Accepted"

    # -- steps -----------------------------------------------------------------------------------------------
    def plug(self) -> None:
        mark = self._mark()
        self.dut.perform("plug_in", connector=self.c)
        self.plugged = True
        if s201.wait_call(self.station, "StatusNotification", mark, self.wait,
                          {"evseId": self.c, "connectorStatus": "Occupied"}) is None:
            raise Counterexample(r.STATUS_TRANSITION, f"plugging in the EV was not reported Occupied within "
                                 f"{self.wait:g} s")

    def unplug(self) -> None:
        mark = self._mark()
        self.dut.perform("unplug", connector=self.c)
        self.plugged = False
        if self.tx is not None:
            self._ended(mark, "unplugging the EV (TxStopPoint ends the transaction there)")

    def present_token(self) -> None:
        mark = self._mark()
        self.dut.perform("present_token", id_token=self.id_token["idToken"], connector=self.c)
        self._charging(mark, "the valid token presented with the EV plugged in")

    def remote_start(self) -> None:
        mark = self._mark()
        self.remote_start_id += 1
        res = self.station.call_frame("RequestStartTransaction", {"idToken": self.id_token, "evseId": self.c,
                                                                  "remoteStartId": self.remote_start_id})
        status = _status(res)
        if status != "Accepted":
            raise Counterexample(r.STATION_RESPONSE, f"RequestStartTransaction with the EV plugged in and nothing "
                                 f"charging was answered {status}", res)
        self._charging(mark, "an accepted RequestStartTransaction")

    def remote_stop(self) -> None:
        mark = self._mark()
        res = self.station.call_frame("RequestStopTransaction", {"transactionId": self.tx})
        status = _status(res)
        if status != "Accepted":
            raise Counterexample(r.STATION_RESPONSE, f"RequestStopTransaction of the charging transaction {self.tx} "
                                 f"was answered {status}", res)
        self._ended(mark, "an accepted RequestStopTransaction")

    def remote_stop_unknown(self) -> None:
        unknown = f"vgi-unknown-{self.remote_start_id}-{len(self.steps)}"
        res = self.station.call_frame("RequestStopTransaction", {"transactionId": unknown})
        status = _status(res)
        if status != "Rejected":
            raise Counterexample(r.STATION_RESPONSE, f"RequestStopTransaction of the unknown transaction {unknown} "
                                 f"was answered {status}", res)

    # -- what steps must cause ---------------------------------------------------------------------------------
    def _charging(self, mark: int, why: str) -> None:
        event = s201.wait_call(self.station, "TransactionEvent", mark, self.wait,
                               lambda b: (b.get("transactionInfo") or {}).get("chargingState") == "Charging")
        if event is None:
            raise Counterexample(r.EXPECTED_MESSAGE, f"{why}: no TransactionEvent said Charging within "
                                 f"{self.wait:g} s")
        self.tx = event.body["transactionInfo"].get("transactionId")

    def _ended(self, mark: int, why: str) -> None:
        tx = self.tx
        if s201.wait_call(self.station, "TransactionEvent", mark, self.wait,
                          lambda b: b.get("eventType") == "Ended"
                          and (b.get("transactionInfo") or {}).get("transactionId") == tx) is None:
            raise Counterexample(r.EXPECTED_MESSAGE, f"{why} did not end transaction {tx} within {self.wait:g} s")
        self.tx = None

    # -- invariants ----------------------------------------------------------------------------------------------
    def invariants(self, after: str) -> None:
        """Over the program's TransactionEvents: event order and seqNo per transaction, no transactionId used
        again, the energy register."""
        seq: dict[str, int] = {}
        ended: set[str] = set()
        register: float | None = None
        for f in s201.calls(self.station, "TransactionEvent", self.start_index):
            body = f.body if isinstance(f.body, dict) else {}
            tx = str((body.get("transactionInfo") or {}).get("transactionId"))
            kind, n = body.get("eventType"), body.get("seqNo")
            if tx in ended:
                rule, what = (r.TX_ID, "a new transaction reuses") if kind == "Started" else \
                    (r.TX_EVENT_ORDER, f"a TransactionEvent {kind} came after the Ended of")
                raise Counterexample(rule, f"after '{after}': {what} the transactionId {tx}", f)
            if tx not in seq and kind != "Started":
                raise Counterexample(r.TX_EVENT_ORDER, f"after '{after}': the first TransactionEvent of transaction "
                                     f"{tx} says {kind}, not Started", f)
            if tx in seq and isinstance(n, int) and n != seq[tx] + 1:
                raise Counterexample(r.TX_SEQNO, f"after '{after}': transaction {tx} went from seqNo {seq[tx]} to "
                                     f"{n}", f)
            if isinstance(n, int):
                seq[tx] = n
            if kind == "Ended":
                ended.add(tx)
            for value in _energy_201(body):
                if register is not None and value < register:
                    raise Counterexample(r.METER_ORDER, f"after '{after}': the energy register went back from "
                                         f"{register:g} to {value:g} Wh (TransactionEvent {kind})", f)
                register = value


def _energy_201(body: dict) -> list[float]:
    """The Energy.Active.Import.Register readings in Wh (the default measurand and unit) of a 2.0.1 message."""
    out = []
    for mv in body.get("meterValue", []) if isinstance(body.get("meterValue"), list) else []:
        for sv in mv.get("sampledValue", []) if isinstance(mv, dict) else []:
            unit = ((sv.get("unitOfMeasure") or {}).get("unit", "Wh")) if isinstance(sv, dict) else None
            if isinstance(sv, dict) and sv.get("measurand", "Energy.Active.Import.Register") == \
                    "Energy.Active.Import.Register" and unit == "Wh" and isinstance(sv.get("value"), (int, float)):
                out.append(float(sv["value"]))
    return out


def model_for(station: Any, dut: Any, profile: Any) -> _Model:
    """The life-cycle model of the station's OCPP version; ValueError for a version without one."""
    models = {"1.6": TransactionModel16, "2.0.1": TransactionModel201, "2.1": TransactionModel201}
    if station.version not in models:
        raise ValueError(f"the life-cycle model is written for OCPP {' and '.join(models)} "
                         f"(this station speaks {station.version})")
    return models[station.version](station, dut, profile)


def _status(answer: Frame) -> str | None:
    """The status of a CALLRESULT, or the kind of any other answer (CALLERROR)."""
    return (answer.body or {}).get("status") if answer.kind == "CALLRESULT" else answer.kind
