"""What the harness is waiting for right now, so that the console can say it during a long wait (a suite that
sits for minutes on a protocol timer otherwise looks hung). The fake peers' expectations register here; nothing
else reads it."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator


@dataclass(eq=False)
class Wait:
    what: str  # in the words of the expectation, e.g. "BootNotification from the station"
    started: float  # time.monotonic()
    deadline: float  # time.monotonic() at which the wait gives up; a wait whose end moves (a step machine
    # that waits longer while something is due) sets it again with `until`

    def until(self, deadline: float, what: str | None = None) -> None:
        """Move the end of the wait (and, given, say anew what it waits for: a new thing to wait for starts its
        time again)."""
        with _lock:
            self.deadline = deadline
            if what is not None and what != self.what:
                self.what, self.started = what, time.monotonic()

    def left(self, now: float | None = None) -> float:
        return max(0.0, self.deadline - (time.monotonic() if now is None else now))

    def elapsed(self, now: float | None = None) -> float:
        return (time.monotonic() if now is None else now) - self.started


_lock = threading.Lock()
_stack: list[Wait] = []


@contextmanager
def waiting(what: str, timeout: float) -> Iterator[Wait]:
    """Register a wait of at most `timeout` seconds for the duration of the block (nested waits: the innermost
    is the one shown)."""
    now = time.monotonic()
    w = Wait(what, now, now + max(0.0, timeout))
    with _lock:
        _stack.append(w)
    try:
        yield w
    finally:
        with _lock:
            if any(x is w for x in _stack):
                _stack[:] = [x for x in _stack if x is not w]


def current() -> Wait | None:
    """The innermost wait in progress, or None."""
    with _lock:
        return _stack[-1] if _stack else None
