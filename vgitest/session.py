"""What every fake peer's session shares: turning a broken rule into a finding (and, for `fail`, a failed
test), on the frame that shows it or on the trace."""

from __future__ import annotations

from typing import Any, NoReturn

from .findings import Finding, Severity
from .trace import Frame, Trace
from .verdict import NonConformance


class Verdicts:
    """Mixin: subclasses expose the peer's trace as `_trace`."""

    _trace: Trace

    def fail(self, rule_id: str, message: str, frame: Frame | None = None, **details: Any) -> NoReturn:
        """Record a finding with `rule_id` (on `frame` if given) and fail the test with it."""
        finding = self.record(rule_id, message, frame, **details)
        raise NonConformance(f"[{rule_id}] {message}", [finding])

    def record(self, rule_id: str, message: str, frame: Frame | None = None, *, severity: Severity | None = None,
               **details: Any) -> Finding:
        """Record a finding without stopping the test (e.g. a broken SHOULD: severity WARN gives NON_STRICT)."""
        finding = Finding.of(rule_id, message, frame.index if frame is not None else None, severity=severity,
                             **details)
        if frame is not None:
            frame.findings.append(finding)
        else:
            self._trace.add_finding(finding)
        return finding

    def check(self, condition: Any, rule_id: str, message: str, frame: Frame | None = None, **details: Any) -> None:
        """`fail(...)` unless `condition` holds."""
        if not condition:
            self.fail(rule_id, message, frame, **details)
