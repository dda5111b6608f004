"""The operator's part of a CACTUS procedure, asked of the DUT adapter.

CACTUS shows its operator instructions in a UI. Some steps wait for the client to report what the operator did
(ALL-07 asks the operator to disconnect the DER from the grid and waits for a DERStatus that says so); `proceed`
steps wait for the operator's go-ahead, given once the instructions were carried out or observed. This harness asks
the DUT adapter instead:

- a step listed in :data:`TASKS` (an explicit map from procedure and step to an adapter action, never read from the
  instruction's words): when the step starts listening, the engine performs that action; the step itself still
  fires only on the client's request and checks, as the procedure says;
- a `proceed` step: when it starts listening, the engine performs ``cactus_proceed`` with the procedure, the step,
  its instructions (read from the installed procedure at run time), what there is to observe (:data:`OBSERVE`, in
  our words) and its timeout (scaled); the step fires when the action returns. With ``timeout_seconds`` it also
  fires once that time has passed, as CACTUS does when nobody confirms; without it the operator must confirm.

The harness judges only what the client does on the wire. An adapter returning from ``cactus_proceed`` is not a
person observing the DER's power: with the ``manual`` adapter the operator reads the instructions and presses Enter,
and that observation is the lab's, outside the verdict. What an action changed on the DER is put back at the end
(:data:`NORMAL`), so the next procedure finds the DER as before.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any, Callable

from ...verdict import Inconclusive, NotApplicable
from .procedures import Procedure, Step

PROCEED = "cactus_proceed"
JOIN_S = 5.0  # how long the end of a run waits for an adapter action still under way (it has its own timeout)


@dataclasses.dataclass(frozen=True)
class Task:
    """An adapter action with its parameters (besides the step and its instructions, which every one gets)."""

    action: str
    params: tuple[tuple[str, Any], ...] = ()


# The steps whose instructions ask the operator to act on the DER: the action that does it. The step then waits
# for the DERStatus the client PUTs (its checks say which).
TASKS: dict[tuple[str, str], Task] = {
    ("ALL-07", "PUT-DERSTATUS-DISCONNECT"): Task("der_grid", (("connected", False),)),
    ("ALL-07", "PUT-DERSTATUS-CONNECT"): Task("der_grid", (("connected", True),)),
    ("ALL-08", "PUT-DERSTATUS-DISCONNECT"): Task("der_run", (("running", False),)),
    ("ALL-08", "PUT-DERSTATUS-CONNECT"): Task("der_run", (("running", True),)),
    ("MUL-01", "PUT-DERSTATUS-FIRST-DISCONNECT"): Task("der_units_off", (("which", "one"),)),
    ("MUL-01", "PUT-DERSTATUS-FULL-DISCONNECT"): Task("der_units_off", (("which", "all"),)),
    # a wait step: the operator power-cycles the client while the server refuses every request
    ("ALL-30", "CLIENT-POWER-CYCLE"): Task("reboot"),
}
# What puts the DER back as it was (performed at the end when the procedure left it otherwise).
NORMAL: dict[str, dict[str, Any]] = {"der_grid": {"connected": True}, "der_run": {"running": True},
                                     "der_units_off": {"which": "none"}}
# What the operator observes before confirming a proceed step (the `observe` parameter); a step not listed gets "".
OBSERVATIONS = {
    "energized": "the DER energizes again (it imports or exports)",
    "connected": "the DER is connected to the grid again (it imports or exports)",
    "control": "the DER follows a control that came into force after the step began",
    "default": "the DER follows its DefaultDERControl",
    "prices": "the client shows the prices of the tariff it was given",
}
OBSERVE: dict[tuple[str, str], str] = {
    ("ALL-26", "PROCEED-OBSERVE-DER"): "energized",
    ("ALL-27", "PROCEED-OBSERVE-DER"): "connected",
    ("P-03", "PROCEED-OBSERVE-ZERO"): "control",
    ("P-03", "PROCEED-OBSERVE-DEFAULT"): "default",
    ("ALL-30", "REESTABLISH-COMMUNICATION"): "default",
    ("PRC-02", "PROCEED-TEST-END"): "prices",
}


def timeout(step: Step) -> float | None:
    """A proceed step's timeout_seconds (procedure seconds), or None."""
    raw = step.event.parameters.get("timeout_seconds")
    return None if raw is None else float(raw)


def needed(proc: Procedure) -> list[str]:
    """The adapter actions the procedure cannot run without: its operator tasks, and `cactus_proceed` for a
    proceed step without a timeout (one with a timeout fires at its end without the operator, as in CACTUS)."""
    out = [TASKS[(proc.id, s.name)].action for s in proc.steps if (proc.id, s.name) in TASKS]
    out += [PROCEED for s in proc.steps if s.event.type == "proceed" and timeout(s) is None]
    return list(dict.fromkeys(out))


