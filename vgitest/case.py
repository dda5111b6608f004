"""The phases of a test case, and which of its frames its verdict is judged on.

A case has a **preamble** (the reusable states its fixtures establish, and any ``preamble(...)`` block in its
body), a **body** (the stimulus and the objective) and a **postamble** (the clean-up that brings the device
back to idle). Only the body is judged: a finding on a frame of the preamble or the postamble is reported with
the case as *observed*, never as its verdict. A preamble that is not reached makes the case INCONCLUSIVE and
names what was not reached; the defect behind it is judged by the case that tests it. A rule that does not
apply to a frame's protocol version never judges it. ``docs/verdicts.md`` states the whole model.

The window is tracked by the plugin (one case at a time per process); a suite marks in-body preambles with
:func:`preamble` and reads nothing else from here.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from typing import Any

from .findings import RULES, Finding
from .verdict import Inconclusive


Mark = tuple[int, int]  # (frames in the trace, trace-level findings made) at one moment
PHASES = ("preamble", "body", "postamble")


@dataclasses.dataclass
class Window:
    """The frames of one case in its peer's trace, and the spans of them that are not its body.

    Positions are kept in two coordinates: frame indexes (for findings on a frame) and positions in the trace's
    list of frameless findings (a missing message, a timing finding), so that each finding is placed in the
    phase during which it was made."""

    trace: Any  # the fake peer's Trace
    start: Mark  # the case's set-up began here
    body_start: Mark | None = None  # None: the body has not begun
    body_end: Mark | None = None  # None: the body is still running
    # spans of the body that are not judged, with why: in-body preambles, and frames a case declares unjudgeable
    excluded: list[tuple[Mark, Mark, str]] = dataclasses.field(default_factory=list)

    def mark(self) -> Mark:
        return self.trace.mark()

    def phase(self, pos: int, axis: int) -> str:
        """"preamble", "body", "postamble" (or why an excluded span is not judged) of a position (axis 0: frame
        index, 1: frameless-finding index)."""
        if self.body_start is None or pos < self.body_start[axis]:
            return "preamble"
        if self.body_end is not None and pos >= self.body_end[axis]:
            return "postamble"
        for a, b, why in self.excluded:
            if a[axis] <= pos < b[axis]:
                return why
        return "body"

    def findings(self) -> list[tuple[Finding, str]]:
        """Every finding of the case with the phase it belongs to."""
        out = [(f, self.phase(fr.index, 0)) for fr in self.trace.since(self.start[0]) for f in fr.findings]
        for i, f in enumerate(list(self.trace.findings)[self.start[1]:], self.start[1]):
            if f.frame_index is not None:
                if f.frame_index >= self.start[0]:
                    out.append((f, self.phase(f.frame_index, 0)))
            else:
                out.append((f, self.phase(i, 1)))
        return out

    def split(self) -> tuple[list[Finding], list[tuple[Finding, str]]]:
        """(judged, observed): the findings the verdict is made of, and the others with the reason they are not."""
        judged: list[Finding] = []
        observed: list[tuple[Finding, str]] = []
        for f, phase in self.findings():
            why = not_judged_because(f, self.trace) or (None if phase == "body" else
                                                         f"in the {phase}" if phase in PHASES else phase)
            if why is None:
                judged.append(f)
            else:
                observed.append((f, why))
        return judged, observed


def not_judged_because(finding: Finding, trace: Any) -> str | None:
    """Why a finding may not judge the device whatever the phase: the harness's own frame, or a rule that does not
    apply to the version of the frame it points at."""
    if finding.details.get("side") == "harness":
        return "about the harness's own frame"
    rule = RULES[finding.rule_id] if finding.rule_id in RULES else None
    if rule is not None and finding.frame_index is not None and trace is not None and finding.frame_index < len(trace):
        version = trace[finding.frame_index].version
        if not rule.applies_to(version):
            return f"rule {rule.id} does not apply to {rule.protocol} {version} (it judges {', '.join(rule.versions)})"
    return None


_current: Window | None = None


def current() -> Window | None:
    """The window of the case running now, if a fake peer is running."""
    return _current


def begin(window: Window | None) -> None:
    global _current
    _current = window


@contextlib.contextmanager
def preamble(what: str) -> Iterator[None]:
    """Steps in a case's body that establish what the case needs rather than what it tests (a configuration set
    first, a state the stimulus depends on). Their frames are not judged; if they fail, the case is INCONCLUSIVE
    and says that `what` was not reached."""
    window = _current
    start = window.mark() if window is not None else None
    try:
        yield
    except AssertionError as exc:
        raise Inconclusive(f"preamble not reached: {what}: {exc}") from exc
    finally:
        if window is not None and start is not None:
            window.excluded.append((start, window.mark(), "preamble"))


def not_judged(first_frame: int, end_frame: int, why: str) -> None:
    """Frames [first_frame, end_frame) of the body are not judged, for the reason given (shown with each finding
    on them): for a step whose correct outcome the standard leaves unsettled, so that neither answer is blamed on
    the device. A case uses it sparingly and says why in its docstring."""
    window = _current
    if window is not None:
        window.excluded.append(((first_frame, 0), (end_frame, 0), f"not judged: {why}"))
