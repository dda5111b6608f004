"""Shared knobs of the CSIP suite: the PIXIT timers every test waits with (all bounded; short for the
reference client, overridable in a vendor's profile)."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import pytest


@dataclasses.dataclass(frozen=True)
class Timers:
    wait: float  # how long a test waits for a request the scenario requires
    quiet: float  # how long a test watches for a request the scenario forbids
    poll: float  # the pollRate the fake server gives
    tolerance: float
    lead: float  # how far ahead of now a test schedules an event (the client must see it before it starts)
    notify: float  # how long a subscribed client may take to act on a Notification


@pytest.fixture
def t(vgi_profile: Any, vgi_budgets: Any) -> Timers:
    poll = float(vgi_profile.param("poll_rate_s", 900))
    return Timers(wait=float(vgi_profile.param("message_wait", 10)) + 2 * poll,
                  quiet=float(vgi_profile.param("quiet_wait", 2)) + poll, poll=poll,
                  tolerance=float(vgi_budgets.timing("sep2", "tolerance").value_s or 0),
                  lead=float(vgi_profile.param("event_lead_s", 3 * poll)),
                  notify=float(vgi_profile.param("notification_wait", 5)))


class Scenario:
    """A test's programs and events on the fake server; whatever it adds is taken away when the test ends
    (the server's data persists across tests, like a real utility server's)."""

    def __init__(self, client: Any, t: Timers) -> None:
        self.client, self.t = client, t
        self.state = client.state
        self._programs: list[Any] = []
        self._controls: list[tuple[Any, Any]] = []
        self._hidden: list[Any] = []
        self._groups: list[int] = []
        self._curves: list[tuple[Any, str]] = []

    def program(self, primacy: int, *, default: dict | None = None, default_settings: dict | None = None,
                description: str = "", group: int = 1) -> Any:
        """A DERProgram listed in `group` (a FunctionSetAssignments; 1 is the one every device has)."""
        prog = self.state.add_program(primacy, default=default, default_settings=default_settings,
                                      description=description or f"test p{primacy}", fsa=group)
        self._programs.append(prog)
        return prog

    def alone(self, *, default: dict | None = None, default_settings: dict | None = None) -> Any:
        """Hide every other program and add one (primacy 1): its DefaultDERControl is the one that applies (the
        events of earlier tests were cancelled when they ended)."""
        for prog in list(self.state.programs):
            self.hide(prog)
        return self.program(1, default={} if default is None else default, default_settings=default_settings)

    def curve(self, program: Any, curve_type: int, points: list, **kwargs: Any) -> dict:
        """A DERCurve in the program's DERCurveList (see Sep2State.add_curve); returns the link a DERControlBase
        carries, e.g. ``{"opModVoltVar": csip.curve(prog, 11, points)}``."""
        href = self.state.add_curve(program, curve_type, points, **kwargs)
        self._curves.append((program, href))
        return {"@href": href}

    def event(self, program: Any, base: dict, *, start_in: float | None = None, duration: float | None = None,
              **kwargs: Any) -> Any:
        """A DERControl that starts `start_in` seconds from now (default: the PIXIT lead) for `duration`."""
        start = int(self.t.lead if start_in is None else start_in)
        ctl = self.state.add_control(program, base, start_in_s=start,
                                     duration_s=int(duration if duration is not None else 2 * self.t.poll + 2),
                                     **kwargs)
        self._controls.append((program, ctl))
        return ctl

    def group(self, description: str) -> int:
        """A new group (FunctionSetAssignments) appended to every device's list."""
        n = self.state.add_fsa(description)
        self._groups.append(n)
        for dev in self.state.devices.values():
            dev.fsas.append(n)
        self.state.changed()  # subscribers of the FunctionSetAssignmentsList hear of it
        return n

    def ungroup(self, group: int) -> None:
        """Take a group off every device's list (its programs stay on the server, unreachable)."""
        for dev in self.state.devices.values():
            if group in dev.fsas:
                dev.fsas.remove(group)
        self.state.changed()

    def _cancel_unfinished(self) -> None:
        """Events of this test that have not ended are cancelled, and the client is given (bounded) time to see
        it, so that none of them runs on into the next test once its program is gone."""
        now = self.state.now()
        open_ = [(p, c) for p, c in self._controls if c in p.controls and c.status < 2
                 and now < c.start + c.duration + (c.randomize_start or 0) + (c.randomize_duration or 0)]
        if not open_:
            return
        trace = self.client.server.trace
        start = len(trace)
        for _, ctl in open_:
            self.state.cancel(ctl)  # a subscribed client hears of it at once
        lists = {f"/derp/{p.number}/derc" for p, _ in open_}
        mrids = {c.mrid for _, c in open_}

        def said() -> set[Any]:
            return {f.body.get("subject") for f in trace.since(start) if f.kind == "REQUEST"
                    and isinstance(f.body, dict) and f.body.get("status") == "6"}

        deadline = time.monotonic() + self.t.poll + 1.5
        seen: set[str] = set()
        while lists - seen and time.monotonic() < deadline:  # bounded: one pollRate and a margin
            if mrids <= said():
                return
            seen |= {str(f.meta.get("path")) for f in trace.since(start) if f.kind == "REQUEST"}
            time.sleep(0.05)
        deadline = min(deadline, time.monotonic() + 0.5)  # then a moment for its Responses 6 (for events it had
        # not already finished)
        while time.monotonic() < deadline and not mrids <= said():
            time.sleep(0.05)

    def hide(self, program: Any) -> None:
        """Take a program that is not this test's off the list for the test's duration."""
        if program in self.state.programs:
            self.state.programs.remove(program)
            self._hidden.append(program)

    def cleanup(self) -> None:
        self._cancel_unfinished()
        for n in self._groups:
            self.ungroup(n)
        self.state.programs.extend(p for p in self._hidden if p not in self.state.programs)
        for prog, ctl in self._controls:
            if ctl in prog.controls:
                prog.controls.remove(ctl)
        for prog, href in self._curves:
            prog.curves[:] = [c for c in prog.curves if c.get("@href") != href]
        for prog in self._programs:
            if prog in self.state.programs:
                self.state.programs.remove(prog)
        self.state.changed()


@pytest.fixture
def csip(following_client: Any, t: Timers) -> Any:
    scenario = Scenario(following_client, t)
    yield scenario
    scenario.cleanup()
