"""Runs one CACTUS client procedure on the fake 2030.5 server against the DER client under test.

The procedure's steps wait for events: a request of the client (matched as it arrives, before the server answers
it, so that a step's actions shape that very answer; or, with ``serve_request_first``, once the server has
processed it) or a wait (scaled). A step fires only while the checks of its event hold; its actions then change the
server's data (:mod:`.actions`) and enable or remove steps. The run ends when the procedure finishes, when no step
listens any more, or when nothing has fired for a bounded time (the PIXIT wait plus three pollRates, or the next
wait step's due time). Then the criteria are judged (:mod:`.checks`): a broken one FAILs the case with its rule;
a precondition never reached is INCONCLUSIVE; a type the harness lacks is NOT_APPLICABLE, decided before anything
runs (:mod:`.support`). Every step that fires is noted in the trace, so the evidence shows the procedure's course.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Any

from ...trace import Direction, Frame
from ...verdict import Inconclusive, NotApplicable
from ...waits import Wait, waiting
from .. import rules as r
from ..server import path_matches
from . import actions, checks, operator, pricing, readings, support, versions
from .context import Context, Failed, Unsupported
from .procedures import Procedure, Step

TICK_S = 0.05
MAX_AHEAD_S = 600  # a control transition further ahead (run seconds) does not keep a run waiting


@dataclasses.dataclass(frozen=True)
class Timing:
    """How a run waits: `scale` turns procedure seconds into run seconds (1.0 for a real device; the reference
    run shortens), `wait` is the PIXIT message wait, `register` how long the client may take to be ready."""

    scale: float = 1.0
    wait: float = 10.0
    register: float = 15.0


@dataclasses.dataclass
class Outcome:
    """What a run found: the steps that fired (in order) and the criteria's results."""

    fired: list[str]
    criteria: list[tuple[str, bool, str]]
    seconds: float
    failed: str | None = None  # the fail message of a finish-test that ended the procedure


