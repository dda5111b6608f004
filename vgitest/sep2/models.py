"""A stateful model of IEEE 2030.5 control precedence, run against a DER client as generated programs of changes.

A program is a list of choices among steps (create an event, supersede the event in force with a later one of the
same program, create one in the other program, cancel the event in force, swap the primacy of the two programs,
cancel every event). Each program starts from two fresh programs on the server: "A" (primacy 1, a
DefaultDERControl of 60 %) and "B" (primacy 5, 80 %); every event limits active power (opModMaxLimW) to its own
percentage, starts at once and lasts longer than the program. Each choice picks among the steps whose precondition
holds in the model then, as a state machine picks among its enabled rules (like vgitest.ocpp.models; a program is
plain JSON, so the fuzz kit can send the minimal one again alone and `vgitest replay` can run it).

The model: all events set the same control mode, so at most one is in force. A new event wins over the one in
force when its program ranks better (lower primacy) or, in the same program, because it is newer; the loser is
superseded (Response 7) and never comes back; an event that loses at once is superseded without having started
(no Response 2). With no event in force, the DefaultDERControl of the best-ranked program applies.

Judged from the client's frames after every step: the Responses the step must cause (1 received, 2 started, 7
superseded, 6 cancelled: SEP2-EXPECTED-REQUEST when missing within the PIXIT wait; a 2 for an event that lost at
once: SEP2-RESPONSE-STATUS), and the power it reports once it has polled the change (the EV asks for its rated
power, so the reading is the limit in force: SEP2-CONTROL-NOT-FOLLOWED when it is more than 3 points of rated
power off the model's). SEP2-RESPONSE-ORDER judges the order of each event's Responses over the whole case.
"""

from __future__ import annotations

import time
from typing import Any

from hypothesis import strategies as st

from ..adapters import ActionNotSupported
from ..fuzzing.property import Counterexample
from ..trace import Direction, Frame
from ..verdict import Inconclusive
from . import rules as r
from .fuzzcases import ClientFuzz
from .readings import power_readings

__all__ = ["STEPS", "PrecedenceModel", "precedence_case", "programs"]

# In this order: choice 0 is the first step enabled, so a program shrunk to zeros still moves on (create, cancel,
# create, cancel, ...)
STEPS = ("create", "cancel", "swap_primacy", "supersede", "create_other", "clear")
DEFAULTS = (60, 80)  # the DefaultDERControl limits of programs A and B (percent of rated power)
LIMITS = (40, 30, 20, 10, 35, 25, 15, 5)  # the events' limits, in creation order
SLACK_PCT = 3.0


def programs(max_steps: int = 5) -> st.SearchStrategy[list[int]]:
    """Programs as choices: choice ``k`` runs the k-th (modulo) of the steps enabled in the model then."""
    return st.lists(st.integers(0, len(STEPS) - 1), min_size=2, max_size=max_steps)


class Event:
    def __init__(self, ctl: Any, prog: Any, limit: int) -> None:
        self.ctl, self.prog, self.limit = ctl, prog, limit
        self.cancelled = False


