"""How a run stops on a signal without losing its evidence or passing a CI gate.

In the pytest process, SIGTERM ends the session the way Ctrl-C does (the session finishes, so results.json, summary.md
and JUnit are written), and the copy of a signal that arrives twice (once from the terminal's process group, once
forwarded by `vgitest run`) interrupts it once. In `vgitest run`, SIGINT and SIGTERM are passed on to the running
pytest, which gets a bounded time to finish; a second signal kills it at once.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from types import FrameType
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
DEBOUNCE_S = 2.0  # a repeat within this time is the same stop request arriving by a second path
GRACE_S = 20.0  # how long `vgitest run` lets a signalled pytest write its evidence before killing it


def exit_code(signum: int) -> int:
    """The shell's convention for a process ended by a signal."""
    return 128 + signum


class StopSignals:
    """In the pytest process: turns SIGINT/SIGTERM into one KeyboardInterrupt and remembers which signal it was."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._at = 0.0
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in STOP_SIGNALS:
            prev = signal.getsignal(sig)
            if prev in (signal.default_int_handler, signal.SIG_DFL):  # never replace someone else's handler
                self._previous[sig] = prev
                signal.signal(sig, self._handle)

    def uninstall(self) -> None:
        for sig, prev in self._previous.items():
            signal.signal(sig, prev)
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        __tracebackhide__ = True  # pytest names the line of the case that was running, not this one
        now = time.monotonic()
        if self.signum is not None and now - self._at < DEBOUNCE_S:
            return
        self.signum, self._at = signum, now
        raise KeyboardInterrupt


class ChildRunner:
    """In `vgitest run`: runs each pytest child and passes SIGINT/SIGTERM on to it. Used as a context manager, so
    no signal during the whole command ends it with a traceback or leaves a child behind."""

    def __init__(self, grace_s: float = GRACE_S) -> None:
        self.grace_s = grace_s
        self.signum: int | None = None  # the first stop signal this process received
        self._count = 0
        self._first = 0.0
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> ChildRunner:
        if threading.current_thread() is threading.main_thread():
            self._previous = {sig: signal.signal(sig, self._handle) for sig in STOP_SIGNALS}
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, prev in self._previous.items():
            signal.signal(sig, prev)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self._count += 1
        if self.signum is None:
            self.signum, self._first = signum, time.monotonic()

    def run(self, cmd: list[str]) -> int:
        """The child's return code (negative: the signal that killed it)."""
        proc = subprocess.Popen(cmd)
        forwarded = killed = False
        while True:
            try:
                return proc.wait(timeout=0.1)
            except subprocess.TimeoutExpired:
                pass
            if self.signum is None or killed:
                continue
            if not forwarded:
                forwarded = True
                proc.send_signal(self.signum)
            elif self._count > 1 or time.monotonic() - self._first > self.grace_s:
                killed = True
                print(f"vgitest run: pytest did not stop within {self.grace_s:.0f} s of "
                      f"{signal.Signals(self.signum).name}; killing it" if self._count == 1 else
                      "vgitest run: second stop signal; killing pytest", file=sys.stderr, flush=True)
                proc.kill()
