"""A stateful model of an EVSE's V2G session state machine (ISO 15118-2), run as generated programs of choices.

A program is a list of choices; each picks one of the steps whose precondition holds in the model at that moment,
as a state machine picks among its enabled rules (the same design as vgitest.ocpp.models: a program is plain JSON,
so the fuzz kit can send the minimal one again alone and ``vgitest replay`` can run it):

* with no session open: ``new`` (SDP, supportedAppProtocol, SessionSetup with SessionID 0) and, once a session was
  paused, ``resume`` (SessionSetup with the paused session's SessionID);
* in a session, after the last step answered OK: ``next`` (the request the EV sends next in a session in order),
  ``repeat`` (the same request again), ``skip`` (the one after next), ``back`` (an earlier one), ``stop``
  (SessionStop Terminate) and ``pause`` (SessionStop Pause).

What each must cause follows the one sequence table of the package (vgitest/iso15118/rules.py ``FOLLOWS``, the
message sequence diagrams): a request the table does not allow after the last one must be answered
FAILED_SequenceError; the next request of a session in order must be answered OK; a request the table allows but a
session in order does not send (a repeat, ChargeParameterDiscovery again after PowerDelivery) may be answered
either way (OK, or FAILED_SequenceError: the table is deliberately permissive about loops). A new session gets a
new non-zero SessionID, never one given to an earlier session of the program; a paused session is joined again
with OK_OldSessionJoined and its own SessionID. After a FAILED answer the session is over (the EVSE closes it).
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from ..fuzzing.property import Counterexample
from ..trace import Frame
from . import family as fam
from .fuzzdrive import CLOSED, Conn, Driver
from .rules import allowed_after

__all__ = ["STEPS", "SessionModel", "programs"]

# In this order: a program's choice 0 is the first enabled step, so a program shrunk to zeros still moves on
STEPS = ("new", "next", "repeat", "skip", "back", "stop", "pause", "resume")
SEQUENCE_ERROR = "FAILED_SequenceError"


PROGRESS = 12  # choices below this are "go on" (new, or next); a session in order is half of what a program does


def programs(max_steps: int = 12) -> st.SearchStrategy[list[int]]:
    """Programs as choices: below PROGRESS the session goes on in order (``next``; with no session open ``new``, which
    runs the first ``k`` requests in order, so that a short program gets deep into a session); from PROGRESS on,
    choice ``k`` runs the k-th step (modulo) of those enabled then."""
    return st.lists(st.integers(0, PROGRESS + 4 * len(STEPS) - 1), min_size=2, max_size=max_steps)


class SessionModel:
    """The ISO 15118-2 session model against the EVSE under test, through the fake EVCC's raw sessions."""

    def __init__(self, evcc: Any, profile: Any) -> None:
        self.d = Driver(evcc, profile)
        self.labels = [label for label, _ in self.d.steps]
        self.steps: list[str] = []

    # -- the program --------------------------------------------------------------------------------------------
    def run(self, program: list[int]) -> None:
        self.conn: Conn | None = None
        self.pos = -1  # index into self.labels of the last step answered OK
        self.paused: bytes | None = None
        self.sids: list[bytes] = []
        self.steps = []
        try:
            for choice in program:
                enabled = [s for s in STEPS if self.enabled(s)]
                step = enabled[0] if int(choice) < PROGRESS else enabled[int(choice) % len(enabled)]
                self.steps.append(step)
                getattr(self, "do_" + step)(int(choice))
        finally:
            self._end()

    def shown(self, program: list[int]) -> str:
        return " -> ".join(self.steps) or str(program)

    def enabled(self, step: str) -> bool:
        open_ = self.conn is not None
        n = len(self.labels)
        return {"new": not open_, "resume": not open_ and self.paused is not None,
                "next": open_ and self.pos + 1 < n, "repeat": open_, "skip": open_ and self.pos + 2 < n,
                "back": open_ and self.pos >= 1, "stop": open_, "pause": open_ and self.d.family.name == "iso-2"}[step]

    # -- steps ------------------------------------------------------------------------------------------------
    def do_new(self, choice: int) -> None:
        self._setup(None)
        for _ in range(choice % PROGRESS % (len(self.labels) - 1)):  # then in order to a drawn depth
            if self.conn is None:
                return
            self._send(self.pos + 1, "next")

    def do_resume(self, choice: int) -> None:
        self._setup(self.paused)

    def do_next(self, choice: int) -> None:
        self._send(self.pos + 1, "next")

    def do_repeat(self, choice: int) -> None:
        self._send(self.pos, "repeat")

    def do_skip(self, choice: int) -> None:
        self._send(self.pos + 2, "skip")

    def do_back(self, choice: int) -> None:
        self._send(max(0, self.pos - 1 - (choice // 2) % 2), "back")  # one or two steps back

    def do_stop(self, choice: int) -> None:
        self._stop(pause=False)

    def do_pause(self, choice: int) -> None:
        self._stop(pause=True)

    # -- what the steps must cause --------------------------------------------------------------------------
    def _setup(self, sid: bytes | None) -> None:
        conn = self.d.run(self.d.open(), timeout=60)
        if conn is None:
            raise Counterexample("V2G-FUZZ-ALIVE", f"no new V2G session could be opened ({self.d.why})")
        self.conn, self.pos = conn, -1
        res, code = self.d.run(self.d.exchange(conn, "SessionSetup", sid=sid or bytes(8)), timeout=60)
        rsid = self._sid(res)
        if sid is None:
            if code != "OK_NewSessionEstablished" or not rsid or not any(rsid):
                raise Counterexample("V2G-NEW-SESSION", f"SessionSetupReq with SessionID 0 was answered "
                                     f"{code or self._what(res)} with SessionID {_hex(rsid)}", _frame(res))
            if rsid in self.sids:
                raise Counterexample("V2G-NEW-SESSION", f"the new session got SessionID {_hex(rsid)}, the SessionID "
                                     "of an earlier session", _frame(res))
            self.sids.append(rsid)
        else:
            self.paused = None
            if code != "OK_OldSessionJoined" or rsid != sid:
                raise Counterexample("V2G-SESSION-RESUME", f"SessionSetupReq with the paused session's SessionID "
                                     f"{_hex(sid)} was answered {code or self._what(res)} with SessionID "
                                     f"{_hex(rsid)}", _frame(res))
        self.pos = 0

    def _send(self, index: int, how: str) -> None:
        assert self.conn is not None
        label, prev = self.labels[index], self.labels[self.pos]
        b, pb = fam.base(self.d.steps[index][1]), fam.base(self.d.steps[self.pos][1])
        allowed = allowed_after(self.d.family.name, pb, b)
        in_order = index == self.pos + 1 or (index == self.pos and label in _LOOPS)
        res, code = self.d.run(self.d.exchange(self.conn, label), timeout=120)
        name = self.d.steps[index][1]
        if not isinstance(res, Frame) or not code:
            self._end()
            raise Counterexample("V2G-NO-RESPONSE", f"{how}: {name} after {prev} got {self._what(res)}")
        if in_order and not code.startswith("OK"):
            raise Counterexample("V2G-RESPONSE-CODE", f"{how}: {name} after {prev}, in sequence, was answered "
                                 f"{code}", res)
        if allowed is False and code != SEQUENCE_ERROR:
            raise Counterexample("V2G-RESPONSE-CODE", f"{how}: {name} after {prev} was answered {code}; the "
                                 f"sequence does not allow it there: {SEQUENCE_ERROR} was due", res)
        if code.startswith("OK"):
            self.pos = index
            if label == "SessionStop":
                self._end()
        else:
            self._end()

    def _stop(self, pause: bool) -> None:
        assert self.conn is not None
        prev = self.labels[self.pos]
        pb = fam.base(self.d.steps[self.pos][1])
        allowed = allowed_after(self.d.family.name, pb, "SessionStop")
        sid = self.conn.sid
        res, code = self.d.run(self.d.exchange(self.conn, "SessionStop", pause=pause), timeout=60)
        what = f"SessionStopReq ({'Pause' if pause else 'Terminate'}) after {prev}"
        if not isinstance(res, Frame) or not code:
            self._end()
            raise Counterexample("V2G-NO-RESPONSE", f"{what} got {self._what(res)}")
        if allowed and not code.startswith("OK"):
            raise Counterexample("V2G-RESPONSE-CODE", f"{what}, in sequence, was answered {code}", res)
        if allowed is False and code != SEQUENCE_ERROR:
            raise Counterexample("V2G-RESPONSE-CODE", f"{what} was answered {code}; the sequence does not allow "
                                 f"it there: {SEQUENCE_ERROR} was due", res)
        if code.startswith("OK") and pause:
            self.paused = sid
        self._end()

    # -- helpers ------------------------------------------------------------------------------------------------
    def _end(self) -> None:
        if self.conn is not None:
            self.d.run(self.d.close(self.conn), timeout=10)
        self.conn, self.pos = None, -1

    def _sid(self, res: Any) -> bytes | None:
        if not isinstance(res, Frame) or res.body is None:
            return None
        return self.d.family.unwrap(res.body)[2]

    @staticmethod
    def _what(res: Any) -> str:
        return "no answer" if res is None else "the connection closed" if res == CLOSED else \
            f"an undecodable frame ({res.meta.get('error') or res.meta.get('header_problems')})"


# steps a session in order repeats (while the EVSE answers Ongoing, while pre-charging, the charge loop)
_LOOPS = frozenset({"CurrentDemand", "ChargingStatus", "ChargeLoop"})  # ChargeLoop: ISO 15118-20's


def _frame(res: Any) -> Frame | None:
    return res if isinstance(res, Frame) else None


def _hex(b: Any) -> str:
    return b.hex() if isinstance(b, bytes) else str(b)
