"""The toy protocol's fake peer: a TCP server that answers each line with the line upper-cased, recording both in
its trace. After each test it judges the device's lines: TOY-UPPER (a device must send upper-case lines)."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

from vgitest.findings import RULES, Finding
from vgitest.peer import RunPeer
from vgitest.session import Verdicts
from vgitest.trace import Direction, Frame, Trace

if "TOY-UPPER" not in RULES:
    RULES.add("TOY-UPPER", "fail", "The device sends its lines in upper case", "toy spec 1", protocol="toyecho",
              versions=("1",))
    RULES.add("TOY-SAID", "fail", "The device says hello when asked", "toy spec 2", protocol="toyecho",
              versions=("1",))


class EchoPeer(RunPeer, Verdicts):
    harness_name = "FAKE-ECHO"

    def __init__(self, host: str) -> None:
        self.trace = self._trace = Trace()
        self._sock = socket.create_server((host, 0))
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self.url = f"tcp://{host}:{self._sock.getsockname()[1]}"

    def start(self) -> "EchoPeer":
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._sock.close()

    def _frame(self, direction: Direction, line: bytes) -> Frame:
        return self.trace.append(Frame(time.monotonic_ns(), time.time(), direction, "toyecho", "1", "c1", "LINE",
                                       name=line.decode(errors="replace"), raw=line))

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            with conn, conn.makefile("rb") as lines:
                conn.settimeout(5)
                for line in lines:
                    self._frame(Direction.IN, line.strip())
                    conn.sendall(line.upper())
                    self._frame(Direction.OUT, line.strip().upper())

    def after_test(self, start: int, budgets: Any, record: dict[str, Any]) -> dict[str, Any]:
        for f in self.trace.since(start):
            if f.direction is Direction.IN and f.raw != f.raw.upper():
                f.findings.append(Finding.of("TOY-UPPER", f"the device sent {f.raw!r}, not in upper case", f.index))
        return {}


def make(run: Any) -> EchoPeer:
    return EchoPeer(run.settings.host).start()
