"""Run a property against a live device inside a test case, and turn its minimal counterexample into a finding.

A fuzz case gives a strategy of examples (JSON-like values: they are written to the replay file as they are)
and a body that sends one example to the device and judges what came back. The body raises
:class:`Counterexample` (a rule id, a message, the frame) when the device broke a MUST; hypothesis then
shrinks towards the smallest example that still breaks it. Lesser problems (a broken SHOULD) the body records
itself on the session, once per kind, and goes on.

Against a device, each try costs an exchange, and a device is not a pure function. So:

* every example's outcome is kept: when hypothesis asks again for an example already sent (its final replay of
  the minimal one, or shrinking), the kept outcome answers and nothing is sent twice;
* the profile's time budget bounds the case: past it, no new example is sent (the first one asked for is counted
  as cut) and hypothesis's run ends at once, shrinking too; the smallest counterexample found so far stands;
* a :class:`Counterexample` with ``fatal=True`` (the device is gone and did not come back) stops sending at once.

* the minimal counterexample is sent once more, alone, before it is reported (:meth:`PropertyRunner._confirm`):
  what is reported is an example that fails by itself, or the report says it does not.

At the end the runner fails the case through the session with the counterexample's rule id, the example shown
in a few words, and the path of the replay file (:mod:`.replay`) that ``vgitest replay`` runs again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from ..verdict import Inconclusive, NonConformance
from . import replay
from .profiles import FuzzProfile, hypothesis_settings
from .stable import without_project_constants

__all__ = ["Counterexample", "FuzzStats", "PropertyRunner"]


class Counterexample(Exception):
    """The device broke a MUST on this example (raised by a fuzz case's body)."""

    def __init__(self, rule_id: str, message: str, frame: Any = None, *, fatal: bool = False) -> None:
        super().__init__(f"[{rule_id}] {message}")
        self.rule_id, self.message, self.frame, self.fatal = rule_id, message, frame, fatal
        self.example: Any = None
        self.frames: list[dict[str, Any]] = []  # what went over the wire for this example (filled by the runner)


@dataclasses.dataclass
class FuzzStats:
    """What one fuzz case did; written beside its evidence."""

    profile: str
    seed: int | None
    max_examples: int
    sent: int = 0  # examples that reached the device
    cached: int = 0  # asked again (shrinking, final replay): answered from the kept outcome
    cut: int = 0  # not sent: the time budget was spent or the device was gone
    failing: int = 0  # distinct examples that broke a MUST
    seconds: float = 0.0
    first_example_s: float | None = None  # from the start of the run to the first example drawn (strategy build)
    replayed_from: str | None = None
    confirmed: bool | None = None  # the reported counterexample failed again when sent alone (None: not tried)

    def summary(self) -> str:
        s = f"{self.sent} example(s) sent ({self.profile} profile"
        s += f", seed {self.seed})" if self.seed is not None else ", derandomized)"
        if self.cut:
            s += f"; {self.cut} not sent (time budget spent or device gone)"
        if self.failing:
            s += f"; {self.failing} broke a MUST"
        return s


def _judged(body: Callable[[Any], None], example: Any) -> None:
    """Run the body; a session helper's failure that carries a finding (e.g. no answer within the response timeout,
    already recorded on its frame) is a counterexample with that finding's rule, like the body's own."""
    try:
        body(example)
    except NonConformance as exc:
        if not exc.findings:
            raise
        first = exc.findings[0]
        raise Counterexample(first.rule_id, first.message) from exc


def case_seed(test: str, label: str) -> int:
    """The seed of a derandomized profile's examples for one part of one case: a digest of the case's name and the
    part's label. Hypothesis's own derandomization seeds from a digest of the test function's source, and that
    function is this runner's: any edit of the runner changed every pr example of every suite, and reviewed
    verdicts of independent devices with them. With this seed the examples change only with the strategy, the
    case or the pinned hypothesis."""
    return int.from_bytes(hashlib.sha256(f"vgitest-pr|{test}|{label}".encode()).digest()[:8], "big")


class _BudgetSpent(BaseException):
    """Ends hypothesis's run at once when the time budget is spent or the device is gone. Returning (a cut try
    "passes") would let hypothesis go on drawing examples, shrinking candidates above all, up to its own shrink time
    limit (minutes): nothing is sent, but an example built from a schema costs CPU. A BaseException, so that
    hypothesis lets it through instead of treating it as a failure to shrink."""


def _key(example: Any) -> str:
    return json.dumps(example, sort_keys=True, default=repr)


class PropertyRunner:
    """One fuzz case's runner (the ``vgi_fuzz`` fixture makes it; see :mod:`.fixtures`)."""

    def __init__(self, profile: FuzzProfile, seed: int | None, *, folder: Path, case: dict[str, Any],
                 trace: Any = None, replay_file: Path | None = None) -> None:
        self.profile, self.seed = profile, seed
        self.folder = folder  # the case's evidence folder: counterexample.json and fuzz-stats.json go there
        self.case = case  # what replay needs to run the case again (test file, name, profile, faults)
        self.trace = trace  # the fake peer's trace, to copy the frames of a counterexample (None: not kept)
        self.replay_file = replay_file
        self.stats: FuzzStats | None = None
        self._first: Any = None  # the first example that failed (before shrinking)
        self._budget_share = 1.0
        self.runs: list[dict[str, Any]] = []  # every run() of the case, for fuzz-stats.json

    def run(self, strategy: st.SearchStrategy, body: Callable[[Any], None], judge: Any, *,
            weight: float = 1.0, show: Callable[[Any], str] = lambda e: _key(e)[:200],
            budget_share: float = 1.0, label: str = "") -> FuzzStats:
        """Send examples of ``strategy`` through ``body``; fail the case through ``judge`` (a session: ``fail``)
        with the minimal counterexample, if any. Returns what was done. A case may call it several times (e.g.
        once per kind of breakage, so that each kind is sent whatever the profile's count): ``budget_share`` is the
        part of the profile's time budget this call may use, ``label`` names the part in the stats."""
        self._budget_share = budget_share
        hs = hypothesis_settings(self.profile, weight)
        stats = self.stats = FuzzStats(self.profile.name, None if self.profile.derandomize else self.seed,
                                       hs.max_examples)
        t0 = time.monotonic()
        if self.replay_file is not None:
            found = self._replay(body, stats)
        else:
            found = self._explore(strategy, body, hs, stats, t0, label)
            if found is not None and not found.fatal:
                found = self._confirm(body, found, stats)
        stats.seconds = round(time.monotonic() - t0, 3)
        self.runs.append({"part": label, **dataclasses.asdict(stats), "summary": stats.summary()})
        total = {k: sum(r[k] for r in self.runs) for k in ("sent", "cached", "cut", "failing", "seconds")}
        self._write("fuzz-stats.json", dataclasses.asdict(stats) | {"summary": stats.summary(), "case_total": total,
                                                                   "parts": self.runs})
        if found is None and stats.sent == 0 and self.replay_file is None:
            raise Inconclusive(f"no example was sent ({stats.summary()}): nothing was judged"
                               + (f"; the first example took {stats.first_example_s:g} s to draw"
                                  if stats.first_example_s is not None else ""))
        if found is not None:
            path = self._write("counterexample.json", replay.document(self.case, found, stats, show(found.example)))
            alone = "" if stats.confirmed is not False else (" (sent again alone it did not fail: the failure "
                                                            "depends on the examples before it, see the evidence)")
            judge.fail(found.rule_id, f"{found.message} -- minimal example: {show(found.example)}{alone}; "
                       f"{stats.summary()}; replay: vgitest replay {path}", found.frame)
        return stats

    def _confirm(self, body: Callable[[Any], None], found: Counterexample, stats: FuzzStats) -> Counterexample:
        """Send the minimal counterexample once more, alone: a device is no pure function, and a shrunk example
        may have failed only because of the one before it. If it does not fail again, the first failing example
        found is tried; if neither does, the minimal one is reported, saying so."""
        for candidate in dict.fromkeys(_key(e) for e in (found.example, self._first)):
            example = json.loads(candidate)
            start = len(self.trace) if self.trace is not None else 0
            stats.sent += 1
            try:
                _judged(body, example)
            except Counterexample as again:
                again.example, again.frames = example, self._frames_since(start)
                stats.confirmed = True
                return again
        stats.confirmed = False
        return found

    def _explore(self, strategy: st.SearchStrategy, body: Callable[[Any], None], hs: Any, stats: FuzzStats,
                 t0: float, label: str = "") -> Counterexample | None:
        outcomes: dict[str, Counterexample | None] = {}
        # The budget runs from the first example drawn, not from t0: building a strategy from a schema the first
        # time costs seconds of CPU, many more on a loaded machine, and must not eat the time for sending.
        deadline: list[float] = []
        gone = [False]
        best: list[Counterexample] = []  # the last failure: once shrinking began, each one is smaller than the one before

        def one(example: Any) -> None:
            k = _key(example)
            if k in outcomes:
                stats.cached += 1
                if outcomes[k] is not None:
                    raise outcomes[k]  # type: ignore[misc]
                return
            now = time.monotonic()
            if not deadline:
                stats.first_example_s = round(now - t0, 3)
                deadline.append(now + self.profile.budget_s * self._budget_share)
            if gone[0] or now > deadline[0]:
                stats.cut += 1
                raise _BudgetSpent
            start = len(self.trace) if self.trace is not None else 0
            stats.sent += 1
            try:
                _judged(body, example)
            except Counterexample as c:
                c.example = example
                c.frames = self._frames_since(start)
                if self._first is None:
                    self._first = example
                outcomes[k] = c
                best[:] = [c]
                stats.failing += 1
                gone[0] = gone[0] or c.fatal
                raise
            outcomes[k] = None

        test = given(strategy)(one)
        test = hs(test)
        if self.profile.derandomize:  # see case_seed: not hypothesis's own, which hashes this runner's source
            test = hypothesis_seed(case_seed(str(self.case.get("test") or ""), label))(test)
        elif self.seed is not None:
            test = hypothesis_seed(self.seed)(test)
        try:
            with without_project_constants():
                test()
        except Counterexample as c:
            return c
        except _BudgetSpent:
            return best[0] if best else None
        return None

    def _replay(self, body: Callable[[Any], None], stats: FuzzStats) -> Counterexample | None:
        assert self.replay_file is not None
        doc = replay.load(self.replay_file)
        stats.replayed_from = str(self.replay_file)
        stats.sent = 1
        start = len(self.trace) if self.trace is not None else 0
        try:
            _judged(body, doc["example"])
        except Counterexample as c:
            c.example, c.frames = doc["example"], self._frames_since(start)
            stats.failing = 1
            return c
        return None

    def _frames_since(self, start: int) -> list[dict[str, Any]]:
        if self.trace is None:
            return []
        out = []
        for f in self.trace.since(start):
            out.append({"direction": f.direction.name, "kind": f.kind, "name": f.name,
                        "raw": f.raw.decode("utf-8", "backslashreplace")[:20000]})
        return out

    def _write(self, name: str, doc: dict[str, Any]) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / name
        path.write_text(json.dumps(doc, indent=2, default=repr), encoding="utf-8")
        return path