class Engine:
    def __init__(self, proc: Procedure, session: Any, dut: Any, timing: Timing, lfdi: str | None,
                 client_versions: tuple[str, ...] = versions.DEFAULT) -> None:
        self.proc, self.session, self.dut, self.timing = proc, session, dut, timing
        self.server = session.server
        self.state = session.state
        try:  # the CSIP-AUS version it runs in (versions.py); None: the client implements none it targets
            self.version: str | None = versions.choose(proc.target_versions, client_versions)
            self.unimplemented = ""
        except versions.Unimplemented as exc:
            self.version, self.unimplemented = None, str(exc)
        self.spoken_before: str | None = None  # the version the server spoke before this procedure switched it
        self.ctx = Context(session, scale=timing.scale, lfdi=lfdi, steps=tuple(s.name for s in proc.steps),
                           version=self.version or versions.V1_2)
        self.lock = threading.RLock()
        self.start = len(self.server.trace)
        self.last_progress = time.monotonic()
        self.error: BaseException | None = None
        self.order: list[str] = []
        self.operator = operator.Operator(proc, dut, timing.scale, self._note)  # steps an operator takes part in
        self.setup = readings.OperatorSetup(proc, dut)  # the operator's set-up the readings preconditions ask for

    # --- the run --------------------------------------------------------------------------------------------
    def run(self) -> Outcome:
        need = support.missing(self.proc) + operator.missing(self.proc, self.dut)
        if need:
            raise NotApplicable(f"NOT_APPLICABLE: {self.proc.id} needs {', '.join(need)}")
        if self.version is None:
            raise NotApplicable(f"NOT_APPLICABLE: {self.proc.id} needs {self.unimplemented}")
        t0 = time.monotonic()
        saved: dict[str, Any] | None = None
        try:
            self._speak(self.version)
            saved = self._begin()
            self._steps_loop()
            self._unhook()
            criteria = self._judge()
        finally:
            self._unhook()
            self.operator.finish()
            self.setup.undo(self.ctx)
            if saved is not None:
                self._restore(saved)
            if self.spoken_before is not None:
                self._speak(self.spoken_before)
        return Outcome(self.order, criteria, time.monotonic() - t0, self.ctx.fail_message)

    def _begin(self) -> dict[str, Any]:
        """Set the server up and start listening. Each part runs under the lock the request hooks take, so a
        request of the client is matched either before the set-up or after it, never half-way."""
        pre = self.proc.preconditions
        with self.lock:
            # hooked first: a request that arrives while the server is set up waits for the set-up and is then
            # matched (a client polling just then would otherwise see the new data before the first step listens)
            self.server.request_hooks.append(self._arrived)
            self.server.served_hooks.append(self._served)
            saved = self._save()
            try:
                self._act(list(pre.init_actions))
                if pre.immediate_start:
                    self._act(list(pre.actions))
                    self._listen()
            except BaseException:
                self._unhook()
                self._restore(saved)
                raise
        try:
            self.dut.perform("reregister")
            self._preconditions()
            if not pre.immediate_start:
                with self.lock:
                    self._act(list(pre.actions))
                    self._listen()
        except BaseException:
            self._unhook()
            self._restore(saved)
            raise
        return saved

    def _speak(self, version: str) -> None:
        """Run in `version`: the client is told first (DUT action csip_aus_version), then the server switches its
        namespace and schema, before the procedure's set-up (and back after it). Not under the engine's lock: the
        client may be waiting on an answer that the request hook would hold up."""
        spoken = self.state.csip_aus or versions.V1_2
        if spoken == version:
            return
        self.dut.perform("csip_aus_version", version=version)
        before = self.server.set_csip_aus(version)
        self.spoken_before = None if self.spoken_before is not None else (before or versions.V1_2)
        self._note(f"speaks CSIP-AUS {version} (was {spoken})")

    def _listen(self) -> None:
        self.start = len(self.server.trace)
        # the criteria judge the readings of the test, not those of the set-up the preconditions waited for
        self.ctx.readings_start = len(self.state.readings)
        self.ctx.steps.enable([self.proc.steps[0].name])
        self._note(f"started; listening for {self.proc.steps[0].name}")

    def _unhook(self) -> None:
        for hooks, fn in ((self.server.request_hooks, self._arrived), (self.server.served_hooks, self._served)):
            if fn in hooks:
                hooks.remove(fn)

    def _preconditions(self) -> None:
        """Wait (bounded) until every precondition check holds; INCONCLUSIVE naming the first that does not."""
        deadline = time.monotonic() + self.timing.register + 4 * self.state.poll_rate_s
        with waiting(f"{self.proc.id}'s preconditions", deadline - time.monotonic()) as shown:
            while True:
                self.ctx.assign_groups()
                self.setup.step(self.ctx)
                results = [(c.type, *checks.run(self.ctx, c, self.start)) for c in self.proc.preconditions.checks]
                failing = [(t, m) for t, ok, m in results if not ok]
                if not failing:
                    return
                if time.monotonic() >= deadline:
                    raise Inconclusive(f"{self.proc.id}: precondition not reached: "
                                       + "; ".join(f"{t}: {m}" for t, m in failing))
                shown.until(deadline, f"{self.proc.id}: precondition {failing[0][0]}")
                time.sleep(0.2)

    def _steps_loop(self) -> None:
        with waiting(f"{self.proc.id}'s steps", 0) as shown:  # the console's waiting line (vgitest.waits)
            self._steps(shown)

    def _steps(self, shown: Wait) -> None:
        while True:
            with self.lock:
                if isinstance(self.error, Failed):
                    return
                if self.error is not None:
                    raise self.error
                if self.ctx.steps.finished or not self.ctx.steps.active:
                    return
                now = time.monotonic()
                self._due_timers(now)
                self.operator.start(self.ctx.steps.active)
                self.operator.check()
                try:
                    self._due_waits(now)
                    self._due_proceeds(now)
                except Failed:  # a wait step's finish-test with a fail message: judged with the criteria
                    return
                if self.ctx.steps.finished or not self.ctx.steps.active:
                    return
                deadline = self._deadline()
                if now >= deadline:
                    self._note(f"gave up waiting for {', '.join(self.ctx.steps.active)}")
                    return
                shown.until(deadline, f"{self.proc.id}: the client's part of step {', '.join(self.ctx.steps.active)}")
            time.sleep(TICK_S)

    def _patience(self) -> float:
        """How long the client may take to act on a change: the PIXIT wait and three pollRates."""
        return self.timing.wait + 3 * self.state.poll_rate_s

    def _deadline(self) -> float:
        """When to stop waiting for the listening steps: a while after the last step fired, after a wait step's due
        time, or after the next start or end of one of the procedure's controls (a Response the client owes then),
        if that comes within MAX_AHEAD_S."""
        now = time.monotonic()
        idle = self.last_progress + self._patience()
        waits = [since + self.ctx.seconds(float(self.ctx.value(self.proc.step(n).event.parameters["duration_seconds"])))
                 + 1.0 for n, since in self.ctx.steps.active.items() if self.proc.step(n).event.type == "wait"]
        waits += [since + self.ctx.seconds(limit) + 1.0 for n, since in self.ctx.steps.active.items()
                  if self.proc.step(n).event.type == "proceed" and (limit := operator.timeout(self.proc.step(n)))]
        if self.operator.busy():  # an operator (or the adapter standing in) is still at it; its adapter bounds it
            waits.append(now + 1.0)
        server_now = self.state.now()
        times = [t - server_now for _, c in self.ctx.controls if c.status < 2 for t in (c.earliest_start, c.latest_end)]
        ahead = [d for d in times if 0 < d <= MAX_AHEAD_S]
        # a transition that has just passed (the server's clock is in whole seconds) still leaves the client its
        # patience for the Response it owes then: without it the run gave up at the very second a control ended
        nxt = [now + d + self._patience() for d in [*(d for d in times if d <= 0), *([min(ahead)] if ahead else [])]]
        return max([idle, *waits, *nxt])

    # --- events ---------------------------------------------------------------------------------------------
    def _due_waits(self, now: float) -> None:
        for name, since in list(self.ctx.steps.active.items()):
            step = self.proc.step(name)
            if step.event.type != "wait" or name not in self.ctx.steps.active:
                continue
            due = since + self.ctx.seconds(float(self.ctx.value(step.event.parameters["duration_seconds"])))
            if now >= due and self._guards(step):
                self._fire(step, None)

    def _due_proceeds(self, now: float) -> None:
        """A proceed step fires on the operator's go-ahead, or when its timeout (scaled) has passed."""
        for name, since in list(self.ctx.steps.active.items()):
            step = self.proc.step(name)
            if step.event.type != "proceed" or name not in self.ctx.steps.active:
                continue
            limit = operator.timeout(step)
            timed_out = limit is not None and now >= since + self.ctx.seconds(limit)
            if (self.operator.done(name) or timed_out) and self._guards(step):
                if not self.operator.done(name):
                    self._note(f"no go-ahead for {name} within its timeout: it fires, as in CACTUS")
                self._fire(step, None)

    def _due_timers(self, now: float) -> None:
        for item in [t for t in self.ctx.timers if t[0] <= now]:
            self.ctx.timers.remove(item)
            item[1]()

    def _matching(self, frame: Frame, served: bool) -> list[Step]:
        method, path = frame.meta.get("method"), str(frame.meta.get("path", ""))
        out = []
        for name in list(self.ctx.steps.active):
            step = self.proc.step(name)
            ev = step.event
            if ev.type not in support.REQUESTS or ev.type.split("-")[0] != method:
                continue
            if bool(ev.parameters.get("serve_request_first", False)) != served:
                continue
            if path_matches(self.ctx.glob(str(ev.parameters["endpoint"])), path):
                out.append(step)
        return out

    def _arrived(self, frame: Frame) -> None:
        self._on_request(frame, served=False)

    def _served(self, frame: Frame) -> None:
        if frame.direction is Direction.IN and frame.kind == "REQUEST":
            self._on_request(frame, served=True)

    def _on_request(self, frame: Frame, served: bool) -> None:
        """A request of the client (on the server's loop): fire the listening steps it matches."""
        with self.lock:
            if self.error is not None or self.ctx.steps.finished:
                return
            try:
                for step in self._matching(frame, served):
                    if step.name in self.ctx.steps.active and self._guards(step):
                        self._fire(step, frame.index)
            except BaseException as exc:  # noqa: B036 (NotApplicable is a skip) surfaced by the test's thread, never
                self.error = exc  # raised into the server's handling of the request

    def _guards(self, step: Step) -> bool:
        return all(checks.run(self.ctx, c, self.start)[0] for c in step.event.checks)

    def _fire(self, step: Step, index: int | None) -> None:
        self.ctx.steps.fired[step.name] = index
        self.order.append(step.name)
        self.last_progress = time.monotonic()
        self._note(f"step {step.name} fired" + (f" on frame {index}" if index is not None else ""))
        self._act(list(step.actions))

    def _act(self, todo: list[Any]) -> None:
        try:
            actions.run(self.ctx, todo)
        except Failed:
            raise
        except Unsupported as exc:
            raise NotApplicable(f"NOT_APPLICABLE: {self.proc.id} needs {exc}") from exc
        self.ctx.assign_groups()

    # --- judging --------------------------------------------------------------------------------------------
    def _judge(self) -> list[tuple[str, bool, str]]:
        """The criteria. A procedure that ran out of steps is finalised once they all hold, or after a bounded
        settling time (what the client writes after its last step, e.g. its DER description or the Responses of
        controls still running, may still be on its way: CACTUS judges when the operator finalises, after the
        procedure's controls ended); one that ended by finish-test is judged at once."""
        server_now = self.state.now()
        ending = [c.latest_end - server_now for _, c in self.ctx.controls
                  if c.status < 2 and server_now < c.latest_end <= server_now + MAX_AHEAD_S]
        settle = time.monotonic() + (0 if self.ctx.steps.finished else self._patience() + max([0, *ending]))
        while True:
            out = [(c.type, *checks.run(self.ctx, c, self.start)) for c in self.proc.criteria]
            if all(ok for _, ok, _ in out) or time.monotonic() >= settle or self.ctx.steps.active:
                return out
            time.sleep(0.2)

    def _note(self, text: str) -> None:
        note = getattr(self.server, "note", None)
        if note is not None:
            note(f"CACTUS {self.proc.id}: {text}")

    # --- the server's data around the run -------------------------------------------------------------------
    def _save(self) -> dict[str, Any]:
        """Hide what other cases left on the server (programs, the client's record: each procedure starts on a
        server of its own, as CACTUS does), to be put back afterwards."""
        s = self.state
        saved = {"programs": list(s.programs), "devices": dict(s.devices), "rate": s.poll_rate_s,
                 "rates": dict(s.poll_rates), "allow": s.allow_registration,
                 "aus": pricing.put_aside(s, self.proc), "mups": dict(s.mirror_usage_points),
                 "owners": dict(s.mup_owners), "mup_rate": s.aus.mup_post_rate}
        s.programs.clear()
        s.devices.clear()
        s.mirror_usage_points.clear()  # the client mirrors anew, as on a fresh CACTUS server (STO-01's POST-MUP)
        s.mup_owners.clear()
        s.aus.mup_post_rate = None
        s.changed()
        return saved

    def _restore(self, saved: dict[str, Any]) -> None:
        s = self.state
        for _, ctl in self.ctx.controls:
            if ctl.status < 2 and s.now() < ctl.latest_end:
                s.cancel(ctl)
        for prog in self.ctx.programs:
            if prog in s.programs:
                s.programs.remove(prog)
        s.programs.extend(p for p in saved["programs"] if p not in s.programs)
        s.devices.clear()
        s.devices.update(saved["devices"])
        s.poll_rate_s, s.allow_registration, s.registration_links = saved["rate"], saved["allow"], True
        s.poll_rates.clear()
        s.poll_rates.update(saved["rates"])
        pricing.put_back(s, saved["aus"])
        s.mirror_usage_points.clear()
        s.mirror_usage_points.update(saved["mups"])
        s.mup_owners.clear()
        s.mup_owners.update(saved["owners"])
        s.aus.mup_post_rate = saved["mup_rate"]
        self.server.outage_until = 0.0
        s.changed()


def verdict(session: Any, proc: Procedure, outcome: Outcome) -> None:
    """FAIL (naming the rule) on the first broken criterion; the others are in the message too."""
    broken = [(t, m) for t, ok, m in outcome.criteria if not ok]
    if outcome.failed is not None:
        broken.insert(0, ("finish-test", outcome.failed))
    if not broken:
        return
    steps = [m for t, m in broken if t == "all-steps-complete"]
    others = [(t, m) for t, m in broken if t != "all-steps-complete"]
    if steps:
        for t, m in others:  # each broken check is a finding of its own too
            session.record(r.CACTUS_CHECK, f"{proc.id}: {t}: {m}")
        session.fail(r.CACTUS_STEPS, f"{proc.id}: {steps[0]} (steps fired: {', '.join(outcome.fired) or 'none'})"
                     + "".join(f"; {t}: {m}" for t, m in others))
    session.fail(r.CACTUS_CHECK, f"{proc.id}: " + "; ".join(f"{t}: {m}" for t, m in broken))