def missing(proc: Procedure, dut: Any) -> list[str]:
    """The needed actions the DUT adapter says it lacks (decided before anything runs: NOT_APPLICABLE)."""
    supports = getattr(dut, "supports", None)
    why_not = getattr(dut, "why_not", None)
    out = []
    for action in needed(proc):
        if supports is not None and not supports(action):
            why = why_not(action) if why_not is not None else None
            out.append(f"DUT action '{action}'" + (f" ({why})" if why else ""))
    return out


def ask(dut: Any, action: str, params: dict[str, Any]) -> None:
    """Perform one operator action. Written out one call per action so that docs/adapters.md (which reads the
    calls from the code) says where each is asked for."""
    if action == "cactus_proceed":
        dut.perform("cactus_proceed", **params)
    elif action == "der_grid":
        dut.perform("der_grid", **params)
    elif action == "der_run":
        dut.perform("der_run", **params)
    elif action == "der_units_off":
        dut.perform("der_units_off", **params)
    elif action == "reboot":  # the shared action takes no parameters
        dut.perform("reboot")
    else:
        raise ValueError(f"not an operator action: {action}")


class Operator:
    """Performs the operator's part of each step once it starts listening, each on a thread of its own (a manual
    operator may take a while; the client's requests keep being matched meanwhile)."""

    def __init__(self, proc: Procedure, dut: Any, scale: float, note: Callable[[str], None]) -> None:
        self.proc, self.dut, self.scale, self.note = proc, dut, scale, note
        self.lock = threading.Lock()
        self.asked: set[str] = set()
        self.threads: list[threading.Thread] = []
        self.confirmed: set[str] = set()
        self.failed: dict[str, BaseException] = {}
        self.changed: dict[str, dict[str, Any]] = {}  # action -> the parameters it was last performed with

    def _job(self, step: Step) -> tuple[str, dict[str, Any]] | None:
        common = {"procedure": self.proc.id, "step": step.name, "instructions": "\n".join(step.instructions)}
        if step.event.type == "proceed":
            limit = timeout(step)
            return PROCEED, {**common, "observe": OBSERVE.get((self.proc.id, step.name), ""),
                             "timeout_s": 0 if limit is None else max(1, round(limit * self.scale))}
        task = TASKS.get((self.proc.id, step.name))
        return None if task is None else (task.action, {**common, **dict(task.params)})

    def start(self, active: dict[str, float]) -> None:
        """Ask for the operator's part of every step that started listening since the last call."""
        for name in list(active):
            if name in self.asked:
                continue
            self.asked.add(name)
            job = self._job(self.proc.step(name))
            if job is None:
                continue
            action, params = job
            if action in NORMAL:
                self.changed[action] = {k: params[k] for k in NORMAL[action]}
            self.note(f"asked the DUT adapter for {action} (step {name})")
            thread = threading.Thread(target=self._perform, args=(name, action, params), daemon=True,
                                      name=f"cactus-operator-{name}")
            self.threads.append(thread)
            thread.start()

    def _perform(self, name: str, action: str, params: dict[str, Any]) -> None:
        try:
            ask(self.dut, action, params)
        except BaseException as exc:  # noqa: B036 (handed to the engine's thread, which decides the verdict)
            with self.lock:
                self.failed[name] = exc
        else:
            with self.lock:
                self.confirmed.add(name)

    def busy(self) -> bool:
        return any(t.is_alive() for t in self.threads)

    def done(self, name: str) -> bool:
        with self.lock:
            return name in self.confirmed

    def check(self) -> None:
        """Raise what an action that the procedure cannot do without ended with: NOT_APPLICABLE when the device
        said it cannot, INCONCLUSIVE otherwise (the step could not happen: never the client's fault). A proceed
        step with a timeout is not stopped by it: it fires at its timeout, as in CACTUS."""
        with self.lock:
            failed, self.failed = self.failed, {}
        for name, exc in failed.items():
            step = self.proc.step(name)
            if step.event.type == "proceed" and timeout(step) is not None:
                self.note(f"no go-ahead for {name} ({exc}); it fires at its timeout")
                continue
            if isinstance(exc, (NotApplicable, Inconclusive)):
                raise exc
            raise Inconclusive(f"{self.proc.id}: the operator's action for step {name} failed: {exc}") from exc

    def finish(self) -> None:
        """Wait (bounded) for actions under way, then put back what the procedure changed on the DER."""
        for thread in self.threads:
            thread.join(JOIN_S)
        with self.lock:
            late, self.failed = self.failed, {}
        for name, exc in late.items():  # for the evidence: what the operator said after its step was over
            self.note(f"no go-ahead for {name}: {exc}")
        for action, params in self.changed.items():
            if params != NORMAL[action]:
                try:
                    ask(self.dut, action, {"procedure": self.proc.id, "step": "(end of the procedure)",
                                           "instructions": "put the DER back as it was", **NORMAL[action]})
                    self.note(f"put the DER back: {action} {NORMAL[action]}")
                except Exception as exc:  # never masks the run's result; the next procedure's preconditions tell
                    self.note(f"could not put the DER back ({action}): {exc}")
