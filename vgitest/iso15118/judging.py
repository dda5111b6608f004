"""What the SECC and EVCC engines share as judges: a finding goes on the frame that shows it (or the trace), and
only when the engine plays the harness's role (a reference device judges nobody)."""

from __future__ import annotations

from typing import Any

from ..findings import Finding, Severity
from ..trace import Frame, Trace


class Judging:
    """Mixin: subclasses set ``trace`` and ``judge``."""

    trace: Trace
    judge: bool

    def _find(self, frame: Frame | None, rule: str, message: str, severity: Severity | None = None,
              **details: Any) -> None:
        if not self.judge:
            return
        f = Finding.of(rule, message, frame.index if frame is not None else None, severity=severity, **details)
        if frame is not None:
            frame.findings.append(f)
        else:
            self.trace.add_finding(f)
