"""What every fake peer's session shares: turning a broken rule into a finding (and, for `fail`, a failed
test), on the frame that shows it or on the trace.

One implementation for every peer: the OCPP, OpenADR and 2030.5 sessions, the fake SECC/EVCC and SLAC peers a suite
calls (``secc.check(cond, RULE, "what was wrong", frame)``), and the ISO 15118 engines, which judge while the
session runs. An engine that plays a reference device sets ``judge`` False: a reference device judges nobody, so
its `record` leaves no finding."""

from __future__ import annotations

from typing import Any, NoReturn

from . import case as vcase
from .findings import Finding, Severity
from .trace import Frame, Trace
from .verdict import Concluded, NonConformance


class Verdicts:
    """Mixin: subclasses expose the peer's trace as `_trace` (and may set `judge` False: see the module)."""

    _trace: Trace
    judge: bool = True

    def fail(self, rule_id: str, message: str, frame: Frame | None = None, **details: Any) -> NoReturn:
        """Record a finding with `rule_id` (on `frame` if given) and fail the test with it."""
        finding = self.record(rule_id, message, frame, **details)
        raise NonConformance(f"[{rule_id}] {message}", [finding])

    def record(self, rule_id: str, message: str, frame: Frame | None = None, *, severity: Severity | None = None,
               **details: Any) -> Finding:
        """Record a finding without stopping the test (e.g. a broken SHOULD: severity WARN gives NON_STRICT)."""
        finding = Finding.of(rule_id, message, frame.index if frame is not None else None, severity=severity,
                             **details)
        if not self.judge:
            return finding
        if frame is not None:
            frame.findings.append(finding)
        else:
            self._trace.add_finding(finding)
        return finding

    def check(self, condition: Any, rule_id: str, message: str, frame: Frame | None = None, **details: Any) -> None:
        """`fail(...)` unless `condition` holds."""
        if not condition:
            self.fail(rule_id, message, frame, **details)

    def check_outcome(self, condition: Any, rule_id: str, message: str, frame: Frame | None = None,
                      **details: Any) -> None:
        """`check` for an outcome the peer already judges on the way to it (a session that must reach its end, a
        connection the device must close after a FAILED answer): when the case's body holds judged findings that
        fail it, or a finding of `rule_id` itself, the outcome is their consequence, so the test fails on them and
        `rule_id` is not recorded a second time for the same defect; otherwise `fail(rule_id, ...)`. When every
        cause is a broken SHOULD (severity warn), the body stops with :class:`Concluded`: NON_STRICT, not FAIL."""
        if condition:
            return
        causes = self._failing_findings(rule_id) or [self.record(rule_id, message, frame, **details)]
        rules = " ".join(f"[{r}]" for r in sorted({f.rule_id for f in causes}))
        if all(f.severity is not Severity.FAIL for f in causes):  # only SHOULDs broke: judged on them, NON_STRICT
            raise Concluded(f"{rules} {message}")
        if len(causes) == 1 and causes[0].rule_id == rule_id and causes[0].message == message:
            raise NonConformance(f"[{rule_id}] {message}", causes)
        raise NonConformance(f"{rules} {message} (after the finding{'s' if len(causes) > 1 else ''} above)", causes)

    def _failing_findings(self, rule_id: str) -> list[Finding]:
        """The judged findings of the running case's body that fail it or are of `rule_id` (none outside a case)."""
        window = vcase.current()
        if window is None or window.trace is not self._trace:
            return []
        judged, _ = window.split()
        return [f for f in judged if f.severity is Severity.FAIL or f.rule_id == rule_id]
