"""How a run stops on a signal without losing its evidence or passing a CI gate.

In the pytest process, SIGTERM ends the session the way Ctrl-C does (the session finishes, so results.json, summary.md
and JUnit are written), and the copy of a signal that arrives twice (once from the terminal's process group, once
forwarded by `vgitest run`) interrupts it once. In `vgitest run`, SIGINT and SIGTERM are passed on to the running
pytest, which gets a bounded time to finish; a second signal kills it at once.
"""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any, Callable

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
        rcs: dict[int, int] = {}
        self.run_many([Child(cmd)], 1, lambda i, c: None, lambda i, c, rc: rcs.__setitem__(i, rc))
        return rcs[0]

    def run_many(self, children: list[Child], parallel: int, started: Callable[[int, Child], None],
                 ended: Callable[[int, Child, int], None]) -> None:
        """Run the children, at most `parallel` at a time, in list order; `started(i, child)` and
        `ended(i, child, returncode)` are called as they go. After a stop signal no child is started; the signal is
        passed on to the running ones, which are killed after the grace time (or at a second signal)."""
        running: dict[int, tuple[subprocess.Popen[bytes], Any]] = {}
        todo = list(enumerate(children))
        forwarded = killed = False
        while todo or running:
            while todo and len(running) < max(1, parallel) and self.signum is None:
                i, child = todo.pop(0)
                out = open(child.log, "wb") if child.log is not None else None
                running[i] = (subprocess.Popen(child.cmd, stdout=out, stderr=subprocess.STDOUT if out else None),
                              out)
                started(i, child)
            if self.signum is not None:
                todo.clear()
            for i, (proc, out) in list(running.items()):
                rc = proc.poll()
                if rc is not None:
                    del running[i]
                    if out is not None:
                        out.close()
                    ended(i, children[i], rc)
            if not running:
                continue
            time.sleep(0.1)
            if self.signum is None or killed:
                continue
            if not forwarded:
                forwarded = True
                for proc, _ in running.values():
                    proc.send_signal(self.signum)
            elif self._count > 1 or time.monotonic() - self._first > self.grace_s:
                killed = True
                print(f"vgitest run: pytest did not stop within {self.grace_s:.0f} s of "
                      f"{signal.Signals(self.signum).name}; killing it" if self._count == 1 else
                      "vgitest run: second stop signal; killing pytest", file=sys.stderr, flush=True)
                for proc, _ in running.values():
                    proc.kill()


@dataclasses.dataclass
class Child:
    """A pytest process of `vgitest run`: its command, and the file its output goes to (None: the console)."""

    cmd: list[str]
    log: Path | None = None
    tag: Any = None  # what the caller needs to know of it
