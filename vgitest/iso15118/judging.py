"""What the SECC and EVCC engines share as judges: :class:`vgitest.session.Verdicts`, with the engines' trace
(``trace``) and their ``judge`` flag (a reference device judges nobody: its findings are not recorded)."""

from __future__ import annotations

from typing import Any

from ..findings import Severity
from ..session import Verdicts
from ..trace import Frame, Trace


class Judging(Verdicts):
    """Mixin: subclasses set ``trace`` and ``judge``."""

    trace: Trace
    judge: bool

    @property
    def _trace(self) -> Trace:  # type: ignore[override]
        return self.trace

    def _find(self, frame: Frame | None, rule: str, message: str, severity: Severity | None = None,
              **details: Any) -> None:
        """The engines' short form of :meth:`Verdicts.record` (frame first)."""
        self.record(rule, message, frame, severity=severity, **details)