class PrecedenceModel:
    def __init__(self, client: Any, dut: Any, profile: Any, budgets: Any) -> None:
        self.fz = ClientFuzz(client, dut, profile, budgets)
        self.client, self.dut, self.state, self.trace = client, dut, client.state, client.server.trace
        self.wait = self.fz.wait
        self.progs: list[Any] = []
        self.events: list[Event] = []
        self.winner: Event | None = None
        self.steps: list[str] = []
        self._hidden: list[Any] = []
        self._last_creation = 0
        # how long to wait for a power reading (none in time: nothing is judged): one pollRate, at which the
        # reference client also posts; the post rate is the client's own choice, not a PIXIT the harness reads
        self.post_s = float(profile.param("poll_rate_s", 900))

    # -- the case ----------------------------------------------------------------------------------------------
    def setup(self) -> None:
        for prog in list(self.state.programs):
            self.state.programs.remove(prog)
            self._hidden.append(prog)
        self.state.changed()
        self.fz.program = None
        if not self.dut.supports("set_power"):  # the model's objective: the power follows the control in force
            raise ActionNotSupported("set_power", f"{self.dut.why_not('set_power')}; the model judges the power "
                                     "the client reports while the EV asks for its rated power")
        self.fz.rated = self.fz._rated()
        if not self.fz.rated:
            raise Inconclusive("the client has not described its rated power (DERCapability rtgMaxW)")
        self.dut.perform("set_power", w=self.fz.rated)

    def cleanup(self) -> None:
        self._drop_programs()
        self.state.programs.extend(p for p in self._hidden if p not in self.state.programs)
        self.state.changed()

    def _drop_programs(self) -> None:
        for ev in self.events:
            if not ev.cancelled:
                self.state.cancel(ev.ctl)
        for prog in self.progs:
            if prog in self.state.programs:
                self.state.programs.remove(prog)
        self.state.changed()

    # -- the program -------------------------------------------------------------------------------------------
    def run(self, program: list[int]) -> None:
        self._reset()
        self.steps = []
        for choice in program:
            enabled = [s for s in STEPS if self.enabled(s)]
            step = enabled[int(choice) % len(enabled)]
            self.steps.append(step)
            mark = len(self.trace)
            watched = getattr(self, step)(mark)
            self.power(step, mark, watched)

    def shown(self, program: list[int]) -> str:
        return " -> ".join(self.steps) or str(program)

    def enabled(self, step: str) -> bool:
        live = self.winner is not None
        return {"create": not live, "cancel": live, "swap_primacy": True, "supersede": live,
                "create_other": live, "clear": any(not e.cancelled for e in self.events)}[step]

    def _reset(self) -> None:
        """Two fresh programs alone in the list; the client has read both defaults and follows A's."""
        self._drop_programs()
        self.events, self.winner = [], None
        mark = len(self.trace)
        self.progs = [self.state.add_program(1, default={"opModMaxLimW": str(DEFAULTS[0] * 100)},
                                             description="vgitest model A"),
                      self.state.add_program(5, default={"opModMaxLimW": str(DEFAULTS[1] * 100)},
                                             description="vgitest model B")]
        for prog in self.progs:
            self.fz._get(f"/derp/{prog.number}/dderc", mark, self.wait, "a program of the model")
        self.power("start", mark, [f"/derp/{p.number}/dderc" for p in self.progs])

    # -- steps: each returns the paths whose next poll shows the client the change -------------------------------
    def _new_event(self, prog: Any, mark: int) -> list[str]:
        limit = LIMITS[len(self.events) % len(LIMITS)]
        ctl = self.state.add_control(prog, {"opModMaxLimW": str(limit * 100)}, start_in_s=-1, duration_s=3600)
        # a creationTime strictly after every earlier event's: "newer" is never a tie of one second
        ctl.creation = self._last_creation = max(ctl.creation, self._last_creation + 1)
        ev = Event(ctl, prog, limit)
        self.events.append(ev)
        self._said(ev, 1, mark, "a new event")
        old = self.winner
        if old is None or self._rank(ev) < self._rank(old):
            self._said(ev, 2, mark, "an event that wins over the one in force" if old else "an event, alone")
            if old is not None:
                self._said(old, 7, mark, f"the event in force, once the better-ranked {ev.ctl.mrid} started")
            self.winner = ev
        else:
            self._said(ev, 7, mark, f"an event that loses to the one in force ({old.ctl.mrid})")
            self._never(ev, 2, mark, f"it lost at once to {old.ctl.mrid}, which ranks better")
        return [f"/derp/{prog.number}/derc"]

    def create(self, mark: int) -> list[str]:
        return self._new_event(self.progs[0], mark)

    def supersede(self, mark: int) -> list[str]:
        assert self.winner is not None
        return self._new_event(self.winner.prog, mark)

    def create_other(self, mark: int) -> list[str]:
        assert self.winner is not None
        return self._new_event(next(p for p in self.progs if p is not self.winner.prog), mark)

    def cancel(self, mark: int) -> list[str]:
        ev = self.winner
        assert ev is not None
        self.state.cancel(ev.ctl)
        ev.cancelled, self.winner = True, None
        self._said(ev, 6, mark, "the event in force, cancelled")
        return [f"/derp/{ev.prog.number}/derc"]

    def clear(self, mark: int) -> list[str]:
        touched = set()
        for ev in self.events:
            if not ev.cancelled:
                self.state.cancel(ev.ctl)
                ev.cancelled = True
                touched.add(f"/derp/{ev.prog.number}/derc")
        if self.winner is not None:
            self._said(self.winner, 6, mark, "the event in force, cancelled with every other")
        self.winner = None
        return sorted(touched)

    def swap_primacy(self, mark: int) -> list[str]:
        a, b = self.progs
        a.primacy, b.primacy = b.primacy, a.primacy
        self.state.changed()
        return ["/edev/*/fsa/*/derp"]

    def _rank(self, ev: Event) -> tuple:
        return (ev.prog.primacy, -ev.ctl.creation)

    # -- what the client must do ---------------------------------------------------------------------------------
    def _responses(self, ev: Event, status: int, since: int) -> list[Frame]:
        return [f for f in self.trace.since(since) if f.direction is Direction.IN and f.kind == "REQUEST"
                and f.meta.get("method") == "POST" and isinstance(f.body, dict)
                and f.body.get("subject") == ev.ctl.mrid and f.body.get("status") == str(status)]

    def _said(self, ev: Event, status: int, mark: int, why: str) -> Frame:
        got = self.trace.wait_for(lambda f: f.direction is Direction.IN and f.kind == "REQUEST"
                                  and f.meta.get("method") == "POST" and isinstance(f.body, dict)
                                  and f.body.get("subject") == ev.ctl.mrid and f.body.get("status") == str(status),
                                  mark, self.wait)
        if got is None:
            raise Counterexample(r.EXPECTED_REQUEST, f"after '{self.steps[-1]}': no Response {status} for {why} "
                                 f"({ev.ctl.mrid}, {ev.limit} %) within {self.wait:g} s")
        return got

    def _never(self, ev: Event, status: int, mark: int, why: str) -> None:
        said = self._responses(ev, status, mark)
        if said:
            raise Counterexample(r.RESPONSE_STATUS, f"after '{self.steps[-1]}': the client answered {status} for "
                                 f"{ev.ctl.mrid}, although {why}", said[0])

    def expected_pct(self) -> tuple[int, str]:
        if self.winner is not None:
            return self.winner.limit, f"the event {self.winner.ctl.mrid}"
        best = min(self.progs, key=lambda p: p.primacy)
        return DEFAULTS[self.progs.index(best)], f"the default of program {'AB'[self.progs.index(best)]} " \
                                                 f"(primacy {best.primacy})"

    def power(self, step: str, mark: int, watched: list[str]) -> None:
        """Once the client has polled what changed, its next power reading is the limit the model says."""
        polled = None
        for path in watched:
            polled = self.fz._next_get(path, mark, 1.5 * self.fz.poll + self.fz.tol)
            if polled is None:
                raise Counterexample(r.EXPECTED_REQUEST, f"after '{step}': the client did not poll {path} within "
                                     f"{1.5 * self.fz.poll + self.fz.tol:g} s")
        after = self.fz.server_time(polled) + 0.5 if polled is not None else self.state.now()
        since = len(self.state.readings)
        deadline = time.monotonic() + self.post_s + 1.5
        got = None
        while got is None and time.monotonic() < deadline:
            got = next((w for at, w in power_readings(self.state, max(0, since - 3)) if at >= after), None)
            time.sleep(0.05)
        if got is None:
            return  # no reading in time: nothing to judge (Metering cases judge the post rate)
        pct = 100.0 * abs(got) / float(self.fz.rated or 1)
        want, what = self.expected_pct()
        if abs(pct - want) > SLACK_PCT:
            raise Counterexample(r.CONTROL_NOT_FOLLOWED, f"after '{step}': the client reported {pct:.0f} % of its "
                                 f"rated power; in force is {what}: {want} %")


def precedence_case(client: Any, dut: Any, profile: Any, budgets: Any, runner: Any) -> None:
    """The control-precedence model (this module) against the client following the server's programs."""
    model = PrecedenceModel(client, dut, profile, budgets)
    model.setup()
    try:
        # two programs in the pr profile (each costs about 7 s at the csip-fuzz profile's 1 s pollRate); they find both
        # catalogued life-cycle faults (tests/test_fault_matrix.py); nightly and cert run 160 and 24
        runner.run(programs(), model.run, client, weight=0.08, show=model.shown)
    finally:
        model.cleanup()
